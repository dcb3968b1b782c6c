// Multi-hart clusters end to end (docs/CLUSTER.md): atomics and barriers across 1-8 harts, CLINT
// software interrupts per hart, barrier wake-up timing by hand, determinism of a contended run,
// per-hart and per-bank report fields, deadlock detection, and bad cluster configs.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>

#include <map>
#include <regex>

#include "e2e_util.h"

using e2e::mcucim;
using testing::HasSubstr;

namespace {
std::string cluster_args(const std::string& firmware, uint32_t harts, const std::string& extra = "") {
  return "run -c " + e2e::cfg("mcu-cluster-test") + " --elf " + e2e::fw(firmware) +
         " --set soc.core.count=" + std::to_string(harts) + " " + extra;
}
}  // namespace

TEST(Cluster, AtomicsBarriersAndSoftwareInterruptsOn1To8Harts) {
  for (uint32_t n : {1u, 2u, 3u, 4u, 8u}) {
    const std::string rep = e2e::tmpdir() + "/cluster" + std::to_string(n) + ".json";
    auto r = mcucim(cluster_args("cluster_check", n, "-q --report " + rep));
    ASSERT_EQ(r.code, 0) << n << " harts\n" << r.out << r.err;
    // 200 amoadd.w and 200 lr/sc increments per hart; harts 1..n-1 each woken once by msip.
    const uint32_t want = 200 * n;
    EXPECT_THAT(r.out, HasSubstr("harts " + std::to_string(n) + " amo " + std::to_string(want) + " lrsc " +
                                 std::to_string(want) + " msip " + std::to_string(n - 1) +
                                 " barriers " + std::to_string(n > 1 ? 3 : 1)));
    const auto j = nlohmann::json::parse(e2e::slurp(rep));
    if (n == 1) {
      EXPECT_FALSE(j.contains("harts")) << "a single hart has no per-hart table";
      continue;
    }
    ASSERT_TRUE(j.contains("harts"));
    ASSERT_EQ(j["harts"].size(), n);
    uint64_t instret = 0, idle = 0;
    for (const auto& h : j["harts"]) {
      instret += h["instret"].get<uint64_t>();
      idle += h["idle_cycles"].get<uint64_t>();
      EXPECT_LE(h["idle_cycles"].get<uint64_t>(), h["cycles"].get<uint64_t>());
    }
    EXPECT_EQ(instret, j["instret"].get<uint64_t>()) << "the run's instructions are the harts' sum";
    EXPECT_EQ(idle, j["events"]["idle_cycles"].get<uint64_t>());
    // The TCDM reports its banks; the event unit its barriers (3) and arrivals (3 per hart).
    bool banks = false, eu = false;
    for (const auto& m : j["events"]["memories"])
      if (m["name"] == "sram") {
        ASSERT_TRUE(m.contains("banks"));
        EXPECT_EQ(m["banks"]["count"], 16);
        EXPECT_EQ(m["banks"]["accesses_per_bank"].size(), 16u);
        banks = true;
      }
    for (const auto& d : j["events"]["devices"])
      if (d["kind"] == "event_unit") {
        EXPECT_EQ(d["stats"]["barriers"], 3);
        EXPECT_EQ(d["stats"]["arrivals"], 3 * n);
        eu = true;
      }
    EXPECT_TRUE(banks && eu);
  }
}

TEST(Cluster, BarrierReleasesEveryHartTogetherAfterTheLastArrival) {
  // barrier_timing: each hart runs `csrr a, mcycle; lw BARRIER; csrr l, mcycle`. The lw is placed at
  // cycle a + 2 (csrr 1 cycle + the load's 1 cycle, cv32e40p), the barrier releases wake_cycles = 2
  // after the last arrival, and the device's access_wait = 1 ends the load: l = max(a) + 2 + 2 + 1.
  auto r = mcucim(cluster_args("barrier_timing", 4, "-q"));
  ASSERT_EQ(r.code, 0) << r.err;
  std::regex line("hart (\\d+) arrive (\\d+) leave (\\d+)");
  std::map<int, std::pair<uint64_t, uint64_t>> t;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it)
    t[std::stoi((*it)[1])] = {std::stoull((*it)[2]), std::stoull((*it)[3])};
  ASSERT_EQ(t.size(), 4u) << r.out;
  uint64_t last = 0;
  for (auto& [h, al] : t) last = std::max(last, al.first);
  for (auto& [h, al] : t) EXPECT_EQ(al.second, last + 5) << "hart " << h << "\n" << r.out;
  // The harts arrive at different times (hart h spins longer): a barrier that did not wait would show.
  EXPECT_LT(t[0].first + 100, t[3].first);
}

TEST(Cluster, ContendedRunIsDeterministic) {
  const std::string a = e2e::tmpdir() + "/det_a.json", b = e2e::tmpdir() + "/det_b.json";
  ASSERT_EQ(mcucim(cluster_args("cluster_check", 8, "-q --report " + a)).code, 0);
  ASSERT_EQ(mcucim(cluster_args("cluster_check", 8, "-q --report " + b)).code, 0);
  auto ja = nlohmann::json::parse(e2e::slurp(a)), jb = nlohmann::json::parse(e2e::slurp(b));
  for (auto* j : {&ja, &jb}) {  // host-time and provenance fields aside
    j->erase("sim");
    j->erase("provenance");
  }
  EXPECT_EQ(ja, jb);
  // The run is contended: some SCs failed and some accesses waited for a bank.
  uint64_t fails = 0, waits = 0;
  for (const auto& h : ja["harts"]) {
    fails += h["sc_failures"].get<uint64_t>();
    waits += h["bank_wait_cycles"].get<uint64_t>();
  }
  EXPECT_GT(fails, 0u);
  EXPECT_GT(waits, 0u);
}

TEST(Cluster, EveryHartWaitingIsADeadlock) {
  auto r = mcucim(cluster_args("cluster_deadlock", 2));
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_THAT(r.err, HasSubstr("all 2 harts wait"));
}

TEST(Cluster, BadClusterConfigs) {
  struct Case {
    std::string sets, needle;
  };
  const Case cases[] = {
      {"--set soc.core.count=0", "expected 1..32 harts, found 0"},
      {"--set soc.core.count=33", "expected 1..32 harts, found 33"},
      {"--set soc.memories.sram.banks=3", "3 banks do not divide the memory"},
      {"--set soc.memories.sram.banks=0", "expected 1..1024 banks"},
      {"--set soc.core.quantum_ns=1000000", "the quantum must be at most 16384 cycles"},
  };
  for (const auto& c : cases) {
    auto r = mcucim("run -c " + e2e::cfg("mcu-cluster-test") + " --elf " + e2e::fw("cluster_check") + " " + c.sets);
    EXPECT_EQ(r.code, 2) << c.sets << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.needle)) << c.sets;
    EXPECT_THAT(r.err, HasSubstr("soc.")) << "the message names the key";
  }
  // Several harts without an event unit to start them; a tcdm without its bank count.
  auto r = mcucim(e2e::run_args("hello", "--set soc.core.count=2"));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("need an event_unit"));
  r = mcucim(e2e::run_args("hello", "--set soc.memories.sram.kind=tcdm"));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("soc.memories.sram.banks"));
}

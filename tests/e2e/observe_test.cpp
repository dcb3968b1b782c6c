// `mcucim run --log-commits / --log-from / --log-to` and `--stats-interval` end to end: observing a
// run must not change it, windows cut the full log exactly, interval rows add up to the report.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sim/elf.h"
#include "tests/e2e/e2e_util.h"
#include "tests/sim/vcd_reader.h"

namespace {
using e2e::mcucim;
using e2e::run_args;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
uint64_t cycle_of(const std::string& line) { return std::stoull(line.substr(0, line.find(' '))); }
uint32_t pc_of(const std::string& line) {
  const auto p = line.find(": 3 0x");
  return static_cast<uint32_t>(std::stoul(line.substr(p + 6, 8), nullptr, 16));
}
nlohmann::json report(const std::string& path) { return nlohmann::json::parse(e2e::slurp(path)); }

// The full log of a program, checked line by line for the format and against the report.
struct Logged {
  std::vector<std::string> lines;
  nlohmann::json report;
};
Logged logged_run(const std::string& fw, const std::string& extra = "") {
  static int n = 0;
  const std::string base = e2e::tmpdir() + "/obs" + std::to_string(n++);
  auto r = mcucim(run_args(fw, "-q --report " + base + ".json --log-commits " + base + ".log " + extra));
  EXPECT_EQ(r.code, 0) << r.err;
  return {split_lines(e2e::slurp(base + ".log")), report(base + ".json")};
}

void expect_same_run(const std::string& fw) {
  const std::string base = e2e::tmpdir() + "/plain_" + fw;
  auto r = mcucim(run_args(fw, "-q --report " + base + ".json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto plain = report(base + ".json");
  const Logged l = logged_run(fw);
  EXPECT_EQ(l.report["cycles"], plain["cycles"]) << fw << ": logging changed the timing";
  EXPECT_EQ(l.report["instret"], plain["instret"]);
  EXPECT_DOUBLE_EQ(l.report["energy_j"]["total"].get<double>(), plain["energy_j"]["total"].get<double>());
  // One line per retired instruction, in Spike's format, cycles non-decreasing.
  EXPECT_EQ(l.lines.size(), plain["instret"].get<uint64_t>());
  const std::regex fmt(R"(^\d+ core   0: 3 0x[0-9a-f]{8} \(0x([0-9a-f]{4}|[0-9a-f]{8})\)( (x|f)[0-9 ]{2} 0x[0-9a-f]{8}| c\d+_\w+ 0x[0-9a-f]{8})*( mem 0x[0-9a-f]{8}( 0x([0-9a-f]{2}|[0-9a-f]{4}|[0-9a-f]{8}))?)?$)");
  uint64_t last = 0;
  size_t bad = 0;
  for (const auto& line : l.lines) {
    if (!std::regex_match(line, fmt) && bad++ < 3) ADD_FAILURE() << "bad line: " << line;
    const uint64_t c = cycle_of(line);
    EXPECT_GE(c, last);
    last = c;
  }
  ASSERT_FALSE(l.lines.empty());
  const auto elf = mcucim::sim::load_elf(e2e::fw(fw));
  EXPECT_EQ(pc_of(l.lines.front()), elf.entry);
}

TEST(CommitLog, DoesNotChangeTheRunAndLogsEveryInstruction) { expect_same_run("selfcheck"); }
TEST(CommitLog, DoesNotChangeARunWithInterrupts) { expect_same_run("timer_irq"); }

TEST(CommitLog, CycleWindowIsASliceOfTheFullLog) {
  const Logged full = logged_run("selfcheck");
  const Logged win = logged_run("selfcheck", "--log-from cycle:300 --log-to cycle:700");
  std::vector<std::string> expect;
  for (const auto& l : full.lines)
    if (cycle_of(l) >= 300 && cycle_of(l) < 700) expect.push_back(l);
  ASSERT_FALSE(expect.empty());
  EXPECT_EQ(win.lines, expect);
  EXPECT_EQ(win.report["cycles"], full.report["cycles"]);
}

TEST(CommitLog, PcWindowBySymbol) {
  const auto elf = mcucim::sim::load_elf(e2e::fw("selfcheck"));
  const uint32_t main_pc = *elf.symbol("main");
  const Logged full = logged_run("selfcheck");
  const Logged win = logged_run("selfcheck", "--log-from pc:main --log-to pc:main");
  ASSERT_EQ(win.lines.size(), 1u);  // the first instruction of main only (both bounds included)
  EXPECT_EQ(pc_of(win.lines[0]), main_pc);
  size_t first = 0;
  while (first < full.lines.size() && pc_of(full.lines[first]) != main_pc) ++first;
  ASSERT_LT(first, full.lines.size());
  EXPECT_EQ(win.lines[0], full.lines[first]);
}

TEST(CommitLog, BadOptionsAreUsageErrors) {
  const std::string d = e2e::tmpdir();
  auto r = mcucim(run_args("exit3", "--log-commits " + d + "/x.log --log-from 1000"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--log-from 1000: expected cycle:N, pc:ADDRESS (or pc:SYMBOL) or region:NAME"), std::string::npos)
      << r.err;
  r = mcucim(run_args("exit3", "--log-commits " + d + "/x.log --log-to pc:no_such_symbol"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no_such_symbol"), std::string::npos) << r.err;
  r = mcucim(run_args("exit3", "--log-commits /nonexistent-dir/x.log"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--log-commits /nonexistent-dir/x.log: cannot open for writing"), std::string::npos) << r.err;
  r = mcucim(run_args("exit3", "--log-from cycle:5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("need --log-commits"), std::string::npos) << r.err;
  r = mcucim(run_args("exit3", "--stats-interval 100"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--stats-file"), std::string::npos) << r.err;
}

// MCUCIM_SIMCTRL_BASE of runtime/include/mcucim/simctrl.h (mcu-base places sim-control there);
// SIMCTRL_REGION_BEGIN is at offset 0x04, SIMCTRL_REGION_END at 0x08.
constexpr uint32_t kSimctrlBase = 0x11000000u;
std::string store_of(uint32_t addr, uint32_t value) {
  return fmt::format("mem 0x{:08x} 0x{:08x}", addr, value);
}

// workloads/regions: region "layer" (id 3) is called 4 times; region:layer .. region:layer is its first
// call: from the instruction after the store that begins it up to the store that ends it.
TEST(CommitLog, RegionWindowIsTheRegionsFirstCall) {
  const Logged full = logged_run("regions");
  const Logged win = logged_run("regions", "--log-from region:layer --log-to region:layer");
  const std::string begin = store_of(kSimctrlBase + 0x04, 3), end = store_of(kSimctrlBase + 0x08, 3);
  size_t b = 0;
  while (b < full.lines.size() && full.lines[b].find(begin) == std::string::npos) ++b;
  ASSERT_LT(b, full.lines.size()) << "no store beginning region 3 in the full log";
  size_t e = b + 1;
  while (e < full.lines.size() && full.lines[e].find(end) == std::string::npos) ++e;
  ASSERT_LT(e, full.lines.size());
  const std::vector<std::string> expect(full.lines.begin() + b + 1, full.lines.begin() + e + 1);
  ASSERT_GT(expect.size(), 100u);
  EXPECT_EQ(win.lines, expect);
  // A region that never begins logs nothing; a bad bound is a usage error.
  EXPECT_TRUE(logged_run("regions", "--log-from region:no_such_region").lines.empty());
  auto r = mcucim(run_args("regions", "--log-commits " + e2e::tmpdir() + "/x.log --log-from region:"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("expected a region name"), std::string::npos) << r.err;
}

// --vcd on a program with a DMA copy, its completion interrupt and wfi (workloads/basic/dma_irq.c).
TEST(Vcd, WaveformsOfADmaRun) {
  const std::string base = e2e::tmpdir() + "/vcd_dma";
  auto plain = mcucim(run_args("dma_irq", "-q --report " + base + "_plain.json"));
  ASSERT_EQ(plain.code, 0) << plain.err;
  auto r = mcucim(run_args("dma_irq", "-q --report " + base + ".json --vcd " + base + ".vcd --vcd-power-interval 2000"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = report(base + ".json");
  EXPECT_EQ(j["cycles"], report(base + "_plain.json")["cycles"]) << "--vcd changed the timing";
  const vcdtest::Vcd v = vcdtest::read_vcd(e2e::slurp(base + ".vcd"));
  ASSERT_EQ(v.error, "");
  EXPECT_EQ(v.timescale, "1ps");
  const uint64_t ps = 5000;  // mcu-base: 200 MHz
  const uint64_t cycles = j["cycles"].get<uint64_t>();
  EXPECT_EQ(v.times.back(), cycles * ps);
  // Every retired instruction changes the pc, except a jump to itself; the first is the entry.
  const auto& pc = v.signals.at("soc.core.pc").changes;
  EXPECT_EQ(vcdtest::bits(pc.front().value), mcucim::sim::load_elf(e2e::fw("dma_irq")).entry);
  EXPECT_LE(pc.size(), j["instret"].get<uint64_t>());
  EXPECT_GT(pc.size(), j["instret"].get<uint64_t>() / 2);
  // The DMA is busy for its modelled time: the report counts it in DMA cycles (5 ns; floored per copy).
  uint64_t busy_ps = 0, busy_on = 0, copies = 0;
  for (const auto& c : v.signals.at("soc.dma0.busy").changes) {
    if (c.value == "1") busy_on = c.time, ++copies;
    else if (busy_on) busy_ps += c.time - busy_on, busy_on = 0;
  }
  uint64_t dma_busy_cycles = 0;
  for (const auto& d : j["events"]["devices"])
    if (d["name"] == "dma0") dma_busy_cycles = d["stats"]["busy_cycles"].get<uint64_t>();
  ASSERT_GT(copies, 0u);
  EXPECT_GE(busy_ps, dma_busy_cycles * 5000);
  EXPECT_LT(busy_ps, (dma_busy_cycles + copies) * 5000);
  // The completion interrupt (mip.MEIP) rises while the DMA's line is high, and the core sleeps in wfi.
  bool meip = false, slept = false;
  for (const auto& c : v.signals.at("soc.irq.meip").changes) meip = meip || c.value == "1";
  for (const auto& c : v.signals.at("soc.core.state").changes) slept = slept || vcdtest::bits(c.value) == 2;
  EXPECT_TRUE(meip);
  EXPECT_TRUE(slept);
  // Power: each value holds until the next; power x time over the run is the report's energy.
  const auto& comps = j["energy_j"]["components"];
  for (const auto& comp : comps) {
    const std::string name = "soc.power." + comp["name"].get<std::string>() + "_mW";
    ASSERT_EQ(v.signals.count(name), 1u) << name;
    EXPECT_EQ(v.signals.at(name).type, "real");
  }
  auto energy_of = [&](const std::string& name) {
    const auto& ch = v.signals.at(name).changes;
    double e = 0;
    for (size_t k = 0; k < ch.size(); ++k) {
      const uint64_t until = k + 1 < ch.size() ? ch[k + 1].time : cycles * ps;
      e += std::stod(ch[k].value) * 1e-3 * (until - ch[k].time) * 1e-12;
    }
    return e;
  };
  const double total = j["energy_j"]["total"].get<double>();
  EXPECT_NEAR(energy_of("soc.power.total_mW"), total, 1e-6 * total);
  for (const auto& comp : comps)
    EXPECT_NEAR(energy_of("soc.power." + comp["name"].get<std::string>() + "_mW"), comp["total_j"].get<double>(),
                1e-6 * total)
        << comp["name"];
}

// A region window gives the same instructions to the waveforms as to the commit log.
TEST(Vcd, RegionWindowMatchesTheCommitLog) {
  const std::string base = e2e::tmpdir() + "/vcd_region";
  auto r = mcucim(run_args("regions", "-q --vcd " + base + ".vcd --vcd-from region:matmul --vcd-to region:matmul"
                                      " --log-commits " + base + ".log --log-from region:matmul --log-to region:matmul"));
  ASSERT_EQ(r.code, 0) << r.err;
  const vcdtest::Vcd v = vcdtest::read_vcd(e2e::slurp(base + ".vcd"));
  ASSERT_EQ(v.error, "");
  const auto lines = split_lines(e2e::slurp(base + ".log"));
  ASSERT_GT(lines.size(), 100u);
  const auto& pc = v.signals.at("soc.core.pc").changes;
  ASSERT_FALSE(pc.empty());
  // The recording starts at the region's first instruction, with its pc; each later pc change is the
  // next logged instruction that moved the pc (cycle x 5000 ps).
  EXPECT_EQ(pc.front().time, cycle_of(lines.front()) * 5000);
  std::vector<std::pair<uint64_t, uint32_t>> from_log, from_vcd;
  for (const auto& l : lines)
    if (from_log.empty() || from_log.back().second != pc_of(l)) from_log.push_back({cycle_of(l) * 5000, pc_of(l)});
  for (const auto& c : pc) from_vcd.push_back({c.time, static_cast<uint32_t>(vcdtest::bits(c.value))});
  EXPECT_EQ(from_vcd, from_log);
  auto bad = mcucim(run_args("exit3", "--vcd-from cycle:5"));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("need --vcd"), std::string::npos) << bad.err;
  // A system of several MCUs: refused, not ignored.
  bad = mcucim("run -c " + e2e::cfg("system-ping-uart") + " --elf " + e2e::fw("exit3") + " --vcd " + base + "_s.vcd");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--vcd/--vcd-from/--vcd-to: not available for a system run"), std::string::npos) << bad.err;
  bad = mcucim(run_args("exit3", "--vcd " + base + "_x.vcd --vcd-power-interval 0"));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--vcd-power-interval 0: expected 1..1000000"), std::string::npos) << bad.err;
}

// The Perfetto/Chrome trace's region slices carry their call's energy: per region, the slices add up to
// the report's region energy; a slice's components add up to its total; an enclosing call costs at
// least what the calls inside it cost.
TEST(Trace, RegionSlicesCarryTheirEnergy) {
  const std::string base = e2e::tmpdir() + "/trace_energy";
  auto r = mcucim(run_args("regions", "-q --report " + base + ".json --trace " + base + ".trace.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = report(base + ".json");
  const auto t = nlohmann::json::parse(e2e::slurp(base + ".trace.json"));
  std::map<std::string, double> by_name;
  struct Slice {
    double ts, end, uj;
  };
  std::map<std::string, std::vector<Slice>> slices;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] != "X" || e["cat"] != "region") continue;
    const auto& a = e["args"];
    ASSERT_TRUE(a.contains("energy_uj")) << e.dump();
    const double uj = a["energy_uj"].get<double>();
    EXPECT_GT(uj, 0);
    double parts = 0;
    for (const auto& [k, v] : a["energy_uj_by_component"].items()) parts += v.get<double>();
    EXPECT_NEAR(parts, uj, 1e-9 * uj);
    EXPECT_GT(a["instret"].get<uint64_t>(), 0u);
    by_name[e["name"]] += uj;
    const double ts = e["ts"].get<double>();
    slices[e["name"]].push_back({ts, ts + e["dur"].get<double>(), uj});
  }
  ASSERT_EQ(by_name.size(), 4u);
  for (const auto& reg : j["regions"]) {
    const std::string name = reg["name"];
    const double total_uj = reg["energy_j"]["total"].get<double>() * 1e6;
    EXPECT_NEAR(by_name[name], total_uj, 1e-9 * total_uj) << name;
  }
  // generate holds the 4 layer calls, each layer one matmul call.
  ASSERT_EQ(slices["generate"].size(), 1u);
  ASSERT_EQ(slices["layer"].size(), 4u);
  ASSERT_EQ(slices["matmul"].size(), 4u);
  double layers = 0;
  for (const auto& l : slices["layer"]) layers += l.uj;
  EXPECT_GT(slices["generate"][0].uj, layers);
  for (size_t k = 0; k < 4; ++k) EXPECT_GT(slices["layer"][k].uj, slices["matmul"][k].uj);
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> v;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) v.push_back(cell);
  if (!line.empty() && line.back() == ',') v.push_back("");
  return v;
}

TEST(StatsInterval, RowsAddUpToTheReport) {
  const std::string base = e2e::tmpdir() + "/stats";
  auto plain = mcucim(run_args("regions", "-q --report " + base + "_plain.json"));
  ASSERT_EQ(plain.code, 0) << plain.err;
  auto r = mcucim(run_args("regions", "-q --report " + base + ".json --stats-interval 1000 --stats-file " + base + ".csv"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = report(base + ".json");
  EXPECT_EQ(j["cycles"], report(base + "_plain.json")["cycles"]) << "--stats-interval changed the timing";
  const auto rows = split_lines(e2e::slurp(base + ".csv"));
  ASSERT_GE(rows.size(), 3u);
  const auto head = split_csv(rows[0]);
  ASSERT_GE(head.size(), 7u);
  EXPECT_EQ(head[0], "cycle_begin");
  EXPECT_EQ(head[4], "energy_j");
  EXPECT_EQ(head.back(), "region");
  const auto& comps = j["energy_j"]["components"];
  ASSERT_EQ(head.size(), 6 + comps.size());
  for (size_t i = 0; i < comps.size(); ++i) EXPECT_EQ(head[5 + i], comps[i]["name"].get<std::string>() + "_j");
  uint64_t cycles = 0, insns = 0, prev_end = 0;
  double total = 0;
  std::vector<double> by(comps.size(), 0.0);
  bool saw_region = false;
  for (size_t k = 1; k < rows.size(); ++k) {
    const auto c = split_csv(rows[k]);
    ASSERT_EQ(c.size(), head.size()) << rows[k];
    const uint64_t b = std::stoull(c[0]), e = std::stoull(c[1]);
    EXPECT_EQ(b, prev_end) << "rows must tile the run";
    EXPECT_EQ(std::stoull(c[2]), e - b);
    if (k + 1 < rows.size()) {
      EXPECT_GE(e, k * 1000) << "a row ends at or after its multiple of N";
    }
    prev_end = e;
    cycles += e - b;
    insns += std::stoull(c[3]);
    total += std::stod(c[4]);
    for (size_t i = 0; i < comps.size(); ++i) by[i] += std::stod(c[5 + i]);
    saw_region = saw_region || !c.back().empty();
  }
  EXPECT_EQ(cycles, j["cycles"].get<uint64_t>());
  EXPECT_EQ(prev_end, j["cycles"].get<uint64_t>());
  // The report's instret counts retired instructions; the rows count the same events.
  EXPECT_EQ(insns, j["instret"].get<uint64_t>());
  const double jt = j["energy_j"]["total"].get<double>();
  EXPECT_NEAR(total, jt, 1e-6 * jt);
  for (size_t i = 0; i < comps.size(); ++i) {
    const double ct = comps[i]["total_j"].get<double>();
    EXPECT_NEAR(by[i], ct, 1e-6 * jt) << comps[i]["name"];
  }
  EXPECT_TRUE(saw_region) << "the regions workload marks regions; some row must name one";
}

}  // namespace

// The commit log (sim/commit_log.h) against a golden log written by hand, its windows, and the
// single-step mode it relies on (isa::Cpu::set_single_step must not change timing or results).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/commit_log.h"
#include "sim/config.h"
#include "tests/sim/golden_program.h"

namespace {
using namespace isatest;
using mcucim::sim::CommitLog;
using mcucim::sim::LogBound;

std::string golden() {
  std::ifstream f(std::string(MCUCIM_SOURCE_DIR) + "/tests/sim/golden/commit_log.txt");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string log_of(LogBound from, LogBound to) {
  Machine m;
  load_golden_program(m);
  std::FILE* f = std::tmpfile();
  CommitLog log(f, from, to);
  drive_observer(m, log, [](CommitLog&, uint64_t) {});
  std::string s = read_all(f);
  std::fclose(f);
  return s;
}

std::string lines(const std::string& all, int first, int count) {
  std::istringstream in(all);
  std::string line, out;
  for (int i = 0; std::getline(in, line); ++i)
    if (i >= first && i < first + count) out += line + "\n";
  return out;
}

TEST(CommitLog, MatchesHandWrittenGoldenLog) {
  const std::string g = golden();
  ASSERT_FALSE(g.empty()) << "tests/sim/golden/commit_log.txt missing";
  EXPECT_EQ(log_of({}, {}), g);
}

TEST(CommitLog, CycleWindowKeepsInstructionsStartingInside) {
  using K = LogBound::Kind;
  EXPECT_EQ(log_of({K::Cycle, 3}, {K::Cycle, 6}), lines(golden(), 3, 3));
}

TEST(CommitLog, PcWindowIsInclusive) {
  using K = LogBound::Kind;
  EXPECT_EQ(log_of({K::Pc, 0x80000016}, {K::Pc, 0x80000022}), lines(golden(), 6, 3));
  // An address never executed (the skipped addi): nothing is logged.
  EXPECT_EQ(log_of({K::Pc, 0x8000001e}, {}), "");
}

TEST(CommitLog, ParsesBounds) {
  auto sym = [](const std::string& n) -> std::optional<uint32_t> {
    if (n == "main") return 0x100;
    return std::nullopt;
  };
  using K = LogBound::Kind;
  auto b = mcucim::sim::parse_log_bound("--log-from", "cycle:1000", sym);
  EXPECT_EQ(b.kind, K::Cycle);
  EXPECT_EQ(b.value, 1000u);
  b = mcucim::sim::parse_log_bound("--log-from", "pc:0x80000010", sym);
  EXPECT_EQ(b.kind, K::Pc);
  EXPECT_EQ(b.value, 0x80000010u);
  b = mcucim::sim::parse_log_bound("--log-to", "pc:main", sym);
  EXPECT_EQ(b.value, 0x100u);
  b = mcucim::sim::parse_log_bound("--log-to", "region:decode", sym);
  EXPECT_EQ(b.kind, K::Region);
  EXPECT_EQ(b.name, "decode");
  for (const char* bad : {"1000", "cycle:", "cycle:-1", "cycle:12x", "pc:nosuch", "pc:0x100000000", "time:5", "region:"})
    EXPECT_THROW(mcucim::sim::parse_log_bound("--log-from", bad, sym), mcucim::sim::ConfigError) << bad;
}

// Single-stepping must give the same cycles, counters and registers as the fast loop, on a profile
// with stalls and penalties (ibex: load-use, taken-branch penalty).
TEST(SingleStep, SameTimingAsFastLoop) {
  auto program = [](Machine& m) {
    Asm a(kRamBase);
    a.li(5, kData);
    a(addi(6, 0, 20));
    auto loop = a.here_label();
    a(lw(7, 5, 0));
    a(add(8, 8, 7));  // load-use
    a(sw(8, 5, 4));
    a(mul(9, 8, 6));
    a(addi(6, 6, -1));
    a.bne(6, 0, loop);
    a.halt();
    m.load(a);
  };
  isa::CpuConfig cfg = default_config();
  cfg.timing = load_profile("ibex");
  Machine fast(cfg), stepped(cfg);
  program(fast);
  program(stepped);
  fast.poke32(kData, 3);
  stepped.poke32(kData, 3);
  EXPECT_EQ(fast.run(), Stop::Semihost);
  stepped.cpu().set_single_step(true);
  Stop s = Stop::Limit;
  uint64_t runs = 0;
  while (s == Stop::Limit && runs < 10000) {
    const uint64_t before = stepped.cpu().instret();
    s = stepped.cpu().run(100000);
    ++runs;
    if (s == Stop::Limit) {
      ASSERT_EQ(stepped.cpu().instret(), before + 1) << "one instruction per step";
    }
  }
  EXPECT_EQ(s, Stop::Semihost);
  EXPECT_EQ(runs, stepped.cpu().instret());
  EXPECT_EQ(stepped.cpu().cycle(), fast.cpu().cycle());
  EXPECT_EQ(stepped.cpu().instret(), fast.cpu().instret());
  EXPECT_EQ(stepped.cpu().counters().load_use_stalls, fast.cpu().counters().load_use_stalls);
  EXPECT_EQ(stepped.cpu().counters().branches_taken, fast.cpu().counters().branches_taken);
  for (unsigned r = 0; r < 32; ++r) EXPECT_EQ(stepped.cpu().x(r), fast.cpu().x(r)) << "x" << r;
}

}  // namespace

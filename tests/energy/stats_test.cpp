// sim::Stats driven by hand-made counters (no simulator): nesting, declared work, tokens, and
// unbalanced marks becoming warnings.
#include <gtest/gtest.h>

#include "sim/stats.h"

using namespace mcucim::sim;
using mcucim::isa::TClass;

namespace {

TechTable unit_table() {
  TechTable t;
  t.vref_v = 1.0;
  t.insn_pj.fill(1.0);  // 1 pJ per instruction, nothing else
  return t;
}

struct Fake {
  Counters now;
  void run(uint64_t cycles, uint64_t insns) {
    now.cycles += cycles;
    now.by_class[size_t(TClass::ALU)] += insns;
    now.instret += insns;
  }
};

}  // namespace

TEST(Stats, NestedRegionsAreInclusiveAndDeclaredWorkPropagates) {
  EnergyModel m(unit_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, [](uint32_t id) { return id == 1 ? std::string("outer") : std::string(); });
  f.run(10, 10);
  s.mark(MarkKind::RegionBegin, 1, f.now.cycles);
  f.run(20, 5);
  for (int k = 0; k < 2; ++k) {
    s.mark(MarkKind::RegionBegin, 2, f.now.cycles);
    f.run(30, 7);
    s.mark(MarkKind::WorkMacs, 100, f.now.cycles);
    s.mark(MarkKind::RegionEnd, 2, f.now.cycles);
  }
  s.mark(MarkKind::WorkMacs, 5, f.now.cycles);
  s.mark(MarkKind::RegionEnd, 1, f.now.cycles);
  f.run(1, 1);
  s.finish(f.now);
  auto r = s.regions();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].name, "outer");
  EXPECT_EQ(r[1].name, "region2");
  EXPECT_EQ(r[0].calls, 1u);
  EXPECT_EQ(r[0].cycles, 80u);    // 20 + 2 x 30
  EXPECT_EQ(r[0].instret, 19u);   // 5 + 2 x 7
  EXPECT_EQ(r[1].calls, 2u);
  EXPECT_EQ(r[1].cycles, 60u);
  EXPECT_EQ(r[1].min_cycles, 30u);
  EXPECT_EQ(r[1].parent, 1);
  EXPECT_EQ(r[1].depth, 1u);
  EXPECT_EQ(r[1].declared_macs, 200u);
  EXPECT_EQ(r[0].declared_macs, 205u);
  EXPECT_EQ(s.declared_macs(), 205u);
  EXPECT_NEAR(r[0].energy.total_j(), 19e-12, 1e-20);  // 1 pJ per instruction
  EXPECT_TRUE(s.warnings().empty());
  EXPECT_EQ(s.instances().size(), 3u);
}

TEST(Stats, TokensFromGenerateBeginThenFromPreviousToken) {
  EnergyModel m(unit_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, [](uint32_t id) { return id == 9 ? std::string("generate") : std::string(); });
  f.run(100, 100);  // prompt: not part of the first token
  s.mark(MarkKind::RegionBegin, 9, f.now.cycles);
  f.run(40, 4);
  s.mark(MarkKind::Token, 0, f.now.cycles);
  f.run(60, 6);
  s.mark(MarkKind::Token, 1, f.now.cycles);
  s.mark(MarkKind::RegionEnd, 9, f.now.cycles);
  s.finish(f.now);
  ASSERT_EQ(s.tokens().size(), 2u);
  EXPECT_EQ(s.tokens()[0].end_cycle - s.tokens()[0].begin_cycle, 40u);
  EXPECT_EQ(s.tokens()[1].end_cycle - s.tokens()[1].begin_cycle, 60u);
  EXPECT_NEAR(s.tokens()[0].energy_j, 4e-12, 1e-20);
  EXPECT_NEAR(s.tokens()[1].energy_j, 6e-12, 1e-20);
  EXPECT_EQ(s.regions()[0].cycles, 100u);  // = sum of token latencies
}

TEST(Stats, FirstTokenWithoutGenerateCountsFromStart) {
  EnergyModel m(unit_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, nullptr);
  f.run(25, 3);
  s.mark(MarkKind::Token, 7, f.now.cycles);
  s.finish(f.now);
  ASSERT_EQ(s.tokens().size(), 1u);
  EXPECT_EQ(s.tokens()[0].begin_cycle, 0u);
  EXPECT_EQ(s.tokens()[0].end_cycle, 25u);
  EXPECT_EQ(s.tokens()[0].id, 7u);
}

TEST(Stats, UnbalancedMarksBecomeWarnings) {
  EnergyModel m(unit_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, nullptr);
  s.mark(MarkKind::RegionEnd, 7, 0);  // never begun
  s.mark(MarkKind::RegionBegin, 1, f.now.cycles);
  f.run(10, 1);
  s.mark(MarkKind::RegionBegin, 2, f.now.cycles);
  f.run(10, 1);
  s.mark(MarkKind::RegionEnd, 1, f.now.cycles);  // 2 still open: closed here
  s.mark(MarkKind::RegionBegin, 3, f.now.cycles);
  f.run(10, 1);
  s.finish(f.now);  // 3 still open
  ASSERT_EQ(s.warnings().size(), 3u);
  EXPECT_NE(s.warnings()[0].find("id 7"), std::string::npos);
  EXPECT_NE(s.warnings()[1].find("region 2"), std::string::npos);
  EXPECT_NE(s.warnings()[2].find("region 3"), std::string::npos);
  auto r = s.regions();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].cycles, 20u);
  EXPECT_EQ(r[1].cycles, 10u);
  EXPECT_EQ(r[2].cycles, 10u);
}

// Phases: start-up is in no token; prefill and decode tokens are told apart by the region they are
// marked in; each phase's first token counts from the phase's begin; TTFT from the first phase begin
// to the end of the first decode token. Expected values are the hand-made intervals below.
TEST(Stats, PrefillAndDecodePhasesExcludeStartup) {
  EnergyModel m(unit_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, [](uint32_t id) {
    return id == 1 ? std::string("startup") : id == 2 ? std::string("prefill") : id == 3 ? std::string("decode")
                                                                                      : std::string();
  });
  s.mark(MarkKind::RegionBegin, 1, f.now.cycles);
  f.run(1000, 1000);  // start-up
  s.mark(MarkKind::RegionEnd, 1, f.now.cycles);
  f.run(5, 5);        // between start-up and prefill: part of start-up too
  s.mark(MarkKind::RegionBegin, 2, f.now.cycles);  // cycle 1005
  for (uint64_t c : {10, 12, 14}) {
    f.run(c, c);
    s.mark(MarkKind::Token, 100 + c, f.now.cycles);
  }
  s.mark(MarkKind::RegionEnd, 2, f.now.cycles);
  f.run(3, 3);  // between the phases: in no token
  s.mark(MarkKind::RegionBegin, 3, f.now.cycles);
  for (uint64_t c : {20, 30, 40, 50}) {
    f.run(c, c);
    s.mark(MarkKind::Token, c, f.now.cycles);
  }
  s.mark(MarkKind::RegionEnd, 3, f.now.cycles);
  s.finish(f.now);
  const auto& t = s.tokens();
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[0].phase, TokenPhase::Prefill);
  EXPECT_EQ(t[0].begin_cycle, 1005u);  // from the prefill begin, not from cycle 0
  EXPECT_EQ(t[0].end_cycle - t[0].begin_cycle, 10u);
  EXPECT_EQ(t[2].phase, TokenPhase::Prefill);
  EXPECT_EQ(t[3].phase, TokenPhase::Decode);
  EXPECT_EQ(t[3].begin_cycle, 1005u + 36 + 3);  // from the decode begin
  EXPECT_EQ(t[3].end_cycle - t[3].begin_cycle, 20u);
  EXPECT_EQ(t[6].end_cycle - t[6].begin_cycle, 50u);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].position, int64_t(i));
  ASSERT_TRUE(s.phase_start_cycle());
  EXPECT_EQ(*s.phase_start_cycle(), 1005u);
  ASSERT_TRUE(s.first_decode_end_cycle());
  EXPECT_EQ(*s.first_decode_end_cycle() - *s.phase_start_cycle(), 36u + 3 + 20);  // TTFT in cycles
  EXPECT_NEAR(t[6].energy_j, 50e-12, 1e-20);
  EXPECT_TRUE(s.warnings().empty());
}

TEST(Stats, TokenCountSplitsOneMarkIntoPositions) {
  EnergyModel m(unit_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, [](uint32_t id) { return id == 2 ? std::string("prefill") : std::string(); });
  f.run(50, 50);
  s.mark(MarkKind::RegionBegin, 2, f.now.cycles);
  f.run(90, 30);  // three positions processed together
  s.mark(MarkKind::TokenCount, 3, f.now.cycles);
  s.mark(MarkKind::Token, 7, f.now.cycles);
  f.run(10, 10);  // the next mark counts one position again
  s.mark(MarkKind::Token, 8, f.now.cycles);
  s.mark(MarkKind::RegionEnd, 2, f.now.cycles);
  s.finish(f.now);
  const auto& t = s.tokens();
  ASSERT_EQ(t.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(t[i].begin_cycle, 50u + 30 * i);
    EXPECT_EQ(t[i].end_cycle - t[i].begin_cycle, 30u);
    EXPECT_EQ(t[i].instret, 10u);
    EXPECT_NEAR(t[i].energy_j, 10e-12, 1e-20);
    EXPECT_EQ(t[i].id, 7u);
    EXPECT_EQ(t[i].position, int64_t(i));
  }
  EXPECT_EQ(t[3].end_cycle - t[3].begin_cycle, 10u);
  EXPECT_EQ(t[3].position, 3);
  EXPECT_FALSE(s.first_decode_end_cycle());  // no decode token: no TTFT
}

// A region entered from different enclosing regions (the per-position `token` region inside `prefill`
// and `decode`) has no single parent: it is top level, and its own children one below it.
TEST(Stats, RegionWithDifferentParentsIsTopLevel) {
  EnergyModel m(unit_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, nullptr);
  for (uint32_t outer : {2u, 3u}) {
    s.mark(MarkKind::RegionBegin, outer, f.now.cycles);
    s.mark(MarkKind::RegionBegin, 5, f.now.cycles);
    s.mark(MarkKind::RegionBegin, 6, f.now.cycles);
    f.run(10, 1);
    s.mark(MarkKind::RegionEnd, 6, f.now.cycles);
    s.mark(MarkKind::RegionEnd, 5, f.now.cycles);
    s.mark(MarkKind::RegionEnd, outer, f.now.cycles);
  }
  s.finish(f.now);
  const auto r = s.regions();
  ASSERT_EQ(r.size(), 4u);  // 2, 5, 6, 3 in order of first begin
  EXPECT_EQ(r[1].id, 5u);
  EXPECT_EQ(r[1].parent, -1);
  EXPECT_EQ(r[1].depth, 0u);
  EXPECT_EQ(r[2].id, 6u);
  EXPECT_EQ(r[2].parent, 5);
  EXPECT_EQ(r[2].depth, 1u);
  EXPECT_EQ(r[3].id, 3u);
  EXPECT_EQ(r[3].depth, 0u);
}

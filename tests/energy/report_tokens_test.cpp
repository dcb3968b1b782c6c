// The report's `tokens` object from hand-made marks: prefill/decode groups, nearest-rank percentiles,
// TTFT, start-up and context (expected values computed by hand from the intervals below).
#include <gtest/gtest.h>

#include "sim/report.h"

using namespace mcucim::sim;
using mcucim::isa::TClass;
using nlohmann::json;

namespace {
struct Fake {
  Counters now;
  void run(uint64_t cycles) {
    now.cycles += cycles;
    now.by_class[size_t(TClass::ALU)] += cycles;
    now.instret += cycles;
  }
};
}  // namespace

TEST(ReportTokens, PhasesPercentilesTtftAndContext) {
  TechTable t;
  t.vref_v = 1.0;
  t.insn_pj.fill(1.0);  // 1 pJ per instruction (one instruction per cycle below)
  EnergyModel m(t, {1.0, 1e6, IdleMode::ClockGated}, 16);  // 1 MHz: 1 cycle = 1 us
  Fake f;
  Stats s(m, [&] { return f.now; }, [](uint32_t id) {
    return id == 2 ? std::string("prefill") : id == 3 ? std::string("decode") : std::string("startup");
  });
  s.mark(MarkKind::RegionBegin, 1, 0);
  f.run(2000);
  s.mark(MarkKind::RegionEnd, 1, f.now.cycles);
  s.mark(MarkKind::RegionBegin, 2, f.now.cycles);
  for (int k = 0; k < 2; ++k) {
    f.run(100);
    s.mark(MarkKind::Token, 1, f.now.cycles);
  }
  s.mark(MarkKind::RegionEnd, 2, f.now.cycles);
  s.mark(MarkKind::RegionBegin, 3, f.now.cycles);
  for (uint64_t c : {7, 3, 9, 1, 5, 10, 2, 8, 4, 6}) {  // decode latencies in ms, out of order
    f.run(c * 1000);
    s.mark(MarkKind::Token, 2, f.now.cycles);
  }
  s.mark(MarkKind::RegionEnd, 3, f.now.cycles);
  s.finish(f.now);
  RunSummary run;
  run.counters = f.now;
  run.energy = m.compute(f.now);
  run.cycles = f.now.cycles;
  run.time_s = f.now.cycles / 1e6;
  const json j = report_json(run, s)["tokens"];
  EXPECT_EQ(j["count"], 12);
  EXPECT_EQ(j["prefill"]["count"], 2);
  EXPECT_EQ(j["decode"]["count"], 10);
  const json& lat = j["decode"]["latency_s"];
  EXPECT_NEAR(lat["mean"].get<double>(), 5.5e-3, 1e-12);
  EXPECT_NEAR(lat["p50"].get<double>(), 5e-3, 1e-12);   // 5th of 10 sorted values
  EXPECT_NEAR(lat["p90"].get<double>(), 9e-3, 1e-12);   // 9th of 10
  EXPECT_NEAR(lat["max"].get<double>(), 10e-3, 1e-12);
  EXPECT_NEAR(lat["min"].get<double>(), 1e-3, 1e-12);
  EXPECT_NEAR(j["decode"]["tokens_per_s"].get<double>(), 10 / 55e-3, 1e-6);
  EXPECT_NEAR(j["decode"]["energy_j_per_token"]["p90"].get<double>(), 9000e-12, 1e-18);  // 1 pJ x 9000 instructions
  EXPECT_NEAR(j["prefill"]["latency_s"]["p50"].get<double>(), 100e-6, 1e-12);
  EXPECT_NEAR(j["prefill"]["tokens_per_s"].get<double>(), 2 / 200e-6, 1e-6);
  EXPECT_NEAR(j["startup_s"].get<double>(), 2e-3, 1e-12);
  EXPECT_NEAR(j["ttft_s"].get<double>(), 200e-6 + 7e-3, 1e-12);  // both prefill tokens + the first decode token
  EXPECT_EQ(j["context"]["start"], 2);
  EXPECT_EQ(j["context"]["end"], 12);
  EXPECT_EQ(j["each"][0]["phase"], "prefill");
  EXPECT_EQ(j["each"][2]["phase"], "decode");
  EXPECT_EQ(j["each"][2]["position"], 2);
}

TEST(ReportTokens, NoPhasesGiveNullTtftAndEmptyGroups) {
  TechTable t;
  t.vref_v = 1.0;
  EnergyModel m(t, {1.0, 1e6, IdleMode::ClockGated}, 16);
  Fake f;
  Stats s(m, [&] { return f.now; }, nullptr);
  f.run(10);
  s.mark(MarkKind::Token, 0, f.now.cycles);
  s.finish(f.now);
  RunSummary run;
  run.counters = f.now;
  run.energy = m.compute(f.now);
  const json j = report_json(run, s)["tokens"];
  EXPECT_EQ(j["count"], 1);
  EXPECT_TRUE(j["ttft_s"].is_null());
  EXPECT_TRUE(j["startup_s"].is_null());
  EXPECT_TRUE(j["context"].is_null());
  EXPECT_EQ(j["decode"]["count"], 0);
  EXPECT_TRUE(j["decode"]["latency_s"].is_null());
  EXPECT_TRUE(j["each"][0]["phase"].is_null());
}

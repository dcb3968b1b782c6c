// The CIM mechanisms of issue 11 on hand-computed small cases: rows per pass, zero skipping, ADC
// windows, the digital macro type (energy and latency by part), and the power states (leakage per
// state, wake-up latency and energy, automatic policy, weights kept while off).
#include <gtest/gtest.h>

#include <vector>

#include "cim/macro.h"
#include "cim/power.h"

using namespace mcucim::cim;

namespace {

// The configuration of tests/cim/cim_macro_test.cpp's EnergyAndLatencyOnAHandComputedCase: 4 x 4
// array, 1-b cells, W = 2, A = 2, every part with a distinct power of ten so each count shows.
MacroConfig hand_cfg() {
  MacroConfig c;
  c.array.rows = 4;
  c.array.cols = 4;
  c.array.cell_bits = 1;
  c.array.dac_bits = 1;
  c.array.adc_bits = 4;
  c.array.columns_per_adc = 2;
  c.device = {1000.0, 2000.0, 0.5, 4.0};
  auto& e = c.energy;
  e.wordline_pj = 1;
  e.precharge_pj = 10;
  e.adc_a_uw_per_bit = 0;
  e.adc_b_uw = 100;
  e.adc_c_w_ohm = 0;
  e.adc_t_ns_per_bit = 1;
  e.adc_t_ns_fixed = 1;  // 5 ns at 4 b -> 0.5 pJ per conversion
  e.mux_pj = 1000;
  e.shift_add_pj = 10000;
  e.accumulate_pj = 100000;
  e.control_pj_per_mvm = 1e6;
  e.control_pj_per_pass = 1e7;
  e.buffer_pj_per_byte = 1e8;
  c.timing = {2.0, 3.0, 7.0, 1.0};  // precharge, wordline, control, accumulate
  return c;
}
const int8_t kW[8] = {-2, 1, 0, -1, 0, 0, 0, 0};
// x = 1, -1, 0, -2 (A = 2): pass 0 (bit 0) drives rows 0, 1; pass 1 (bit 1) drives rows 1, 3.
const int8_t kX[4] = {1, -1, 0, -2};
const int32_t kY0 = -2 * 1 + 1 * -1 + 0 + -1 * -2;

double part(const Macro& m, Part p) { return m.energy()[size_t(p)]; }

}  // namespace

TEST(CimMechanisms, RowsPerPassMultipliesStepsAndConversions) {
  // Two rows per conversion: each pass runs 2 row groups (rows 0-1, rows 2-3). Pass 0's second
  // group has no driven row but is converted (no zero skipping): 4 steps.
  MacroConfig c = hand_cfg();
  c.array.rows_per_pass = 2;
  Macro m(c);
  EXPECT_EQ(m.array().adc_step, 1u);  // default full scale: 2 rows x 1 = 2 units, 4-b ADC
  ASSERT_EQ(m.program(2, 0, 4, 0, 2, kW, 4), CIM_OK);
  int32_t y[2];
  double t = 0;
  ASSERT_EQ(m.mvm(2, kX, 4, 2, y, &t), CIM_OK);
  EXPECT_EQ(y[0], kY0);
  EXPECT_EQ(y[1], 0);
  const auto& k = m.counters();
  EXPECT_EQ(k.passes, 2u);
  EXPECT_EQ(k.steps, 4u);
  EXPECT_EQ(k.skipped, 0u);
  EXPECT_EQ(k.conversions, 16u);  // 4 steps x 4 columns
  EXPECT_EQ(k.rows_driven, 4u);   // the same rows as with one group: 2 + 0 + 1 + 1
  EXPECT_EQ(k.level_units, 16u);
  EXPECT_DOUBLE_EQ(part(m, Part::Precharge), 16 * 10.0);
  EXPECT_NEAR(part(m, Part::Adc), 16 * 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(part(m, Part::Accumulate), 8 * 100000.0);  // 2 outputs x 4 steps
  EXPECT_DOUBLE_EQ(part(m, Part::Control), 1e6 + 4 * 1e7);
  // 7 + 4 steps x (2 + 3 + 4 + ceil(4 / 2) x 5 + 1) = 87 ns (one row group: 47 ns)
  EXPECT_DOUBLE_EQ(t, 87.0);
}

TEST(CimMechanisms, ZeroSkippingSavesTheEmptyStep) {
  MacroConfig c = hand_cfg();
  c.array.rows_per_pass = 2;
  c.array.zero_skip = true;
  Macro m(c);
  ASSERT_EQ(m.program(2, 0, 4, 0, 2, kW, 4), CIM_OK);
  int32_t y[2];
  double t = 0;
  ASSERT_EQ(m.mvm(2, kX, 4, 2, y, &t), CIM_OK);
  EXPECT_EQ(y[0], kY0);
  const auto& k = m.counters();
  EXPECT_EQ(k.steps, 3u);
  EXPECT_EQ(k.skipped, 1u);  // pass 0, rows 2-3: inputs 0 and -2 have bit 0 clear
  EXPECT_EQ(k.conversions, 12u);
  EXPECT_DOUBLE_EQ(part(m, Part::Precharge), 12 * 10.0);
  EXPECT_NEAR(part(m, Part::Adc), 12 * 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(part(m, Part::Accumulate), 6 * 100000.0);
  EXPECT_DOUBLE_EQ(part(m, Part::Control), 1e6 + 3 * 1e7);
  EXPECT_DOUBLE_EQ(t, 67.0);  // one step (20 ns) less
  // An all-zero input skips every step: the MVM costs its control time only.
  const int8_t zero[4] = {0, 0, 0, 0};
  ASSERT_EQ(m.mvm(2, zero, 4, 2, y, &t), CIM_OK);
  EXPECT_EQ(y[0], 0);
  EXPECT_DOUBLE_EQ(t, 7.0);
  EXPECT_EQ(m.counters().skipped, 1u + 4u);
}

TEST(CimMechanisms, WindowPlacesTheAdcCodesWhereTheSumsFall) {
  // 128 rows, 1-b weights w = 0 (u = 1: every cell on), 1-b inputs x = -1 in the first n rows:
  // v = n, y = -(value - n). A 4-b ADC with the window offset 40, full scale 30 has step 2.
  MacroConfig c;
  c.array.rows = 128;
  c.array.cols = 8;
  c.array.adc_bits = 4;
  c.array.columns_per_adc = 8;
  Macro m(c);
  std::vector<int8_t> w(128, 0);
  ASSERT_EQ(m.program(1, 0, 128, 0, 1, w.data(), 128), CIM_OK);
  EXPECT_EQ(m.array().adc_step, 9u);  // without a window: ceil(128 / 15)
  ASSERT_EQ(m.set_window(0, 0, cim_ref_win_pack(40, 30)), CIM_OK);
  ASSERT_EQ(m.enable_windows(true), CIM_OK);
  auto run = [&](int n) {
    std::vector<int8_t> x(128, 0);
    for (int i = 0; i < n; ++i) x[i] = -1;
    int32_t y = 0;
    EXPECT_EQ(m.mvm(1, x.data(), 128, 1, &y), CIM_OK);
    return y;
  };
  const uint64_t clip0 = m.counters().clipped;
  EXPECT_EQ(run(50), 0);    // q = floor((2 * 10 + 2) / 4) = 5 -> 40 + 10 = 50: exact
  EXPECT_EQ(run(51), -1);   // q = floor(24 / 4) = 6 -> 52
  EXPECT_EQ(m.counters().clipped, clip0);
  EXPECT_EQ(run(20), -20);  // below the window: code 0 -> 40, clipped
  EXPECT_EQ(run(80), 10);   // above: code 15 -> 70, clipped
  EXPECT_EQ(m.counters().clipped, clip0 + 2);
  // The same sum without the window: step 9 over 0..135: q = floor((102 + 9) / 18) = 6 -> 54
  ASSERT_EQ(m.enable_windows(false), CIM_OK);
  EXPECT_EQ(run(51), -(54 - 51));
  // Refusals: beyond the ADC range (128 units), empty, outside the table; entries unchanged.
  EXPECT_EQ(m.set_window(0, 0, cim_ref_win_pack(40, 89)), CIM_ERR_WINDOW);
  EXPECT_EQ(m.set_window(0, 1, cim_ref_win_pack(3, 0)), CIM_ERR_WINDOW);
  EXPECT_EQ(m.set_window(1, 0, cim_ref_win_pack(0, 8)), CIM_ERR_RANGE);  // one window group
  EXPECT_EQ(m.window(0, 0), cim_ref_win_pack(40, 30));
  EXPECT_EQ(m.window(0, 1), cim_ref_win_pack(0, 128));  // reset value: the whole range
}

TEST(CimMechanisms, DigitalMacroEnergyAndLatencyByPart) {
  // The hand case on a digital macro: exact sums, no ADC; sense per cell read, adder tree per input.
  MacroConfig c = hand_cfg();
  c.array.type = MacroType::Digital;
  c.array.adc_bits = 1;  // ignored by a digital macro (a 1-b ADC would clip everything)
  c.energy.sense_pj = 0.125;
  c.energy.adder_pj_per_input = 0.25;
  c.timing.t_adder_ns = 6;
  Macro m(c);
  ASSERT_EQ(m.program(2, 0, 4, 0, 2, kW, 4), CIM_OK);
  int32_t y[2];
  double t = 0;
  ASSERT_EQ(m.mvm(2, kX, 4, 2, y, &t), CIM_OK);
  EXPECT_EQ(y[0], kY0);
  EXPECT_EQ(m.counters().clipped, 0u);
  EXPECT_DOUBLE_EQ(part(m, Part::Adc), 0.0);
  EXPECT_DOUBLE_EQ(part(m, Part::AdderTree), 8 * 4 * 0.25);  // 8 sums x 4 tree inputs (rows per pass)
  EXPECT_DOUBLE_EQ(part(m, Part::Sense), 16 * 0.125);        // 16 cell reads
  EXPECT_DOUBLE_EQ(part(m, Part::Wordline), 4 * 1.0);
  // 7 + 2 passes x (2 + 3 + 4 + ceil(4 / 2) x 6 + 1) = 51 ns
  EXPECT_DOUBLE_EQ(t, 51.0);
  EXPECT_EQ(m.enable_windows(true), CIM_ERR_WINDOW);
  EXPECT_EQ(m.set_window(0, 0, cim_ref_win_pack(0, 4)), CIM_ERR_WINDOW);
}

TEST(CimPower, TimesPerStateWakeUpAndAutomaticPolicy) {
  PowerParams p;
  p.wake_ns = 100;
  p.idle_wake_ns = 5;
  p.auto_idle_ns = 1000;
  p.auto_off_ns = 3000;
  PowerState s(p);
  EXPECT_EQ(s.state_at(0), PowerStateId::On);
  // a command at 0 ending at 200 ns; the policy goes idle at 1200 ns, off at 3200 ns
  EXPECT_EQ(s.begin_command(0), 0u);
  s.end_command(200000);
  EXPECT_EQ(s.state_at(1199999), PowerStateId::On);
  EXPECT_EQ(s.state_at(1200000), PowerStateId::Idle);
  EXPECT_EQ(s.state_at(3200000), PowerStateId::Off);
  auto t = s.times_at(5000000);
  EXPECT_EQ(t.on_ps, 1200000u);
  EXPECT_EQ(t.idle_ps, 2000000u);
  EXPECT_EQ(t.off_ps, 1800000u);
  // a command at 5 us on the off macro starts after the 100 ns wake-up
  EXPECT_EQ(s.begin_command(5000000), 5100000u);
  EXPECT_EQ(s.wakeups(), 1u);
  s.end_command(5300000);
  t = s.times_at(5300000);
  EXPECT_EQ(t.off_ps, 1800000u);
  EXPECT_EQ(t.on_ps, 1200000u + 300000u);  // waking counts as on
  // requests: idle, then a command pays the idle wake-up
  s.request(PowerStateId::Idle, 5400000);
  EXPECT_EQ(s.state_at(5400000), PowerStateId::Idle);
  EXPECT_EQ(s.begin_command(5500000), 5505000u);
  EXPECT_EQ(s.idle_wakeups(), 1u);
  // a request for on from off wakes in the background: a command during the wake-up waits for it
  PowerParams q;
  q.wake_ns = 100;
  PowerState r(q);
  r.request(PowerStateId::Off, 0);
  r.request(PowerStateId::On, 1000000);
  EXPECT_TRUE(r.waking_at(1050000));
  EXPECT_EQ(r.begin_command(1050000), 1100000u);
  EXPECT_EQ(r.wakeups(), 1u);
  EXPECT_FALSE(r.waking_at(1100000));
}

TEST(CimPower, GatedMacroDrawsNoLeakageKeepsWeightsAndPaysTheWakeUp) {
  MacroConfig c = hand_cfg();
  c.energy.leakage_uw = 20;
  c.power.idle_leakage_uw = 10;
  c.power.wake_ns = 100;
  c.power.wake_pj = 50;
  Macro m(c);
  ASSERT_EQ(m.program(2, 0, 4, 0, 2, kW, 4), CIM_OK);
  // on for 1 us, idle 1 us, off 2 us
  m.request_power(PowerStateId::Idle, 1000000);
  m.request_power(PowerStateId::Off, 2000000);
  // 20 uW x 1 us + 10 uW x 1 us = 30 pJ; nothing while off
  EXPECT_NEAR(m.leakage_pj(4000000), 30.0, 1e-9);
  EXPECT_EQ(m.power_state(4000000), PowerStateId::Off);
  // the next MVM wakes it: starts after 100 ns, 50 pJ of wake-up energy, same result (weights kept)
  EXPECT_EQ(m.begin_command(4000000), 4100000u);
  int32_t y[2];
  double t = 0;
  ASSERT_EQ(m.mvm(2, kX, 4, 2, y, &t), CIM_OK);
  m.end_command(4100000 + uint64_t(t * 1000));
  EXPECT_EQ(y[0], kY0);
  EXPECT_DOUBLE_EQ(part(m, Part::Wake), 50.0);
  EXPECT_EQ(m.counters().wakeups, 1u);
  // on again from 4 us: 47 ns MVM + 100 ns wake-up + 853 ns after it = 1 us at 20 uW = 20 pJ more
  EXPECT_NEAR(m.leakage_pj(5000000), 50.0, 1e-9);
  const auto times = m.power_times(5000000);
  EXPECT_EQ(times.on_ps, 2000000u);
  EXPECT_EQ(times.idle_ps, 1000000u);
  EXPECT_EQ(times.off_ps, 2000000u);
}

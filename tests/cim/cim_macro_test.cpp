// The CIM macro model (cim/macro.h over runtime/include/cim_ref.h): bit-exact MVMs against a plain
// integer reference, ADC clipping and resolution, non-idealities, energy/latency on hand-computed
// cases, programming energy and endurance counting.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cim/macro.h"

using namespace mcucim::cim;

namespace {

// Plain integer reference: y[o] = sum_r w[o*n_in + r] * x[r], wrapped to int32.
std::vector<int32_t> matvec(const std::vector<int8_t>& w, const std::vector<int8_t>& x, uint32_t n_out, uint32_t n_in) {
  std::vector<int32_t> y(n_out);
  for (uint32_t o = 0; o < n_out; ++o) {
    int64_t s = 0;
    for (uint32_t r = 0; r < n_in; ++r) s += int64_t(w[size_t(o) * n_in + r]) * x[r];
    y[o] = int32_t(uint32_t(uint64_t(s)));
  }
  return y;
}

std::vector<int8_t> rand_vec(std::mt19937& g, size_t n, uint32_t bits) {
  std::uniform_int_distribution<int> d(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
  std::vector<int8_t> v(n);
  for (auto& e : v) e = int8_t(d(g));
  return v;
}

MacroConfig exact_cfg(uint32_t rows, uint32_t cols, uint32_t cell_bits = 1, uint32_t dac_bits = 1) {
  MacroConfig c;
  c.array.rows = rows;
  c.array.cols = cols;
  c.array.cell_bits = cell_bits;
  c.array.dac_bits = dac_bits;
  c.array.adc_bits = 16;  // 2^16 - 1 >= rows * (2^D - 1) * (2^cb - 1) for every case below: exact
  c.array.columns_per_adc = 8;
  return c;
}

}  // namespace

TEST(CimMacro, ExactForEveryWeightAndInputWidth) {
  struct Geo { uint32_t rows, cols, cb, dac; };
  const Geo geos[] = {{256, 512, 1, 1}, {100, 96, 1, 1}, {128, 256, 2, 1}, {64, 64, 1, 2}, {70, 128, 1, 3}};
  std::mt19937 g(42);
  for (const auto& geo : geos) {
    for (uint32_t wb : {8u, 4u, 2u, 1u}) {
      Macro m(exact_cfg(geo.rows, geo.cols, geo.cb, geo.dac));
      if (!cim_ref_valid_wbits(&m.array(), wb)) continue;
      const uint32_t n_out = cim_ref_max_outputs(&m.array(), wb), n_in = geo.rows;
      const auto w = rand_vec(g, size_t(n_out) * n_in, wb);
      ASSERT_EQ(m.program(wb, 0, n_in, 0, n_out, w.data(), n_in), CIM_OK);
      for (uint32_t ab : {8u, 5u, 4u, 1u}) {
        const auto x = rand_vec(g, n_in, ab);
        std::vector<int32_t> y(n_out);
        ASSERT_EQ(m.mvm(ab, x.data(), n_in, n_out, y.data()), CIM_OK);
        EXPECT_EQ(y, matvec(w, x, n_out, n_in)) << "rows " << geo.rows << " cols " << geo.cols << " cb " << geo.cb
                                                << " dac " << geo.dac << " W " << wb << " A " << ab;
      }
    }
  }
}

TEST(CimMacro, SignedExtremes) {
  for (uint32_t wb : {8u, 4u, 2u, 1u}) {
    Macro m(exact_cfg(256, 64));
    const int wmin = -(1 << (wb - 1)), wmax = (1 << (wb - 1)) - 1;
    const uint32_t n_out = 4;
    // output 0: all wmin, 1: all wmax, 2: alternating, 3: zero
    std::vector<int8_t> w(n_out * 256);
    for (uint32_t r = 0; r < 256; ++r) {
      w[0 * 256 + r] = int8_t(wmin);
      w[1 * 256 + r] = int8_t(wmax);
      w[2 * 256 + r] = int8_t(r % 2 ? wmin : wmax);
      w[3 * 256 + r] = 0;
    }
    ASSERT_EQ(m.program(wb, 0, 256, 0, n_out, w.data(), 256), CIM_OK);
    std::vector<int8_t> x(256, -128);
    std::vector<int32_t> y(n_out);
    ASSERT_EQ(m.mvm(8, x.data(), 256, n_out, y.data()), CIM_OK);
    EXPECT_EQ(y[0], 256 * wmin * -128) << wb;
    EXPECT_EQ(y[1], 256 * wmax * -128) << wb;
    EXPECT_EQ(y[2], 128 * (wmin + wmax) * -128) << wb;
    EXPECT_EQ(y[3], 0) << wb;
    std::fill(x.begin(), x.end(), int8_t(127));
    ASSERT_EQ(m.mvm(8, x.data(), 256, n_out, y.data()), CIM_OK);
    EXPECT_EQ(y[0], 256 * wmin * 127) << wb;
    EXPECT_EQ(y[1], 256 * wmax * 127) << wb;
  }
}

TEST(CimMacro, PartialTilesAndOffsetsAndRefusals) {
  std::mt19937 g(7);
  Macro m(exact_cfg(256, 512));
  const auto w = rand_vec(g, 64 * 256, 8);
  ASSERT_EQ(m.program(8, 0, 256, 0, 64, w.data(), 256), CIM_OK);
  // Overwrite a block at row 10..49, outputs 5..14 from another matrix.
  const auto w2 = rand_vec(g, 10 * 40, 8);
  ASSERT_EQ(m.program(8, 10, 40, 5, 10, w2.data(), 40), CIM_OK);
  std::vector<int8_t> merged = w;
  for (uint32_t o = 0; o < 10; ++o)
    for (uint32_t r = 0; r < 40; ++r) merged[(5 + o) * 256 + 10 + r] = w2[o * 40 + r];
  // Partial MVM: 77 rows, 23 outputs.
  const auto x = rand_vec(g, 77, 8);
  std::vector<int8_t> sub(23 * 77);
  for (uint32_t o = 0; o < 23; ++o)
    for (uint32_t r = 0; r < 77; ++r) sub[o * 77 + r] = merged[o * 256 + r];
  std::vector<int32_t> y(23);
  ASSERT_EQ(m.mvm(8, x.data(), 77, 23, y.data()), CIM_OK);
  EXPECT_EQ(y, matvec(sub, x, 23, 77));
  // Refusals: out-of-range tile, bad width, out-of-range value; nothing counted but errors.
  const uint64_t mvms = m.counters().mvms;
  EXPECT_EQ(m.program(8, 250, 7, 0, 1, w.data(), 7), CIM_ERR_RANGE);
  EXPECT_EQ(m.program(8, 0, 1, 64, 1, w.data(), 1), CIM_ERR_RANGE);  // 64 outputs of INT8 in 512 columns
  EXPECT_EQ(m.program(3, 0, 1, 0, 1, w.data(), 1), CIM_ERR_WIDTH);
  const int8_t big = 8;
  EXPECT_EQ(m.program(4, 0, 1, 0, 1, &big, 1), CIM_ERR_VALUE);
  EXPECT_EQ(m.mvm(9, x.data(), 77, 23, y.data()), CIM_ERR_WIDTH);
  EXPECT_EQ(m.mvm(8, x.data(), 257, 23, y.data()), CIM_ERR_RANGE);
  EXPECT_EQ(m.mvm(8, x.data(), 77, 65, y.data()), CIM_ERR_RANGE);
  const int8_t xbig = 8;
  EXPECT_EQ(m.mvm(4, &xbig, 1, 1, y.data()), CIM_ERR_VALUE);
  EXPECT_EQ(m.counters().mvms, mvms);
  EXPECT_EQ(m.counters().errors, 8u);
  Macro fresh(exact_cfg(16, 16));
  EXPECT_EQ(fresh.mvm(8, x.data(), 4, 1, y.data()), CIM_ERR_NOT_PROGRAMMED);
}

TEST(CimMacro, SeveralMacrosSplitAMatrix) {
  // 300 inputs x 100 outputs of INT4 over macros of 128 rows x 128 cols (32 INT4 outputs each,
  // cell_bits 2 for variety): 3 x 4 tiles, partial sums added digitally.
  std::mt19937 g(3);
  const uint32_t n_in = 300, n_out = 100;
  const auto w = rand_vec(g, n_out * n_in, 4);
  const auto x = rand_vec(g, n_in, 8);
  std::vector<int32_t> y(n_out, 0);
  for (uint32_t r0 = 0; r0 < n_in; r0 += 128)
    for (uint32_t o0 = 0; o0 < n_out; o0 += 64) {
      Macro m(exact_cfg(128, 128, 2));
      const uint32_t nr = std::min(128u, n_in - r0), no = std::min(64u, n_out - o0);
      ASSERT_EQ(m.program(4, 0, nr, 0, no, w.data() + o0 * n_in + r0, n_in), CIM_OK);
      std::vector<int32_t> part(no);
      ASSERT_EQ(m.mvm(8, x.data() + r0, nr, no, part.data()), CIM_OK);
      for (uint32_t o = 0; o < no; ++o) y[o0 + o] += part[o];
    }
  EXPECT_EQ(y, matvec(w, x, n_out, n_in));
}

TEST(CimMacro, AdcClipsToTheDocumentedValue) {
  // 64 rows, 1-b weights w = 0 (stored u = 1: every cell on), 1-b inputs x = -1 (bit set, pass
  // weight -1). Column sum v = 64; a 4-b ADC with step 1 saturates at code 15, so by the transfer
  // function of cim_ref.h: y = -1 * (15 - 2^0 * 64) = 49, while the exact product is 0.
  MacroConfig c = exact_cfg(64, 8);
  c.array.adc_bits = 4;
  c.array.adc_full_scale = 15;
  Macro m(c);
  EXPECT_EQ(m.array().adc_step, 1u);
  std::vector<int8_t> w(64, 0), x(64, -1);
  ASSERT_EQ(m.program(1, 0, 64, 0, 1, w.data(), 64), CIM_OK);
  int32_t y = 0;
  ASSERT_EQ(m.mvm(1, x.data(), 64, 1, &y), CIM_OK);
  EXPECT_EQ(y, 49);
  EXPECT_EQ(m.counters().clipped, 1u);
  // Rounding: step 4 (full scale 60 with 4 bits), v = 6 -> code floor((12 + 4) / 8) = 2 -> 8.
  MacroConfig c2 = exact_cfg(64, 8);
  c2.array.adc_bits = 4;
  c2.array.adc_full_scale = 60;
  Macro m2(c2);
  EXPECT_EQ(m2.array().adc_step, 4u);
  std::vector<int8_t> x2(64, 0);
  for (int i = 0; i < 6; ++i) x2[i] = -1;  // 6 rows driven, all cells on -> v = 6
  ASSERT_EQ(m2.program(1, 0, 64, 0, 1, w.data(), 64), CIM_OK);
  ASSERT_EQ(m2.mvm(1, x2.data(), 64, 1, &y), CIM_OK);
  EXPECT_EQ(y, -1 * (8 - 6));
}

TEST(CimMacro, ErrorGrowsAsAdcBitsShrink) {
  std::mt19937 g(11);
  const auto w = rand_vec(g, 64 * 256, 8);
  std::vector<std::vector<int8_t>> xs;
  for (int i = 0; i < 8; ++i) xs.push_back(rand_vec(g, 256, 8));
  double prev = -1;
  for (uint32_t b : {10u, 8u, 6u, 5u, 4u, 3u}) {
    MacroConfig c = exact_cfg(256, 512);
    c.array.adc_bits = b;  // full scale = 256 (the largest column sum): step = ceil(256 / (2^B - 1))
    Macro m(c);
    ASSERT_EQ(m.program(8, 0, 256, 0, 64, w.data(), 256), CIM_OK);
    double se = 0;
    for (const auto& x : xs) {
      std::vector<int32_t> y(64);
      ASSERT_EQ(m.mvm(8, x.data(), 256, 64, y.data()), CIM_OK);
      const auto ref = matvec(w, x, 64, 256);
      for (int o = 0; o < 64; ++o) se += std::pow(double(y[o]) - ref[o], 2);
    }
    const double rms = std::sqrt(se / (64.0 * xs.size()));
    if (b == 10) EXPECT_EQ(rms, 0.0) << "2^10 - 1 >= 256: exact";
    else EXPECT_GT(rms, prev) << "B = " << b;
    prev = rms;
  }
}

TEST(CimMacro, NonIdealitiesOffByDefaultSeededAndEffective) {
  MacroConfig base = exact_cfg(128, 128);
  EXPECT_FALSE(base.nonideal.any());
  std::mt19937 g(5);
  const auto w = rand_vec(g, 16 * 128, 8);
  const auto x = rand_vec(g, 128, 8);
  const auto ref = matvec(w, x, 16, 128);
  auto run = [&](const MacroConfig& c) {
    Macro m(c);
    EXPECT_EQ(m.program(8, 0, 128, 0, 16, w.data(), 128), CIM_OK);
    std::vector<int32_t> y(16);
    EXPECT_EQ(m.mvm(8, x.data(), 128, 16, y.data()), CIM_OK);
    return y;
  };
  EXPECT_EQ(run(base), ref);
  // The analog path with a negligible gain error reproduces the exact result (same structure).
  MacroConfig tiny = base;
  tiny.nonideal.adc_gain_error = 1e-9;
  EXPECT_EQ(run(tiny), ref);
  for (int kind = 0; kind < 5; ++kind) {
    MacroConfig c = base;
    c.array.adc_bits = 8;  // step 1 for 128 rows: any deviation of >= 0.5 unit shows
    c.nonideal.seed = 1234;
    if (kind == 0) c.nonideal.sigma_r_p = c.nonideal.sigma_r_ap = 0.1;
    if (kind == 1) c.nonideal.read_noise_sigma = 1.0;
    if (kind == 2) c.nonideal.stuck_at_rate = 0.05;
    if (kind == 3) c.nonideal.adc_offset_lsb = 1.0;
    if (kind == 4) c.nonideal.adc_gain_error = 0.05;
    const auto a = run(c), b = run(c);
    EXPECT_EQ(a, b) << "same seed, same result, kind " << kind;
    EXPECT_NE(a, ref) << "kind " << kind;
    if (kind <= 2) {
      MacroConfig c2 = c;
      c2.nonideal.seed = 99;
      EXPECT_NE(run(c2), a) << "another seed, another chip, kind " << kind;
    }
  }
}

TEST(CimMacro, EnergyAndLatencyOnAHandComputedCase) {
  // 4 rows x 4 columns, 1-b cells, W = 2 (2 slices: output o on columns 2o, 2o+1), A = 2 (2 passes).
  MacroConfig c = exact_cfg(4, 4);
  c.array.adc_bits = 4;        // step 1 (full scale 4)
  c.array.columns_per_adc = 2; // 2 ADCs
  c.device = {1000.0, 2000.0, 0.5, 4.0};  // G_P 1 mS, G_AP 0.5 mS, 0.5 V, 4 ns
  auto& e = c.energy;
  e.wordline_pj = 1;
  e.precharge_pj = 10;
  e.adc_a_uw_per_bit = 0;
  e.adc_b_uw = 100;            // 100 uW
  e.adc_c_w_ohm = 0;
  e.adc_t_ns_per_bit = 1;
  e.adc_t_ns_fixed = 1;        // 5 ns at 4 b -> 0.5 pJ per conversion
  e.mux_pj = 1000;
  e.shift_add_pj = 10000;
  e.accumulate_pj = 100000;
  e.control_pj_per_mvm = 1e6;
  e.control_pj_per_pass = 1e7;
  e.buffer_pj_per_byte = 1e8;
  c.timing = {2.0, 3.0, 7.0, 1.0};  // precharge, wordline, control, accumulate
  c.program.write_pj_per_bit = 0.25;
  c.program.write_ns = 10;
  c.program.bits_per_write = 3;
  Macro m(c);
  // Weights of output 0 (rows 0..3): -2, 1, 0, -1 -> u = w + 2 = 0, 3, 2, 1 -> slice0 (bit 0): 0,1,0,1;
  // slice1 (bit 1): 0,1,1,0. Output 1: all 0 (u = 2: slice0 0000, slice1 1111).
  const int8_t w[8] = {-2, 1, 0, -1, 0, 0, 0, 0};
  double t_prog = 0;
  ASSERT_EQ(m.program(2, 0, 4, 0, 2, w, 4, &t_prog), CIM_OK);
  EXPECT_EQ(m.counters().bits_written, 16u);       // 4 rows x 2 outputs x 2 bits
  EXPECT_EQ(m.counters().write_pulses, 6u);        // ceil(16 / 3)
  EXPECT_DOUBLE_EQ(t_prog, 60.0);
  // Inputs x = 1, -1, 0, -2 (A = 2): patterns 01, 11, 00, 10.
  // pass 0 (bit 0, weight +1): rows 0,1 driven; pass 1 (bit 1, weight -2): rows 1,3 driven.
  const int8_t x[4] = {1, -1, 0, -2};
  int32_t y[2];
  double t = 0;
  ASSERT_EQ(m.mvm(2, x, 4, 2, y, &t), CIM_OK);
  EXPECT_EQ(y[0], -2 * 1 + 1 * -1 + 0 + -1 * -2);
  EXPECT_EQ(y[1], 0);
  const auto& k = m.counters();
  EXPECT_EQ(k.passes, 2u);
  EXPECT_EQ(k.conversions, 8u);     // 2 passes x 4 columns
  EXPECT_EQ(k.rows_driven, 4u);     // 2 + 2
  EXPECT_EQ(k.level_units, 16u);    // 2 driven rows x 4 columns, twice
  // on-units: pass 0 rows {0,1}: col0 (slice0 out0: 0,1) 1, col1 (slice1 out0: 0,1) 1, col2 0, col3 2 -> 4;
  //           pass 1 rows {1,3}: col0 (1,1) 2, col1 (1,0) 1, col2 0, col3 2 -> 5.
  EXPECT_EQ(k.on_units, 9u);
  EXPECT_EQ(k.macs, 8u);
  const PartEnergy p = m.energy();
  auto at = [&](Part q) { return p[size_t(q)]; };
  EXPECT_DOUBLE_EQ(at(Part::Wordline), 4 * 1.0);
  // cell read: V^2 t (G_AP * 16 + (G_P - G_AP) * 9) = 0.25 * 4e-9 * (0.5e-3 * 16 + 0.5e-3 * 9) J = 12.5 pJ
  EXPECT_NEAR(at(Part::CellRead), 12.5, 1e-9);
  EXPECT_DOUBLE_EQ(at(Part::Precharge), 8 * 10.0);
  EXPECT_NEAR(at(Part::Adc), 8 * 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(at(Part::Mux), 8 * 1000.0);
  EXPECT_DOUBLE_EQ(at(Part::ShiftAdd), 8 * 10000.0);
  EXPECT_DOUBLE_EQ(at(Part::Accumulate), 4 * 100000.0);  // 2 outputs x 2 passes
  EXPECT_DOUBLE_EQ(at(Part::Control), 1e6 + 2 * 1e7);
  EXPECT_DOUBLE_EQ(at(Part::Buffer), (4 + 8) * 1e8);     // 4 input bytes read, 2 x 4 output bytes written
  EXPECT_DOUBLE_EQ(at(Part::Program), 16 * 0.25);
  // latency: 7 + 2 passes x (2 + 3 + 4 + ceil(4 columns / 2 ADCs) x 5 + 1) = 7 + 2 x 20 = 47 ns
  EXPECT_DOUBLE_EQ(t, 47.0);
  EXPECT_EQ(k.busy_ps, 47000u);
}

TEST(CimMacro, ProgrammingEnergyCountedOncePerWriteWithEndurance) {
  MacroConfig c = exact_cfg(32, 32);
  c.program.write_pj_per_bit = 0.5;
  c.program.endurance_writes = 2;
  Macro m(c);
  std::vector<int8_t> w(4 * 32, 3);
  ASSERT_EQ(m.program(8, 0, 32, 0, 4, w.data(), 32), CIM_OK);
  const double e1 = m.energy()[size_t(Part::Program)];
  EXPECT_DOUBLE_EQ(e1, 32 * 4 * 8 * 0.5);
  std::vector<int8_t> x(32, 1);
  std::vector<int32_t> y(4);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(m.mvm(8, x.data(), 32, 4, y.data()), CIM_OK);
  EXPECT_DOUBLE_EQ(m.energy()[size_t(Part::Program)], e1) << "inference does not write";
  EXPECT_EQ(m.max_cell_writes(), 1u);
  ASSERT_EQ(m.program(8, 0, 32, 0, 4, w.data(), 32), CIM_OK);
  ASSERT_EQ(m.program(8, 0, 1, 0, 1, w.data(), 32), CIM_OK);
  EXPECT_DOUBLE_EQ(m.energy()[size_t(Part::Program)], e1 * 2 + 8 * 0.5);
  EXPECT_EQ(m.max_cell_writes(), 3u);
  EXPECT_TRUE(m.endurance_exceeded());
}

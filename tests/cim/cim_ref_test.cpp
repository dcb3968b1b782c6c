// runtime/include/cim_ref.h against a brute-force reference written here from the specification
// (cim/CIM.md): plain loops over weights (not the bit-plane storage), for every combination of rows
// per pass, ADC window, zero skipping and macro type, on random matrices with zero-heavy inputs.
// Also: the macro model's analog path (cim/macro.cpp) with a negligible non-ideality follows the same
// structure (same results), and bad windows / rows_per_pass are refused.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "cim/macro.h"
#include "cim_ref.h"

using namespace mcucim::cim;

namespace {

struct Ref {
  std::vector<int32_t> y;
  uint64_t steps = 0, skipped = 0, conversions = 0, clipped = 0;
};

// Level of input x in pass k: the A-bit two's-complement pattern, D bits per pass plus a sign pass.
uint32_t level(int32_t x, uint32_t A, uint32_t D, uint32_t k, int64_t* weight) {
  const uint32_t pattern = uint32_t(x) & ((1u << A) - 1u);
  const uint32_t chunks = (A + D - 1) / D;
  if (D == 1) {
    *weight = k == A - 1 ? -(int64_t(1) << k) : (int64_t(1) << k);
    return (pattern >> k) & 1u;
  }
  if (k < chunks) {
    *weight = int64_t(1) << (k * D);
    return (pattern >> (k * D)) & ((1u << D) - 1u);
  }
  *weight = -(int64_t(1) << A);
  return (pattern >> (A - 1)) & 1u;
}

// The specification, literally: steps (pass, row group), analog sums from the offset-encoded weight
// slices, readout (ADC with window / adder tree), shift-add minus the offset term, pass weights.
Ref brute(uint32_t rows_per_pass, bool zero_skip, bool digital, uint32_t cb, uint32_t D, uint32_t B, uint32_t step0,
          uint32_t win_cols, const std::vector<uint32_t>* win, const std::vector<int8_t>& w, uint32_t W,
          const std::vector<int8_t>& x, uint32_t A, uint32_t n_out) {
  const uint32_t n_in = uint32_t(x.size()), S = W / cb, cmask = (1u << cb) - 1u;
  const uint32_t passes = D == 1 ? A : (A + D - 1) / D + 1, groups = (n_in + rows_per_pass - 1) / rows_per_pass;
  const int64_t top = (int64_t(1) << B) - 1;
  Ref r;
  std::vector<int64_t> y(n_out, 0);
  for (uint32_t k = 0; k < passes; ++k)
    for (uint32_t g = 0; g < groups; ++g) {
      const uint32_t r0 = g * rows_per_pass, r1 = std::min(n_in, r0 + rows_per_pass);
      int64_t pw = 0, insum = 0;
      for (uint32_t i = r0; i < r1; ++i) insum += level(x[i], A, D, k, &pw);
      level(0, A, D, k, &pw);
      if (zero_skip && insum == 0) {
        ++r.skipped;
        continue;
      }
      ++r.steps;
      for (uint32_t o = 0; o < n_out; ++o) {
        int64_t acc = 0;
        for (uint32_t s = 0; s < S; ++s) {
          int64_t v = 0;
          for (uint32_t i = r0; i < r1; ++i) {
            int64_t dummy;
            const uint32_t u = uint32_t(int32_t(w[size_t(o) * n_in + i]) + (1 << (W - 1)));
            v += int64_t(level(x[i], A, D, k, &dummy)) * ((u >> (s * cb)) & cmask);
          }
          ++r.conversions;
          int64_t value = v;
          if (!digital) {
            int64_t off = 0, st = step0;
            if (win) {
              const uint32_t c = o * S + s, word = (*win)[(c / win_cols) * 8 + k];
              off = word & 0xFFFF;
              const int64_t fs = word >> 16;
              st = (fs + top - 1) / top;
              if (st < 1) st = 1;
            }
            // round half up: floor((v - off) / st + 1/2), done in exact rationals
            const int64_t num = 2 * (v - off) + st, den = 2 * st;
            int64_t q = num >= 0 ? num / den : -((-num + den - 1) / den);
            if (q < 0 || q > top) ++r.clipped;
            q = std::clamp<int64_t>(q, 0, top);
            value = off + q * st;
          }
          acc += value << (s * cb);
        }
        acc -= insum << (W - 1);
        y[o] += acc * pw;
      }
    }
  for (auto v : y) r.y.push_back(int32_t(uint32_t(uint64_t(v))));
  return r;
}

std::vector<int8_t> rand_weights(std::mt19937& g, size_t n, uint32_t bits) {
  std::uniform_int_distribution<int> d(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
  std::vector<int8_t> v(n);
  for (auto& e : v) e = int8_t(d(g));
  return v;
}

// Inputs with runs of zeros (so whole row groups and bit planes are zero) and small magnitudes.
std::vector<int8_t> rand_inputs(std::mt19937& g, size_t n, uint32_t bits) {
  std::uniform_int_distribution<int> full(-(1 << (bits - 1)), (1 << (bits - 1)) - 1), small(0, 3), run(0, 9);
  std::vector<int8_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    const int kind = run(g);
    v[i] = int8_t(kind < 4 ? 0 : kind < 7 ? small(g) : full(g));
  }
  // a zero run of about a third of the vector
  const size_t a = n / 3, b = std::min(n, a + n / 3 + 1);
  for (size_t i = a; i < b; ++i) v[i] = 0;
  return v;
}

// A random valid window table for the array (offset + full scale inside the ADC range).
std::vector<uint32_t> rand_windows(std::mt19937& g, const cim_ref_array& a) {
  std::vector<uint32_t> t(CIM_REF_WIN_TABLE_WORDS, 0);
  const uint64_t amax = cim_ref_analog_max(&a, a.rows_per_pass);
  std::uniform_int_distribution<uint64_t> off(0, amax / 2);
  for (uint32_t gi = 0; gi < cim_ref_win_groups(&a); ++gi)
    for (uint32_t k = 0; k < CIM_REF_MAX_PASSES; ++k) {
      const uint64_t o = off(g);
      std::uniform_int_distribution<uint64_t> fs(1, amax - o);
      const uint64_t f = fs(g);
      t[cim_ref_win_index(gi, k)] = cim_ref_win_pack(uint32_t(o), uint32_t(f));
      EXPECT_EQ(cim_ref_check_window(&a, uint32_t(o), uint32_t(f)), CIM_OK);
    }
  return t;
}

}  // namespace

TEST(CimRef, EveryCombinationMatchesTheBruteForceSpecification) {
  struct Geo { uint32_t rows, cols, cb, dac, adc; };
  const Geo geos[] = {{256, 128, 1, 1, 6}, {100, 64, 2, 1, 5}, {70, 64, 1, 2, 4}, {64, 32, 4, 1, 7}};
  std::mt19937 g(11);
  int cases = 0;
  uint64_t skipped = 0, clipped = 0;
  for (const auto& geo : geos)
    for (uint32_t rpp : {1u, 7u, 32u, 64u, geo.rows})
      for (int zs = 0; zs < 2; ++zs)
        for (int digital = 0; digital < 2; ++digital)
          for (int use_win = 0; use_win < 2; ++use_win) {
            if (digital && use_win) continue;  // a digital macro has no ADC (tested below: refused)
            if (rpp > geo.rows) continue;
            cim_ref_array a;
            cim_ref_array_defaults(&a, geo.rows, geo.cols, geo.adc);
            a.cell_bits = geo.cb;
            a.dac_bits = geo.dac;
            a.rows_per_pass = rpp;
            a.zero_skip = uint32_t(zs);
            a.type = digital ? CIM_TYPE_DIGITAL : CIM_TYPE_ANALOG;
            a.win_cols = geo.cols / 4;
            a.adc_step = cim_ref_step_for(a.adc_bits, cim_ref_analog_max(&a, rpp) * 3 / 4);  // some clipping
            ASSERT_EQ(cim_ref_check_array(&a), CIM_OK);
            for (uint32_t W : {8u, 4u, 2u}) {
              if (!cim_ref_valid_wbits(&a, W)) continue;
              const uint32_t n_out = cim_ref_max_outputs(&a, W), n_in = geo.rows - (rpp % 3);  // partial last group
              const auto w = rand_weights(g, size_t(n_out) * n_in, W);
              std::vector<uint64_t> cells(cim_ref_cell_words(&a), 0);
              ASSERT_EQ(cim_ref_program(&a, cells.data(), W, 0, n_in, 0, n_out, w.data(), n_in), CIM_OK);
              const std::vector<uint32_t> win = use_win ? rand_windows(g, a) : std::vector<uint32_t>{};
              for (uint32_t A : {8u, 3u}) {
                const auto x = rand_inputs(g, n_in, A);
                std::vector<int32_t> y(n_out);
                cim_ref_stats st{};
                ASSERT_EQ(cim_ref_mvm(&a, cells.data(), W, A, x.data(), n_in, n_out, y.data(), &st,
                                      use_win ? win.data() : nullptr),
                          CIM_OK);
                const Ref r = brute(rpp, zs, digital, geo.cb, geo.dac, geo.adc, a.adc_step, a.win_cols,
                                    use_win ? &win : nullptr, w, W, x, A, n_out);
                const std::string what = "rows " + std::to_string(geo.rows) + " cb " + std::to_string(geo.cb) + " dac " +
                                         std::to_string(geo.dac) + " rpp " + std::to_string(rpp) + " zs " +
                                         std::to_string(zs) + " digital " + std::to_string(digital) + " win " +
                                         std::to_string(use_win) + " W " + std::to_string(W) + " A " + std::to_string(A);
                ASSERT_EQ(y, r.y) << what;
                EXPECT_EQ(st.steps, r.steps) << what;
                EXPECT_EQ(st.skipped, r.skipped) << what;
                EXPECT_EQ(st.conversions, r.conversions) << what;
                EXPECT_EQ(st.clipped, r.clipped) << what;
                EXPECT_EQ(st.steps + st.skipped, st.passes * cim_ref_row_groups(&a, n_in)) << what;
                skipped += st.skipped;
                clipped += st.clipped;
                ++cases;
              }
            }
          }
  EXPECT_GT(cases, 200);
  EXPECT_GT(skipped, 0u);  // the inputs do exercise zero skipping
  EXPECT_GT(clipped, 0u);  // and clipping
}

TEST(CimRef, DigitalAndSmallRowGroupsAreExact) {
  // A digital macro at any rows_per_pass, and an analog one whose ADC covers a row group exactly
  // (2^B - 1 >= R), give the integer product.
  std::mt19937 g(5);
  for (int digital = 0; digital < 2; ++digital) {
    cim_ref_array a;
    cim_ref_array_defaults(&a, 256, 512, 6);
    a.type = digital ? CIM_TYPE_DIGITAL : CIM_TYPE_ANALOG;
    a.rows_per_pass = digital ? 256 : 63;
    a.adc_step = cim_ref_step_for(6, cim_ref_analog_max(&a, a.rows_per_pass));
    ASSERT_EQ(a.adc_step, digital ? 5u : 1u);  // digital ignores the ADC
    const auto w = rand_weights(g, 64 * 256, 8);
    const auto x = rand_inputs(g, 256, 8);
    std::vector<uint64_t> cells(cim_ref_cell_words(&a), 0);
    ASSERT_EQ(cim_ref_program(&a, cells.data(), 8, 0, 256, 0, 64, w.data(), 256), CIM_OK);
    std::vector<int32_t> y(64);
    ASSERT_EQ(cim_ref_mvm(&a, cells.data(), 8, 8, x.data(), 256, 64, y.data(), nullptr, nullptr), CIM_OK);
    for (uint32_t o = 0; o < 64; ++o) {
      int32_t s = 0;
      for (uint32_t i = 0; i < 256; ++i) s += w[o * 256 + i] * x[i];
      ASSERT_EQ(y[o], s) << "digital " << digital << " output " << o;
    }
  }
}

TEST(CimRef, BadRowsPerPassAndWindowsAreRefused) {
  cim_ref_array a;
  cim_ref_array_defaults(&a, 256, 512, 6);
  a.rows_per_pass = 0;
  EXPECT_EQ(cim_ref_check_array(&a), CIM_ERR_RANGE);
  a.rows_per_pass = 257;
  EXPECT_EQ(cim_ref_check_array(&a), CIM_ERR_RANGE);
  a.rows_per_pass = 64;
  EXPECT_EQ(cim_ref_check_array(&a), CIM_OK);
  // ADC range of a 64-row group of 1-bit cells: 0..64
  EXPECT_EQ(cim_ref_check_window(&a, 0, 64), CIM_OK);
  EXPECT_EQ(cim_ref_check_window(&a, 10, 54), CIM_OK);
  EXPECT_EQ(cim_ref_check_window(&a, 10, 55), CIM_ERR_WINDOW);  // beyond the largest sum
  EXPECT_EQ(cim_ref_check_window(&a, 0, 0), CIM_ERR_WINDOW);    // empty window
  EXPECT_EQ(cim_ref_check_window(&a, 65, 1), CIM_ERR_WINDOW);
  // an MVM through a table holding a bad entry is refused, y untouched
  std::vector<uint32_t> win(CIM_REF_WIN_TABLE_WORDS, cim_ref_win_pack(0, 64));
  win[cim_ref_win_index(0, 3)] = cim_ref_win_pack(30, 40);
  std::vector<uint64_t> cells(cim_ref_cell_words(&a), 0);
  std::vector<int8_t> w(64 * 256, 1), x(256, 1);
  ASSERT_EQ(cim_ref_program(&a, cells.data(), 8, 0, 256, 0, 64, w.data(), 256), CIM_OK);
  std::vector<int32_t> y(64, 7);
  EXPECT_EQ(cim_ref_mvm(&a, cells.data(), 8, 8, x.data(), 256, 64, y.data(), nullptr, win.data()), CIM_ERR_WINDOW);
  EXPECT_EQ(y[0], 7);
  // windows on a digital macro
  a.type = CIM_TYPE_DIGITAL;
  EXPECT_EQ(cim_ref_check_window(&a, 0, 64), CIM_ERR_WINDOW);
}

TEST(CimRef, MacroAnalogPathWithNegligibleNonIdealityHasTheSameStructure) {
  // cim/macro.cpp computes non-ideal MVMs with its own loops; with a negligible (positive) ADC gain
  // error they must give cim_ref's results for every combination. (A positive error keeps exact ties
  // rounding up, as the ideal ADC does; a random one would break ties either way.)
  std::mt19937 g(17);
  for (uint32_t rpp : {16u, 100u, 128u})
    for (int zs = 0; zs < 2; ++zs)
      for (int digital = 0; digital < 2; ++digital)
        for (int use_win = 0; use_win < 2; ++use_win) {
          if (digital && use_win) continue;
          MacroConfig c;
          c.array.rows = 128;
          c.array.cols = 64;
          c.array.cell_bits = 2;
          c.array.rows_per_pass = rpp > 128 ? 128 : rpp;
          c.array.adc_bits = 5;
          c.array.columns_per_adc = 8;
          c.array.zero_skip = zs;
          c.array.window_cols = 16;
          c.array.type = digital ? MacroType::Digital : MacroType::Analog;
          MacroConfig ideal = c;
          c.nonideal.adc_gain_error = 1e-9;
          Macro m(c), ref(ideal);
          const auto w = rand_weights(g, 32 * 128, 4);
          const auto x = rand_inputs(g, 128, 8);
          ASSERT_EQ(m.program(4, 0, 128, 0, 32, w.data(), 128), CIM_OK);
          ASSERT_EQ(ref.program(4, 0, 128, 0, 32, w.data(), 128), CIM_OK);
          if (use_win) {
            const auto win = rand_windows(g, m.array());
            for (uint32_t gi = 0; gi < 4; ++gi)
              for (uint32_t k = 0; k < 8; ++k) {
                ASSERT_EQ(m.set_window(gi, k, win[cim_ref_win_index(gi, k)]), CIM_OK);
                ASSERT_EQ(ref.set_window(gi, k, win[cim_ref_win_index(gi, k)]), CIM_OK);
              }
            ASSERT_EQ(m.enable_windows(true), CIM_OK);
            ASSERT_EQ(ref.enable_windows(true), CIM_OK);
          }
          std::vector<int32_t> y(32), yr(32);
          ASSERT_EQ(m.mvm(8, x.data(), 128, 32, y.data()), CIM_OK);
          ASSERT_EQ(ref.mvm(8, x.data(), 128, 32, yr.data()), CIM_OK);
          EXPECT_EQ(y, yr) << "rpp " << rpp << " zs " << zs << " digital " << digital << " win " << use_win;
          EXPECT_EQ(m.counters().clipped, ref.counters().clipped);
          EXPECT_EQ(m.counters().steps, ref.counters().steps);
        }
}

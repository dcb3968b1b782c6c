#include "cim/macro.h"

#include <algorithm>
#include <cmath>

namespace mcucim::cim {

std::string validate(const MacroConfig& c) {
  const auto& a = c.array;
  auto msg = [](const std::string& k, const std::string& what) { return k + ": " + what; };
  if (a.rows < 1 || a.rows > CIM_REF_MAX_ROWS) return msg("array.rows", std::to_string(a.rows) + " is not in 1..4096");
  if (a.cols < 1 || a.cols > CIM_REF_MAX_COLS) return msg("array.cols", std::to_string(a.cols) + " is not in 1..4096");
  if (!(a.cell_bits == 1 || a.cell_bits == 2 || a.cell_bits == 4 || a.cell_bits == 8))
    return msg("array.cell_bits", std::to_string(a.cell_bits) + " is not one of 1, 2, 4, 8");
  if (a.adc_bits < 1 || a.adc_bits > 16) return msg("adc.bits", std::to_string(a.adc_bits) + " is not in 1..16");
  if (a.dac_bits < 1 || a.dac_bits > 8) return msg("adc.dac_bits", std::to_string(a.dac_bits) + " is not in 1..8");
  if (a.columns_per_adc < 1 || a.cols % a.columns_per_adc)
    return msg("adc.columns_per_adc", std::to_string(a.columns_per_adc) + " does not divide array.cols " +
                                          std::to_string(a.cols));
  if (!(c.device.r_p_ohm > 0) || !(c.device.r_ap_ohm > c.device.r_p_ohm))
    return msg("device.r_ap_ohm", "expected 0 < r_p_ohm < r_ap_ohm");
  if (!(c.device.t_read_ns >= 0) || !(c.device.v_read_v >= 0)) return msg("device", "expected non-negative v_read_v, t_read_ns");
  if (!(c.energy.adc_r_col_ohm > 0)) return msg("energy.adc.r_col_ohm", "expected a positive resistance");
  if (c.program.bits_per_write < 1) return msg("program.bits_per_write", "expected at least 1");
  const auto& n = c.nonideal;
  if (n.sigma_r_p < 0 || n.sigma_r_ap < 0 || n.read_noise_sigma < 0)
    return msg("nonideal", "sigmas must be non-negative");
  if (n.stuck_at_rate < 0 || n.stuck_at_rate > 1) return msg("nonideal.stuck_at_rate", "expected a fraction in [0, 1]");
  return "";
}

Macro::Macro(const MacroConfig& c) : cfg_(c), rng_(c.nonideal.seed) {
  const std::string err = validate(c);
  if (!err.empty()) throw std::invalid_argument("CIM macro '" + c.name + "': " + err);
  arr_.rows = c.array.rows;
  arr_.cols = c.array.cols;
  arr_.cell_bits = c.array.cell_bits;
  arr_.adc_bits = c.array.adc_bits;
  arr_.dac_bits = c.array.dac_bits;
  const uint64_t fs = c.array.adc_full_scale ? c.array.adc_full_scale : cim_ref_analog_max(&arr_, arr_.rows);
  arr_.adc_step = cim_ref_step_for(arr_.adc_bits, fs);
  cells_.assign(cim_ref_cell_words(&arr_), 0);
  writes_.assign(size_t(arr_.rows) * arr_.cols, 0);
  if (c.nonideal.any()) {
    // Device state drawn once, at "fabrication", from the seed: the same seed gives the same chip.
    const size_t n = size_t(arr_.rows) * arr_.cols;
    g_p_.resize(n);
    g_ap_.resize(n);
    stuck_.assign(n, -1);
    std::normal_distribution<double> N(0.0, 1.0);
    std::uniform_real_distribution<double> U(0.0, 1.0);
    const int8_t top = int8_t((1u << arr_.cell_bits) - 1u);
    for (size_t i = 0; i < n; ++i) {
      // R = R_nom * exp(sigma * N(0,1)): conductance relative to nominal is exp(-sigma * N).
      g_p_[i] = float(std::exp(-c.nonideal.sigma_r_p * N(rng_)));
      g_ap_[i] = float(std::exp(-c.nonideal.sigma_r_ap * N(rng_)));
      if (U(rng_) < c.nonideal.stuck_at_rate) stuck_[i] = U(rng_) < 0.5 ? 0 : top;
    }
  }
}

int Macro::program(uint32_t wbits, uint32_t row0, uint32_t nrows, uint32_t out0, uint32_t nout, const int8_t* w,
                   uint32_t stride, double* latency_ns) {
  const int err = cim_ref_program(&arr_, cells_.data(), wbits, row0, nrows, out0, nout, w, stride);
  if (err) {
    k_.errors++;
    return err;
  }
  wbits_ = wbits;
  const uint32_t S = cim_ref_slices(&arr_, wbits);
  const uint64_t bits = uint64_t(nrows) * nout * wbits;
  for (uint32_t r = row0; r < row0 + nrows; ++r)
    for (uint32_t col = out0 * S; col < (out0 + nout) * S; ++col) {
      const uint32_t n = ++writes_[size_t(r) * arr_.cols + col];
      max_writes_ = std::max<uint64_t>(max_writes_, n);
    }
  const double t = program_latency_ns(cfg_, bits);
  k_.programs++;
  k_.bits_written += bits;
  k_.write_pulses += (bits + cfg_.program.bits_per_write - 1) / cfg_.program.bits_per_write;
  k_.program_busy_ps += uint64_t(std::llround(t * 1000));
  if (latency_ns) *latency_ns = t;
  return CIM_OK;
}

int Macro::mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y, double* latency_ns) {
  if (!wbits_) {
    k_.errors++;
    return CIM_ERR_NOT_PROGRAMMED;
  }
  cim_ref_stats st{};
  const int err = cim_ref_mvm(&arr_, cells_.data(), wbits_, abits, x, nrows, nout, y, &st);
  if (err) {
    k_.errors++;
    return err;
  }
  if (cfg_.nonideal.any()) analog_mvm(abits, x, nrows, nout, y);
  const uint32_t active_cols = nout * cim_ref_slices(&arr_, wbits_);
  const double t = mvm_latency_ns(cfg_, uint32_t(st.passes), active_cols);
  k_.mvms++;
  k_.macs += uint64_t(nrows) * nout;
  k_.passes += st.passes;
  k_.conversions += st.conversions;
  k_.clipped += st.clipped;
  k_.rows_driven += st.rows_driven;
  k_.level_units += st.level_units;
  k_.on_units += st.on_units;
  k_.column_passes += st.passes * active_cols;
  k_.output_passes += st.passes * nout;
  k_.buffer_bytes += nrows + 4ull * nout;  // array side: inputs read, outputs written
  k_.busy_ps += uint64_t(std::llround(t * 1000));
  k_.array_cells_used += uint64_t(nrows) * active_cols;
  if (latency_ns) *latency_ns = t;
  return CIM_OK;
}

// The same pass/column/ADC/shift-add structure as cim_ref_mvm, with analog column sums built from
// per-cell conductances: v = sum_r level_r * (G(r,c) - G_AP) / (G_P - G_AP) + noise, and an ADC
// with gain and offset: code = clamp(round((v * (1 + gain) ) / step + offset), 0, 2^B - 1).
void Macro::analog_mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y) {
  const auto& d = cfg_.device;
  const auto& ni = cfg_.nonideal;
  const double gp = 1.0 / d.r_p_ohm, gap = 1.0 / d.r_ap_ohm, dg = gp - gap;
  const uint32_t S = cim_ref_slices(&arr_, wbits_), cb = arr_.cell_bits, levels = (1u << cb) - 1u;
  const uint32_t passes = cim_ref_passes(abits, arr_.dac_bits);
  const double maxcode = cim_ref_adc_max_code(&arr_), step = arr_.adc_step;
  std::normal_distribution<double> N(0.0, 1.0);
  std::vector<uint32_t> lv(nrows);
  std::vector<int64_t> acc(nout, 0);
  for (uint32_t o = 0; o < nout; ++o) y[o] = 0;
  for (uint32_t k = 0; k < passes; ++k) {
    int64_t insum = 0;
    for (uint32_t r = 0; r < nrows; ++r) insum += lv[r] = cim_ref_pass_level(x[r], abits, arr_.dac_bits, k);
    const int64_t pw = cim_ref_pass_weight(abits, arr_.dac_bits, k);
    for (uint32_t o = 0; o < nout; ++o) {
      int64_t a = 0;
      for (uint32_t s = 0; s < S; ++s) {
        const uint32_t c = o * S + s;
        double v = 0;
        for (uint32_t r = 0; r < nrows; ++r) {
          if (!lv[r]) continue;
          const size_t i = size_t(r) * arr_.cols + c;
          const int level = stuck_[i] >= 0 ? stuck_[i] : int(cim_ref_cell(&arr_, cells_.data(), r, c));
          // Multi-level cells interpolate linearly between the AP and P conductances.
          const double g = gap * g_ap_[i] + (gp * g_p_[i] - gap * g_ap_[i]) * level / levels;
          v += lv[r] * (g - gap) / dg * levels;
        }
        if (ni.read_noise_sigma > 0) v += ni.read_noise_sigma * N(rng_);
        double q = std::floor(v * (1.0 + ni.adc_gain_error) / step + ni.adc_offset_lsb + 0.5);
        q = std::min(std::max(q, 0.0), maxcode);
        a += int64_t(q * step) << (s * cb);
      }
      a -= insum << (wbits_ - 1);
      y[o] = int32_t(uint32_t(uint32_t(y[o]) + uint32_t(uint64_t(a * pw))));
    }
  }
}

}  // namespace mcucim::cim

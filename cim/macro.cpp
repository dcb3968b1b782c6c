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
  if (a.rows_per_pass > a.rows)
    return msg("array.rows_per_pass", std::to_string(a.rows_per_pass) + " is more than array.rows " +
                                          std::to_string(a.rows) + " (expected 1.." + std::to_string(a.rows) + ")");
  if (a.adc_bits < 1 || a.adc_bits > 16) return msg("adc.bits", std::to_string(a.adc_bits) + " is not in 1..16");
  if (a.dac_bits < 1 || a.dac_bits > 8) return msg("adc.dac_bits", std::to_string(a.dac_bits) + " is not in 1..8");
  if (a.columns_per_adc < 1 || a.cols % a.columns_per_adc)
    return msg("adc.columns_per_adc", std::to_string(a.columns_per_adc) + " does not divide array.cols " +
                                          std::to_string(a.cols));
  const uint32_t wc = a.window_cols ? a.window_cols : a.cols;
  if (a.cols % wc || a.cols / wc > CIM_REF_MAX_WIN_GROUPS)
    return msg("adc.window_cols", std::to_string(wc) + " does not divide array.cols " + std::to_string(a.cols) +
                                      " into at most " + std::to_string(CIM_REF_MAX_WIN_GROUPS) + " groups");
  if (!(c.device.r_p_ohm > 0) || !(c.device.r_ap_ohm > c.device.r_p_ohm))
    return msg("device.r_ap_ohm", "expected 0 < r_p_ohm < r_ap_ohm");
  if (!(c.device.t_read_ns >= 0) || !(c.device.v_read_v >= 0)) return msg("device", "expected non-negative v_read_v, t_read_ns");
  if (!(c.energy.adc_r_col_ohm > 0)) return msg("energy.adc.r_col_ohm", "expected a positive resistance");
  if (c.program.bits_per_write < 1) return msg("program.bits_per_write", "expected at least 1");
  const auto& n = c.nonideal;
  if (n.sigma_r_p < 0 || n.sigma_r_ap < 0 || n.read_noise_sigma < 0 || n.sigma_level < 0)
    return msg("nonideal", "sigmas must be non-negative");
  if (n.stuck_at_rate < 0 || n.stuck_at_rate > 1) return msg("nonideal.stuck_at_rate", "expected a fraction in [0, 1]");
  return "";
}

Macro::Macro(const MacroConfig& c) : cfg_(c), power_(c.power), rng_(c.nonideal.seed) {
  const std::string err = validate(c);
  if (!err.empty()) throw std::invalid_argument("CIM macro '" + c.name + "': " + err);
  arr_.rows = c.array.rows;
  arr_.cols = c.array.cols;
  arr_.cell_bits = c.array.cell_bits;
  arr_.adc_bits = c.array.adc_bits;
  arr_.dac_bits = c.array.dac_bits;
  arr_.rows_per_pass = c.array.rpp();
  arr_.zero_skip = c.array.zero_skip ? 1u : 0u;
  arr_.type = c.array.type == MacroType::Digital ? CIM_TYPE_DIGITAL : CIM_TYPE_ANALOG;
  arr_.win_cols = c.array.window_cols ? c.array.window_cols : c.array.cols;
  const uint64_t fs = c.array.adc_full_scale ? c.array.adc_full_scale : cim_ref_analog_max(&arr_, arr_.rows_per_pass);
  arr_.adc_step = cim_ref_step_for(arr_.adc_bits, fs);
  cells_.assign(cim_ref_cell_words(&arr_), 0);
  win_.assign(CIM_REF_WIN_TABLE_WORDS, cim_ref_win_full(&arr_));
  // Digital macros sense cells to digits: only stuck cells change their results.
  analog_state_ = c.nonideal.any() && (c.array.type == MacroType::Analog || c.nonideal.stuck_at_rate > 0);
}

// Device state drawn once per macro from the seed, the same for the same seed ("the chip"); drawn at
// the first programming so that macros a run never uses cost nothing.
void Macro::make_device_state() {
  const auto& c = cfg_;
  const size_t n = size_t(arr_.rows) * arr_.cols;
  g_p_.resize(n);
  g_ap_.resize(n);
  stuck_.assign(n, -1);
  const int8_t top = int8_t((1u << arr_.cell_bits) - 1u);
  const bool var = c.nonideal.sigma_r_p > 0 || c.nonideal.sigma_r_ap > 0;
  for (size_t i = 0; i < n; ++i) {
    // R = R_nom * exp(sigma * N(0,1)): conductance relative to nominal is exp(-sigma * N).
    g_p_[i] = var ? float(std::exp(-c.nonideal.sigma_r_p * rng_.normal())) : 1.0f;
    g_ap_[i] = var ? float(std::exp(-c.nonideal.sigma_r_ap * rng_.normal())) : 1.0f;
    if (c.nonideal.stuck_at_rate > 0 && rng_.uniform() < c.nonideal.stuck_at_rate) stuck_[i] = rng_.uniform() < 0.5 ? 0 : top;
  }
  units_.assign(n, 0.0f);
  for (uint32_t r = 0; r < arr_.rows; ++r)
    for (uint32_t col = 0; col < arr_.cols; ++col) update_cell_units(r, col);
}

// The analog units cell (r, c) adds to its column sum per unit of input level:
//   analog: (G(level) - G_AP) / (G_P - G_AP) * (2^cell_bits - 1), G(level) interpolating linearly
//           between the cell's own AP and P conductances (device variation), plus a programming error
//           of sigma_level level spacings drawn at each write;
//   digital: the level itself (per-cell digital sensing: variation only moves the sense margin).
void Macro::update_cell_units(uint32_t r, uint32_t c) {
  const size_t i = size_t(r) * arr_.cols + c;
  const int level = stuck_[i] >= 0 ? stuck_[i] : int(cim_ref_cell(&arr_, cells_.data(), r, c));
  float& u = units_[size_t(r) * arr_.cols + c];
  if (arr_.type == CIM_TYPE_DIGITAL) {
    u = float(level);
    return;
  }
  const auto& d = cfg_.device;
  const double gp = 1.0 / d.r_p_ohm, gap = 1.0 / d.r_ap_ohm, dg = gp - gap;
  const double levels = double((1u << arr_.cell_bits) - 1u);
  const double g = gap * g_ap_[i] + (gp * g_p_[i] - gap * g_ap_[i]) * level / levels;
  double v = (g - gap) / dg * levels;
  if (cfg_.nonideal.sigma_level > 0 && stuck_[i] < 0) v += cfg_.nonideal.sigma_level * rng_.normal();
  u = float(v);
}

int Macro::program(uint32_t wbits, uint32_t row0, uint32_t nrows, uint32_t out0, uint32_t nout, const int8_t* w,
                   uint32_t stride, double* latency_ns) {
  const int err = cim_ref_program(&arr_, cells_.data(), wbits, row0, nrows, out0, nout, w, stride);
  if (err) {
    k_.errors++;
    return err;
  }
  wbits_ = wbits;
  const bool first = analog_state_ && units_.empty();
  if (first) make_device_state();  // every cell's units, the new weights included
  const uint32_t S = cim_ref_slices(&arr_, wbits);
  const uint64_t bits = uint64_t(nrows) * nout * wbits;
  if (writes_.empty()) writes_.assign(size_t(arr_.rows) * arr_.cols, 0);  // at the first programming
  for (uint32_t r = row0; r < row0 + nrows; ++r)
    for (uint32_t col = out0 * S; col < (out0 + nout) * S; ++col) {
      const uint32_t n = ++writes_[size_t(r) * arr_.cols + col];
      max_writes_ = std::max<uint64_t>(max_writes_, n);
    }
  if (!first && !units_.empty())
    for (uint32_t r = row0; r < row0 + nrows; ++r)
      for (uint32_t col = out0 * S; col < (out0 + nout) * S; ++col) update_cell_units(r, col);
  const double t = program_latency_ns(cfg_, bits);
  k_.programs++;
  k_.bits_written += bits;
  k_.write_pulses += (bits + cfg_.program.bits_per_write - 1) / cfg_.program.bits_per_write;
  k_.program_busy_ps += uint64_t(std::llround(t * 1000));
  if (latency_ns) *latency_ns = t;
  return CIM_OK;
}

int Macro::set_window(uint32_t g, uint32_t k, uint32_t word) {
  if (g >= cim_ref_win_groups(&arr_) || k >= CIM_REF_MAX_PASSES) {
    k_.errors++;
    return CIM_ERR_RANGE;
  }
  const int e = cim_ref_check_window(&arr_, cim_ref_win_offset(word), cim_ref_win_fs(word));
  if (e) {
    k_.errors++;
    return e;
  }
  win_[cim_ref_win_index(g, k)] = word;
  return CIM_OK;
}

uint32_t Macro::window(uint32_t g, uint32_t k) const {
  return g < CIM_REF_MAX_WIN_GROUPS && k < CIM_REF_MAX_PASSES ? win_[cim_ref_win_index(g, k)] : 0;
}

int Macro::enable_windows(bool on) {
  if (on && arr_.type != CIM_TYPE_ANALOG) {
    k_.errors++;
    return CIM_ERR_WINDOW;
  }
  win_en_ = on;
  return CIM_OK;
}

uint64_t Macro::begin_command(uint64_t now_ps) {
  const uint64_t t = power_.begin_command(now_ps);
  k_.wakeups = power_.wakeups();
  k_.idle_wakeups = power_.idle_wakeups();
  return t;
}

void Macro::request_power(PowerStateId s, uint64_t now_ps) {
  power_.request(s, now_ps);
  k_.wakeups = power_.wakeups();
  k_.idle_wakeups = power_.idle_wakeups();
}

double Macro::leakage_pj(uint64_t now_ps) const {
  const PowerState::Times t = power_.times_at(now_ps);
  // uW x ps = 1e-18 J = 1e-6 pJ
  return (cfg_.energy.leakage_uw * double(t.on_ps) + cfg_.power.idle_leakage_uw * double(t.idle_ps)) * 1e-6;
}

int Macro::mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y, double* latency_ns) {
  if (!wbits_) {
    k_.errors++;
    return CIM_ERR_NOT_PROGRAMMED;
  }
  cim_ref_stats st{};
  const int err = cim_ref_mvm(&arr_, cells_.data(), wbits_, abits, x, nrows, nout, y, &st, win_en_ ? win_.data() : nullptr);
  if (err) {
    k_.errors++;
    return err;
  }
  if (!units_.empty()) st.clipped = analog_mvm(abits, x, nrows, nout, y);
  const uint32_t active_cols = nout * cim_ref_slices(&arr_, wbits_);
  const double t = mvm_latency_ns(cfg_, st.steps, active_cols);
  k_.mvms++;
  k_.macs += uint64_t(nrows) * nout;
  k_.passes += st.passes;
  k_.steps += st.steps;
  k_.skipped += st.skipped;
  k_.conversions += st.conversions;
  k_.clipped += st.clipped;
  k_.rows_driven += st.rows_driven;
  k_.level_units += st.level_units;
  k_.on_units += st.on_units;
  k_.column_steps += st.steps * active_cols;
  k_.output_steps += st.steps * nout;
  k_.adder_inputs += st.conversions * arr_.rows_per_pass;
  k_.buffer_bytes += nrows + 4ull * nout;  // array side: inputs read, outputs written
  k_.busy_ps += uint64_t(std::llround(t * 1000));
  k_.array_cells_used += uint64_t(nrows) * active_cols;
  if (latency_ns) *latency_ns = t;
  return CIM_OK;
}

// The same step/column/readout/shift-add structure as cim_ref_mvm, with column sums built from the
// per-cell analog units: v = sum_r level_r * units(r, c) + read noise, and an ADC with gain and
// offset: code = clamp(floor((v * (1 + gain) - o) / s + offset_lsb + 0.5), 0, 2^B - 1),
// value = o + code * s ((o, s): the window, or 0 and adc_step). Digital macros add the cells' levels
// exactly (stuck cells included). Returns the number of clipped conversions.
// The sums of a step are accumulated row by row over all active columns at once (units_ is row-major),
// a loop the compiler vectorizes: about 20 us per 256 x 512 INT8 MVM on the host.
uint64_t Macro::analog_mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y) {
  const auto& ni = cfg_.nonideal;
  const uint32_t S = cim_ref_slices(&arr_, wbits_), cb = arr_.cell_bits, R = arr_.rows_per_pass;
  const uint32_t passes = cim_ref_passes(abits, arr_.dac_bits), groups = cim_ref_row_groups(&arr_, nrows);
  const uint32_t ncols = nout * S, cols = arr_.cols;
  const bool digital = arr_.type == CIM_TYPE_DIGITAL;
  const double maxcode = cim_ref_adc_max_code(&arr_);
  std::vector<float> v(ncols);
  uint64_t clipped = 0;
  // per (column group, pass): the window's offset and step (or 0 and adc_step)
  std::vector<double> w_off(size_t(cim_ref_win_groups(&arr_)) * CIM_REF_MAX_PASSES, 0.0);
  std::vector<double> w_step(w_off.size(), double(arr_.adc_step));
  if (win_en_)
    for (size_t i = 0; i < w_off.size(); ++i) {
      w_off[i] = cim_ref_win_offset(win_[i]);
      w_step[i] = cim_ref_step_for(arr_.adc_bits, cim_ref_win_fs(win_[i]));
    }
  for (uint32_t o = 0; o < nout; ++o) y[o] = 0;
  for (uint32_t k = 0; k < passes; ++k) {
    const int64_t pw = cim_ref_pass_weight(abits, arr_.dac_bits, k);
    for (uint32_t g = 0; g < groups; ++g) {
      const uint32_t r0 = g * R, r1 = std::min(r0 + R, nrows);
      int64_t insum = 0;
      std::fill(v.begin(), v.end(), 0.0f);
      for (uint32_t r = r0; r < r1; ++r) {
        const uint32_t l = cim_ref_pass_level(x[r], abits, arr_.dac_bits, k);
        if (!l) continue;
        insum += l;
        const float* u = units_.data() + size_t(r) * cols;
        float* vp = v.data();
        if (l == 1) {
          for (uint32_t c = 0; c < ncols; ++c) vp[c] += u[c];
        } else {
          const float fl = float(l);
          for (uint32_t c = 0; c < ncols; ++c) vp[c] += fl * u[c];
        }
      }
      if (arr_.zero_skip && insum == 0) continue;
      for (uint32_t o = 0; o < nout; ++o) {
        int64_t a = 0;
        for (uint32_t s = 0; s < S; ++s) {
          const uint32_t c = o * S + s;
          double vc = v[c];
          int64_t value;
          if (digital) {
            value = int64_t(std::llround(vc));
          } else {
            const size_t wi = cim_ref_win_index(c / arr_.win_cols, k);
            const double off = w_off[wi], step = w_step[wi];
            if (ni.read_noise_sigma > 0) vc += ni.read_noise_sigma * rng_.normal();
            double q = std::floor((vc * (1.0 + ni.adc_gain_error) - off) / step + ni.adc_offset_lsb + 0.5);
            if (q < 0 || q > maxcode) ++clipped;
            q = std::min(std::max(q, 0.0), maxcode);
            value = int64_t(off + q * step);
          }
          a += value << (s * cb);
        }
        a -= insum << (wbits_ - 1);
        y[o] = int32_t(uint32_t(uint32_t(y[o]) + uint32_t(uint64_t(a * pw))));
      }
    }
  }
  return clipped;
}

}  // namespace mcucim::cim

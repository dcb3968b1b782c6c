// One compute-in-memory macro: weight storage, programming (with endurance counting), the
// matrix-vector product (ideal: runtime/include/cim_ref.h, bit for bit; with non-idealities: an
// analog column-sum model in C++ with seeded device variation, programming error, read noise,
// stuck-at cells and ADC offset/gain), programmable ADC windows, power states (cim/power.h), event
// counters and the energy/latency model of cim/cost.h. Plain C++, no SystemC.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cim/config.h"
#include "cim/cost.h"
#include "cim/noise.h"
#include "cim/power.h"
#include "cim_ref.h"

namespace mcucim::cim {

class Macro {
 public:
  // Throws std::invalid_argument with validate()'s message if the configuration is not valid.
  explicit Macro(const MacroConfig& c);

  const MacroConfig& config() const { return cfg_; }
  const cim_ref_array& array() const { return arr_; }
  const std::vector<uint64_t>& cells() const { return cells_; }
  uint32_t wbits() const { return wbits_; }  // width of the programmed weights (0: never programmed)

  // Program rows [row0, row0+nrows) x outputs [out0, out0+nout) with W-bit weights w[o*stride + i]
  // (sets the macro's weight width to wbits). Returns CIM_OK or a CIM_ERR_* code (nothing written).
  // `latency_ns` (optional) receives the programming time.
  int program(uint32_t wbits, uint32_t row0, uint32_t nrows, uint32_t out0, uint32_t nout, const int8_t* w,
              uint32_t stride, double* latency_ns = nullptr);
  // y[0..nout) = MVM of x[0..nrows) (A-bit inputs) with the programmed weights, through the ADC
  // windows when enabled. Returns CIM_OK or a CIM_ERR_* code (y untouched, nothing counted but
  // `errors`).
  int mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y, double* latency_ns = nullptr);

  // ADC windows (analog macros): entry (column group g, pass k) as a packed word (cim_ref_win_pack).
  // CIM_ERR_WINDOW if the window is outside the ADC range or the macro has no ADC; CIM_ERR_RANGE for
  // g/k outside the table.
  int set_window(uint32_t g, uint32_t k, uint32_t word);
  uint32_t window(uint32_t g, uint32_t k) const;
  int enable_windows(bool on);  // CIM_ERR_WINDOW on a digital macro
  bool windows_enabled() const { return win_en_; }
  const std::vector<uint32_t>& window_table() const { return win_; }

  // Power states (cim/power.h), times in ps of simulated time.
  uint64_t begin_command(uint64_t now_ps);  // wakes if needed; returns the start time
  void end_command(uint64_t done_ps) { power_.end_command(done_ps); }
  void request_power(PowerStateId s, uint64_t now_ps);
  PowerStateId power_state(uint64_t now_ps) const { return power_.state_at(now_ps); }
  bool waking(uint64_t now_ps) const { return power_.waking_at(now_ps); }
  PowerState::Times power_times(uint64_t now_ps) const { return power_.times_at(now_ps); }
  // Leakage energy from 0 to now (pJ): time on x energy.leakage_uw + time idle x power.idle_leakage_uw.
  double leakage_pj(uint64_t now_ps) const;

  MacroCounters& counters() { return k_; }
  const MacroCounters& counters() const { return k_; }
  PartEnergy energy() const { return energy_by_part(cfg_, k_); }
  uint64_t max_cell_writes() const { return max_writes_; }
  bool endurance_exceeded() const { return double(max_writes_) > cfg_.program.endurance_writes; }

 private:
  uint64_t analog_mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y);
  void update_cell_units(uint32_t r, uint32_t c);
  void make_device_state();  // the non-ideal chip, drawn at the first programming (unused macros: never)
  MacroConfig cfg_;
  cim_ref_array arr_{};
  std::vector<uint64_t> cells_;
  uint32_t wbits_ = 0;
  MacroCounters k_;
  std::vector<uint32_t> writes_;  // per cell (row * cols + col), allocated at the first programming
  uint64_t max_writes_ = 0;
  std::vector<uint32_t> win_;     // CIM_REF_WIN_TABLE_WORDS
  bool win_en_ = false;
  PowerState power_;
  // Non-ideal state (allocated only when a non-ideality is on).
  std::vector<float> g_p_, g_ap_;  // per-cell conductance relative to nominal (row * cols + col)
  std::vector<int8_t> stuck_;      // -1: healthy, else stuck level
  std::vector<float> units_;       // per cell (row * cols + col): analog units the cell adds per input level
  bool analog_state_ = false;      // a non-ideality changes this macro's results
  NoiseSource rng_;
};

}  // namespace mcucim::cim

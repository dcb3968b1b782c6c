// One MRAM compute-in-memory macro: weight storage, programming (with endurance counting), the
// matrix-vector product (ideal: runtime/include/cim_ref.h, bit for bit; with non-idealities: an
// analog column-sum model in C++ with seeded device variation, read noise, stuck-at cells and ADC
// offset/gain), event counters and the energy/latency model of cim/cost.h. Plain C++, no SystemC.
#pragma once
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cim/config.h"
#include "cim/cost.h"
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
  // y[0..nout) = MVM of x[0..nrows) (A-bit inputs) with the programmed weights. Returns CIM_OK or a
  // CIM_ERR_* code (y untouched, nothing counted but `errors`).
  int mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y, double* latency_ns = nullptr);

  MacroCounters& counters() { return k_; }
  const MacroCounters& counters() const { return k_; }
  PartEnergy energy() const { return energy_by_part(cfg_, k_); }
  uint64_t max_cell_writes() const { return max_writes_; }
  bool endurance_exceeded() const { return double(max_writes_) > cfg_.program.endurance_writes; }

 private:
  void analog_mvm(uint32_t abits, const int8_t* x, uint32_t nrows, uint32_t nout, int32_t* y);
  MacroConfig cfg_;
  cim_ref_array arr_{};
  std::vector<uint64_t> cells_;
  uint32_t wbits_ = 0;
  MacroCounters k_;
  std::vector<uint32_t> writes_;  // per cell (row * cols + col)
  uint64_t max_writes_ = 0;
  // Non-ideal state (allocated only when a non-ideality is on).
  std::vector<float> g_p_, g_ap_;  // per-cell conductance relative to nominal
  std::vector<int8_t> stuck_;      // -1: healthy, else stuck level
  std::mt19937_64 rng_;
};

}  // namespace mcucim::cim

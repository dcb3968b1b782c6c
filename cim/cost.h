// Bottom-up energy and latency of the CIM macro from named parts (NeuroSim/CiMLoop style): event
// counts (MacroCounters) times per-event energies (EnergyParams), and a latency per operation from
// the pass structure. Formulas in cim/CIM.md; parameters with sources in configs/cim/*.yaml.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cim/config.h"

namespace mcucim::cim {

// Event counters of one macro (plain integers; subtracting two snapshots gives an interval).
struct MacroCounters {
  uint64_t mvms = 0, macs = 0, passes = 0, conversions = 0, clipped = 0;
  uint64_t steps = 0;               // executed steps (input pass x row group)
  uint64_t skipped = 0;             // steps skipped by zero skipping (all input levels zero)
  uint64_t rows_driven = 0;         // row activations (wordline drives), summed over executed steps
  uint64_t level_units = 0;         // cell reads weighted by input level (active columns x driven)
  uint64_t on_units = 0;            // sum of analog column sums (cells above the lowest level, level-weighted)
  uint64_t column_steps = 0;        // active columns x executed steps (precharges)
  uint64_t output_steps = 0;        // outputs x executed steps (accumulations)
  uint64_t adder_inputs = 0;        // digital: conversions x rows_per_pass (adder-tree inputs)
  uint64_t wakeups = 0;             // off -> on (power state), wake_pj each
  uint64_t idle_wakeups = 0;        // idle -> on, idle_wake_pj each
  uint64_t buffer_bytes = 0;        // input/output buffer bytes accessed (bus side and array side)
  uint64_t programs = 0;            // programming operations
  uint64_t bits_written = 0;        // weight bits written
  uint64_t write_pulses = 0;        // write pulses (bits_per_write cells each)
  uint64_t errors = 0;              // operations refused with an error code
  uint64_t busy_ps = 0;             // MVM busy time
  uint64_t program_busy_ps = 0;     // programming busy time
  uint64_t array_cells_used = 0;    // sum over MVMs of active rows x active columns (array utilization)
};
MacroCounters operator-(const MacroCounters& a, const MacroCounters& b);

// The energy parts, in report order. `program` is weight programming (accounted apart from inference).
enum class Part {
  Wordline, CellRead, Sense, Precharge, Adc, AdderTree, Mux, ShiftAdd, Accumulate, Control, Buffer, Wake, Program, COUNT
};
constexpr size_t kNumParts = static_cast<size_t>(Part::COUNT);
extern const char* const kPartNames[kNumParts];

using PartEnergy = std::array<double, kNumParts>;  // pJ per part

// Energy of one ADC conversion (pJ) and its time (ns) at B bits (NeuroSim SAR model, see EnergyParams).
double adc_energy_pj(const EnergyParams& e, uint32_t bits);
double adc_time_ns(const EnergyParams& e, uint32_t bits);
// Cell read energy per level unit for a cell at G_AP, and the extra per on-unit (G_P - G_AP), in pJ:
//   E_cell = V^2 * t_read * (G_AP * level_units + (G_P - G_AP) * on_units / (2^cell_bits - 1))
double cell_read_pj_per_unit(const MacroConfig& c);
double cell_on_extra_pj_per_unit(const MacroConfig& c);
// Dynamic energy by part of the events in `k`.
PartEnergy energy_by_part(const MacroConfig& c, const MacroCounters& k);
double total_pj(const PartEnergy& p);

// Time of one conversion (ns): the ADC's t_adc(B) (analog) or the adder tree's t_adder_ns (digital).
double conversion_time_ns(const MacroConfig& c);
// Latency of one MVM (ns) with `steps` executed steps (pass x row group) and `active_cols` physical
// columns converted per step:
//   t = t_control + steps * (t_precharge + t_wordline + t_read + ceil(active_cols / n_adc) * t_conv
//                            + t_accumulate),  n_adc = cols / columns_per_adc
double mvm_latency_ns(const MacroConfig& c, uint64_t steps, uint32_t active_cols);
// Programming time (ns) of `bits` bits: ceil(bits / bits_per_write) * write_ns.
double program_latency_ns(const MacroConfig& c, uint64_t bits);

}  // namespace mcucim::cim

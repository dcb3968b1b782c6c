#include "cim/cost.h"

#include <cmath>

namespace mcucim::cim {

const char* const kPartNames[kNumParts] = {"wordline", "cell_read", "sense",   "precharge", "adc",
                                           "adder_tree", "mux",      "shift_add", "accumulate", "control",
                                           "buffer",    "wake",      "program"};

MacroCounters operator-(const MacroCounters& a, const MacroCounters& b) {
  MacroCounters d;
  d.mvms = a.mvms - b.mvms;
  d.macs = a.macs - b.macs;
  d.passes = a.passes - b.passes;
  d.conversions = a.conversions - b.conversions;
  d.clipped = a.clipped - b.clipped;
  d.steps = a.steps - b.steps;
  d.skipped = a.skipped - b.skipped;
  d.rows_driven = a.rows_driven - b.rows_driven;
  d.level_units = a.level_units - b.level_units;
  d.on_units = a.on_units - b.on_units;
  d.column_steps = a.column_steps - b.column_steps;
  d.output_steps = a.output_steps - b.output_steps;
  d.adder_inputs = a.adder_inputs - b.adder_inputs;
  d.wakeups = a.wakeups - b.wakeups;
  d.idle_wakeups = a.idle_wakeups - b.idle_wakeups;
  d.buffer_bytes = a.buffer_bytes - b.buffer_bytes;
  d.programs = a.programs - b.programs;
  d.bits_written = a.bits_written - b.bits_written;
  d.write_pulses = a.write_pulses - b.write_pulses;
  d.errors = a.errors - b.errors;
  d.busy_ps = a.busy_ps - b.busy_ps;
  d.program_busy_ps = a.program_busy_ps - b.program_busy_ps;
  d.array_cells_used = a.array_cells_used - b.array_cells_used;
  return d;
}

double adc_energy_pj(const EnergyParams& e, uint32_t bits) {
  const double power_w = (e.adc_a_uw_per_bit * bits + e.adc_b_uw) * 1e-6 + e.adc_c_w_ohm / e.adc_r_col_ohm;
  return power_w * adc_time_ns(e, bits) * 1e-9 * 1e12 * e.adc_scale;
}
double adc_time_ns(const EnergyParams& e, uint32_t bits) { return e.adc_t_ns_per_bit * bits + e.adc_t_ns_fixed; }

double cell_read_pj_per_unit(const MacroConfig& c) {
  const double v = c.device.v_read_v;
  return v * v / c.device.r_ap_ohm * c.device.t_read_ns * 1e-9 * 1e12;
}
double cell_on_extra_pj_per_unit(const MacroConfig& c) {
  const double v = c.device.v_read_v;
  const double levels = double((1u << c.array.cell_bits) - 1u);
  return v * v * (1.0 / c.device.r_p_ohm - 1.0 / c.device.r_ap_ohm) * c.device.t_read_ns * 1e-9 * 1e12 / levels;
}

PartEnergy energy_by_part(const MacroConfig& c, const MacroCounters& k) {
  const EnergyParams& e = c.energy;
  PartEnergy p{};
  auto at = [&](Part x) -> double& { return p[static_cast<size_t>(x)]; };
  const bool digital = c.array.type == MacroType::Digital;
  at(Part::Wordline) = k.rows_driven * e.wordline_pj;
  at(Part::CellRead) = k.level_units * cell_read_pj_per_unit(c) + k.on_units * cell_on_extra_pj_per_unit(c);
  at(Part::Sense) = k.level_units * e.sense_pj;
  at(Part::Precharge) = k.column_steps * e.precharge_pj;
  at(Part::Adc) = digital ? 0.0 : k.conversions * adc_energy_pj(e, c.array.adc_bits);
  at(Part::AdderTree) = digital ? k.adder_inputs * e.adder_pj_per_input : 0.0;
  at(Part::Mux) = k.conversions * e.mux_pj;
  at(Part::ShiftAdd) = k.conversions * e.shift_add_pj;
  at(Part::Accumulate) = k.output_steps * e.accumulate_pj;
  at(Part::Control) = k.mvms * e.control_pj_per_mvm + k.steps * e.control_pj_per_pass;
  at(Part::Buffer) = k.buffer_bytes * e.buffer_pj_per_byte;
  at(Part::Wake) = k.wakeups * c.power.wake_pj + k.idle_wakeups * c.power.idle_wake_pj;
  at(Part::Program) = k.bits_written * c.program.write_pj_per_bit;
  return p;
}

double total_pj(const PartEnergy& p) {
  double s = 0;
  for (double v : p) s += v;
  return s;
}

double conversion_time_ns(const MacroConfig& c) {
  return c.array.type == MacroType::Digital ? c.timing.t_adder_ns : adc_time_ns(c.energy, c.array.adc_bits);
}

double mvm_latency_ns(const MacroConfig& c, uint64_t steps, uint32_t active_cols) {
  const uint32_t n_adc = c.array.cols / c.array.columns_per_adc;
  const uint32_t serial = (active_cols + n_adc - 1) / n_adc;
  const TimingParams& t = c.timing;
  return t.t_control_ns + double(steps) * (t.t_precharge_ns + t.t_wordline_ns + c.device.t_read_ns +
                                           serial * conversion_time_ns(c) + t.t_accumulate_ns);
}

double program_latency_ns(const MacroConfig& c, uint64_t bits) {
  const uint64_t pulses = (bits + c.program.bits_per_write - 1) / c.program.bits_per_write;
  return pulses * c.program.write_ns;
}

}  // namespace mcucim::cim

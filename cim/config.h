// Configuration of one compute-in-memory macro (MRAM or ReRAM; analog with ADCs or digital with adder
// trees): geometry, converters, device, energy and timing parameters, power states, weight
// programming and (off by default) non-idealities. Plain data; loaded from
// configs/cim/*.yaml by sim/cim_config.cpp (every value there carries its source), validated here.
// Formulas using these parameters: cim/cost.h and cim/CIM.md.
#pragma once
#include <cstdint>
#include <string>

namespace mcucim::cim {

enum class MacroType { Analog, Digital };  // ADC readout of analog column sums / exact adder tree

struct ArrayParams {
  MacroType type = MacroType::Analog;
  uint32_t rows = 256, cols = 512;   // physical cells
  uint32_t cell_bits = 1;            // bits per cell (MTJ: 1; multi-level ReRAM: 2, 4)
  uint32_t rows_per_pass = 0;        // R: rows activated together per conversion; 0 = rows (all)
  uint32_t adc_bits = 8;             // B
  uint64_t adc_full_scale = 0;       // analog units covered by the ADC range; 0 = R*(2^D-1)*(2^cb-1)
  uint32_t columns_per_adc = 8;      // M: columns sharing one ADC (or adder tree) through the column mux
  uint32_t dac_bits = 1;             // D: input bits applied per pass
  bool zero_skip = false;            // skip steps (pass x row group) whose inputs are all zero
  uint32_t window_cols = 0;          // columns per programmable ADC window group; 0 = cols (one group)
  uint32_t rpp() const { return rows_per_pass ? rows_per_pass : rows; }
};

struct DeviceParams {
  double r_p_ohm = 6000, r_ap_ohm = 12000;  // parallel / antiparallel MTJ resistance (bit 1 = P)
  double v_read_v = 0.1;                    // read voltage across a cell
  double t_read_ns = 5;                     // integration time of one pass
};

// Per-event energies (pJ) and the ADC model. The ADC follows NeuroSim's SAR model:
//   E_adc(B) = [ (adc_a_uw_per_bit * B + adc_b_uw) * 1e-6 + adc_c_w_ohm / adc_r_col_ohm ] W
//              x (adc_t_ns_per_bit * B + adc_t_ns_fixed) ns  x adc_scale
struct EnergyParams {
  double wordline_pj = 0;        // per driven row per pass (driver + DAC)
  double precharge_pj = 0;       // per active column per pass (bitline precharge / clamp)
  double adc_a_uw_per_bit = 0.538, adc_b_uw = 4.375, adc_c_w_ohm = 0.0723, adc_r_col_ohm = 10000;
  double adc_t_ns_per_bit = 1, adc_t_ns_fixed = 1, adc_scale = 1;
  double mux_pj = 0;             // per conversion (column mux switch)
  double shift_add_pj = 0;       // per conversion (shift and add of the ADC output)
  double accumulate_pj = 0;      // per output per pass (offset correction and pass accumulation)
  double control_pj_per_mvm = 0, control_pj_per_pass = 0;
  double buffer_pj_per_byte = 0; // input/output buffer access, per byte
  double sense_pj = 0;           // digital: per cell read (bit-cell sense amplifier / in-situ digitisation)
  double adder_pj_per_input = 0; // digital: adder tree energy per sum, per tree input (x rows_per_pass)
  double leakage_uw = 0;         // periphery leakage while on (the MRAM/ReRAM array itself does not leak)
};

struct TimingParams {
  double t_precharge_ns = 1, t_wordline_ns = 1;  // per pass, before the read integration
  double t_control_ns = 5;                       // per MVM (start, output latch)
  double t_accumulate_ns = 0;                    // per step after the last conversion
  double t_adder_ns = 1;                         // digital: one adder-tree sum (the ADC time of a digital macro)
};

// Power states (cim/power.h): on (leakage_uw), idle (clock-gated: idle_leakage_uw), off (power-gated:
// no leakage, weights kept in the non-volatile array). Waking costs time and energy.
struct PowerParams {
  double idle_leakage_uw = 0;
  double wake_ns = 0, wake_pj = 0;            // off -> on
  double idle_wake_ns = 0, idle_wake_pj = 0;  // idle -> on
  double auto_idle_ns = 0, auto_off_ns = 0;   // automatic policy: after this long without a command (0: never)
  bool start_off = false;                     // state at reset: off (else on)
};

struct ProgramParams {
  double write_pj_per_bit = 0.2;   // STT switching energy per written bit
  double write_ns = 10;            // one write pulse
  uint32_t bits_per_write = 64;    // cells written in parallel by one pulse
  double endurance_writes = 1e12;  // writes per cell before wear-out (warning when exceeded)
};

struct NonIdealParams {
  uint64_t seed = 1;
  double sigma_r_p = 0, sigma_r_ap = 0;  // log-normal sigma of R_P / R_AP (device-to-device)
  double read_noise_sigma = 0;           // per conversion, in analog units (one on-cell = 1)
  double stuck_at_rate = 0;              // fraction of cells stuck (half at 0, half at 1)
  double adc_offset_lsb = 0;             // ADC offset in codes
  double adc_gain_error = 0;             // relative gain error (0.01 = +1%)
  double sigma_level = 0;                // programming error of a cell's conductance, in level spacings
                                         // (multi-level cells: write-verify residual + relaxation), per write
  bool any() const {
    return sigma_r_p > 0 || sigma_r_ap > 0 || read_noise_sigma > 0 || stuck_at_rate > 0 || adc_offset_lsb != 0 ||
           adc_gain_error != 0 || sigma_level > 0;
  }
};

struct MacroConfig {
  std::string name = "cim";
  ArrayParams array;
  DeviceParams device;
  EnergyParams energy;
  TimingParams timing;
  ProgramParams program;
  PowerParams power;
  NonIdealParams nonideal;
};

// Empty if valid, else a message naming the parameter (e.g. "array.cols: 500 is not a multiple of
// columns_per_adc 8").
std::string validate(const MacroConfig& c);

}  // namespace mcucim::cim

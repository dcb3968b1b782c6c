// CIM steps of mcucim-pack (cim/CIM.md "ADC windows", runtime/MODEL_FORMAT.md "CIM windows"):
//  - ADC window calibration: the image runs on the host (scalar kernels, exact) over calibration
//    text while a recording kernel keeps the INT8 input vectors of every CIM-flagged tensor; for each
//    target macro geometry and rows-per-pass value the column sums v of every executed step (pass x
//    row group; steps with all-zero inputs are left out: zero skipping) are computed with cim_ref.h
//    per tile, and each (tile, column group, pass) gets the window [Q(1-p), Q(p)] of its sums
//    (p: the chosen percentile); the windows are appended to the image as its CIM window section
//    (format version 2).
//  - Placement by sensitivity: each candidate matrix alone on the (ideal, host) CIM macros at the
//    target ADC, rows per pass and windows; the mean KL divergence of the logits from the all-digital
//    run on calibration text is its sensitivity; the least sensitive matrices go to CIM while they fit
//    a macro budget.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tllm_tools.h"

namespace tllm_tools {

// A target macro: "rows=256,cols=512,cell=1,dac=1,adc=6,wcols=64,rpp=64/256" (every key optional;
// defaults: configs/cim/deaville-jssc2025.yaml; rpp: one or more rows-per-pass values, default rows).
struct CimMacroSpec {
  uint32_t rows = 256, cols = 512, cell_bits = 1, dac_bits = 1, adc_bits = 6, win_cols = 64;
  std::vector<uint32_t> rpps;
  std::string text;
};
CimMacroSpec parse_cim_macro(const std::string &s);

struct CimPackOptions {
  std::vector<CimMacroSpec> macros;  // --cim-macro (repeatable)
  bool windows = false;              // --cim-windows: compute and store ADC windows
  double percentile = 100;           // --cim-percentile P: windows cover [Q(100-P), Q(P)] of the sums
  uint32_t calib_positions = 512;    // --cim-calib-positions: positions of calibration text for windows
  uint32_t budget_macros = 0;        // --cim-budget N: choose the CIM matrices by sensitivity (0: off)
  uint32_t sens_positions = 128;     // --cim-sens-positions: positions per sensitivity run
  uint32_t abits = 8;                // input width of the runtime's INT8 activations
};

// The image with a CIM window section for its CIM-flagged tensors (every analog target macro, every
// rows-per-pass value). Throws Error when nothing is flagged or a spec is invalid.
std::vector<uint8_t> add_cim_windows(const std::vector<uint8_t> &image, const std::vector<std::vector<int32_t>> &seqs,
                                     const CimPackOptions &o, std::FILE *log);

// Placement by sensitivity under o.budget_macros: the candidates are the tensors `pool` selects
// (mark_cim syntax); the chosen ones end up flagged for CIM with group = row length, the others keep
// their quantization. Returns the number chosen.
uint32_t place_cim_by_sensitivity(ModelSpec &spec, const std::string &pool, const std::vector<std::vector<int32_t>> &seqs,
                                  const CimPackOptions &o, std::FILE *log);

}  // namespace tllm_tools

// Loading CIM macro configurations (configs/cim/<preset>.yaml, top-level key `cim:`), with per-device
// overrides from the SoC config (soc.devices.<name>.<key> overrides the preset's cim.<key>).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cim/config.h"
#include "sim/config.h"

namespace mcucim::sim {

// The published figures of the macro a preset models (its `calibration:` section), for the
// calibration test and the documentation.
// One published operating point: a workload (weight/input widths, tile, data density) and the
// efficiency (and optionally the MVM latency) the paper reports for it.
struct CimCalPoint {
  std::string label;
  double tops_per_w_lo = 0, tops_per_w_hi = 0;
  uint32_t wbits = 1, abits = 1, rows = 0, outputs = 0;
  double input_density = 0.5, weight_density = 0.5;  // fraction of 1 bits in the workload's data
  double latency_ns_lo = 0, latency_ns_hi = 0;       // 0, 0: not published / not checked
};
struct CimCalibration {
  std::string paper, convention;        // convention: "1b" (1-bit-normalised ops) or "native"
  // The first point (calibration.tops_per_w, wbits, ...) or calibration.points[0].
  double tops_per_w_lo = 0, tops_per_w_hi = 0;
  uint32_t wbits = 1, abits = 1, rows = 0, outputs = 0;
  double input_density = 0.5, weight_density = 0.5;
  std::vector<CimCalPoint> points;      // every point (one for the single form)
};

// Read the macro parameters from `preset` (keys cim.*), each overridable by `over` at `prefix`.<key>
// when `over` is not null. Throws ConfigError naming the file:line and key.
cim::MacroConfig read_cim_config(const Config& preset, const Config* over, const std::string& prefix);
// A preset file alone (no overrides) and its calibration section (if present).
cim::MacroConfig load_cim_preset(const std::string& path, CimCalibration* cal = nullptr);

}  // namespace mcucim::sim

namespace mcucim::sim {
// A `kind: cim` device entry at `prefix` (soc.devices.<name>): its `preset` (a name in configs/cim/
// beside the config or in the source tree, or a path) with the entry's own keys as overrides.
cim::MacroConfig read_cim_device(const Config& cfg, const std::string& prefix);
}  // namespace mcucim::sim

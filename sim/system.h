// sim::System (issue 15): several MCUs (each a Soc from its own SoC config, with overrides) joined by
// links (UART, SPI, LoRa: models/link.h), in one SystemC simulation. Each MCU runs its own firmware on
// its own clock with its own quantum keeper; the run ends when the main MCU ends (`end: main`) or all
// have (`end: all`). `mcucim run -c system.yaml` runs one when the config's top level is `system:`.
// Config keys and report fields: docs/SYSTEM.md.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "models/link_model.h"
#include "sim/config.h"
#include "sim/run.h"
#include "sim/soc.h"

namespace mcucim::sim {

struct SystemMcuSpec {
  std::string name;       // node0, ...
  std::string config;     // SoC config file
  std::vector<std::string> sets;  // its overrides (dotted.key=value)
  std::string elf, args;  // firmware and its command line ({index} and {count} substituted)
  uint32_t index = 0, count = 1;  // place in its group (count: N)
  std::string origin;     // where it was declared
  SocSpec soc;
  nlohmann::json config_json;
};

struct SystemLinkSpec {
  std::string name;              // "node0.link0-node1.link1"
  std::string mcu[2], dev[2];    // the two endpoints
  size_t mcu_index[2] = {0, 0};
  models::LinkParams params;
  std::string model, model_file; // the link preset (configs/links/<model>.yaml) and its file
  std::string origin;
};

struct SystemSpec {
  std::string name;
  std::vector<SystemMcuSpec> mcus;
  std::vector<SystemLinkSpec> links;
  size_t main = 0;       // index of the main MCU
  bool end_all = true;   // end when all MCUs have ended (else when the main one has)
};

bool is_system_config(const Config& cfg);
// Validates everything (every error names file:line and key): MCU configs, link endpoints (existing
// MCU, a `link` device, at most one link per endpoint), link models and their ranges.
SystemSpec read_system_spec(const Config& cfg, const std::string& default_elf, const std::string& default_args);
// Read one link model (configs/links/*.yaml, `link:` map) with overrides; errors name file:line and key.
models::LinkParams read_link_params(const Config& link_cfg);

// Run a system (from run_program): returns the exit code (see docs/SYSTEM.md).
int run_system(const RunOptions& opt, const Config& cfg, std::ostream& out, std::ostream& err);

}  // namespace mcucim::sim

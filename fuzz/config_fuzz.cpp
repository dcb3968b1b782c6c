// Fuzz target: the config loader (sim/config.cpp: YAML, includes, --set) and what elaboration reads
// from it (sim::read_soc_spec: memories, devices, timing profiles, technology tables, CIM presets),
// then the unknown-key check. Lines "#--set path=value" in the input (YAML comments) become --set
// overrides. The working directory is the source tree, so `include: configs/mcu-base.yaml` and preset
// names resolve as in a checkout. Every input must end in a Config and a SocSpec or a ConfigError.
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/config.h"
#include "sim/limits.h"
#include "sim/soc.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (chdir(MCUCIM_SOURCE_DIR) != 0) return 0;
  // Smaller than the defaults so that one input stays quick; the same code paths.
  mcucim::sim::limits().config_bytes = 256 * 1024;
  mcucim::sim::limits().config_nodes = 2000;  // shipped files have at most 110 values
  mcucim::sim::limits().memory_bytes = 64ull << 20;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> sets;
  for (size_t at = 0; (at = text.find("#--set ", at)) != std::string::npos;) {
    at += 7;
    const size_t end = text.find('\n', at);
    sets.push_back(text.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (sets.size() == 8) break;
  }
  try {
    mcucim::sim::Config cfg = mcucim::sim::Config::parse(text, "fuzz.yaml", sets);
    (void)cfg.to_json();
    mcucim::sim::SocSpec spec = mcucim::sim::read_soc_spec(cfg);
    cfg.check_all_used();
  } catch (const mcucim::sim::ConfigError&) {
  }
  return 0;
}

// End-of-run reports: the terminal table, the JSON report (--report; fields in docs/REPORT.md,
// schema in docs/report.schema.json) and the Chrome/Perfetto trace-event timeline (--trace).
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/energy.h"
#include "sim/stats.h"

namespace mcucim::sim {

struct RunSummary {
  nlohmann::json config;  // the resolved config
  std::string soc_name, status;
  int exit_code = 0;
  uint64_t cycles = 0, instret = 0;
  double time_s = 0, host_s = 0, mips = 0;
  Counters counters;       // at the end of the run
  EnergyBreakdown energy;  // of the whole run
  nlohmann::json provenance;  // sim/provenance.h (null: left out)
};

// TOPS/W on `macs` MACs (2 operations each) for `energy_j`; 0 if either is 0.
double tops_per_w(uint64_t macs, double energy_j);

nlohmann::json report_json(const RunSummary& run, const Stats& stats);
// The readable table (energy by component, regions, tokens, efficiency), for stderr.
std::string report_table(const RunSummary& run, const Stats& stats);

// `v` in `unit` with an SI prefix (f .. none) and three decimals: si(3.2e-6, "J") == "3.200 uJ".
std::string si(double v, const char* unit);
// Chrome trace-event JSON: regions and tokens as complete ("X") events, per-component power as
// counter ("C") tracks; timestamps in microseconds of simulated time.
nlohmann::json trace_json(const RunSummary& run, const Stats& stats);

}  // namespace mcucim::sim

// Sweep results: DIR/results.csv and DIR/results.jsonl, one row per point of the spec, built from the
// point files DIR/points/<id>.json (and .out/.err/.rc). The columns: docs/SWEEPS.md.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/spec.h"

namespace mcucim::sweep {

struct Results {
  std::vector<std::string> columns;
  std::vector<nlohmann::json> rows;  // as written to results.jsonl
  size_t ok = 0, failed = 0, missing = 0;
  size_t infeasible = 0;  // ok points that fail a constraint of the spec
};

// (Re)build DIR/results.csv, DIR/results.jsonl (one row per point), DIR/results_long.csv (one row per
// point and energy component) and DIR/summary.json (the spec, the counts and DIR/sweep.json's run
// history, for index.html) from the point files of the spec's points.
Results collect_results(const Spec& s, const std::string& out_dir);

}  // namespace mcucim::sweep

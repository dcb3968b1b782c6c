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
};

// (Re)build DIR/results.csv and DIR/results.jsonl from the point files of the spec's points.
Results collect_results(const Spec& s, const std::string& out_dir);

}  // namespace mcucim::sweep

// Sweep specs: a YAML spec (base config, workload, axes, how to combine them, constraints) is parsed,
// validated and expanded into points; each point is one self-contained `mcucim run` command line whose
// result is a file, DIR/points/<id>.json. The format: docs/SWEEPS.md.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sweep/expr.h"
#include "sweep/select.h"
#include "sweep/util.h"

namespace mcucim::sweep {

// One axis: a dotted config path and the values it takes, as written (the text is what --set gets).
// A path may contain * and ? in its segments after the first (e.g. soc.devices.cim*.adc.bits): it
// then stands for every matching key of the base config, all set to the same value (`targets`).
struct Axis {
  std::string path;
  std::vector<std::string> values;
  Origin origin;  // spec file:line of the axis entry
  std::vector<std::string> targets;  // the config paths --set for this axis (the path itself unless a pattern)
  // `param: NAME` instead of `path:`: not a config key; each value replaces {NAME} in workload.args
  // and workload.loads (e.g. one model image per weight precision). `path` holds NAME.
  bool param = false;
};

struct Point {
  std::string id;                                            // stable hash of the overrides (16 hex)
  std::vector<std::pair<std::string, std::string>> values;  // axis path -> value, in axis order
};

// A `report:` metric of workload.metrics: a field of the point's JSON report (sweep/select.h), its
// column named by the selector text (e.g. regions[name=ffn].cycles).
struct ReportMetric {
  std::string column;
  Selector sel;
  Origin origin;
};

struct Spec {
  std::string file;                 // the spec file (or the name given to parse_spec)
  std::string name;                 // its stem: the default output folder sweeps/<name>
  std::string base_config;          // absolute path of the base config
  std::string firmware;             // absolute path of the ELF
  std::vector<std::string> sets;    // fixed overrides for every point ("path=value")
  std::vector<std::string> args;    // extra `mcucim run` arguments for every point
  double timeout_s = 0;             // per point, 0 = none
  std::vector<std::string> metrics; // declared METRIC names (workload.metrics entries without report:)
  std::vector<ReportMetric> report_metrics;  // workload.metrics entries report:<selector>
  std::string combine = "product";  // product | zip | random
  uint64_t random_count = 0, random_seed = 0;
  std::vector<Axis> axes;
  std::vector<Constraint> excludes;     // `exclude:` (over config values): points for which one is true are dropped
  // `constraints:` (over result columns, e.g. metric.agreement >= 0.95): every point runs, those that
  // fail one are marked feasible=false and left out of the Pareto front.
  std::vector<Constraint> constraints;
  std::vector<Point> points;        // after combining and excluding, in a deterministic order
  size_t excluded = 0;              // points dropped by exclude: (product and zip)
};

struct LoadOptions {
  // Where bare firmware names resolve ("selfcheck" -> <firmware_dir>/selfcheck.elf). Empty: the
  // directory `firmware` beside the running mcucim binary, or $MCUCIM_FIRMWARE_DIR when set.
  std::string firmware_dir;
  // Check every axis path (and the spec's fixed `set:` entries) against the base config by reading
  // it the way `mcucim run` does. Tests of pure combination logic may turn it off.
  bool validate_paths = true;
  // Run the spec's `prepare:` command (a shell command, once, before the workload is checked).
  bool run_prepare = true;
  // parse_spec only: the folder relative paths of the spec resolve against (default: the current one).
  std::string dir;
};

// Parse and validate a spec; every problem is a ConfigError naming the spec's file:line and the axis
// or key (unknown path, empty axis, a value the key's type cannot take, zip lengths, bad constraint).
Spec load_spec(const std::string& path, const LoadOptions& opt = {});
// The same from YAML text (e.g. for a fuzzer): `name` stands for the file in messages, relative
// paths resolve against opt.dir. Never throws anything but ConfigError (and std::bad_alloc).
Spec parse_spec(const std::string& yaml, const std::string& name, const LoadOptions& opt = {});

// The result columns every sweep has (docs/SWEEPS.md), besides axes, energy_j.<component>,
// metric.<name> and report columns.
const std::vector<std::string>& fixed_columns();

// The id of a point: FNV-1a 64 (then the MurmurHash3 fmix64 finalizer) over its sorted "path=value"
// overrides (axis values and the spec's fixed sets), as 16 hex digits. The same overrides give the
// same id whatever the axis order.
std::string point_id(std::vector<std::string> overrides);

// Evaluate an `exclude:` constraint for a point (true = exclude): names are the point's axis values,
// else the base config's values. Throws ConfigError for a missing name.
bool constraint_true(const Constraint& c, const Point& p, const Config& base);

// The point's `mcucim run` argument vector (argv[0] = binary) writing its report to `report_path`;
// with a `semihost_root`, the program's semihosting file calls are confined to that folder
// (--semihost-root; the sweep backends give each point its own DIR/points/<id>/).
std::vector<std::string> point_argv(const Spec& s, const Point& p, const std::string& binary,
                                    const std::string& report_path, const std::string& semihost_root = "");
// The point's self-contained shell command line (for --list): the argv above with the report at
// DIR/points/<id>.json, the semihosting folder DIR/points/<id>/ (created first), stdout/stderr to
// DIR/points/<id>.out/.err and the exit code to <id>.rc, under `timeout` when the spec has a timeout_s.
std::string point_shell(const Spec& s, const Point& p, const std::string& binary, const std::string& out_dir);

}  // namespace mcucim::sweep

// Design-space sweeps: a YAML spec (base config, workload, axes, how to combine them, constraints) is
// expanded into points; each point is one self-contained `mcucim run` command line whose result is a
// file, DIR/points/<id>.json. `mcucim sweep` runs the points as child processes N at a time, resumes
// by skipping points whose result file exists, and (re)builds DIR/results.csv and DIR/results.jsonl
// from the point files. The spec format, the result columns and the Slurm recipe: docs/SWEEPS.md.
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config.h"

namespace mcucim::sim {

// One axis: a dotted config path and the values it takes, as written (the text is what --set gets).
// A path may contain * and ? in its segments after the first (e.g. soc.devices.cim*.adc.bits): it
// then stands for every matching key of the base config, all set to the same value (`targets`).
struct SweepAxis {
  std::string path;
  std::vector<std::string> values;
  Origin origin;  // spec file:line of the axis entry
  std::vector<std::string> targets;  // the config paths --set for this axis (the path itself unless a pattern)
  // `param: NAME` instead of `path:`: not a config key; each value replaces {NAME} in workload.args
  // and workload.loads (e.g. one model image per weight precision). `path` holds NAME.
  bool param = false;
};

// One constraint of the spec's `exclude:` list: points for which `text` is true are dropped.
// Grammar (docs/SWEEPS.md): numbers (1e6, 0x10, 512KiB), 'strings', dotted config paths (an axis
// value of the point, else the base config's value), + - * / %, < <= > >= == !=, && || ! (and, or,
// not), parentheses.
struct SweepConstraint {
  std::string text;
  Origin origin;
  struct Expr;
  std::shared_ptr<const Expr> expr;
};

struct SweepPoint {
  std::string id;                                            // stable hash of the overrides (16 hex)
  std::vector<std::pair<std::string, std::string>> values;  // axis path -> value, in axis order
};

struct SweepSpec {
  std::string file;                 // the spec file
  std::string base_config;          // absolute path of the base config
  std::string firmware;             // absolute path of the ELF
  std::vector<std::string> sets;    // fixed overrides for every point ("path=value")
  std::vector<std::string> args;    // extra `mcucim run` arguments for every point
  double timeout_s = 0;             // per point, 0 = none
  std::vector<std::string> metrics; // declared metrics: "name" (a METRIC line) or "report:dotted.path"
  std::string combine = "product";  // product | zip | random
  uint64_t random_count = 0, random_seed = 0;
  std::vector<SweepAxis> axes;
  std::vector<SweepConstraint> constraints;
  std::vector<SweepPoint> points;   // after combining and excluding, in a deterministic order
};

struct SweepLoadOptions {
  // Where bare firmware names resolve ("selfcheck" -> <firmware_dir>/selfcheck.elf). Empty: the
  // directory `firmware` beside the running mcucim binary, or $MCUCIM_FIRMWARE_DIR when set.
  std::string firmware_dir;
  // Check every axis path (and the spec's fixed `set:` entries) against the base config by reading
  // it the way `mcucim run` does. Tests of pure combination logic may turn it off.
  bool validate_paths = true;
  // Run the spec's `prepare:` command (a shell command, once, before the workload is checked).
  bool run_prepare = true;
};

// Parse and validate a spec; every problem is a ConfigError naming the spec's file:line and the axis
// or key (unknown path, empty axis, a value the key's type cannot take, zip lengths, bad constraint).
SweepSpec load_sweep_spec(const std::string& path, const SweepLoadOptions& opt = {});

// The id of a point: FNV-1a 64 (then the MurmurHash3 fmix64 finalizer) over its sorted "path=value" overrides (axis values and the spec's fixed
// sets), as 16 hex digits. The same overrides give the same id whatever the axis order.
std::string sweep_point_id(std::vector<std::string> overrides);

// Evaluate a constraint for a point (true = exclude). Throws ConfigError for a missing name.
bool sweep_constraint_true(const SweepConstraint& c, const SweepPoint& p, const Config& base);

// The point's `mcucim run` argument vector (argv[0] = binary) writing its report to `report_path`.
std::vector<std::string> sweep_point_argv(const SweepSpec& s, const SweepPoint& p, const std::string& binary,
                                          const std::string& report_path);
// The point's self-contained shell command line (for --list / Slurm): the argv above with the report
// at DIR/points/<id>.json, stdout/stderr to DIR/points/<id>.out/.err and the exit code to <id>.rc.
std::string sweep_point_shell(const SweepSpec& s, const SweepPoint& p, const std::string& binary,
                              const std::string& out_dir);

struct SweepRunOptions {
  std::string out_dir;
  unsigned jobs = 0;          // 0: number of cores
  std::string binary;         // mcucim to run (the CLI passes /proc/self/exe)
  bool progress = true;       // progress bar on a terminal (stderr)
  bool retry_failed = false;  // also re-run points whose recorded status is not "ok"
};

// Run the points not yet done, then write the results. Returns 0 when all points are ok, 1 when some
// failed, 130 when interrupted (SIGINT/SIGTERM: running points are stopped and not recorded).
int run_sweep(const SweepSpec& s, const SweepRunOptions& opt, std::ostream& err);

// (Re)build DIR/results.csv and DIR/results.jsonl from the point files of the spec's points.
// Returns the rows (as written to results.jsonl) and counts.
struct SweepResults {
  std::vector<std::string> columns;
  std::vector<nlohmann::json> rows;
  size_t ok = 0, failed = 0, missing = 0;
};
SweepResults collect_sweep_results(const SweepSpec& s, const std::string& out_dir);

// The CLI: `mcucim sweep SPEC [-j N] [--out DIR] [--list] [--collect] [--retry-failed]` and
// `mcucim plot DIR`. argv[0] is the subcommand name. Return the process exit code.
int cmd_sweep(int argc, char** argv);
int cmd_plot(int argc, char** argv);

}  // namespace mcucim::sim

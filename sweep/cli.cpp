// `mcucim sweep`: options, then the spec, then a backend (local, --list, --collect).
#include "sweep/cli.h"

#include <filesystem>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "sweep/results.h"
#include "sweep/runner.h"
#include "sweep/spec.h"

namespace mcucim::sweep {

namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------------------
// The CLI.
namespace {
const char* kSweepUsage =
    "usage: mcucim sweep SPEC [-j N] [--out DIR] [--list] [--collect] [--retry-failed] [--no-progress]\n"
    "  Run every point of a sweep spec (docs/SWEEPS.md) as an independent `mcucim run`, N at a time\n"
    "  (default: the number of cores); points whose DIR/points/<id>.json exists are skipped (resume).\n"
    "  -j N            parallel simulations\n"
    "  --out DIR       output directory (default: sweeps/<spec name>)\n"
    "  --list          print one self-contained shell command line per point (for Slurm job arrays)\n"
    "  --collect       only (re)build DIR/results.csv and results.jsonl from the point files\n"
    "  --retry-failed  also re-run points recorded as failed\n"
    "  --no-progress   no progress bar\n"
    "exit: 0 all points ok, 1 some failed or not run, 2 bad spec or usage, 130 interrupted\n";
}

int cmd_sweep(int argc, char** argv) {
  std::string spec_path, out;
  unsigned jobs = 0;
  bool list = false, collect = false, retry = false, progress = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto need = [&](const std::string& name) -> std::string {
      if (i + 1 >= argc) throw ConfigError("mcucim sweep: " + name + " needs a value\n" + kSweepUsage);
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kSweepUsage;
      return 0;
    } else if (a == "-j" || a == "--jobs" || (a.size() > 2 && a.compare(0, 2, "-j") == 0)) {
      const std::string v = a.size() > 2 && a[1] == 'j' ? a.substr(2) : need(a);
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (!end || *end || n < 1 || n > 1024)
        throw ConfigError("mcucim sweep: -j expects a number of parallel simulations 1..1024, found '" + v + "'");
      jobs = static_cast<unsigned>(n);
    } else if (a == "--out" || a == "-o") {
      out = need(a);
    } else if (a == "--list") {
      list = true;
    } else if (a == "--collect") {
      collect = true;
    } else if (a == "--retry-failed") {
      retry = true;
    } else if (a == "--no-progress") {
      progress = false;
    } else if (!a.empty() && a[0] == '-') {
      throw ConfigError("mcucim sweep: unknown option '" + a + "'\n" + kSweepUsage);
    } else if (spec_path.empty()) {
      spec_path = a;
    } else {
      throw ConfigError("mcucim sweep: more than one spec ('" + spec_path + "', '" + a + "')\n" + kSweepUsage);
    }
  }
  if (spec_path.empty()) throw ConfigError(std::string("mcucim sweep: no spec file given\n") + kSweepUsage);
  Spec s = load_spec(spec_path);
  if (out.empty()) out = (fs::path("sweeps") / fs::path(spec_path).stem()).string();
  if (s.points.empty()) std::cerr << "mcucim sweep: " << spec_path << ": every point is excluded; nothing to run\n";
  if (list) {
    fs::create_directories(fs::path(out) / "points");
    for (const auto& p : s.points) std::cout << point_shell(s, p, self_exe(), out) << "\n";
    return 0;
  }
  if (collect) {
    Results r = collect_results(s, out);
    std::cerr << fmt::format("mcucim sweep: {} points: {} ok, {} failed, {} not run; results: {}\n", s.points.size(),
                             r.ok, r.failed, r.missing, (fs::path(out) / "results.csv").string());
    return r.failed || r.missing ? 1 : 0;
  }
  RunOptions ro;
  ro.out_dir = out;
  ro.jobs = jobs;
  ro.binary = self_exe();
  ro.progress = progress;
  ro.retry_failed = retry;
  return run_local(s, ro, std::cerr);
}

}  // namespace mcucim::sweep

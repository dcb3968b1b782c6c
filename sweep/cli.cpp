// `mcucim sweep`: options, then the spec, then a backend (local, slurm, --list, --collect), or one
// array task of a Slurm submission (--task).
#include "sweep/cli.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "sweep/results.h"
#include "sweep/runner.h"
#include "sweep/slurm.h"
#include "sweep/spec.h"

namespace mcucim::sweep {

namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------------------
// The CLI.
namespace {
const char* kSweepUsage =
    "usage: mcucim sweep SPEC [--out DIR] [-j N] [--backend local|slurm] [--partition P] [--chunk K]\n"
    "                    [--list] [--collect] [--retry-failed] [--no-progress]\n"
    "  Run every point of a sweep spec (docs/SWEEPS.md) as an independent `mcucim run`; points whose\n"
    "  DIR/points/<id>.json exists are skipped (resume), then DIR/results.csv etc. are (re)built.\n"
    "  --out DIR       output directory (default: sweeps/<spec name>)\n"
    "  -j N            local backend: parallel simulations (default: the number of cores)\n"
    "  --backend B     local (default): child processes on this machine; slurm: one job array of the\n"
    "                  pending points (sbatch), waited for with progress\n"
    "  --partition P   slurm: the partition to submit to (default: the cluster's default)\n"
    "  --chunk K       slurm: points per array task (default 1; more for short points)\n"
    "  --sbatch-arg A  slurm: an extra sbatch option, e.g. --sbatch-arg=--account=proj (repeatable)\n"
    "  --list          print one self-contained shell command line per pending point (creates DIR)\n"
    "  --collect       only (re)build the results from the point files\n"
    "  --retry-failed  also re-run points recorded as failed\n"
    "  --no-progress   no progress line\n"
    "  --task FILE I   (used by scripts/sweep.sbatch) run array task I of a Slurm submission file\n"
    "exit: 0 all points ok, 1 some failed or not run, 2 bad spec or usage, 130 interrupted\n";
}

int cmd_sweep(int argc, char** argv) {
  std::string spec_path, out, backend = "local", partition, task_file;
  long task_index = -1;
  unsigned jobs = 0, chunk = 1;
  bool list = false, collect = false, retry = false, progress = true, chunk_given = false, partition_given = false;
  std::vector<std::string> sbatch_args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string inline_value;
    bool has_inline = false;
    if (a.compare(0, 2, "--") == 0 && a.find('=') != std::string::npos) {  // --opt=value
      inline_value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      has_inline = true;
    }
    auto need = [&](const std::string& name) -> std::string {
      if (has_inline) return inline_value;
      if (i + 1 >= argc) throw ConfigError("mcucim sweep: " + name + " needs a value\n" + kSweepUsage);
      return argv[++i];
    };
    auto number = [&](const std::string& name, long lo, long hi, const std::string& what) {
      const std::string v = need(name);
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || !end || *end || n < lo || n > hi)
        throw ConfigError(fmt::format("mcucim sweep: {} expects {} {}..{}, found '{}'", name, what, lo, hi, v));
      return n;
    };
    if (a == "-h" || a == "--help") {
      std::cout << kSweepUsage;
      return 0;
    } else if (a == "-j" || a == "--jobs" || (a.size() > 2 && a.compare(0, 2, "-j") == 0 && a[1] == 'j')) {
      if (a.size() > 2 && a[1] == 'j') {
        inline_value = a.substr(2);
        has_inline = true;
      }
      jobs = static_cast<unsigned>(number("-j", 1, 1024, "a number of parallel simulations"));
    } else if (a == "--out" || a == "-o") {
      out = need(a);
    } else if (a == "--backend") {
      backend = need(a);
      if (backend != "local" && backend != "slurm")
        throw ConfigError("mcucim sweep: --backend expects local or slurm, found '" + backend + "'");
    } else if (a == "--partition") {
      partition = need(a);
      partition_given = true;
    } else if (a == "--chunk") {
      chunk = static_cast<unsigned>(number("--chunk", 1, 100000, "a number of points per array task"));
      chunk_given = true;
    } else if (a == "--sbatch-arg") {
      sbatch_args.push_back(need(a));
    } else if (a == "--task") {
      task_file = need(a);
      std::string idx;
      if (i + 1 < argc && argv[i + 1][0] != '-') idx = argv[++i];
      else if (const char* e = std::getenv("SLURM_ARRAY_TASK_ID")) idx = e;
      char* end = nullptr;
      task_index = std::strtol(idx.c_str(), &end, 10);
      if (idx.empty() || !end || *end || task_index < 0)
        throw ConfigError("mcucim sweep: --task FILE INDEX expects an array index >= 0 (or $SLURM_ARRAY_TASK_ID), found '" +
                          idx + "'");
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
  if (!task_file.empty()) {
    if (!spec_path.empty()) throw ConfigError("mcucim sweep: --task runs a submission file, not a spec");
    return run_task(task_file, task_index, std::cerr);
  }
  if (spec_path.empty()) throw ConfigError(std::string("mcucim sweep: no spec file given\n") + kSweepUsage);
  if (backend != "slurm" && (chunk_given || partition_given || !sbatch_args.empty()))
    throw ConfigError("mcucim sweep: --chunk, --partition and --sbatch-arg apply to --backend slurm");
  if (list + collect > 1) throw ConfigError("mcucim sweep: give either --list or --collect");
  Spec s = load_spec(spec_path);
  if (out.empty()) out = (fs::path("sweeps") / s.name).string();
  if (s.points.empty()) std::cerr << "mcucim sweep: " << spec_path << ": every point is excluded; nothing to run\n";
  if (list) {
    // Only the points without a result (a rerun after a partial run lists just those).
    fs::create_directories(fs::path(out) / "points");
    size_t already = 0;
    const auto todo = pending_points(s, out, retry, already);
    for (size_t i : todo) std::cout << point_shell(s, s.points[i], self_exe(), out) << "\n";
    std::cerr << fmt::format("mcucim sweep: {} of {} points pending ({} already done)\n", todo.size(), s.points.size(),
                             already);
    return 0;
  }
  if (collect) {
    Results r = collect_results(s, out);
    std::cerr << fmt::format("mcucim sweep: {} points: {} ok, {} failed, {} not run; results: {}\n", s.points.size(),
                             r.ok, r.failed, r.missing, (fs::path(out) / "results.csv").string());
    return r.failed || r.missing ? 1 : 0;
  }
  if (backend == "slurm") {
    SlurmOptions so;
    so.out_dir = out;
    so.binary = self_exe();
    so.partition = partition;
    so.chunk = chunk;
    so.progress = progress;
    so.retry_failed = retry;
    so.sbatch_args = sbatch_args;
    return run_slurm(s, so, std::cerr);
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

// Running points: the pool of child processes shared by the backends (local: all pending points,
// N at a time; a Slurm array task: its chunk of the submission), the output directory's bookkeeping
// (lock, manifest, run history), and the local backend itself.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/spec.h"

namespace mcucim::sweep {

// One point to run: its id and its `mcucim run` argv, which writes the report to
// DIR/points/<id>.json (the pool points it at a temporary name and renames it when the run ends).
struct Job {
  std::string id;
  std::vector<std::string> argv;
};
std::vector<Job> jobs_for(const Spec& s, const std::vector<size_t>& points, const std::string& out_dir,
                          const std::string& binary);

struct PoolOptions {
  unsigned jobs = 1;       // parallel simulations
  double timeout_s = 0;    // per point (0: none); a point over it is killed and recorded as timeout
  bool progress = false;   // progress bar on a terminal (stderr)
  size_t total = 0, already = 0;  // for the progress bar: points of the sweep, and those done before
};
struct PoolResult {
  size_t ran = 0, failed = 0;
  bool interrupted = false;            // SIGINT/SIGTERM: the running points were stopped, not recorded
  std::vector<std::string> failures;   // "id (status): first line of stderr"
};
// Run `jobs`, N at a time, each writing DIR/points/<id>.{json,out,err}. A point's file is written
// atomically (its report, or a failure record {status, exit_code, error, wall_s}). A point whose
// process is stopped from outside (SIGTERM/SIGINT, e.g. scancel) is not recorded: it runs next time.
// `log_fd` >= 0 receives "start <id>" / "done <id> <status> <seconds>" lines.
PoolResult run_jobs(const std::vector<Job>& jobs, const std::string& out_dir, const PoolOptions& opt, int log_fd,
                    std::ostream& err);

// The points whose file DIR/points/<id>.json is not a complete record (and, with retry_failed, those
// whose status is not ok), in spec order; `already` = the others.
std::vector<size_t> pending_points(const Spec& s, const std::string& out_dir, bool retry_failed, size_t& already);

// The output directory of a sweep, held for the time of one `mcucim sweep` command: creates
// DIR/points, takes DIR/.lock (one sweep per directory at a time), refuses a DIR holding results of
// a different base config, firmware or arguments (DIR/sweep.json), and appends to DIR/sweep.log.
class OutDir {
 public:
  OutDir(const Spec& s, const std::string& dir);
  ~OutDir();
  OutDir(const OutDir&) = delete;
  OutDir& operator=(const OutDir&) = delete;
  void log(const std::string& line) const;
  // Append one run to the history in DIR/sweep.json (backend, points run, wall time, ...): the
  // summary of index.html reads it.
  void record_run(const nlohmann::json& run) const;
  int log_fd() const { return log_fd_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int lock_fd_ = -1, log_fd_ = -1;
};

struct RunOptions {
  std::string out_dir;
  unsigned jobs = 0;          // 0: number of cores
  std::string binary;         // mcucim to run (the CLI passes /proc/self/exe)
  bool progress = true;       // progress bar on a terminal (stderr)
  bool retry_failed = false;  // also re-run points whose recorded status is not "ok"
};

// The local backend: run the points not yet done, then write the results. Returns 0 when all points
// are ok, 1 when some failed, 130 when interrupted (SIGINT/SIGTERM: running points are stopped and
// not recorded).
int run_local(const Spec& s, const RunOptions& opt, std::ostream& err);

// One task of a Slurm job array (`mcucim sweep --task FILE INDEX`, run by scripts/sweep.sbatch):
// the points [INDEX x chunk, (INDEX+1) x chunk) of the submission file FILE (written by the Slurm
// backend: {"out_dir", "timeout_s", "chunk", "points": [{"id", "argv"}]}), one at a time. Returns 0
// when every point of the chunk was run (whatever its status), 130 when stopped (e.g. scancel).
int run_task(const std::string& task_file, long index, std::ostream& err);

}  // namespace mcucim::sweep

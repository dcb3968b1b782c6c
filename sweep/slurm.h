// The Slurm backend: `mcucim sweep SPEC --out DIR --backend slurm [--partition P] [--chunk K]`
// submits the pending points as one job array (K points per array task, run by
// scripts/sweep.sbatch as `mcucim sweep --task`), waits for it with progress, and collects the results
// as the local backend does. A rerun submits only the points that are still missing (or failed, with
// --retry-failed); a rerun while the previous array is still queued or running waits for it instead.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "sweep/spec.h"

namespace mcucim::sweep {

struct SlurmOptions {
  std::string out_dir;
  std::string binary;          // mcucim, as the compute nodes see it (the CLI passes /proc/self/exe)
  std::string partition;       // sbatch --partition (empty: the cluster's default)
  unsigned chunk = 1;          // points per array task
  bool progress = true;        // progress line on a terminal; a line per change otherwise
  bool retry_failed = false;   // also resubmit points whose recorded status is not ok
  double poll_s = 2;           // how often squeue is asked ($MCUCIM_SLURM_POLL_S overrides)
  std::string sbatch_script;   // default: scripts/sweep.sbatch of the source tree ($MCUCIM_SBATCH_SCRIPT)
  std::vector<std::string> sbatch_args;  // extra sbatch options (--sbatch-arg, repeatable)
};

// Returns 0 when all points are ok, 1 when some failed or are missing (e.g. a cancelled task), 130
// when interrupted while waiting (the job keeps running; the same command waits for it again).
int run_slurm(const Spec& s, const SlurmOptions& opt, std::ostream& err);

}  // namespace mcucim::sweep

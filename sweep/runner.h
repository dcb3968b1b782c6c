// The local backend: runs a sweep's points as child processes (`mcucim run`), N at a time, resumable.
#pragma once
#include <ostream>
#include <string>

#include "sweep/spec.h"

namespace mcucim::sweep {

struct RunOptions {
  std::string out_dir;
  unsigned jobs = 0;          // 0: number of cores
  std::string binary;         // mcucim to run (the CLI passes /proc/self/exe)
  bool progress = true;       // progress bar on a terminal (stderr)
  bool retry_failed = false;  // also re-run points whose recorded status is not "ok"
};

// Run the points not yet done, then write the results. Returns 0 when all points are ok, 1 when some
// failed, 130 when interrupted (SIGINT/SIGTERM: running points are stopped and not recorded).
int run_local(const Spec& s, const RunOptions& opt, std::ostream& err);

}  // namespace mcucim::sweep

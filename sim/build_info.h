// The identity of this build of mcucim: version (CMake project version), git commit and whether the
// tree had uncommitted changes to tracked files when it was built. Generated at every build by
// sim/build_info.cmake; "unknown" outside a git checkout (see there).
#pragma once
#include <string>

namespace mcucim::sim {

struct BuildInfo {
  const char* version;  // e.g. "0.1"
  const char* commit;   // 40 hex digits, or "unknown"
  const char* dirty;    // "true", "false" or "unknown"
};
const BuildInfo& build_info();

// "mcucim 0.1 (commit 0123abc..., clean|dirty|dirty flag unknown)" for --version.
std::string version_line();

}  // namespace mcucim::sim

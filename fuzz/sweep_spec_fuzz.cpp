// Fuzz target: the sweep spec parser (sweep/spec.cpp): axes, ranges, combine (product, zip, random),
// exclude expressions, fixed sets, the base config. Relative paths resolve as for a spec in
// configs/sweeps/ (base: ../mcu-base.yaml); bare firmware names find empty files in a scratch folder
// (hello, selfcheck, bench_int, tinyllm, ...). `prepare:` is never run
// (LoadOptions::run_prepare = false). Every input must end in a Spec or a ConfigError.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "sim/limits.h"
#include "sweep/spec.h"

namespace {
std::string g_dir;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (chdir(MCUCIM_SOURCE_DIR) != 0) return 0;
  char tmpl[] = "/tmp/mcucim-fuzz-sweep-XXXXXX";
  if (!mkdtemp(tmpl)) return 0;
  g_dir = tmpl;
  for (const char* fw : {"hello", "selfcheck", "bench_int", "tinyllm", "bench_matvec", "bench_cim"})
    std::ofstream(g_dir + "/" + fw + ".elf") << "";
  mcucim::sim::limits().config_bytes = 256 * 1024;
  mcucim::sim::limits().config_nodes = 2000;  // shipped files have at most 110 values
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_dir.empty()) return 0;
  mcucim::sweep::LoadOptions opt;
  opt.firmware_dir = g_dir;
  opt.dir = std::string(MCUCIM_SOURCE_DIR) + "/configs/sweeps";
  opt.run_prepare = false;
  try {
    const std::string text(reinterpret_cast<const char*>(data), size);
    mcucim::sweep::Spec s = mcucim::sweep::parse_spec(text, "fuzz-spec.yaml", opt);
    size_t n = 0;
    for (const auto& p : s.points) {
      n += mcucim::sweep::point_argv(s, p, "mcucim", "r.json").size();
      if (n > 100000) break;
    }
  } catch (const mcucim::sim::ConfigError&) {
  }
  return 0;
}

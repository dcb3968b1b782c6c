// Flat profile of a run: cycles and instructions per function of the program (ELF symbol table),
// sorted by cycles, like gprof's flat profile. Needs soc.core.profile (CpuConfig::profile), which makes
// the ISS attribute each instruction's cycles (stalls and wait states included) to its address.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "isa/cpu.h"
#include "sim/elf.h"

namespace mcucim::sim {

struct ProfileEntry {
  std::string function;  // "?" for code outside any function symbol
  uint32_t addr = 0;
  uint64_t cycles = 0;
  uint64_t instructions = 0;
  double energy_j = 0;  // from the estimator, if any
};

// Energy of `count` executions of instructions of class `c` that took `cycles` cycles in total.
using EnergyEstimator = std::function<double(isa::TClass c, uint64_t count, uint64_t cycles)>;

// Per-function totals, sorted by cycles (descending). The cpu must have run with profiling on.
std::vector<ProfileEntry> flat_profile(isa::Cpu& cpu, const ElfImage& elf, const EnergyEstimator& energy = {});
// The table as text; `top` rows at most (0: all).
std::string format_profile(const std::vector<ProfileEntry>& p, uint64_t total_cycles, size_t top = 25);

}  // namespace mcucim::sim

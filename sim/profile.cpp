#include "sim/profile.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace mcucim::sim {

std::vector<ProfileEntry> flat_profile(isa::Cpu& cpu, const ElfImage& elf, const EnergyEstimator& energy) {
  std::map<std::string, ProfileEntry> by_fn;
  for (size_t i = 0; i < cpu.region_count(); ++i) {
    isa::MemRegion& r = cpu.region(i);
    for (size_t slot = 0; slot < r.prof_count.size(); ++slot) {
      const uint64_t n = r.prof_count[slot];
      if (!n) continue;
      const uint32_t pc = r.base + static_cast<uint32_t>(slot * 2);
      const ElfSymbol* f = elf.function_at(pc);
      const std::string name = f ? f->name : "?";
      ProfileEntry& e = by_fn[name];
      e.function = name;
      e.addr = f ? f->addr : 0;
      e.cycles += r.prof_cycles[slot];
      e.instructions += n;
      if (energy) {
        const isa::TClass c = slot < r.decoded_slots && r.decoded[slot].op != isa::Op::UNDECODED
                                  ? r.decoded[slot].tclass
                                  : cpu.decode_at(pc).tclass;
        e.energy_j += energy(c, n, r.prof_cycles[slot]);
      }
    }
  }
  std::vector<ProfileEntry> out;
  for (auto& [name, e] : by_fn) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const ProfileEntry& a, const ProfileEntry& b) {
    return a.cycles != b.cycles ? a.cycles > b.cycles : a.function < b.function;
  });
  return out;
}

std::string format_profile(const std::vector<ProfileEntry>& p, uint64_t total_cycles, size_t top) {
  bool with_energy = false;
  for (const auto& e : p) with_energy |= e.energy_j > 0;
  std::string s = "\nFlat profile (cycles attributed to the instruction that spent them):\n";
  s += fmt::format("  {:>7} {:>7} {:>14} {:>13} {:>6}{} function\n", "%cycles", "cum%", "cycles", "instructions",
                   "CPI", with_energy ? fmt::format(" {:>12}", "energy uJ") : "");
  double cum = 0;
  size_t rows = 0;
  for (const auto& e : p) {
    if (top && rows++ >= top) break;
    const double pct = total_cycles ? 100.0 * e.cycles / total_cycles : 0;
    cum += pct;
    s += fmt::format("  {:7.2f} {:7.2f} {:>14} {:>13} {:6.2f}{} {}\n", pct, cum, e.cycles, e.instructions,
                     e.instructions ? double(e.cycles) / e.instructions : 0.0,
                     with_energy ? fmt::format(" {:12.3f}", e.energy_j * 1e6) : "", e.function);
  }
  if (top && p.size() > top) s += fmt::format("  ... {} more functions\n", p.size() - top);
  return s;
}

}  // namespace mcucim::sim

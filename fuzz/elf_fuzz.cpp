// Fuzz target: the ELF loader (sim/elf.cpp) on arbitrary bytes. Every input must end in an ElfImage
// or an ElfError; the lookups the trap report and profile use must work on whatever it accepted.
#include <cstdint>
#include <vector>

#include "sim/elf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    mcucim::sim::ElfImage img = mcucim::sim::parse_elf("fuzz.elf", bytes);
    uint64_t sum = 0;
    for (const auto& s : img.segments) sum += s.data.size();
    for (const auto& s : img.symbols) {
      if (const auto* f = img.function_at(s.addr)) sum += f->addr;
      if (img.symbol(s.name)) sum++;
    }
    if (const auto* f = img.function_at(img.entry)) sum += f->size;
    volatile uint64_t sink = sum;
    (void)sink;
  } catch (const mcucim::sim::ElfError&) {
  }
  return 0;
}

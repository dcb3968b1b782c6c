// ELF loader for firmware images: RV32 little-endian static executables (ET_EXEC, EM_RISCV).
// Plain C++ (no SystemC): reads the whole file, validates it, and returns the loadable segments
// and the symbol table. Placing the bytes into simulated memories is the caller's job.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcucim::sim {

// One PT_LOAD program header with memsz > 0. Load it at `paddr` (the load address, LMA), not
// `vaddr`: picolibc's .data runs at an SRAM vaddr but is stored at a flash paddr and copied by
// the start-up code. Bytes [filesz, memsz) are zero.
struct ElfSegment {
  uint32_t paddr = 0, vaddr = 0, filesz = 0, memsz = 0;
  uint32_t flags = 0;         // p_flags: PF_X = 1, PF_W = 2, PF_R = 4
  std::vector<uint8_t> data;  // filesz bytes from the file
};

struct ElfSymbol {
  std::string name;
  uint32_t addr = 0, size = 0;
  // STT_FUNC, or an STT_NOTYPE label in an executable section (assembly entry points such as
  // picolibc's _start and _trap).
  bool is_func = false;
  bool is_global = false;  // STB_GLOBAL or STB_WEAK (symbol() prefers these over locals)
};

struct ElfImage {
  std::string path;
  uint32_t entry = 0;
  uint32_t e_flags = 0;  // EF_RISCV_RVC = 0x1; float ABI in bits 1-2 (0 soft, 1 single, 2 double)
  std::vector<ElfSegment> segments;  // PT_LOAD with memsz > 0, in program-header order
  // STT_FUNC, STT_OBJECT and named STT_NOTYPE symbols that are defined (not SHN_UNDEF); local
  // assembler labels (".L...") and mapping symbols ("$x", "$d") are left out. Sorted by addr,
  // then name. Empty for a stripped file.
  std::vector<ElfSymbol> symbols;

  // Address of the symbol called `name` (a global one if there are several), e.g. "tohost".
  std::optional<uint32_t> symbol(const std::string& name) const;
  // The function containing `addr`: among function symbols with the largest start address
  // <= addr, one whose [addr, addr+size) contains it, else one with size 0 (nearest preceding
  // label); nullptr if there is none or `addr` lies past the end of a sized function.
  const ElfSymbol* function_at(uint32_t addr) const;
};

// Every problem with the file; what() names the file, what was found and what was expected.
class ElfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

ElfImage load_elf(const std::string& path);
// The same from the file's bytes (`path` names it in messages; fuzz/elf_fuzz.cpp).
ElfImage parse_elf(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace mcucim::sim

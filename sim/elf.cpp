// ELF32 little-endian RISC-V loader. Field offsets are those of the System V gABI (Elf32_Ehdr,
// Elf32_Phdr, Elf32_Shdr, Elf32_Sym); values are read byte by byte, so the host's endianness and
// alignment do not matter.
#include "sim/elf.h"
#include "sim/limits.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mcucim::sim {
namespace {

constexpr size_t kEhdrSize = 52, kPhdrSize = 32, kShdrSize = 40, kSymSize = 16;
constexpr uint16_t kEtExec = 2, kEtDyn = 3, kEmRiscv = 243;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kShtSymtab = 2, kShtNobits = 8;
constexpr uint32_t kShfExecinstr = 0x4;
constexpr uint16_t kShnUndef = 0, kShnLoReserve = 0xff00, kShnAbs = 0xfff1;
constexpr uint8_t kSttNotype = 0, kSttObject = 1, kSttFunc = 2;
constexpr uint8_t kStbGlobal = 1, kStbWeak = 2;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* machine_name(uint16_t m) {
  switch (m) {
    case 0: return "none";
    case 3: return "x86 (EM_386)";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 40: return "ARM (32-bit)";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    case 258: return "LoongArch";
    default: return "unknown";
  }
}

const char* type_name(uint16_t t) {
  switch (t) {
    case 0: return "ET_NONE";
    case 1: return "ET_REL: a relocatable object file, not linked";
    case 2: return "ET_EXEC";
    case 3: return "ET_DYN: a shared object or position-independent executable";
    case 4: return "ET_CORE: a core dump";
    default: return "unknown";
  }
}

// Bounds-checked little-endian reader over the whole file.
class Reader {
 public:
  Reader(const std::string& path, const std::vector<uint8_t>& bytes) : path_(path), b_(bytes) {}

  // Throws unless [off, off+len) lies inside the file; `what` names the structure for the message.
  void need(uint64_t off, uint64_t len, const std::string& what) const {
    if (off > b_.size() || len > b_.size() - off)
      throw ElfError(path_ + ": truncated or corrupt ELF: " + what + " at file offset " + hex(off) +
                     " (" + std::to_string(len) + " bytes) extends beyond the end of the file (" +
                     std::to_string(b_.size()) + " bytes)");
  }
  uint8_t u8(uint64_t off) const { return b_[off]; }
  uint16_t u16(uint64_t off) const { return static_cast<uint16_t>(b_[off] | (b_[off + 1] << 8)); }
  uint32_t u32(uint64_t off) const {
    return static_cast<uint32_t>(b_[off]) | (static_cast<uint32_t>(b_[off + 1]) << 8) |
           (static_cast<uint32_t>(b_[off + 2]) << 16) | (static_cast<uint32_t>(b_[off + 3]) << 24);
  }
  const uint8_t* ptr(uint64_t off) const { return b_.data() + off; }
  size_t size() const { return b_.size(); }

 private:
  const std::string& path_;
  const std::vector<uint8_t>& b_;
};

std::vector<uint8_t> read_file(const std::string& path) {
  // A regular file of bounded size: /dev/zero, a FIFO or a directory would be read without end (or fail
  // obscurely).
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    throw ElfError("ELF file '" + path + "' is not a regular file (" +
                   (std::filesystem::is_directory(st) ? "a directory" : "a device, FIFO or socket") + ")");
  if (!ec && std::filesystem::exists(st)) {
    const uint64_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > limits().elf_bytes)
      throw ElfError("ELF file '" + path + "' is " + std::to_string(size) + " bytes, larger than the limit of " +
                     limit_value_str("elf_bytes", limits().elf_bytes) + " " + limit_hint("elf_bytes"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw ElfError("cannot open ELF file '" + path + "': " +
                   (err ? std::strerror(err) : "unknown error"));
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ElfError("cannot read ELF file '" + path + "'");
  return bytes;
}

void check_header(const std::string& path, const Reader& r) {
  if (r.size() == 0) throw ElfError(path + ": file is empty (0 bytes), expected an ELF executable");
  if (r.size() < 4 || r.u8(0) != 0x7f || r.u8(1) != 'E' || r.u8(2) != 'L' || r.u8(3) != 'F') {
    std::ostringstream found;
    for (size_t i = 0; i < std::min<size_t>(4, r.size()); i++) {
      char b[4];
      std::snprintf(b, sizeof b, "%02x", r.u8(i));
      found << (i ? " " : "") << b;
    }
    throw ElfError(path + ": not an ELF file (first bytes are '" + found.str() +
                   "', expected the magic 7f 45 4c 46 = \"\\x7fELF\")");
  }
  r.need(0, 16, "e_ident");
  const uint8_t cls = r.u8(4), data = r.u8(5);
  if (cls == 2)
    throw ElfError(path + ": is a 64-bit ELF; mcucim simulates RV32: build with -march=rv32... "
                          "-mabi=ilp32 (e.g. -march=rv32imc -mabi=ilp32)");
  if (cls != 1)
    throw ElfError(path + ": invalid ELF class " + std::to_string(cls) +
                   " in e_ident[EI_CLASS], expected 1 (ELFCLASS32)");
  if (data == 2)
    throw ElfError(path + ": is a big-endian ELF; RISC-V (and mcucim) is little-endian");
  if (data != 1)
    throw ElfError(path + ": invalid data encoding " + std::to_string(data) +
                   " in e_ident[EI_DATA], expected 1 (little-endian)");
  r.need(0, kEhdrSize, "ELF header");
  const uint16_t machine = r.u16(18);
  if (machine != kEmRiscv)
    throw ElfError(path + ": is an ELF for machine " + std::to_string(machine) + " (" +
                   machine_name(machine) + "), expected " + std::to_string(kEmRiscv) +
                   " (EM_RISCV); build it with a RISC-V compiler (riscv64-unknown-elf-gcc "
                   "-march=rv32imc -mabi=ilp32)");
  const uint16_t type = r.u16(16);
  if (type != kEtExec)
    throw ElfError(path + ": ELF type is " + std::to_string(type) + " (" + type_name(type) +
                   "), expected 2 (ET_EXEC, a statically linked executable)");
}

std::vector<ElfSegment> read_segments(const std::string& path, const Reader& r) {
  const uint32_t phoff = r.u32(28);
  const uint16_t phentsize = r.u16(42), phnum = r.u16(44);
  if (phnum == 0)
    throw ElfError(path + ": has no program headers (e_phnum = 0), so nothing to load; "
                          "expected PT_LOAD segments of a linked executable");
  if (phentsize < kPhdrSize)
    throw ElfError(path + ": program header entry size e_phentsize = " + std::to_string(phentsize) +
                   ", expected at least " + std::to_string(kPhdrSize));
  r.need(phoff, uint64_t(phentsize) * phnum, "program header table");

  std::vector<ElfSegment> segs;
  for (unsigned i = 0; i < phnum; i++) {
    const uint64_t ph = phoff + uint64_t(i) * phentsize;
    if (r.u32(ph) != kPtLoad) continue;
    ElfSegment s;
    const uint32_t offset = r.u32(ph + 4);
    s.vaddr = r.u32(ph + 8);
    s.paddr = r.u32(ph + 12);
    s.filesz = r.u32(ph + 16);
    s.memsz = r.u32(ph + 20);
    s.flags = r.u32(ph + 24);
    if (s.memsz == 0) continue;
    const std::string what = "segment " + std::to_string(i) + " (PT_LOAD at paddr " + hex(s.paddr) + ")";
    if (s.filesz > s.memsz)
      throw ElfError(path + ": corrupt ELF: " + what + " has p_filesz " + hex(s.filesz) +
                     " larger than p_memsz " + hex(s.memsz));
    if (uint64_t(s.paddr) + s.memsz > (uint64_t(1) << 32))
      throw ElfError(path + ": corrupt ELF: " + what + " of " + hex(s.memsz) +
                     " bytes wraps past the end of the 32-bit address space");
    r.need(offset, s.filesz, what);
    s.data.assign(r.ptr(offset), r.ptr(offset) + s.filesz);
    segs.push_back(std::move(s));
  }
  if (segs.empty())
    throw ElfError(path + ": has no PT_LOAD segment with a non-zero size, so nothing to load; "
                          "expected a linked executable");

  // Two segments loaded onto the same bytes means a broken link (or a broken file).
  std::vector<const ElfSegment*> sorted;
  for (const auto& s : segs) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(),
            [](const ElfSegment* a, const ElfSegment* b) { return a->paddr < b->paddr; });
  for (size_t i = 1; i < sorted.size(); i++) {
    const ElfSegment& a = *sorted[i - 1];
    const ElfSegment& b = *sorted[i];
    if (uint64_t(a.paddr) + a.memsz > b.paddr)
      throw ElfError(path + ": PT_LOAD segments overlap: [" + hex(a.paddr) + ", " +
                     hex(uint64_t(a.paddr) + a.memsz) + ") and [" + hex(b.paddr) + ", " +
                     hex(uint64_t(b.paddr) + b.memsz) + ")");
  }
  return segs;
}

std::vector<ElfSymbol> read_symbols(const std::string& path, const Reader& r) {
  std::vector<ElfSymbol> syms;
  const uint32_t shoff = r.u32(32);
  const uint16_t shentsize = r.u16(46), shnum = r.u16(48);
  if (shoff == 0 || shnum == 0) return syms;  // no section headers: nothing to name
  if (shentsize < kShdrSize)
    throw ElfError(path + ": section header entry size e_shentsize = " + std::to_string(shentsize) +
                   ", expected at least " + std::to_string(kShdrSize));
  r.need(shoff, uint64_t(shentsize) * shnum, "section header table");
  auto sh = [&](unsigned i) { return shoff + uint64_t(i) * shentsize; };

  for (unsigned i = 0; i < shnum; i++) {
    if (r.u32(sh(i) + 4) != kShtSymtab) continue;
    const uint32_t off = r.u32(sh(i) + 16), size = r.u32(sh(i) + 20), link = r.u32(sh(i) + 24);
    uint32_t entsize = r.u32(sh(i) + 36);
    if (entsize == 0) entsize = kSymSize;
    if (entsize < kSymSize)
      throw ElfError(path + ": symbol table entry size " + std::to_string(entsize) +
                     ", expected at least " + std::to_string(kSymSize));
    r.need(off, size, "symbol table (section " + std::to_string(i) + ")");
    if (link >= shnum)
      throw ElfError(path + ": symbol table's string table index " + std::to_string(link) +
                     " is out of range (" + std::to_string(shnum) + " sections)");
    const uint32_t str_off = r.u32(sh(link) + 16), str_size = r.u32(sh(link) + 20);
    r.need(str_off, str_size, "symbol string table (section " + std::to_string(link) + ")");

    for (uint64_t e = off; e + kSymSize <= uint64_t(off) + size; e += entsize) {
      const uint32_t name = r.u32(e), value = r.u32(e + 4), sz = r.u32(e + 8);
      const uint8_t info = r.u8(e + 12);
      const uint16_t shndx = r.u16(e + 14);
      const uint8_t type = info & 0xf, bind = info >> 4;
      if (shndx == kShnUndef || (shndx >= kShnLoReserve && shndx != kShnAbs)) continue;
      if (type != kSttFunc && type != kSttObject && type != kSttNotype) continue;
      if (name == 0) continue;
      if (name >= str_size)
        throw ElfError(path + ": symbol name offset " + std::to_string(name) +
                       " is outside the string table (" + std::to_string(str_size) + " bytes)");
      const char* s = reinterpret_cast<const char*>(r.ptr(str_off + name));
      const size_t len = strnlen(s, str_size - name);
      ElfSymbol sym;
      sym.name.assign(s, len);
      if (sym.name.empty() || sym.name[0] == '$' || sym.name.rfind(".L", 0) == 0) continue;
      sym.addr = value;
      sym.size = sz;
      sym.is_global = bind == kStbGlobal || bind == kStbWeak;
      bool exec_section = false;
      if (shndx < shnum && shndx != kShnAbs) {
        const uint32_t flags = r.u32(sh(shndx) + 8), stype = r.u32(sh(shndx) + 4);
        exec_section = (flags & kShfExecinstr) && stype != kShtNobits;
      }
      sym.is_func = type == kSttFunc || (type == kSttNotype && exec_section);
      syms.push_back(std::move(sym));
    }
  }
  std::sort(syms.begin(), syms.end(), [](const ElfSymbol& a, const ElfSymbol& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.name < b.name;
  });
  return syms;
}

}  // namespace

std::optional<uint32_t> ElfImage::symbol(const std::string& name) const {
  const ElfSymbol* found = nullptr;
  for (const auto& s : symbols) {
    if (s.name != name) continue;
    if (s.is_global) return s.addr;
    if (!found) found = &s;
  }
  if (found) return found->addr;
  return std::nullopt;
}

const ElfSymbol* ElfImage::function_at(uint32_t addr) const {
  // symbols is sorted by address: the candidates are the function symbols at the largest start
  // address <= addr.
  auto it = std::upper_bound(symbols.begin(), symbols.end(), addr,
                             [](uint32_t a, const ElfSymbol& s) { return a < s.addr; });
  const ElfSymbol* label = nullptr;
  bool have_start = false;
  uint32_t start = 0;
  while (it != symbols.begin()) {
    --it;
    if (!it->is_func) continue;
    if (have_start && it->addr != start) break;
    have_start = true;
    start = it->addr;
    if (it->size == 0) {
      if (!label) label = &*it;
    } else if (uint64_t(addr) < uint64_t(it->addr) + it->size) {
      return &*it;
    }
  }
  return label;
}

ElfImage load_elf(const std::string& path) { return parse_elf(path, read_file(path)); }

ElfImage parse_elf(const std::string& path, const std::vector<uint8_t>& bytes) {
  Reader r(path, bytes);
  check_header(path, r);

  ElfImage img;
  img.path = path;
  img.entry = r.u32(24);
  img.e_flags = r.u32(36);
  img.segments = read_segments(path, r);
  const bool entry_loaded = std::any_of(img.segments.begin(), img.segments.end(), [&](const ElfSegment& s) {
    auto in = [&](uint32_t base) { return img.entry >= base && uint64_t(img.entry) < uint64_t(base) + s.memsz; };
    return in(s.paddr) || in(s.vaddr);
  });
  if (!entry_loaded)
    throw ElfError(path + ": entry point " + hex(img.entry) +
                   " is not inside any loadable segment (check the linker script)");
  img.symbols = read_symbols(path, r);
  return img;
}

}  // namespace mcucim::sim

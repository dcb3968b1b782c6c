// ELF loader tests. Basic cases use a small ELF32 built by hand below (expected values come from
// its construction); firmware cases compare against binutils (readelf / nm) as an independent
// reference and corrupt a real picolibc ELF in a temporary directory.
#include "sim/elf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using mcucim::sim::ElfError;
using mcucim::sim::ElfImage;
using mcucim::sim::ElfSymbol;
using mcucim::sim::load_elf;

namespace {

// ---------------------------------------------------------------- helpers
std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = uint8_t(v);
  b[off + 1] = uint8_t(v >> 8);
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) b[off + i] = uint8_t(v >> (8 * i));
}

// Expects load_elf(path) to throw ElfError whose message contains the path and every fragment.
void expect_error(const std::string& path, const std::vector<std::string>& fragments) {
  try {
    load_elf(path);
    ADD_FAILURE() << "load_elf(" << path << ") did not throw";
  } catch (const ElfError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << "message does not name the file: " << msg;
    for (const auto& f : fragments)
      EXPECT_NE(msg.find(f), std::string::npos) << "message lacks '" << f << "': " << msg;
  }
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "mcucim_elf_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    char* d = mkdtemp(buf.data());
    if (!d) throw std::runtime_error("mkdtemp failed for " + tmpl);
    dir_ = d;
  }
  ~TempDir() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

// ---------------------------------------------------------------- a hand-made ELF32
// Layout (all offsets chosen here):
//   0x000 Elf32_Ehdr (52 bytes)
//   0x034 5 program headers (32 bytes each) -> ends 0x0d4
//   0x100 .text bytes (16)      loaded at 0x2000_0000
//   0x110 .data bytes (8)       run at 0x8000_0000, loaded at 0x2000_0010
//   0x120 .symtab (13 entries x 16 = 208) -> ends 0x1f0
//   0x1f0 .strtab (kStrtab)
//   0x280 6 section headers (40 bytes each) -> ends 0x370
constexpr uint32_t kText = 0x20000000, kDataVma = 0x80000000, kDataLma = 0x20000010,
                   kBss = 0x80000008, kBssSize = 0x100, kEntry = kText;
constexpr size_t kPhoff = 0x34, kTextOff = 0x100, kDataOff = 0x110, kSymOff = 0x120,
                 kStrOff = 0x1f0, kShoff = 0x280, kFileSize = 0x370;
constexpr uint16_t kPhnum = 5, kShnum = 6;
const uint8_t kTextBytes[16] = {0x13, 0x00, 0x00, 0x00, 0x6f, 0x00, 0x00, 0x00,
                                0x67, 0x80, 0x00, 0x00, 0x73, 0x00, 0x10, 0x00};
const uint8_t kDataBytes[8] = {1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef};

struct Sym {
  const char* name;
  uint32_t value, size;
  uint8_t bind, type;
  uint16_t shndx;
};
// section indices: 1 .text, 2 .data, 3 .bss, 4 .symtab, 5 .strtab
const Sym kSyms[] = {
    {"", 0, 0, 0, 0, 0},                              // index 0: the null symbol
    {"_start", kText, 0, 1, 0, 1},                    // NOTYPE label in .text -> a function
    {"main", kText + 4, 8, 1, 2, 1},                  // FUNC
    {"helper", kText + 12, 4, 0, 2, 1},               // local FUNC
    {".L0", kText + 8, 0, 0, 0, 1},                   // assembler-local label: left out
    {"$x", kText, 0, 0, 0, 1},                        // mapping symbol: left out
    {"counter", kDataVma, 4, 1, 1, 2},                // OBJECT
    {"tohost", kDataVma + 4, 4, 1, 1, 2},             // OBJECT
    {"dup", kBss, 4, 0, 1, 3},                        // local OBJECT ...
    {"dup", kBss + 16, 4, 1, 1, 3},                   // ... and a global one: symbol() prefers it
    {"__stack", 0x80080000, 0, 1, 0, 0xfff1},         // ABS NOTYPE: kept, not a function
    {"undefined_ext", 0, 0, 1, 2, 0},                 // SHN_UNDEF: left out
    {"", kText, 0, 0, 3, 1},                          // STT_SECTION: left out
};
constexpr size_t kNumSyms = sizeof kSyms / sizeof kSyms[0];

std::vector<uint8_t> make_mini_elf() {
  std::vector<uint8_t> b(kFileSize, 0);
  // e_ident
  b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F';
  b[4] = 1;  // ELFCLASS32
  b[5] = 1;  // ELFDATA2LSB
  b[6] = 1;  // EV_CURRENT
  put16(b, 16, 2);        // ET_EXEC
  put16(b, 18, 243);      // EM_RISCV
  put32(b, 20, 1);        // e_version
  put32(b, 24, kEntry);   // e_entry
  put32(b, 28, kPhoff);   // e_phoff
  put32(b, 32, kShoff);   // e_shoff
  put32(b, 36, 0x1);      // e_flags: RVC, soft float
  put16(b, 40, 52);       // e_ehsize
  put16(b, 42, 32);       // e_phentsize
  put16(b, 44, kPhnum);
  put16(b, 46, 40);       // e_shentsize
  put16(b, 48, kShnum);
  put16(b, 50, 0);        // e_shstrndx: no section names needed

  auto ph = [&](int i, uint32_t type, uint32_t off, uint32_t va, uint32_t pa, uint32_t fsz,
                uint32_t msz, uint32_t flags) {
    size_t p = kPhoff + 32 * i;
    put32(b, p, type), put32(b, p + 4, off), put32(b, p + 8, va), put32(b, p + 12, pa);
    put32(b, p + 16, fsz), put32(b, p + 20, msz), put32(b, p + 24, flags), put32(b, p + 28, 4);
  };
  ph(0, 1, kTextOff, kText, kText, 16, 16, 5);               // PT_LOAD R+X
  ph(1, 4, 0, 0, 0, 0, 0, 4);                                // PT_NOTE: ignored
  ph(2, 1, kDataOff, kDataVma, kDataLma, 8, 8, 6);           // PT_LOAD R+W, vaddr != paddr
  ph(3, 1, 0, kBss, kBss, 0, kBssSize, 6);                   // PT_LOAD .bss: filesz 0
  ph(4, 1, 0, 0, 0, 0, 0, 0);                                // PT_LOAD with memsz 0: ignored
  std::memcpy(&b[kTextOff], kTextBytes, sizeof kTextBytes);
  std::memcpy(&b[kDataOff], kDataBytes, sizeof kDataBytes);

  std::string strtab(1, '\0');
  for (size_t i = 0; i < kNumSyms; i++) {
    size_t p = kSymOff + 16 * i;
    uint32_t name_off = 0;
    if (kSyms[i].name[0]) {
      name_off = uint32_t(strtab.size());
      strtab += kSyms[i].name;
      strtab += '\0';
    }
    put32(b, p, name_off), put32(b, p + 4, kSyms[i].value), put32(b, p + 8, kSyms[i].size);
    b[p + 12] = uint8_t(kSyms[i].bind << 4 | kSyms[i].type);
    put16(b, p + 14, kSyms[i].shndx);
  }
  if (kStrOff + strtab.size() > kShoff) throw std::logic_error("test ELF layout: strtab too big");
  std::memcpy(&b[kStrOff], strtab.data(), strtab.size());

  auto sh = [&](int i, uint32_t type, uint32_t flags, uint32_t addr, uint32_t off, uint32_t size,
                uint32_t link, uint32_t entsize) {
    size_t p = kShoff + 40 * i;
    put32(b, p + 4, type), put32(b, p + 8, flags), put32(b, p + 12, addr), put32(b, p + 16, off);
    put32(b, p + 20, size), put32(b, p + 24, link), put32(b, p + 36, entsize);
  };
  sh(1, 1, 0x6, kText, kTextOff, 16, 0, 0);                          // .text PROGBITS, AX
  sh(2, 1, 0x3, kDataVma, kDataOff, 8, 0, 0);                        // .data PROGBITS, WA
  sh(3, 8, 0x3, kBss, 0, kBssSize, 0, 0);                            // .bss NOBITS, WA
  sh(4, 2, 0, 0, kSymOff, uint32_t(16 * kNumSyms), 5, 16);           // .symtab -> .strtab
  sh(5, 3, 0, 0, kStrOff, uint32_t(strtab.size()), 0, 0);            // .strtab
  return b;
}

class MiniElf : public ::testing::Test {
 protected:
  TempDir tmp;
  std::vector<uint8_t> bytes = make_mini_elf();
  std::string write(const std::string& name, const std::vector<uint8_t>& b) {
    std::string p = tmp.file(name);
    write_bytes(p, b);
    return p;
  }
  std::string good() { return write("good.elf", bytes); }
};

TEST_F(MiniElf, LoadsHeaderAndSegmentsAtPhysicalAddresses) {
  ElfImage img = load_elf(good());
  EXPECT_EQ(img.path, tmp.file("good.elf"));
  EXPECT_EQ(img.entry, kEntry);
  EXPECT_EQ(img.e_flags, 0x1u);
  ASSERT_EQ(img.segments.size(), 3u);  // the PT_NOTE and the empty PT_LOAD are skipped

  const auto& text = img.segments[0];
  EXPECT_EQ(text.paddr, kText);
  EXPECT_EQ(text.vaddr, kText);
  EXPECT_EQ(text.filesz, 16u);
  EXPECT_EQ(text.memsz, 16u);
  EXPECT_EQ(text.flags, 5u);
  EXPECT_EQ(text.data, std::vector<uint8_t>(kTextBytes, kTextBytes + 16));

  const auto& data = img.segments[1];
  EXPECT_EQ(data.paddr, kDataLma);
  EXPECT_EQ(data.vaddr, kDataVma);
  EXPECT_EQ(data.data, std::vector<uint8_t>(kDataBytes, kDataBytes + 8));

  const auto& bss = img.segments[2];
  EXPECT_EQ(bss.paddr, kBss);
  EXPECT_EQ(bss.filesz, 0u);
  EXPECT_EQ(bss.memsz, kBssSize);
  EXPECT_TRUE(bss.data.empty());
}

TEST_F(MiniElf, SymbolsFilteredAndSortedByAddress) {
  ElfImage img = load_elf(good());
  std::vector<std::pair<uint32_t, std::string>> got;
  for (const auto& s : img.symbols) got.emplace_back(s.addr, s.name);
  const std::vector<std::pair<uint32_t, std::string>> want = {
      {kText, "_start"},      {kText + 4, "main"},      {kText + 12, "helper"},
      {kDataVma, "counter"},  {kDataVma + 4, "tohost"}, {kBss, "dup"},
      {kBss + 16, "dup"},     {0x80080000, "__stack"}};
  EXPECT_EQ(got, want);

  for (const auto& s : img.symbols) {
    const bool want_func = s.name == "_start" || s.name == "main" || s.name == "helper";
    EXPECT_EQ(s.is_func, want_func) << s.name;
  }
  EXPECT_EQ(img.symbol("tohost"), kDataVma + 4);
  EXPECT_EQ(img.symbol("main"), kText + 4);
  EXPECT_EQ(img.symbol("helper"), kText + 12);  // locals are found too
  EXPECT_EQ(img.symbol("dup"), kBss + 16);      // the global one wins
  EXPECT_EQ(img.symbol("__stack"), 0x80080000u);
  EXPECT_FALSE(img.symbol("undefined_ext").has_value());
  EXPECT_FALSE(img.symbol(".L0").has_value());
  EXPECT_FALSE(img.symbol("$x").has_value());
  EXPECT_FALSE(img.symbol("nonexistent").has_value());
}

TEST_F(MiniElf, FunctionAt) {
  ElfImage img = load_elf(good());
  auto name_at = [&](uint32_t a) -> std::string {
    const ElfSymbol* f = img.function_at(a);
    return f ? f->name : "(none)";
  };
  EXPECT_EQ(name_at(kText - 1), "(none)");       // before any function
  EXPECT_EQ(name_at(kText), "_start");           // a size-0 label covers up to the next symbol
  EXPECT_EQ(name_at(kText + 3), "_start");
  EXPECT_EQ(name_at(kText + 4), "main");
  EXPECT_EQ(name_at(kText + 11), "main");        // last byte of main (size 8)
  EXPECT_EQ(name_at(kText + 12), "helper");
  EXPECT_EQ(name_at(kText + 15), "helper");
  EXPECT_EQ(name_at(kText + 16), "(none)");      // past helper's end
  EXPECT_EQ(name_at(kDataVma), "(none)");        // data symbols are not functions
}

TEST_F(MiniElf, MissingAndEmptyFiles) {
  expect_error(tmp.file("does_not_exist.elf"), {"cannot open", "No such file"});
  expect_error(write("empty.elf", {}), {"empty"});
}

TEST_F(MiniElf, BadMagic) {
  auto b = bytes;
  b[1] = 'X';
  expect_error(write("magic.elf", b), {"not an ELF file", "7f 58 4c 46"});
}

TEST_F(MiniElf, Elf64IsRejectedWithAdvice) {
  auto b = bytes;
  b[4] = 2;
  expect_error(write("elf64.elf", b), {"64-bit", "RV32", "-march=rv32", "-mabi=ilp32"});
}

TEST_F(MiniElf, BigEndianIsRejected) {
  auto b = bytes;
  b[5] = 2;
  expect_error(write("be.elf", b), {"big-endian"});
}

TEST_F(MiniElf, WrongMachineNamesTheNumberFound) {
  auto b = bytes;
  put16(b, 18, 62);
  expect_error(write("x86.elf", b), {"62", "x86-64", "243", "EM_RISCV"});
}

TEST_F(MiniElf, NotAnExecutable) {
  auto b = bytes;
  put16(b, 16, 3);
  expect_error(write("dyn.elf", b), {"type is 3", "ET_EXEC"});
  put16(b, 16, 1);
  expect_error(write("rel.elf", b), {"type is 1", "relocatable"});
}

TEST_F(MiniElf, TruncatedFiles) {
  expect_error(write("t30.elf", {bytes.begin(), bytes.begin() + 30}), {"truncated", "ELF header"});
  expect_error(write("t80.elf", {bytes.begin(), bytes.begin() + 80}),
               {"truncated", "program header table"});
  // the whole .text segment would need bytes 0x100..0x10f
  expect_error(write("t108.elf", {bytes.begin(), bytes.begin() + 0x108}),
               {"truncated", "segment 0", "0x100"});
  // segments complete, section header table cut off
  expect_error(write("t300.elf", {bytes.begin(), bytes.begin() + 0x300}),
               {"truncated", "section header table"});
}

TEST_F(MiniElf, SegmentOffsetBeyondFile) {
  auto b = bytes;
  put32(b, kPhoff + 32 * 2 + 4, 0x10000);  // .data's p_offset
  expect_error(write("off.elf", b), {"segment 2", "0x10000", "beyond the end"});
}

TEST_F(MiniElf, NoLoadableSegments) {
  auto b = bytes;
  for (int i = 0; i < kPhnum; i++) put32(b, kPhoff + 32 * i, 4);  // all PT_NOTE
  expect_error(write("noload.elf", b), {"no PT_LOAD"});
  put16(b, 44, 0);
  expect_error(write("nophdr.elf", b), {"no program headers"});
}

TEST_F(MiniElf, InconsistentSegments) {
  auto b = bytes;
  put32(b, kPhoff + 32 * 0 + 16, 32);  // .text filesz 32 > memsz 16
  expect_error(write("fsz.elf", b), {"p_filesz", "p_memsz"});

  b = bytes;
  put32(b, kPhoff + 32 * 2 + 12, kText + 8);  // .data loaded on top of .text
  expect_error(write("overlap.elf", b), {"overlap", "0x20000000", "0x20000008"});

  b = bytes;
  put32(b, 24, 0x30000000);  // entry outside every segment
  expect_error(write("entry.elf", b), {"entry point 0x30000000"});
}

TEST_F(MiniElf, StrippedFileHasNoSymbols) {
  auto b = bytes;
  put32(b, 32, 0);  // e_shoff
  put16(b, 48, 0);  // e_shnum
  ElfImage img = load_elf(write("stripped.elf", b));
  EXPECT_TRUE(img.symbols.empty());
  EXPECT_EQ(img.function_at(kText + 4), nullptr);
  EXPECT_EQ(img.segments.size(), 3u);
}

// ---------------------------------------------------------------- real firmware (workloads/)
std::string firmware(const std::string& name) { return std::string(MCUCIM_FIRMWARE_DIR) + "/" + name; }

bool have_firmware(const std::string& path) {
  if (access(path.c_str(), R_OK) == 0) return true;
  ADD_FAILURE() << path << " not found: build the `firmware` target first";
  return false;
}

std::string run(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

struct RefSegment {
  uint32_t offset, vaddr, paddr, filesz, memsz;
  bool operator==(const RefSegment& o) const {
    return offset == o.offset && vaddr == o.vaddr && paddr == o.paddr && filesz == o.filesz &&
           memsz == o.memsz;
  }
};

// LOAD lines of `readelf -lW` with memsz > 0.
std::vector<RefSegment> readelf_loads(const std::string& path) {
  std::vector<RefSegment> segs;
  std::istringstream in(run("riscv64-unknown-elf-readelf -lW '" + path + "'"));
  std::regex re(R"(^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+))");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    RefSegment s{uint32_t(std::stoul(m[1], nullptr, 16)), uint32_t(std::stoul(m[2], nullptr, 16)),
                 uint32_t(std::stoul(m[3], nullptr, 16)), uint32_t(std::stoul(m[4], nullptr, 16)),
                 uint32_t(std::stoul(m[5], nullptr, 16))};
    if (s.memsz) segs.push_back(s);
  }
  return segs;
}

// name -> address from `nm` (defined symbols only).
std::map<std::string, uint32_t> nm_symbols(const std::string& path) {
  std::map<std::string, uint32_t> syms;
  std::istringstream in(run("riscv64-unknown-elf-nm '" + path + "'"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::string addr, type, name;
    if (l >> addr >> type >> name) syms[name] = uint32_t(std::stoul(addr, nullptr, 16));
  }
  return syms;
}

constexpr uint32_t kFlashBase = 0x20000000, kFlashSize = 2u << 20;  // configs/mcu-base.yaml
constexpr uint32_t kSramBase = 0x80000000, kSramSize = 512u << 10;
bool in_flash(uint32_t a) { return a >= kFlashBase && a - kFlashBase < kFlashSize; }
bool in_sram(uint32_t a) { return a >= kSramBase && a - kSramBase < kSramSize; }

TEST(FirmwareElf, HelloMatchesReadelfAndNm) {
  const std::string path = firmware("hello.elf");
  if (!have_firmware(path)) return;
  ElfImage img = load_elf(path);
  const auto file = read_bytes(path);

  const auto ref = readelf_loads(path);
  ASSERT_FALSE(ref.empty()) << "readelf gave no LOAD lines for " << path;
  ASSERT_EQ(img.segments.size(), ref.size());
  bool data_lma_in_flash = false;
  for (size_t i = 0; i < ref.size(); i++) {
    const auto& s = img.segments[i];
    EXPECT_EQ(s.vaddr, ref[i].vaddr) << i;
    EXPECT_EQ(s.paddr, ref[i].paddr) << i;
    EXPECT_EQ(s.filesz, ref[i].filesz) << i;
    EXPECT_EQ(s.memsz, ref[i].memsz) << i;
    ASSERT_EQ(s.data.size(), ref[i].filesz) << i;
    EXPECT_TRUE(std::equal(s.data.begin(), s.data.end(), file.begin() + ref[i].offset)) << i;
    EXPECT_TRUE(in_flash(s.paddr) || in_sram(s.paddr)) << std::hex << s.paddr;
    if (s.filesz && in_sram(s.vaddr) && in_flash(s.paddr)) data_lma_in_flash = true;
  }
  EXPECT_TRUE(data_lma_in_flash) << "expected picolibc's .data: run address in SRAM, load address in flash";

  EXPECT_EQ(img.entry, kFlashBase);
  EXPECT_EQ(img.symbol("_start"), img.entry);
  const auto nm = nm_symbols(path);
  for (const char* name : {"main", "_start", "_trap", "printf", "exit", "__stack"}) {
    ASSERT_TRUE(nm.count(name)) << name << " missing from nm output";
    EXPECT_EQ(img.symbol(name), nm.at(name)) << name;
  }
  const ElfSymbol* f = img.function_at(*img.symbol("main") + 2);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->name, "main");
  f = img.function_at(img.entry);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->name, "_start");
  EXPECT_EQ(img.e_flags & 0x6, 0u);  // soft-float ABI
}

TEST(FirmwareElf, SramBuildLivesInSram) {
  const std::string path = firmware("hello_sram.elf");
  if (!have_firmware(path)) return;
  ElfImage img = load_elf(path);
  EXPECT_EQ(img.entry, kSramBase);
  for (const auto& s : img.segments) {
    EXPECT_TRUE(in_sram(s.paddr)) << std::hex << s.paddr;
    EXPECT_TRUE(in_sram(s.paddr + s.memsz - 1)) << std::hex << s.paddr;
  }
}

TEST(FirmwareElf, HardFloatBuildHasSingleFloatAbi) {
  const std::string path = firmware("hello_f.elf");
  if (!have_firmware(path)) return;
  ElfImage img = load_elf(path);
  EXPECT_EQ(img.e_flags & 0x6, 0x2u);  // EF_RISCV_FLOAT_ABI_SINGLE
}

TEST(FirmwareElf, CorruptedCopiesOfHello) {
  const std::string path = firmware("hello.elf");
  if (!have_firmware(path)) return;
  TempDir tmp;
  const auto good = read_bytes(path);
  ASSERT_GT(good.size(), 0x2000u);
  auto write = [&](const std::string& name, const std::vector<uint8_t>& b) {
    write_bytes(tmp.file(name), b);
    return tmp.file(name);
  };

  expect_error(write("half.elf", {good.begin(), good.begin() + 0x1800}), {"truncated"});
  auto b = good;
  b[0] = 0;
  expect_error(write("magic.elf", b), {"not an ELF file"});
  b = good;
  b[4] = 2;
  expect_error(write("class.elf", b), {"64-bit ELF", "-mabi=ilp32"});
  b = good;
  put16(b, 18, 40);
  expect_error(write("arm.elf", b), {"machine 40", "ARM"});
}

}  // namespace

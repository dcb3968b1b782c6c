// Hostile inputs (issue 18): every case once crashed, hung or ended in an uncaught exception. Each must
// now end with one message naming the file, key or line and exit code 2 (or the documented limit
// code), and never with a signal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "e2e_util.h"

using e2e::mcucim;
using testing::HasSubstr;

namespace {
std::string write_file(const std::string& name, const std::string& text) {
  std::string p = e2e::tmpdir() + "/" + name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}
std::string run_cfg(const std::string& cfg, const std::string& extra = "") {
  return "run -c " + cfg + " --elf " + e2e::fw("hello") + " -q " + extra;
}
void expect_error(const e2e::Result& r, int code, const std::string& needle) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_THAT(r.err, HasSubstr(needle));
  EXPECT_THAT(r.err, testing::Not(HasSubstr("uncaught")));
  EXPECT_THAT(r.err, testing::Not(HasSubstr("internal error")));
}
const std::string kInclude = "include: " + e2e::cfg() + "\n";
}  // namespace

// ---- config ----------------------------------------------------------------------------------

TEST(Hardening, DottedKeyAtTopLevelNamesFileLineAndKey) {
  auto p = write_file("dot_top.yaml", kInclude + "a.b: {}\n");
  auto r = mcucim(run_cfg(p));
  expect_error(r, 2, p + ":2");
  EXPECT_THAT(r.err, HasSubstr("'a.b'"));
}

TEST(Hardening, DottedKeyInsideSocMap) {
  auto p = write_file("dot_soc.yaml", kInclude + "soc:\n  clock.freq_hz: 1e8\n");
  auto r = mcucim(run_cfg(p));
  expect_error(r, 2, p + ":3");
  EXPECT_THAT(r.err, HasSubstr("'clock.freq_hz'"));
}

TEST(Hardening, FourGiBMemoryIsRefused) {
  // base 0 + 4 GiB ends exactly at the top of the address space, so only the size check stops it
  // (the core's regions are 32-bit: 4 GiB wrapped to 0 and crashed).
  auto p = write_file("mem4g.yaml", kInclude + "soc:\n  memories:\n    flash: {base: 0, size: 4GiB}\n");
  auto r = mcucim(run_cfg(p));
  expect_error(r, 2, p + ":4");
  EXPECT_THAT(r.err, HasSubstr("soc.memories.flash.size"));
}

TEST(Hardening, TotalMemoryLimitHasADefaultAndAnOverride) {
  // mcu-base: 2 MiB flash (executable: 18 MiB with its decode cache), 512 KiB SRAM, 1 MiB MRAM.
  auto low = mcucim(run_cfg(e2e::cfg(), "--limit memory_bytes=1MiB"));
  expect_error(low, 2, "soc.memories.flash.size");
  EXPECT_THAT(low.err, HasSubstr("--limit memory_bytes"));
  // The default (2 GiB of host memory) refuses a 1.5 GiB executable memory (13.5 GiB with its decode
  // cache) ...
  auto big = write_file("mem_big.yaml", kInclude +
                        "soc:\n  memories:\n    mram: {kind: mram, base: 0x9000_0000, size: 0x6000_0000, executable: true}\n");
  expect_error(mcucim(run_cfg(big)), 2, "soc.memories.mram.size");
  // ... and the override lets a normal run through.
  EXPECT_EQ(mcucim(run_cfg(e2e::cfg(), "--limit memory_bytes=64MiB")).code, 0);
  expect_error(mcucim(run_cfg(e2e::cfg(), "--limit memory_bytes=lots")), 2, "--limit memory_bytes=lots");
  expect_error(mcucim(run_cfg(e2e::cfg(), "--limit no_such_limit=1")), 2, "unknown limit 'no_such_limit'");
}

TEST(Hardening, IncludeOfDevZeroIsRefusedWithoutReading) {
  auto p = write_file("inc_zero.yaml", "include: /dev/zero\n");
  auto r = mcucim(run_cfg(p));
  expect_error(r, 2, p + ":1");
  EXPECT_THAT(r.err, HasSubstr("not a regular file"));
}

TEST(Hardening, TimingProfileDevZeroNamesTheKey) {
  auto r = mcucim(run_cfg(e2e::cfg(), "--set soc.core.timing=/dev/zero"));
  expect_error(r, 2, "soc.core.timing");
  EXPECT_THAT(r.err, HasSubstr("not a regular file"));
}

TEST(Hardening, LoadOfDevZeroOrADirectoryIsRefused) {
  auto zero = mcucim(run_cfg(e2e::cfg(), "--load /dev/zero@0x80000000"));
  expect_error(zero, 2, "--load /dev/zero@0x80000000");
  EXPECT_THAT(zero.err, HasSubstr("not a regular file"));
  auto dir = mcucim(run_cfg(e2e::cfg(), "--load " + e2e::tmpdir() + "@0x80000000"));
  expect_error(dir, 2, "a directory");
  // Larger than the memory it goes to: refused from the file's size, before reading it.
  const std::string big = e2e::tmpdir() + "/big.bin";
  std::ofstream(big, std::ios::binary) << std::string(600 * 1024, 'x');
  expect_error(mcucim(run_cfg(e2e::cfg(), "--load " + big + "@0x80000000")), 2, "does not fit");
}

TEST(Hardening, AliasBombStopsAtTheNodeLimit) {
  // "Billion laughs": 10^9 strings after expansion, a few hundred bytes of YAML.
  std::string y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  const char* names = "abcdefghi";
  for (int i = 1; i < 9; ++i) {
    y += std::string(1, names[i]) + ": &" + names[i] + " [";
    for (int j = 0; j < 10; ++j) y += std::string(j ? ", " : "") + "*" + names[i - 1];
    y += "]\n";
  }
  auto p = write_file("bomb.yaml", y);
  auto r = mcucim(run_cfg(p));
  expect_error(r, 2, "bomb.yaml");
  EXPECT_THAT(r.err, HasSubstr("--limit config_nodes"));
}

TEST(Hardening, AliasThatContainsItselfIsAnError) {
  auto p = write_file("selfalias.yaml", "a: &x\n  b: *x\n");
  expect_error(mcucim(run_cfg(p)), 2, "selfalias.yaml");
}

TEST(Hardening, DeepNestingIsAnError) {
  auto p = write_file("deep.yaml", "a: " + std::string(3000, '[') + std::string(3000, ']') + "\n");
  expect_error(mcucim(run_cfg(p)), 2, "nests too deeply");
}

TEST(Hardening, ManyUnknownKeysReportTheFirst) {
  // 200,000 unknown keys once took 78 s (a linear duplicate check per key); the first is reported.
  std::string y = kInclude;
  for (int i = 0; i < 200000; ++i) y += "k" + std::to_string(i) + ": 1\n";
  auto p = write_file("many_keys.yaml", y);
  auto r = mcucim(run_cfg(p));
  expect_error(r, 2, p + ":2: unknown key 'k0'");
}

TEST(Hardening, ZeroCycleTimingClassIsRefused) {
  // A 0-cycle jal and a `j .` loop never advanced simulated time: the run could not end.
  auto r = mcucim(run_cfg(e2e::cfg(), "--set timing.cycles.jal=0"));
  expect_error(r, 2, "--set timing.cycles.jal=0: timing.cycles.jal: expected 1..100000 cycles, found 0");
  // A trap with a 0-cycle entry into a handler that traps again loops without time too.
  expect_error(mcucim(run_cfg(e2e::cfg(), "--set timing.trap_entry=0")), 2,
               "timing.trap_entry: expected 1..100000 cycles, found 0");
}

TEST(Hardening, DirectoryAsConfigOrElf) {
  expect_error(mcucim(run_cfg(e2e::tmpdir())), 2, "is a directory");
  auto r = mcucim("run -c " + e2e::cfg() + " --elf " + e2e::tmpdir() + " -q");
  expect_error(r, 2, "not a regular file (a directory)");
  expect_error(mcucim("run -c " + e2e::cfg() + " --elf /dev/zero -q"), 2, "not a regular file");
}

TEST(Hardening, IncludeDepthAndFileSizeLimits) {
  for (int i = 0; i < 5; ++i)
    write_file("chain" + std::to_string(i) + ".yaml",
               i < 4 ? "include: chain" + std::to_string(i + 1) + ".yaml\n" : kInclude);
  const std::string top = e2e::tmpdir() + "/chain0.yaml";
  EXPECT_EQ(mcucim(run_cfg(top)).code, 0);
  expect_error(mcucim(run_cfg(top, "--limit include_depth=3")), 2, "--limit include_depth");
  expect_error(mcucim(run_cfg(e2e::cfg(), "--limit config_bytes=100")), 2, "larger than the limit of 100 bytes");
}

TEST(Hardening, TooManyMemoriesForTheCoresRegionIndex) {
  // 256 memories wrapped the core's 8-bit region index: code faulted at its first instruction.
  std::string y = kInclude + "soc:\n  memories:\n";
  for (int i = 0; i < 256; ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "    m%d: {kind: sram, base: 0x%08x, size: 4KiB}\n", i, 0xa0000000u + i * 0x1000u);
    y += line;
  }
  auto p = write_file("mem256.yaml", y);
  expect_error(mcucim(run_cfg(p)), 2, "at most 255");
}

TEST(Hardening, WallClockLimitEndsTheRunWithItsOwnCode) {
  // bench_int runs ~257 M instructions (about 2 s here); 0.2 s of wall clock ends it early.
  auto r = mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("bench_int") + " -q --timeout 0.2");
  EXPECT_EQ(r.code, 123) << r.err;
  EXPECT_THAT(r.err, HasSubstr("wall-clock limit of 0.2 s reached"));
  expect_error(mcucim(run_cfg(e2e::cfg(), "--timeout -1")), 2, "--timeout");
}

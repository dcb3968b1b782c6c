// Bad inputs: each gets one clear message naming the file/key and exit code 2, never a crash.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <fstream>

#include "e2e_util.h"

using e2e::mcucim;
using testing::HasSubstr;

namespace {
std::string write_file(const std::string& name, const std::string& bytes) {
  std::string p = e2e::tmpdir() + "/" + name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}
// A copy of hello.elf with one byte changed.
std::string patched_elf(const std::string& name, size_t offset, uint8_t value) {
  std::string bytes = e2e::slurp(e2e::fw("hello"));
  bytes[offset] = static_cast<char>(value);
  return write_file(name, bytes);
}
void expect_usage_error(const e2e::Result& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(needle));
  EXPECT_EQ(r.err.find("Segmentation"), std::string::npos);
}
}  // namespace

TEST(BadInput, MissingElf) {
  auto r = mcucim("run -c " + e2e::cfg() + " --elf /nonexistent/prog.elf");
  expect_usage_error(r, "/nonexistent/prog.elf");
}

TEST(BadInput, NotAnElf) {
  auto p = write_file("text.elf", "this is not an ELF file at all\n");
  expect_usage_error(mcucim("run -c " + e2e::cfg() + " --elf " + p), p);
}

TEST(BadInput, SixtyFourBitElf) {
  auto p = patched_elf("elf64.elf", 4, 2);  // EI_CLASS = ELFCLASS64
  auto r = mcucim("run -c " + e2e::cfg() + " --elf " + p);
  expect_usage_error(r, "64-bit");
}

TEST(BadInput, NonRiscvElf) {
  auto p = patched_elf("x86.elf", 18, 62);  // e_machine = EM_X86_64
  auto r = mcucim("run -c " + e2e::cfg() + " --elf " + p);
  expect_usage_error(r, "62");
}

TEST(BadInput, TruncatedElf) {
  std::string bytes = e2e::slurp(e2e::fw("hello"));
  auto p = write_file("trunc.elf", bytes.substr(0, bytes.size() / 3));
  expect_usage_error(mcucim("run -c " + e2e::cfg() + " --elf " + p), p);
}

TEST(BadInput, SegmentOutsideTheMemoryMap) {
  auto r = mcucim(e2e::run_args("hello", "--set soc.memories.flash.base=0x3000_0000"));
  expect_usage_error(r, "outside the memory map");
  EXPECT_THAT(r.err, HasSubstr("0x20000000"));
}

TEST(BadInput, MissingConfig) {
  expect_usage_error(mcucim("run -c /nonexistent/cfg.yaml --elf " + e2e::fw("hello")), "/nonexistent/cfg.yaml");
}

TEST(BadInput, MalformedYamlNamesLine) {
  auto p = write_file("bad.yaml", "soc:\n  name: x\n  clock: [1, 2\n");
  auto r = mcucim("run -c " + p + " --elf " + e2e::fw("hello"));
  expect_usage_error(r, "bad.yaml:");
}

TEST(BadInput, UnknownKeyNamesFileLineAndKey) {
  auto p = write_file("typo.yaml", "include: " + e2e::cfg() + "\nsoc:\n  memories:\n    flash:\n      wait_states: 3\n");
  auto r = mcucim("run -c " + p + " --elf " + e2e::fw("hello"));
  expect_usage_error(r, "typo.yaml:5");
  EXPECT_THAT(r.err, HasSubstr("soc.memories.flash.wait_states"));
}

TEST(BadInput, UnknownKeyFromSet) {
  auto r = mcucim(e2e::run_args("hello", "--set soc.core.quantun_ns=5"));
  expect_usage_error(r, "soc.core.quantun_ns");
}

TEST(BadInput, WrongTypeNamesKeyAndExpectation) {
  auto r = mcucim(e2e::run_args("hello", "--set soc.clock.freq_hz=fast"));
  expect_usage_error(r, "freq_hz");
  EXPECT_THAT(r.err, HasSubstr("fast"));
}

TEST(BadInput, OverlappingRegions) {
  auto r = mcucim(e2e::run_args("hello", "--set soc.memories.sram.base=0x2010_0000"));
  expect_usage_error(r, "overlaps");
}

TEST(BadInput, ZeroSizeRegion) {
  auto r = mcucim(e2e::run_args("hello", "--set soc.memories.sram.size=0"));
  expect_usage_error(r, "soc.memories.sram.size");
}

TEST(BadInput, UnknownTimingProfile) {
  auto r = mcucim(e2e::run_args("hello", "--set soc.core.timing=pentium"));
  expect_usage_error(r, "pentium");
}

TEST(BadInput, TimingProfileParameterOfWrongTypeOrOutOfRange) {
  auto r = mcucim(e2e::run_args("hello", "--set timing.fetch.straddle_target=soon"));
  expect_usage_error(r, "timing.fetch.straddle_target");
  r = mcucim(e2e::run_args("hello", "--set timing.fetch.width_bytes=6"));
  expect_usage_error(r, "power of two");
  r = mcucim(e2e::run_args("hello", "--set soc.core.misaligned=sometimes"));
  expect_usage_error(r, "soc.core.misaligned");
}

TEST(BadInput, BadIsaString) {
  auto r = mcucim(e2e::run_args("hello", "--set soc.core.isa=rv32gc"));
  expect_usage_error(r, "soc.core.isa");
}

TEST(BadInput, UnknownCommandAndMissingOptions) {
  EXPECT_EQ(mcucim("frobnicate").code, 2);
  auto r = mcucim("run --elf " + e2e::fw("hello"));
  expect_usage_error(r, "config");
}

TEST(BadInput, DeviceArrayStrideSmallerThanTheDevice) {
  auto r = mcucim("run -c " + e2e::cfg("mcu-llm-cim") + " --elf " + e2e::fw("hello") +
                  " --set soc.devices.cim.stride=0x100");
  expect_usage_error(r, "soc.devices.cim.stride");
}

// Timing profiles as sim/soc.cpp reads them: every shipped profile gives the numbers the test's own
// YAML reading of the file gives (tests/isa/harness.h), soc.core.misaligned defaults from the profile,
// and a bad profile parameter (wrong type, out of range, missing) is one config error naming the file,
// line and key and what was expected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sim/config.h"
#include "sim/soc.h"
#include "tests/isa/harness.h"

namespace {

using mcucim::sim::Config;
using ::testing::HasSubstr;
namespace isa = mcucim::isa;

const std::string kSrc = MCUCIM_SOURCE_DIR;

mcucim::sim::SocSpec spec(const std::vector<std::string>& sets) {
  Config c = Config::load(kSrc + "/configs/mcu-base.yaml", sets);
  return mcucim::sim::read_soc_spec(c);
}

std::string error_of(const std::vector<std::string>& sets) {
  try {
    spec(sets);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TimingProfile, SimReadsWhatTheFileSays) {
  for (const char* name : {"picorv32", "picorv32-fastmul", "ibex", "cv32e40p"}) {
    SCOPED_TRACE(name);
    const isa::TimingProfile want = isatest::load_profile(name);
    const isa::TimingProfile got = spec({std::string("soc.core.timing=") + name}).core.cpu.timing;
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.base, want.base);
    EXPECT_EQ(got.branch_taken_penalty, want.branch_taken_penalty);
    EXPECT_EQ(got.fence, want.fence);
    EXPECT_EQ(got.fence_i, want.fence_i);
    EXPECT_EQ(got.fence_flushes_fetch, want.fence_flushes_fetch);
    EXPECT_EQ(got.fetch_width, want.fetch_width);
    EXPECT_EQ(got.straddle_sequential, want.straddle_sequential);
    EXPECT_EQ(got.straddle_target, want.straddle_target);
    EXPECT_EQ(got.branch_fallthrough_straddle, want.branch_fallthrough_straddle);
    EXPECT_EQ(got.misaligned, want.misaligned);
    EXPECT_EQ(got.misaligned_split_cycles, want.misaligned_split_cycles);
  }
}

TEST(TimingProfile, PublishedValues) {
  // Hand-checked against the sources cited in the files (see configs/timing/*.yaml).
  const auto pico = spec({"soc.core.timing=picorv32"}).core.cpu.timing;
  EXPECT_EQ(pico.fence, 3u);
  EXPECT_EQ(pico.straddle_sequential, 1u);
  EXPECT_EQ(pico.straddle_target, 1u);
  EXPECT_EQ(pico.branch_fallthrough_straddle, 1u);
  EXPECT_EQ(pico.base[size_t(isa::TClass::MUL)], 40u);
  const auto fast = spec({"soc.core.timing=picorv32-fastmul"}).core.cpu.timing;
  EXPECT_EQ(fast.base[size_t(isa::TClass::MUL)], 6u);
  EXPECT_EQ(fast.base[size_t(isa::TClass::MULH)], 6u);
  EXPECT_EQ(fast.base[size_t(isa::TClass::DIV)], 40u) << "everything else from picorv32.yaml";
  EXPECT_EQ(fast.straddle_sequential, 1u);
  for (const char* name : {"ibex", "cv32e40p"}) {
    const auto t = spec({std::string("soc.core.timing=") + name}).core.cpu.timing;
    EXPECT_EQ(t.straddle_sequential, 0u) << name;
    EXPECT_EQ(t.straddle_target, 1u) << name;
    EXPECT_EQ(t.branch_fallthrough_straddle, 0u) << name;
    EXPECT_EQ(t.misaligned_split_cycles, 1u) << name;
  }
}

TEST(TimingProfile, MisalignedDefaultsFromTheProfile) {
  // configs/mcu-base.yaml does not set soc.core.misaligned: the core's own behaviour applies.
  EXPECT_EQ(spec({"soc.core.timing=picorv32"}).core.cpu.misaligned, isa::Misaligned::Trap);
  EXPECT_EQ(spec({"soc.core.timing=ibex"}).core.cpu.misaligned, isa::Misaligned::Split);
  EXPECT_EQ(spec({"soc.core.timing=cv32e40p"}).core.cpu.misaligned, isa::Misaligned::Split);
  EXPECT_EQ(spec({"soc.core.timing=ibex", "soc.core.misaligned=trap"}).core.cpu.misaligned, isa::Misaligned::Trap);
  EXPECT_EQ(spec({"soc.core.misaligned=emulate"}).core.cpu.misaligned, isa::Misaligned::Emulate);
  EXPECT_EQ(spec({"soc.core.misaligned=split"}).core.cpu.misaligned, isa::Misaligned::Split);
  EXPECT_EQ(spec({"timing.misaligned.mode=split"}).core.cpu.misaligned, isa::Misaligned::Split);
  EXPECT_THAT(error_of({"soc.core.misaligned=sometimes"}), HasSubstr("soc.core.misaligned"));
  EXPECT_THAT(error_of({"soc.core.misaligned=sometimes"}), HasSubstr("trap"));
}

TEST(TimingProfile, OverridesFromTheConfig) {
  const auto t = spec({"timing.fetch.straddle_target=3", "timing.fence=7"}).core.cpu.timing;
  EXPECT_EQ(t.straddle_target, 3u);
  EXPECT_EQ(t.fence, 7u);
  EXPECT_EQ(t.straddle_sequential, 1u) << "the rest from the profile";
}

TEST(TimingProfile, BadParametersAreConfigErrors) {
  // Wrong type, given on the command line: names the key and what was expected.
  std::string e = error_of({"timing.fetch.straddle_target=soon"});
  EXPECT_THAT(e, HasSubstr("timing.fetch.straddle_target"));
  EXPECT_THAT(e, HasSubstr("soon"));
  e = error_of({"timing.fence_flushes_fetch=7"});
  EXPECT_THAT(e, HasSubstr("timing.fence_flushes_fetch"));
  // Out of range.
  e = error_of({"timing.fetch.width_bytes=6"});
  EXPECT_THAT(e, HasSubstr("timing.fetch.width_bytes"));
  EXPECT_THAT(e, HasSubstr("power of two"));
  e = error_of({"timing.cycles.alu=0"});
  EXPECT_THAT(e, HasSubstr("timing.cycles.alu"));
  EXPECT_THAT(e, HasSubstr("expected 1..100000"));
  e = error_of({"timing.fence=0"});
  EXPECT_THAT(e, HasSubstr("timing.fence"));
  e = error_of({"timing.fetch.straddle_sequential=1000000"});
  EXPECT_THAT(e, HasSubstr("expected 0..100000"));
  e = error_of({"timing.fetch.straddle_sequential=2"});  // more than straddle_target (1)
  EXPECT_THAT(e, HasSubstr("timing.fetch.straddle_target"));
  EXPECT_THAT(e, HasSubstr("at least fetch.straddle_sequential"));
  e = error_of({"timing.misaligned.mode=fix"});
  EXPECT_THAT(e, HasSubstr("timing.misaligned.mode"));
  EXPECT_THAT(e, HasSubstr("split"));
}

TEST(TimingProfile, BadProfileFileNamesFileAndLine) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("mcucim_timing_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // A copy of picorv32.yaml with one bad value: the error names this file and the line.
  std::ifstream in(kSrc + "/configs/timing/picorv32.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string key = "    straddle_target: 1";
  const size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos);
  const int line = 1 + int(std::count(text.begin(), text.begin() + long(at), '\n'));
  text.replace(at, key.size(), "    straddle_target: [1, 2]");
  const fs::path bad = dir / "bad.yaml";
  std::ofstream(bad) << text;
  const std::string e = error_of({"soc.core.timing=" + bad.string()});
  EXPECT_THAT(e, HasSubstr(bad.string() + ":" + std::to_string(line)));
  EXPECT_THAT(e, HasSubstr("timing.fetch.straddle_target"));
  // A missing parameter.
  text.replace(text.find("    straddle_target: [1, 2]\n"), std::string("    straddle_target: [1, 2]\n").size(), "");
  std::ofstream(bad) << text;
  EXPECT_THAT(error_of({"soc.core.timing=" + bad.string()}), HasSubstr("timing.fetch.straddle_target"));
  fs::remove_all(dir);
}

}  // namespace

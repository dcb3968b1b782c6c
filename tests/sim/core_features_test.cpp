// soc.core.user_mode / soc.core.pmp.* / soc.core.triggers: read into the core's config and checked
// against what the timing profile's core can have (configs/timing/*.yaml, `features:`). Every bad
// value is one ConfigError naming where it came from, the key and what is expected.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>

#include "sim/config.h"
#include "sim/soc.h"

namespace fs = std::filesystem;
using mcucim::sim::Config;
using mcucim::sim::ConfigError;
using mcucim::sim::read_soc_spec;

namespace {

const std::string kSrc = MCUCIM_SOURCE_DIR;
const std::string kBase = kSrc + "/configs/mcu-base.yaml";

std::string tmp_file(const std::string& name, const std::string& text) {
  static std::atomic<int> n{0};
  const fs::path dir = fs::temp_directory_path() / ("mcucim_core_features_" + std::to_string(::getpid()) + "_" +
                                                   std::to_string(n++));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

std::string error_of(const std::string& path, const std::vector<std::string>& sets) {
  try {
    Config c = Config::load(path, sets);
    read_soc_spec(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "missing '" << (part) << "' in:\n" << (text)

}  // namespace

TEST(CoreFeatures, DefaultsAreMachineModeOnly) {
  Config c = Config::load(kBase);
  const auto spec = read_soc_spec(c);
  EXPECT_FALSE(spec.core.cpu.user_mode);
  EXPECT_EQ(spec.core.cpu.pmp_entries, 0u);
  EXPECT_EQ(spec.core.cpu.pmp_granularity, 0u);
  EXPECT_EQ(spec.core.cpu.triggers, 0u);
}

TEST(CoreFeatures, IbexCanHaveAll) {
  Config c = Config::load(kBase, {"soc.core.timing=ibex", "soc.core.user_mode=true", "soc.core.pmp.entries=16",
                                  "soc.core.pmp.granularity=3", "soc.core.triggers=4"});
  const auto spec = read_soc_spec(c);
  EXPECT_TRUE(spec.core.cpu.user_mode);
  EXPECT_EQ(spec.core.cpu.pmp_entries, 16u);
  EXPECT_EQ(spec.core.cpu.pmp_granularity, 3u);
  EXPECT_EQ(spec.core.cpu.triggers, 4u);
  EXPECT_NO_THROW(c.check_all_used());
}

TEST(CoreFeatures, FeaturesTheProfilesCoreLacks) {
  std::string e = error_of(kBase, {"soc.core.pmp.entries=4"});  // mcu-base: picorv32
  EXPECT_CONTAINS(e, "soc.core.pmp.entries");
  EXPECT_CONTAINS(e, "--set");
  EXPECT_CONTAINS(e, "picorv32");
  EXPECT_CONTAINS(e, "without PMP; expected 0");
  e = error_of(kBase, {"soc.core.triggers=1"});
  EXPECT_CONTAINS(e, "soc.core.triggers");
  EXPECT_CONTAINS(e, "without debug triggers; expected 0");
  e = error_of(kBase, {"soc.core.timing=cv32e40p", "soc.core.user_mode=true"});
  EXPECT_CONTAINS(e, "soc.core.user_mode");
  EXPECT_CONTAINS(e, "without U-mode; expected false");
  e = error_of(kBase, {"soc.core.timing=cv32e40p", "soc.core.triggers=2"});
  EXPECT_CONTAINS(e, "at most 1 debug triggers, found 2");
  e = error_of(kBase, {"soc.core.timing=ibex", "soc.core.triggers=5"});
  EXPECT_CONTAINS(e, "at most 4 debug triggers, found 5");
}

TEST(CoreFeatures, OutOfRangeAndWrongTypesNameFileAndLine) {
  const std::string f = tmp_file("pmp17.yaml", "include: " + kBase +
                                                   "\nsoc:\n  core:\n    timing: ibex\n    pmp:\n      entries: 17\n");
  std::string e = error_of(f, {});
  EXPECT_CONTAINS(e, "pmp17.yaml:6");
  EXPECT_CONTAINS(e, "soc.core.pmp.entries");
  EXPECT_CONTAINS(e, "expected 0..16 PMP entries, found 17");
  e = error_of(kBase, {"soc.core.timing=ibex", "soc.core.pmp.entries=4", "soc.core.pmp.granularity=32"});
  EXPECT_CONTAINS(e, "soc.core.pmp.granularity");
  EXPECT_CONTAINS(e, "expected G = 0..31");
  e = error_of(kBase, {"soc.core.timing=ibex", "soc.core.pmp.granularity=2"});
  EXPECT_CONTAINS(e, "needs PMP entries");
  e = error_of(kBase, {"soc.core.timing=ibex", "soc.core.triggers=many"});
  EXPECT_CONTAINS(e, "soc.core.triggers");
  EXPECT_CONTAINS(e, "many");
  e = error_of(kBase, {"soc.core.timing=ibex", "soc.core.user_mode=maybe"});
  EXPECT_CONTAINS(e, "soc.core.user_mode");
  e = error_of(kBase, {"soc.core.timing=ibex", "soc.core.triggers=9"});
  EXPECT_CONTAINS(e, "expected 0..8 triggers, found 9");
}

TEST(CoreFeatures, BadProfileFeaturesNameTheProfile) {
  std::ifstream in(kSrc + "/configs/timing/ibex.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string prof = tmp_file("wide.yaml", std::regex_replace(ss.str(), std::regex("pmp_entries_max: 16"),
                                                                    "pmp_entries_max: 20"));
  std::string e = error_of(kBase, {"soc.core.timing=" + prof});
  EXPECT_CONTAINS(e, "wide.yaml:");
  EXPECT_CONTAINS(e, "features.pmp_entries_max");
  const std::string typo = tmp_file("typo.yaml", ss.str() + "  pmp_regions: 4\n");
  e = error_of(kBase, {"soc.core.timing=" + typo});
  EXPECT_CONTAINS(e, "features.pmp_regions");
}

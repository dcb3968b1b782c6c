// The firmware linker values (runtime/board/mcu-base.cmake) and the device base addresses compiled
// into the firmware headers (runtime/include/mcucim/*.h) must equal configs/mcu-base.yaml, the
// source of truth. The YAML is read with yaml-cpp directly (not sim::Config), the cmake file with a
// regex, so a drift in either file fails here.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "mcucim/clint.h"
#include "mcucim/simctrl.h"
#include "mcucim/uart.h"

namespace {

const std::string kYaml = std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base.yaml";
const std::string kCmake = std::string(MCUCIM_SOURCE_DIR) + "/runtime/board/mcu-base.cmake";

// "0x2000_0000", "512KiB", "2MiB", "4096" -> value. Written for this test (independent of
// sim::Config's parser).
uint64_t parse_yaml_int(const std::string& text) {
  std::string s;
  for (char c : text)
    if (c != '_' && !std::isspace(static_cast<unsigned char>(c))) s += c;
  uint64_t mult = 1;
  const std::pair<const char*, uint64_t> suffixes[] = {{"KiB", 1ull << 10}, {"MiB", 1ull << 20},
                                                       {"GiB", 1ull << 30}};
  for (const auto& [suf, m] : suffixes) {
    const std::string sf = suf;
    if (s.size() > sf.size() && s.compare(s.size() - sf.size(), sf.size(), sf) == 0) {
      s.resize(s.size() - sf.size());
      mult = m;
      break;
    }
  }
  size_t used = 0;
  const uint64_t v = std::stoull(s, &used, 0);
  if (used != s.size()) throw std::invalid_argument("cannot parse '" + text + "' as an integer");
  return v * mult;
}

// MCUCIM_<NAME>_<BASE|SIZE> -> value, from `set(...)` lines.
std::map<std::string, uint64_t> parse_cmake(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::map<std::string, uint64_t> vals;
  const std::regex re(R"(^\s*set\(\s*(MCUCIM_[A-Z0-9]+_(BASE|SIZE))\s+(0x[0-9A-Fa-f]+|[0-9]+)\s*\))");
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    n++;
    std::smatch m;
    if (std::regex_search(line, m, re)) {
      if (vals.count(m[1])) ADD_FAILURE() << path << ":" << n << ": " << m[1] << " set twice";
      vals[m[1]] = std::stoull(m[3], nullptr, 0);
    }
  }
  return vals;
}

std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(MemmapConsistency, YamlIntParser) {
  EXPECT_EQ(parse_yaml_int("0x2000_0000"), 0x20000000u);
  EXPECT_EQ(parse_yaml_int("512KiB"), 524288u);
  EXPECT_EQ(parse_yaml_int("2MiB"), 2097152u);
  EXPECT_EQ(parse_yaml_int("1000"), 1000u);
  EXPECT_THROW(parse_yaml_int("12 apples"), std::invalid_argument);
}

TEST(MemmapConsistency, LinkerValuesEqualYamlMemories) {
  const YAML::Node root = YAML::LoadFile(kYaml);
  const YAML::Node mems = root["soc"]["memories"];
  ASSERT_TRUE(mems && mems.IsMap()) << kYaml << ": soc.memories missing";
  const auto cm = parse_cmake(kCmake);
  ASSERT_TRUE(cm.count("MCUCIM_FLASH_BASE") && cm.count("MCUCIM_SRAM_BASE"))
      << kCmake << ": expected MCUCIM_FLASH_BASE and MCUCIM_SRAM_BASE";

  // every memory of the YAML is in the cmake file with equal base and size ...
  for (const auto& kv : mems) {
    const std::string name = kv.first.as<std::string>();
    for (const char* field : {"base", "size"}) {
      const std::string var = "MCUCIM_" + upper(name) + "_" + upper(field);
      ASSERT_TRUE(kv.second[field]) << kYaml << ": soc.memories." << name << "." << field << " missing";
      const uint64_t yaml_val = parse_yaml_int(kv.second[field].as<std::string>());
      ASSERT_TRUE(cm.count(var)) << kCmake << " lacks " << var << " (soc.memories." << name << "."
                                 << field << " = " << kv.second[field].as<std::string>() << ")";
      EXPECT_EQ(cm.at(var), yaml_val) << kCmake << ": " << var << " = 0x" << std::hex << cm.at(var)
                                      << ", but " << kYaml << " soc.memories." << name << "." << field
                                      << " = 0x" << yaml_val;
    }
  }
  // ... and the cmake file names no memory the YAML lacks
  for (const auto& [var, val] : cm) {
    std::string name = var.substr(7, var.rfind('_') - 7);
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(mems[name]) << kCmake << ": " << var << " has no soc.memories." << name << " in " << kYaml;
  }
}

TEST(MemmapConsistency, HeaderDeviceBasesEqualYaml) {
  const YAML::Node devs = YAML::LoadFile(kYaml)["soc"]["devices"];
  ASSERT_TRUE(devs && devs.IsMap()) << kYaml << ": soc.devices missing";
  // header macro value for each device kind
  const std::map<std::string, std::pair<const char*, uint64_t>> header = {
      {"clint", {"MCUCIM_CLINT_BASE (mcucim/clint.h)", MCUCIM_CLINT_BASE}},
      {"uart", {"MCUCIM_UART_BASE (mcucim/uart.h)", MCUCIM_UART_BASE}},
      {"simctrl", {"MCUCIM_SIMCTRL_BASE (mcucim/simctrl.h)", MCUCIM_SIMCTRL_BASE}}};
  std::map<std::string, int> seen;
  for (const auto& kv : devs) {
    const std::string kind = kv.second["kind"].as<std::string>();
    auto it = header.find(kind);
    if (it == header.end()) continue;
    if (seen[kind]++) continue;  // the header default is for the first device of a kind
    const uint64_t base = parse_yaml_int(kv.second["base"].as<std::string>());
    EXPECT_EQ(it->second.second, base) << it->second.first << " = 0x" << std::hex << it->second.second
                                       << ", but " << kYaml << " soc.devices." << kv.first.as<std::string>()
                                       << ".base = 0x" << base;
  }
  for (const auto& [kind, h] : header) EXPECT_GE(seen[kind], 1) << kYaml << " has no device of kind " << kind;
}

}  // namespace

// Results by name: report selectors (regions[name=ffn].cycles), their checks against the report schema,
// the firmware's region names and the config's components at spec load, and `constraints:` on result
// columns. Expected values are written out by hand from the JSON and spec texts below.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/expr.h"
#include "sweep/select.h"
#include "sweep/spec.h"

using namespace mcucim::sweep;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string tmpdir() {
  static std::string d = [] {
    char t[] = "/tmp/mcucim-sweep-select-XXXXXX";
    return std::string(mkdtemp(t));
  }();
  return d;
}

std::string base_cfg() { return std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base.yaml"; }
std::string fw(const std::string& n) { return std::string(MCUCIM_FIRMWARE_DIR) + "/" + n + ".elf"; }

// A spec on bench_matvec (its regions: int8_scalar, int8_xmac_4row, int8_xmac_8row, ...) with `metrics`
// and `tail` appended; returns its path. Line numbers: metrics start at line 5.
std::string spec_with(const std::string& name, const std::string& metrics, const std::string& tail = "") {
  const std::string path = tmpdir() + "/" + name + ".yaml";
  std::ofstream(path) << "base: " << base_cfg() << "\n"             // 1
                      << "workload:\n"                              // 2
                      << "  firmware: " << fw("bench_matvec") << "\n"  // 3
                      << "  metrics:\n"                             // 4
                      << metrics                                    // 5...
                      << "axes:\n  - path: soc.xmac.lanes\n    values: [1, 2]\n"
                      << tail;
  return path;
}

std::string error_of(const std::string& path) {
  try {
    LoadOptions o;
    o.firmware_dir = MCUCIM_FIRMWARE_DIR;
    load_spec(path, o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const json kReport = json::parse(R"({
  "cycles": 1000,
  "energy_j": {"total": 2.5e-6, "by_component": {"core": 1e-6},
               "components": [{"name": "core", "kind": "core", "dynamic_j": 0.9e-6, "leakage_j": 0.1e-6},
                              {"name": "sram", "kind": "sram", "dynamic_j": 1.0e-6, "leakage_j": 0.5e-6}]},
  "regions": [{"id": 1, "name": "embed", "cycles": 10},
              {"id": 2, "name": "ffn", "cycles": 30, "energy_j": {"total": 7e-7}},
              {"id": 3, "name": "attention", "cycles": 20}]
})");

json pick(const std::string& text) {
  Selector s;
  const std::string e = parse_selector(text, s);
  EXPECT_EQ(e, "") << text;
  const json* v = select(kReport, s);
  return v ? *v : json("(absent)");
}

}  // namespace

TEST(SweepSelect, ByNameIndexAndKey) {
  EXPECT_EQ(pick("regions[name=ffn].cycles"), 30);
  EXPECT_EQ(pick("regions[name=attention].cycles"), 20);
  EXPECT_EQ(pick("regions[id=3].name"), "attention");  // numbers compare as their text
  EXPECT_EQ(pick("regions.0.name"), "embed");
  EXPECT_EQ(pick("regions[name=ffn].energy_j.total"), 7e-7);
  EXPECT_EQ(pick("energy_j.components[name=sram].leakage_j"), 0.5e-6);
  EXPECT_EQ(pick("energy_j.by_component.core"), 1e-6);
  EXPECT_EQ(pick("regions[name=classifier].cycles"), "(absent)");
  EXPECT_EQ(pick("regions.7.cycles"), "(absent)");
}

TEST(SweepSelect, SyntaxErrors) {
  Selector s;
  EXPECT_NE(parse_selector("regions[name=ffn.cycles", s), "");
  EXPECT_NE(parse_selector("regions[name].cycles", s), "");
  EXPECT_NE(parse_selector("regions..cycles", s), "");
  EXPECT_NE(parse_selector("[name=ffn].cycles", s), "");
  EXPECT_NE(parse_selector("regions[name=ffn]x.cycles", s), "");
}

TEST(SweepSelect, RegionNamesOfTheFirmware) {
  const auto strings = elf_strings(fw("bench_matvec"));
  EXPECT_TRUE(region_name_possible("int8_xmac_8row", strings));
  EXPECT_TRUE(region_name_possible("int4_scalar", strings));
  EXPECT_FALSE(region_name_possible("int8_xmac_9row", strings));
  EXPECT_EQ(closest("int8_xmac_8rw", strings), "int8_xmac_8row");
  // Run-time names: "expert" + digits is accepted when "expert" occurs in the firmware's strings.
  EXPECT_TRUE(region_name_possible("expert12", {"expert.w1"}));
  EXPECT_FALSE(region_name_possible("expert12", {"experimental"}));
  // Tail-merged strings: "ffn" stored inside "rms_ffn".
  EXPECT_TRUE(region_name_possible("ffn", {"rms_ffn"}));
}

TEST(SweepSelect, SpecReadsRegionsByName) {
  LoadOptions o;
  o.firmware_dir = MCUCIM_FIRMWARE_DIR;
  Spec s = load_spec(spec_with("ok", "    - report:regions[name=int8_xmac_8row].cycles\n"
                                     "    - agreement\n"
                                     "    - \"report:energy_j.components[name=sram].leakage_j\"\n"),
                     o);
  ASSERT_EQ(s.report_metrics.size(), 2u);
  EXPECT_EQ(s.report_metrics[0].column, "regions[name=int8_xmac_8row].cycles");
  EXPECT_EQ(s.report_metrics[1].column, "energy_j.components[name=sram].leakage_j");
  ASSERT_EQ(s.metrics.size(), 1u);
  EXPECT_EQ(s.metrics[0], "agreement");
}

// Fields that are "null or an object" in the schema (the token statistics) select into the object.
TEST(SweepSelect, TokenStatisticsAreSelectable) {
  LoadOptions o;
  o.firmware_dir = MCUCIM_FIRMWARE_DIR;
  Spec s = load_spec(spec_with("tokstat", "    - report:tokens.decode.latency_s.p50\n"
                                          "    - report:tokens.decode.energy_j_per_token.p90\n"),
                     o);
  ASSERT_EQ(s.report_metrics.size(), 2u);
  EXPECT_EQ(s.report_metrics[0].column, "tokens.decode.latency_s.p50");
  const std::string e = error_of(spec_with("tokstat2", "    - report:tokens.decode.latency_s.p50.x\n"));
  EXPECT_NE(e.find("is a value, not an object"), std::string::npos) << e;
}

TEST(SweepSelect, UnknownRegionNameIsAnErrorWithFileAndLine) {
  const std::string p = spec_with("badregion", "    - report:regions[name=int8_xmac_8rw].cycles\n");
  const std::string e = error_of(p);
  EXPECT_NE(e.find(p + ":5:"), std::string::npos) << e;
  EXPECT_NE(e.find("no region named 'int8_xmac_8rw'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'int8_xmac_8row'"), std::string::npos) << e;
}

TEST(SweepSelect, UnknownFieldIsAnErrorWithFileAndLine) {
  const std::string p = spec_with("badfield", "    - agreement\n    - report:regions[name=int8_scalar].cycle\n");
  const std::string e = error_of(p);
  EXPECT_NE(e.find(p + ":6:"), std::string::npos) << e;
  EXPECT_NE(e.find("has no field 'cycle'"), std::string::npos) << e;
  const std::string p2 = spec_with("badfield2", "    - report:regions[nam=int8_scalar].cycles\n");
  EXPECT_NE(error_of(p2).find("have no field 'nam'"), std::string::npos) << error_of(p2);
  const std::string p3 = spec_with("badtop", "    - report:energy_j.totl\n");
  EXPECT_NE(error_of(p3).find("'energy_j' has no field 'totl'"), std::string::npos) << error_of(p3);
}

TEST(SweepSelect, UnknownComponentIsAnError) {
  const std::string p = spec_with("badcomp", "    - \"report:energy_j.components[name=sramm].total_j\"\n");
  const std::string e = error_of(p);
  EXPECT_NE(e.find(p + ":5:"), std::string::npos) << e;
  EXPECT_NE(e.find("no component named 'sramm'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'sram'"), std::string::npos) << e;
}

TEST(SweepSelect, ConstraintsOnResultColumns) {
  LoadOptions o;
  o.firmware_dir = MCUCIM_FIRMWARE_DIR;
  Spec s = load_spec(spec_with("cons", "    - agreement\n    - report:regions[name=int8_xmac_8row].cycles\n",
                               "constraints:\n  - \"metric.agreement >= 0.95\"\n"
                               "  - \"regions[name=int8_xmac_8row].cycles < 50000 && energy_per_token_j < 1e-3\"\n"
                               "  - \"energy_j.sram < energy_j.core\"\n"),
                     o);
  ASSERT_EQ(s.constraints.size(), 3u);
  EXPECT_EQ(s.constraints[0].text, "metric.agreement >= 0.95");
  EXPECT_EQ(s.points.size(), 2u);  // constraints drop no point: they mark results
}

TEST(SweepSelect, BadConstraintsNameFileAndLine) {
  // metrics at line 5, axes at 6-8, constraints: at 9, its first entry at 10.
  struct Case {
    std::string constraint, expect;
  } cases[] = {
      {"metric.agreemnt >= 0.95", "'metric.agreemnt' is not a declared metric"},
      {"energy_per_tokn_j < 1", "did you mean 'energy_per_token_j'"},
      {"metric.agreement >=", "expression ends too early"},
      {"energy_j.sramm > 0", "'energy_j.sramm' is not a column of the results"},
      {"regions[name=ffn.cycles > 0", "unterminated '['"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const std::string p = spec_with("badcons" + std::to_string(n++), "    - agreement\n",
                                    "constraints:\n  - \"" + c.constraint + "\"\n");
    const std::string e = error_of(p);
    EXPECT_NE(e.find(p + ":10"), std::string::npos) << c.constraint << ": " << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.constraint << ": " << e;
  }
}

TEST(SweepSelect, ParseSpecFromText) {
  // The same parser on a string (fuzzers): relative paths against opt.dir, errors name the given name.
  LoadOptions o;
  o.firmware_dir = MCUCIM_FIRMWARE_DIR;
  o.dir = std::string(MCUCIM_SOURCE_DIR) + "/configs/sweeps";
  Spec s = parse_spec("base: ../mcu-base.yaml\nworkload:\n  firmware: selfcheck\naxes:\n"
                      "  - path: soc.clock.freq_hz\n    values: [1e8, 2e8]\n",
                      "text.yaml", o);
  EXPECT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.base_config, fs::path(MCUCIM_SOURCE_DIR + std::string("/configs/mcu-base.yaml")).lexically_normal().string());
  for (const char* bad : {"base: [", "axes: 3", "base: ../mcu-base.yaml\nworkload: {firmware: selfcheck}\naxes: []\n", "\x01\x02"}) {
    try {
      parse_spec(bad, "text.yaml", o);
      ADD_FAILURE() << "no error for " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("text.yaml"), std::string::npos) << e.what();
    }
  }
}

TEST(SweepSelect, DeepOrLongConstraintsAreErrorsNotStackOverflows) {
  // Issue 18 (sweep-spec fuzzer): 10,000 nested parentheses overflowed the stack of the recursive
  // parser. Parentheses and prefix operators nest at most 64 deep; an expression has at most 1024 tokens.
  const Origin at{"spec.yaml", 7};
  auto nested = [](int depth) { return std::string(depth, '(') + "2" + std::string(depth, ')') + " > 1"; };
  const Constraint ok = parse_constraint(nested(64), at);  // the limit itself is accepted
  EXPECT_TRUE(constraint_true(ok, [](const std::string&) { return Value{}; }));
  struct Case {
    std::string text, expect;
  } cases[] = {
      {nested(65), "nested more than 64 deep"},
      {nested(10000), "20003 tokens, at most 1024"},
      {std::string(100, '-') + "1", "nested more than 64 deep"},
      {std::string(100, '!') + "1", "nested more than 64 deep"},
  };
  // 1 + 1 + ... with 513 terms: 1025 tokens.
  std::string sum = "1";
  for (int i = 0; i < 512; i++) sum += " + 1";
  std::vector<Case> all(std::begin(cases), std::end(cases));
  all.push_back({sum, "1025 tokens, at most 1024"});
  for (const auto& c : all) {
    try {
      parse_constraint(c.text, at);
      ADD_FAILURE() << "no error for " << c.text.substr(0, 40);
    } catch (const ConfigError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("spec.yaml:7"), std::string::npos) << m;
      EXPECT_NE(m.find(c.expect), std::string::npos) << m;
      EXPECT_LT(m.size(), 600u) << "the message shows at most 200 characters of the expression";
    }
  }
  // 511 terms and "== 511" (1023 tokens) are accepted and evaluate to true (a left-deep chain,
  // evaluated recursively); two more tokens are one too many.
  std::string sum511 = "1";
  for (int i = 0; i < 510; i++) sum511 += " + 1";
  EXPECT_TRUE(constraint_true(parse_constraint(sum511 + " == 511", at), [](const std::string&) { return Value{}; }));
  EXPECT_FALSE(constraint_true(parse_constraint(sum511 + " == 510", at), [](const std::string&) { return Value{}; }));
  EXPECT_THROW(parse_constraint(sum511 + " == 511 + 1", at), ConfigError);  // 1025 tokens
}

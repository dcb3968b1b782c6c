// Sweep specs: combining axes (product, zip, seeded random), constraints, and clear errors for bad
// specs. Expected point lists are written out by hand from the spec text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "sweep/spec.h"

using namespace mcucim::sweep;
namespace fs = std::filesystem;

namespace {

std::string tmpdir() {
  static std::string d = [] {
    char t[] = "/tmp/mcucim-sweep-spec-XXXXXX";
    return std::string(mkdtemp(t));
  }();
  return d;
}

std::string base_cfg() { return std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base.yaml"; }

// Write a spec with the standard header (base + workload) and `body`; return its path.
std::string write_spec(const std::string& name, const std::string& body) {
  const std::string path = tmpdir() + "/" + name + ".yaml";
  std::ofstream(path) << "base: " << base_cfg() << "\nworkload:\n  firmware: selfcheck\n" << body;
  return path;
}

Spec load(const std::string& path, bool validate = true) {
  LoadOptions o;
  o.firmware_dir = MCUCIM_FIRMWARE_DIR;
  o.validate_paths = validate;
  return load_spec(path, o);
}

// The points as "v1|v2|..." strings.
std::vector<std::string> values(const Spec& s) {
  std::vector<std::string> out;
  for (const auto& p : s.points) {
    std::string x;
    for (const auto& kv : p.values) x += (x.empty() ? "" : "|") + kv.second;
    out.push_back(x);
  }
  return out;
}

std::string error_of(const std::string& path) {
  try {
    load(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(SweepSpec, ProductLastAxisFastest) {
  Spec s = load(write_spec("product", R"(axes:
  - path: soc.clock.freq_hz
    values: [50e6, 100e6]
  - path: soc.core.timing
    values: [picorv32, ibex, cv32e40p]
)"));
  EXPECT_EQ(values(s), (std::vector<std::string>{"50e6|picorv32", "50e6|ibex", "50e6|cv32e40p", "100e6|picorv32",
                                                 "100e6|ibex", "100e6|cv32e40p"}));
  EXPECT_EQ(s.combine, "product");
  EXPECT_EQ(s.firmware, std::string(MCUCIM_FIRMWARE_DIR) + "/selfcheck.elf");
  std::set<std::string> ids;
  for (const auto& p : s.points) ids.insert(p.id);
  EXPECT_EQ(ids.size(), 6u);
}

TEST(SweepSpec, RangeValues) {
  Spec s = load(write_spec("range", R"(axes:
  - path: soc.power.voltage_v
    range: {from: 0.6, to: 0.9, step: 0.1}
  - path: soc.xmac.lanes
    values: {from: 2, to: 8, step: 3}
)"));
  ASSERT_EQ(s.axes.size(), 2u);
  EXPECT_EQ(s.axes[0].values, (std::vector<std::string>{"0.6", "0.7", "0.8", "0.9"}));
  EXPECT_EQ(s.axes[1].values, (std::vector<std::string>{"2", "5", "8"}));
  EXPECT_EQ(s.points.size(), 12u);
}

TEST(SweepSpec, Zip) {
  Spec s = load(write_spec("zip", R"(axes:
  - path: soc.clock.freq_hz
    values: [50e6, 100e6, 200e6]
  - path: soc.power.voltage_v
    values: [0.6, 0.7, 0.9]
combine: zip
)"));
  EXPECT_EQ(values(s), (std::vector<std::string>{"50e6|0.6", "100e6|0.7", "200e6|0.9"}));
}

TEST(SweepSpec, ZipLengthsMustAgree) {
  const std::string e = error_of(write_spec("zipbad", R"(axes:
  - path: soc.clock.freq_hz
    values: [50e6, 100e6, 200e6]
  - path: soc.power.voltage_v
    values: [0.6, 0.7]
combine: zip
)"));
  EXPECT_NE(e.find("zipbad.yaml:7"), std::string::npos) << e;
  EXPECT_NE(e.find("soc.power.voltage_v"), std::string::npos) << e;
  EXPECT_NE(e.find("zip"), std::string::npos) << e;
}

TEST(SweepSpec, Constraints) {
  // 3 x 4 = 12 points; exclude f > (V - 0.5) * 500 MHz (by hand: V=0.6 allows 50; 0.7 allows 50, 100;
  // 0.8 allows 50, 100; 0.9 allows all three), and the corner 50e6 at 0.9 by a string/and rule.
  Spec s = load(write_spec("constraints", R"(axes:
  - path: soc.clock.freq_hz
    values: [50e6, 100e6, 200e6]
  - path: soc.power.voltage_v
    values: [0.6, 0.7, 0.8, 0.9]
exclude:
  - "soc.clock.freq_hz > (soc.power.voltage_v - 0.5) * 500e6 + 1e6"
  - "soc.clock.freq_hz == 50e6 and soc.power.voltage_v >= 0.9 and soc.core.timing == 'picorv32'"
)"));
  EXPECT_EQ(values(s), (std::vector<std::string>{"50e6|0.6", "50e6|0.7", "50e6|0.8", "100e6|0.7", "100e6|0.8",
                                                 "100e6|0.9", "200e6|0.9"}));
}

TEST(SweepSpec, ConstraintArithmeticAndBaseValues) {
  // soc.memories.sram.size is 512KiB in the base config: 512 KiB / 1024 = 512.
  Spec s = load(write_spec("constraints2", R"Y(axes:
  - path: soc.xmac.lanes
    values: [1, 2, 4, 8, 16]
exclude:
  - "soc.xmac.lanes * 64 > soc.memories.sram.size / 1024 || soc.xmac.lanes % 2 == 1"
  - "!(soc.xmac.lanes != 4)"
)Y"));
  EXPECT_EQ(values(s), (std::vector<std::string>{"2", "8"}));
}

TEST(SweepSpec, ConstraintErrorsNameTheConstraint) {
  std::string e = error_of(write_spec("cbad", R"(axes:
  - path: soc.xmac.lanes
    values: [1, 2]
exclude:
  - "soc.xmac.lane > 1"
)"));
  EXPECT_NE(e.find("cbad.yaml:8"), std::string::npos) << e;
  EXPECT_NE(e.find("'soc.xmac.lane'"), std::string::npos) << e;
  e = error_of(write_spec("csyntax", R"(axes:
  - path: soc.xmac.lanes
    values: [1, 2]
exclude:
  - "soc.xmac.lanes > (1"
)"));
  EXPECT_NE(e.find("csyntax.yaml:8"), std::string::npos) << e;
  EXPECT_NE(e.find("missing ')'"), std::string::npos) << e;
}

TEST(SweepSpec, RandomIsSeededAndReproducible) {
  const std::string body = R"(axes:
  - path: soc.xmac.lanes
    values: [1, 2, 3, 4, 5, 6]
  - path: soc.power.voltage_v
    values: [0.6, 0.7, 0.8, 0.9]
combine: {random: {count: 7, seed: SEED}}
)";
  auto with_seed = [&](const std::string& name, const std::string& seed) {
    std::string b = body;
    b.replace(b.find("SEED"), 4, seed);
    return load(write_spec(name, b));
  };
  Spec a = with_seed("rnd1", "42"), b = with_seed("rnd2", "42"), c = with_seed("rnd3", "43");
  EXPECT_EQ(values(a), values(b));
  EXPECT_EQ(a.points.size(), 7u);
  EXPECT_NE(values(a), values(c));  // 24 choose 7 samples: two seeds giving the same one would be a bug
  // A subset of the product, without repeats, in product order.
  Spec all = load(write_spec("rndall", R"(axes:
  - path: soc.xmac.lanes
    values: [1, 2, 3, 4, 5, 6]
  - path: soc.power.voltage_v
    values: [0.6, 0.7, 0.8, 0.9]
)"));
  auto full = values(all);
  size_t last = 0;
  std::set<std::string> seen;
  for (const auto& v : values(a)) {
    auto it = std::find(full.begin(), full.end(), v);
    ASSERT_NE(it, full.end()) << v;
    EXPECT_GE(size_t(it - full.begin()), last);
    last = it - full.begin();
    EXPECT_TRUE(seen.insert(v).second) << v;
  }
  // count larger than the product: every point once.
  Spec big = with_seed("rndbig", "1");
  std::string b2 = body;
  b2.replace(b2.find("count: 7"), 8, "count: 100");
  b2.replace(b2.find("SEED"), 4, "5");
  EXPECT_EQ(load(write_spec("rndbig2", b2)).points.size(), 24u);
}

TEST(SweepSpec, RandomRespectsConstraints) {
  Spec s = load(write_spec("rndc", R"(axes:
  - path: soc.xmac.lanes
    values: [1, 2, 3, 4, 5, 6, 7, 8]
combine: {random: {count: 3, seed: 9}}
exclude: ["soc.xmac.lanes > 2"]
)"));
  EXPECT_EQ(values(s), (std::vector<std::string>{"1", "2"}));
}

TEST(SweepSpec, IdsAreStableAndIndependentOfAxisOrder) {
  Spec a = load(write_spec("ida", R"(axes:
  - path: soc.clock.freq_hz
    values: [50e6]
  - path: soc.power.voltage_v
    values: [0.7]
)"));
  Spec b = load(write_spec("idb", R"(axes:
  - path: soc.power.voltage_v
    values: [0.7]
  - path: soc.clock.freq_hz
    values: [50e6]
)"));
  ASSERT_EQ(a.points.size(), 1u);
  EXPECT_EQ(a.points[0].id, b.points[0].id);
  EXPECT_EQ(a.points[0].id, point_id({"soc.clock.freq_hz=50e6", "soc.power.voltage_v=0.7"}));
  EXPECT_EQ(a.points[0].id.size(), 16u);
  // Fixed sets are part of the point's overrides, hence of its id.
  Spec c = load(write_spec("idc", R"(set: ["soc.core.timing=ibex"]
axes:
  - path: soc.power.voltage_v
    values: [0.7]
  - path: soc.clock.freq_hz
    values: [50e6]
)"));
  EXPECT_NE(a.points[0].id, c.points[0].id);
}

TEST(SweepSpec, UnknownPathNamesTheAxisAndLine) {
  const std::string e = error_of(write_spec("unknown", R"(axes:
  - path: soc.clock.freq_hz
    values: [50e6]
  - path: soc.clock.frequency
    values: [1e6, 2e6]
)"));
  EXPECT_NE(e.find("unknown.yaml:7"), std::string::npos) << e;
  EXPECT_NE(e.find("axis 'soc.clock.frequency'"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown config path"), std::string::npos) << e;
}

TEST(SweepSpec, KeysReadWithDefaultsAreKnown) {
  // soc.bus.latency_cycles is not in mcu-base.yaml, but elaboration reads it (default 0).
  Spec s = load(write_spec("defaults", R"(axes:
  - path: soc.bus.latency_cycles
    values: [0, 1]
)"));
  EXPECT_EQ(s.points.size(), 2u);
}

TEST(SweepSpec, EmptyAxisNamesTheAxis) {
  std::string e = error_of(write_spec("empty", R"(axes:
  - path: soc.xmac.lanes
    values: []
)"));
  EXPECT_NE(e.find("empty.yaml:5"), std::string::npos) << e;
  EXPECT_NE(e.find("axis 'soc.xmac.lanes'"), std::string::npos) << e;
  EXPECT_NE(e.find("no values"), std::string::npos) << e;
  e = error_of(write_spec("emptyrange", R"(axes:
  - path: soc.xmac.lanes
    range: {from: 8, to: 2, step: 1}
)"));
  EXPECT_NE(e.find("axis 'soc.xmac.lanes'"), std::string::npos) << e;
  EXPECT_NE(e.find("no values"), std::string::npos) << e;
}

TEST(SweepSpec, TypeMismatchNamesTheAxisAndValue) {
  std::string e = error_of(write_spec("type1", R"(axes:
  - path: soc.xmac.lanes
    values: [4, wide]
)"));
  EXPECT_NE(e.find("type1.yaml:5"), std::string::npos) << e;
  EXPECT_NE(e.find("axis 'soc.xmac.lanes'"), std::string::npos) << e;
  EXPECT_NE(e.find("'wide'"), std::string::npos) << e;
  EXPECT_NE(e.find("an integer"), std::string::npos) << e;
  e = error_of(write_spec("type2", R"(axes:
  - path: soc.xmac.lanes
    values: [2.5]
)"));
  EXPECT_NE(e.find("'2.5'"), std::string::npos) << e;
  e = error_of(write_spec("type3", R"(axes:
  - path: soc.power.voltage_v
    values: [0.8, low]
)"));
  EXPECT_NE(e.find("axis 'soc.power.voltage_v'"), std::string::npos) << e;
  EXPECT_NE(e.find("a number"), std::string::npos) << e;
  e = error_of(write_spec("type4", R"(axes:
  - path: soc.core.fetch_buffer
    values: [4]
)"));
  EXPECT_NE(e.find("a map"), std::string::npos) << e;
  // A map value for a map key is fine (given to --set as a flow map).
  Spec s = load(write_spec("type5", R"(axes:
  - path: soc.core.fetch_buffer
    values: [{lines: 4, line_bytes: 16}]
)"));
  ASSERT_EQ(s.points.size(), 1u);
  EXPECT_EQ(s.points[0].values[0].second, R"({"line_bytes":16,"lines":4})");
}

TEST(SweepSpec, OtherSpecErrors) {
  EXPECT_NE(error_of(write_spec("noaxes", "combine: product\n")).find("axes"), std::string::npos);
  std::string e = error_of(write_spec("typo", R"(axes:
  - path: soc.xmac.lanes
    values: [1]
combin: zip
)"));
  EXPECT_NE(e.find("unknown key 'combin'"), std::string::npos) << e;
  e = error_of(write_spec("badset", R"(set: ["soc.core.timming=ibex"]
axes:
  - path: soc.xmac.lanes
    values: [1]
)"));
  EXPECT_NE(e.find("soc.core.timming"), std::string::npos) << e;
  const std::string p = tmpdir() + "/nofw.yaml";
  std::ofstream(p) << "base: " << base_cfg() << "\nworkload:\n  firmware: no_such_program\naxes:\n"
                   << "  - path: soc.xmac.lanes\n    values: [1]\n";
  e = error_of(p);
  EXPECT_NE(e.find("no_such_program"), std::string::npos) << e;
  EXPECT_NE(e.find("nofw.yaml:3"), std::string::npos) << e;
}

TEST(SweepSpec, ShippedExamplesParse) {
  // The examples that do not depend on issues 5/6 (the CIM placeholders are not tested).
  for (const char* name : {"freq-voltage", "xmac-lanes", "timing-profiles"}) {
    SCOPED_TRACE(name);
    Spec s = load(std::string(MCUCIM_SOURCE_DIR) + "/configs/sweeps/" + name + ".yaml");
    EXPECT_GT(s.points.size(), 1u);
  }
}

TEST(SweepSpec, PointCommandLine) {
  const std::string p = tmpdir() + "/cmd.yaml";
  std::ofstream(p) << "base: " << base_cfg() << "\nworkload:\n  firmware: selfcheck\n  args: [--max-cycles, 1000]\n"
                   << "set: [soc.core.isa=rv32imc]\naxes:\n  - path: soc.xmac.lanes\n    values: [2]\n";
  Spec s = load(p);
  ASSERT_EQ(s.points.size(), 1u);
  const auto argv = point_argv(s, s.points[0], "/bin/mcucim", "/o/points/x.json");
  const std::vector<std::string> want = {"/bin/mcucim", "run", "-c", base_cfg(), "--elf",
                                         std::string(MCUCIM_FIRMWARE_DIR) + "/selfcheck.elf", "--set",
                                         "soc.core.isa=rv32imc", "--set", "soc.xmac.lanes=2", "--report",
                                         "/o/points/x.json", "-q", "--no-progress", "--max-cycles", "1000"};
  EXPECT_EQ(argv, want);
  // With a semihosting root (issue 18: each point's program reaches only its own folder).
  std::vector<std::string> want_root = want;
  want_root.insert(want_root.end() - 2, {"--semihost-root", "/o/points/x"});
  EXPECT_EQ(point_argv(s, s.points[0], "/bin/mcucim", "/o/points/x.json", "/o/points/x"), want_root);
  const std::string line = point_shell(s, s.points[0], "/bin/mcucim", "/o");
  const std::string id = s.points[0].id;
  EXPECT_EQ(line.rfind("mkdir -p /o/points/" + id + " && /bin/mcucim run ", 0), 0u) << line;
  EXPECT_NE(line.find("--no-progress --semihost-root /o/points/" + id + " --max-cycles"), std::string::npos) << line;
  EXPECT_NE(line.find("--report /o/points/" + id + ".json"), std::string::npos) << line;
  EXPECT_NE(line.find("> /o/points/" + id + ".out 2> /o/points/" + id + ".err; echo $? > /o/points/" + id + ".rc"),
            std::string::npos)
      << line;
}

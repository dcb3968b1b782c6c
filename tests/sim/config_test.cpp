// Tests for sim::Config: includes, --set, typed getters, origins, unknown-key detection, to_json, sub().
// Expected values are worked out by hand from the YAML written here (line numbers are 1-based and
// counted in the raw strings: the first line after R"( is line 1).
#include "sim/config.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using mcucim::sim::Config;
using mcucim::sim::ConfigError;
using mcucim::sim::Origin;

namespace {

// A fresh temporary directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("mcucim_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  // Writes `text` to `rel` (creating folders) and returns the full path as a string.
  std::string write(const std::string& rel, const std::string& text) const {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  fs::path path_;
};

// EXPECT_CONTAINS(text, part): `part` occurs in `text` (prints the text on failure).
#define EXPECT_CONTAINS(text, part)                                                   \
  do {                                                                                \
    const std::string text_ = (text);                                                 \
    EXPECT_NE(text_.find(part), std::string::npos) << "missing '" << (part) << "' in:\n" << text_; \
  } while (0)

// Runs `f`, expects a ConfigError, returns its message.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Loading and includes

TEST(ConfigLoad, FileNotFoundNamesPath) {
  TempDir d;
  std::string msg = error_of([&] { Config::load(d.path("nope.yaml")); });
  EXPECT_CONTAINS(msg, d.path("nope.yaml"));
  EXPECT_CONTAINS(msg, "no such file");
}

TEST(ConfigLoad, YamlSyntaxErrorHasFileLineColumn) {
  // Line 3 has a flow sequence that is never closed; yaml-cpp reports it where it gives up.
  std::string msg = error_of([] { Config::parse("a: 1\nb:\n  c: [1, 2\n", "bad.yaml"); });
  EXPECT_CONTAINS(msg, "bad.yaml:");
  EXPECT_CONTAINS(msg, "YAML syntax error");
  // Bad indentation: "  b: 2" under a scalar is an error at line 2.
  msg = error_of([] { Config::parse("a: 1\n  b: 2\n", "indent.yaml"); });
  EXPECT_CONTAINS(msg, "indent.yaml:2:");
}

TEST(ConfigLoad, DuplicateKeyIsAnError) {
  std::string msg = error_of([] { Config::parse("soc:\n  name: a\n  name: b\n", "dup.yaml"); });
  EXPECT_CONTAINS(msg, "dup.yaml:3");
  EXPECT_CONTAINS(msg, "duplicate key 'name'");
  EXPECT_CONTAINS(msg, "dup.yaml:2");
}

TEST(ConfigLoad, TopLevelMustBeAMap) {
  std::string msg = error_of([] { Config::parse("- 1\n- 2\n", "list.yaml"); });
  EXPECT_CONTAINS(msg, "list.yaml");
  EXPECT_CONTAINS(msg, "top level");
  // An empty file is an empty config.
  Config c = Config::parse("", "empty.yaml");
  EXPECT_FALSE(c.has("soc"));
  EXPECT_NO_THROW(c.check_all_used());
}

TEST(ConfigInclude, OverrideAndNestedMerge) {
  TempDir d;
  d.write("presets/common.yaml", R"(soc:
  name: common
  clock:
    freq_hz: 50e6
  extra: 7
)");
  d.write("presets/base.yaml", R"(include: common.yaml
soc:
  name: base
  clock:
    freq_hz: 100e6
  memories:
    sram:
      base: 0x8000_0000
      size: 512KiB
    flash:
      base: 0x2000_0000
  list: [1, 2, 3]
)");
  std::string top = d.write("top.yaml", R"(include: [presets/base.yaml]
soc:
  clock:
    freq_hz: 200e6
  memories:
    sram:
      size: 1MiB
  list: [9]
)");
  Config c = Config::load(top);
  EXPECT_EQ(c.file(), top);
  // Own key overrides the include; untouched siblings survive the nested merge.
  EXPECT_EQ(c.get<uint64_t>("soc.clock.freq_hz"), 200000000u);
  EXPECT_EQ(c.get<uint64_t>("soc.memories.sram.size"), 1024u * 1024u);
  EXPECT_EQ(c.get<uint64_t>("soc.memories.sram.base"), 0x80000000u);
  EXPECT_EQ(c.get<uint64_t>("soc.memories.flash.base"), 0x20000000u);
  // base.yaml overrides common.yaml (the include inside presets/ resolves relative to presets/).
  EXPECT_EQ(c.get<std::string>("soc.name"), "base");
  EXPECT_EQ(c.get<int>("soc.extra"), 7);
  // Lists replace, they do not merge.
  ASSERT_EQ(c.list_size("soc.list"), 1u);
  EXPECT_EQ(c.get<int>("soc.list.0"), 9);
  // The include key itself is not part of the tree.
  EXPECT_FALSE(c.has("include"));

  // Origins point at the file and line that set the value.
  EXPECT_EQ(c.origin("soc.clock.freq_hz").file, top);
  EXPECT_EQ(c.origin("soc.clock.freq_hz").line, 4);
  EXPECT_EQ(c.origin("soc.name").file, fs::path(d.path("presets/base.yaml")).lexically_normal().string());
  EXPECT_EQ(c.origin("soc.name").line, 3);
  EXPECT_EQ(c.origin("soc.extra").file, fs::path(d.path("presets/common.yaml")).lexically_normal().string());
  EXPECT_EQ(c.origin("soc.extra").line, 5);
  EXPECT_EQ(c.origin("soc.memories.flash.base").line, 11);
  EXPECT_EQ(c.origin("soc.memories.sram.size").line, 7);
  EXPECT_EQ(c.origin("soc.clock.freq_hz").str(), top + ":4");
}

TEST(ConfigInclude, LaterIncludesWinInOrder) {
  TempDir d;
  d.write("a.yaml", "x: 1\ny: 1\n");
  d.write("b.yaml", "x: 2\n");
  std::string top = d.write("top.yaml", "include:\n  - a.yaml\n  - b.yaml\nz: 3\n");
  Config c = Config::load(top);
  EXPECT_EQ(c.get<int>("x"), 2);
  EXPECT_EQ(c.get<int>("y"), 1);
  EXPECT_EQ(c.get<int>("z"), 3);
}

TEST(ConfigInclude, CycleIsDetected) {
  TempDir d;
  d.write("a.yaml", "include: b.yaml\nx: 1\n");
  d.write("b.yaml", "y: 2\ninclude: a.yaml\n");
  std::string msg = error_of([&] { Config::load(d.path("a.yaml")); });
  EXPECT_CONTAINS(msg, "include cycle");
  EXPECT_CONTAINS(msg, "a.yaml");
  EXPECT_CONTAINS(msg, "b.yaml:2");  // the include line that closes the cycle
  // A file including itself.
  d.write("self.yaml", "include: self.yaml\n");
  EXPECT_CONTAINS(error_of([&] { Config::load(d.path("self.yaml")); }), "include cycle");
}

TEST(ConfigInclude, DiamondIsNotACycle) {
  TempDir d;
  d.write("common.yaml", "c: 1\n");
  d.write("a.yaml", "include: common.yaml\na: 1\n");
  d.write("b.yaml", "include: common.yaml\nb: 1\n");
  std::string top = d.write("top.yaml", "include: [a.yaml, b.yaml]\n");
  Config c = Config::load(top);
  EXPECT_EQ(c.get<int>("a") + c.get<int>("b") + c.get<int>("c"), 3);
}

TEST(ConfigInclude, MissingIncludeNamesIncludingFileAndLine) {
  TempDir d;
  std::string top = d.write("top.yaml", "x: 1\ninclude:\n  - missing.yaml\n");
  std::string msg = error_of([&] { Config::load(top); });
  EXPECT_CONTAINS(msg, top + ":3");
  EXPECT_CONTAINS(msg, "missing.yaml");
  EXPECT_CONTAINS(msg, "not found");
}

TEST(ConfigInclude, BadIncludeValue) {
  std::string msg = error_of([] { Config::parse("include:\n  a: 1\n", "t.yaml"); });
  EXPECT_CONTAINS(msg, "t.yaml:1");
  EXPECT_CONTAINS(msg, "include");
}

TEST(ConfigInclude, EmptyIncludeNameIsAConfigError) {
  // A fuzzer finding: an empty name (quoted, or a tag with no value) reached std::filesystem::absolute,
  // whose exception ended the process.
  for (const char* text : {"include: \"\"\n", "include: !tag\n", "include: ['', a.yaml]\n"}) {
    std::string msg = error_of([&] { Config::parse(text, "t.yaml"); });
    EXPECT_CONTAINS(msg, "t.yaml:1");
    EXPECT_CONTAINS(msg, "include: expected a file name, found an empty name");
  }
  std::string msg = error_of([] { Config::load(""); });
  EXPECT_CONTAINS(msg, "cannot read config file ''");
}

TEST(ConfigPreset, NameLongerThanTheSystemAllowsIsAConfigError) {
  // A fuzzer finding: std::filesystem::exists threw "File name too long" out of resolve_preset.
  const std::string long_name(300, 'p');
  for (const std::string& name : {long_name, long_name + ".yaml"}) {
    Config c = Config::parse("soc:\n  core:\n    timing: " + name + "\n", "t.yaml");
    std::string msg = error_of([&] { mcucim::sim::resolve_preset(c, "soc.core.timing", "timing", "timing profile"); });
    EXPECT_CONTAINS(msg, "soc.core.timing");
    EXPECT_CONTAINS(msg, name.substr(0, 40));
  }
}

TEST(ConfigInclude, ParseResolvesRelativeToCurrentDirectory) {
  TempDir d;
  d.write("inc.yaml", "v: 5\n");
  struct CwdGuard {
    fs::path old = fs::current_path();
    ~CwdGuard() { fs::current_path(old); }
  } guard;
  fs::current_path(d.path(""));
  Config c = Config::parse("include: inc.yaml\nw: 6\n", "<text>");
  EXPECT_EQ(c.get<int>("v"), 5);
  EXPECT_EQ(c.get<int>("w"), 6);
}

// ------------------------------------------------------------------------------------------------
// --set

TEST(ConfigSet, ExistingNewAndListPaths) {
  const std::string yaml = R"(soc:
  clock:
    freq_hz: 200e6
  list: [1, 2, 3]
  flags:
)";
  Config c = Config::parse(yaml, "s.yaml",
                           {"soc.clock.freq_hz=1e8", "soc.new.deep.key=hello", "soc.list.1=42",
                            "soc.list.3=4", "soc.vec=[5, 6]", "soc.flags.debug=true"});
  EXPECT_EQ(c.get<uint64_t>("soc.clock.freq_hz"), 100000000u);
  EXPECT_EQ(c.get<std::string>("soc.new.deep.key"), "hello");
  ASSERT_EQ(c.list_size("soc.list"), 4u);
  EXPECT_EQ(c.get<int>("soc.list.0"), 1);
  EXPECT_EQ(c.get<int>("soc.list.1"), 42);
  EXPECT_EQ(c.get<int>("soc.list.3"), 4);  // index == size appends
  ASSERT_TRUE(c.is_list("soc.vec"));
  EXPECT_EQ(c.list_size("soc.vec"), 2u);
  EXPECT_EQ(c.get<int>("soc.vec.1"), 6);
  EXPECT_TRUE(c.get<bool>("soc.flags.debug"));  // an empty value becomes a map

  // Origins of set values.
  EXPECT_EQ(c.origin("soc.clock.freq_hz").file, "--set soc.clock.freq_hz=1e8");
  EXPECT_EQ(c.origin("soc.clock.freq_hz").line, 0);
  EXPECT_EQ(c.origin("soc.clock.freq_hz").str(), "--set soc.clock.freq_hz=1e8");
  EXPECT_EQ(c.origin("soc.new").str(), "--set soc.new.deep.key=hello");
  EXPECT_EQ(c.origin("soc.list.1").str(), "--set soc.list.1=42");
  EXPECT_EQ(c.origin("soc.list.0").str(), "s.yaml:4");
}

TEST(ConfigSet, AppliedInOrderAndAfterIncludes) {
  TempDir d;
  d.write("base.yaml", "a: 1\n");
  std::string top = d.write("top.yaml", "include: base.yaml\nb: 2\n");
  Config c = Config::load(top, {"a=10", "b=20", "a=0x_bad_but_replaced", "a=0x1_0"});
  EXPECT_EQ(c.get<int>("a"), 16);
  EXPECT_EQ(c.get<int>("b"), 20);
}

TEST(ConfigSet, MapValueMergesIntoExistingMap) {
  Config c = Config::parse("m:\n  a: 1\n  b: 2\n", "m.yaml", {"m={b: 3, c: 4}"});
  EXPECT_EQ(c.get<int>("m.a"), 1);
  EXPECT_EQ(c.get<int>("m.b"), 3);
  EXPECT_EQ(c.get<int>("m.c"), 4);
}

TEST(ConfigSet, Errors) {
  const std::string yaml = "soc:\n  name: x\n  list: [1]\n";
  // Through a scalar.
  std::string msg = error_of([&] { Config::parse(yaml, "e.yaml", {"soc.name.sub=1"}); });
  EXPECT_CONTAINS(msg, "--set soc.name.sub=1");
  EXPECT_CONTAINS(msg, "'soc.name'");
  EXPECT_CONTAINS(msg, "e.yaml:2");
  // No '='.
  msg = error_of([&] { Config::parse(yaml, "e.yaml", {"soc.name"}); });
  EXPECT_CONTAINS(msg, "--set soc.name");
  EXPECT_CONTAINS(msg, "path=value");
  // Bad list index.
  msg = error_of([&] { Config::parse(yaml, "e.yaml", {"soc.list.5=1"}); });
  EXPECT_CONTAINS(msg, "soc.list");
  EXPECT_CONTAINS(msg, "list of 1 elements");
  msg = error_of([&] { Config::parse(yaml, "e.yaml", {"soc.list.x=1"}); });
  EXPECT_CONTAINS(msg, "not an index");
  // Bad path and bad YAML value.
  EXPECT_CONTAINS(error_of([&] { Config::parse(yaml, "e.yaml", {"soc..x=1"}); }), "invalid path");
  EXPECT_CONTAINS(error_of([&] { Config::parse(yaml, "e.yaml", {"soc.v=[1,"}); }), "not valid YAML");
}

// ------------------------------------------------------------------------------------------------
// Typed getters

class ConfigGet : public ::testing::Test {
 protected:
  // Line numbers in comments.
  const std::string yaml = R"(b_true: true
b_false: false
b_yes: yes
dec: 1234
neg: -17
hex: 0x2000_0000
bin: 0b1010
oct: 0o17
mib: 2MiB
kib: 512KiB
kb: 4KB
gib: 4GiB
sci: 200e6
frac: 1.5
frac_kib: 1.5KiB
big: 5e9
u32max: 4294967295
u32over: 4294967296
i32over: 2147483648
u64max: 18446744073709551615
u64over: 18446744073709551616
minus_one: -1
text: fast
quoted: "0x10"
sep: 1_000_000
bad_sep: 1__0
small: 2.5e-9
inf: .inf
empty:
map: {a: 1}
list: [1, 2]
freq_hz: fast
)";
  Config c = Config::parse(yaml, "g.yaml");
};

TEST_F(ConfigGet, Bool) {
  EXPECT_TRUE(c.get<bool>("b_true"));
  EXPECT_FALSE(c.get<bool>("b_false"));
  std::string msg = error_of([&] { c.get<bool>("b_yes"); });
  EXPECT_CONTAINS(msg, "g.yaml:3: b_yes:");
  EXPECT_CONTAINS(msg, "expected a boolean (true or false), found 'yes'");
  EXPECT_CONTAINS(msg, "YAML 1.2");
  EXPECT_CONTAINS(error_of([&] { c.get<bool>("dec"); }), "found '1234'");
}

TEST_F(ConfigGet, Integers) {
  EXPECT_EQ(c.get<int>("dec"), 1234);
  EXPECT_EQ(c.get<int>("neg"), -17);
  EXPECT_EQ(c.get<int64_t>("neg"), -17);
  EXPECT_EQ(c.get<uint32_t>("hex"), 536870912u);  // 0x20000000 = 2^29
  EXPECT_EQ(c.get<uint32_t>("bin"), 10u);
  EXPECT_EQ(c.get<uint32_t>("oct"), 15u);
  EXPECT_EQ(c.get<uint64_t>("mib"), 2097152u);  // 2 * 1024 * 1024
  EXPECT_EQ(c.get<uint32_t>("kib"), 524288u);   // 512 * 1024
  EXPECT_EQ(c.get<int>("kb"), 4000);
  EXPECT_EQ(c.get<uint64_t>("gib"), 4294967296u);
  EXPECT_EQ(c.get<uint64_t>("sci"), 200000000u);
  EXPECT_EQ(c.get<int>("frac_kib"), 1536);
  EXPECT_EQ(c.get<int64_t>("big"), 5000000000);
  EXPECT_EQ(c.get<uint32_t>("u32max"), 4294967295u);
  EXPECT_EQ(c.get<uint64_t>("u64max"), 18446744073709551615ull);
  EXPECT_EQ(c.get<int>("sep"), 1000000);
  EXPECT_EQ(c.get<int>("quoted"), 16);  // quoting makes it a string in to_json, but it still reads
}

TEST_F(ConfigGet, IntegerRangeAndFormErrors) {
  std::string msg = error_of([&] { c.get<uint32_t>("big"); });
  EXPECT_CONTAINS(msg, "g.yaml:16: big:");
  EXPECT_CONTAINS(msg, "5000000000");
  EXPECT_CONTAINS(msg, "'5e9'");
  EXPECT_CONTAINS(msg, "out of range");
  EXPECT_CONTAINS(msg, "uint32");
  EXPECT_CONTAINS(error_of([&] { c.get<uint32_t>("u32over"); }), "out of range");
  EXPECT_CONTAINS(error_of([&] { c.get<uint32_t>("gib"); }), "out of range");
  EXPECT_CONTAINS(error_of([&] { c.get<int>("i32over"); }), "int32");
  EXPECT_CONTAINS(error_of([&] { c.get<uint64_t>("u64over"); }), "out of range");
  EXPECT_CONTAINS(error_of([&] { c.get<uint32_t>("minus_one"); }), "out of range");
  EXPECT_CONTAINS(error_of([&] { c.get<uint64_t>("minus_one"); }), "out of range");
  EXPECT_EQ(c.get<int64_t>("u32over"), 4294967296);
  msg = error_of([&] { c.get<int>("frac"); });
  EXPECT_CONTAINS(msg, "g.yaml:14: frac:");
  EXPECT_CONTAINS(msg, "not a whole number");
  msg = error_of([&] { c.get<int>("text"); });
  EXPECT_CONTAINS(msg, "g.yaml:23: text: expected an integer");
  EXPECT_CONTAINS(msg, "found 'fast'");
  EXPECT_CONTAINS(error_of([&] { c.get<int>("bad_sep"); }), "found '1__0'");
}

TEST_F(ConfigGet, Double) {
  EXPECT_DOUBLE_EQ(c.get<double>("frac"), 1.5);
  EXPECT_DOUBLE_EQ(c.get<double>("sci"), 2e8);
  EXPECT_DOUBLE_EQ(c.get<double>("small"), 2.5e-9);
  EXPECT_DOUBLE_EQ(c.get<double>("dec"), 1234.0);
  EXPECT_DOUBLE_EQ(c.get<double>("neg"), -17.0);
  EXPECT_DOUBLE_EQ(c.get<double>("hex"), 536870912.0);
  EXPECT_DOUBLE_EQ(c.get<double>("mib"), 2097152.0);
  EXPECT_TRUE(std::isinf(c.get<double>("inf")));
  // The example message from the design: units come from the key name.
  std::string msg = error_of([&] { c.get<double>("freq_hz"); });
  EXPECT_EQ(msg, "g.yaml:32: freq_hz: expected a number (Hz), found 'fast'");
}

TEST_F(ConfigGet, StringAndWrongShapes) {
  EXPECT_EQ(c.get<std::string>("text"), "fast");
  EXPECT_EQ(c.get<std::string>("hex"), "0x2000_0000");  // the text as written
  std::string msg = error_of([&] { c.get<std::string>("map"); });
  EXPECT_CONTAINS(msg, "g.yaml:30: map: expected a string, found a map (keys: a)");
  msg = error_of([&] { c.get<int>("list"); });
  EXPECT_CONTAINS(msg, "g.yaml:31: list:");
  EXPECT_CONTAINS(msg, "found a list of 2 elements");
  msg = error_of([&] { c.get<int>("empty"); });
  EXPECT_CONTAINS(msg, "g.yaml:29: empty:");
  EXPECT_CONTAINS(msg, "an empty value");
}

TEST_F(ConfigGet, DefaultsAndMissingKeys) {
  EXPECT_EQ(c.get<int>("absent", 5), 5);
  EXPECT_EQ(c.get<std::string>("map.zz", "d"), "d");
  EXPECT_EQ(c.get<int>("empty", 9), 9);  // an empty value takes the default
  EXPECT_EQ(c.get<int>("dec", 5), 1234);
  // Present but wrong: the default does not hide the error.
  EXPECT_CONTAINS(error_of([&] { c.get<int>("text", 1); }), "found 'fast'");
  // Missing required key: names the key and where it was expected (the nearest parent's origin).
  std::string msg = error_of([&] { c.get<int>("map.b"); });
  EXPECT_CONTAINS(msg, "g.yaml:30");
  EXPECT_CONTAINS(msg, "missing required key 'map.b'");
  msg = error_of([&] { c.get<int>("nothere.x"); });
  EXPECT_CONTAINS(msg, "g.yaml");
  EXPECT_CONTAINS(msg, "missing required key 'nothere.x'");
  msg = error_of([&] { c.get<int>("list.7"); });
  EXPECT_CONTAINS(msg, "g.yaml:31");
  EXPECT_CONTAINS(msg, "list of 2 elements");
  msg = error_of([&] { c.get<int>("text.x"); });
  EXPECT_CONTAINS(msg, "g.yaml:23");
  EXPECT_CONTAINS(msg, "not a map");
}

TEST_F(ConfigGet, EnumAndFail) {
  Config e = Config::parse("mode: emulate\nbad: sometimes\n", "e.yaml");
  EXPECT_EQ(e.get_enum("mode", {"trap", "emulate"}, "trap"), "emulate");
  EXPECT_EQ(e.get_enum("absent", {"trap", "emulate"}, "trap"), "trap");
  std::string msg = error_of([&] { e.get_enum("bad", {"trap", "emulate"}, "trap"); });
  EXPECT_EQ(msg, "e.yaml:2: bad: expected one of trap, emulate, found 'sometimes'");
  msg = error_of([&] { e.fail("mode", "overlaps with something"); });
  EXPECT_EQ(msg, "e.yaml:1: mode: overlaps with something");
}

TEST(ConfigShape, KeysListSizeIsMapIsList) {
  Config c = Config::parse("m:\n  z: 1\n  a: 2\n  m: 3\nl: [1, 2, 3]\ns: x\n", "k.yaml");
  EXPECT_EQ(c.keys("m"), (std::vector<std::string>{"z", "a", "m"}));  // file order
  EXPECT_EQ(c.keys(""), (std::vector<std::string>{"m", "l", "s"}));
  EXPECT_TRUE(c.keys("absent").empty());
  EXPECT_EQ(c.list_size("l"), 3u);
  EXPECT_EQ(c.list_size("absent"), 0u);
  EXPECT_TRUE(c.is_map("m"));
  EXPECT_FALSE(c.is_map("l"));
  EXPECT_TRUE(c.is_list("l"));
  EXPECT_FALSE(c.is_list("s"));
  EXPECT_TRUE(c.has("m.z"));
  EXPECT_TRUE(c.has("l.2"));
  EXPECT_FALSE(c.has("l.3"));
  EXPECT_FALSE(c.has("s.x"));
  EXPECT_CONTAINS(error_of([&] { c.keys("s"); }), "k.yaml:6: s: expected a map");
  EXPECT_CONTAINS(error_of([&] { c.list_size("m"); }), "k.yaml:1: m: expected a list");
}

// ------------------------------------------------------------------------------------------------
// Unknown keys

TEST(ConfigUnused, TypoInNestedMap) {
  const std::string yaml = R"(soc:
  memories:
    flash:
      base: 0x2000_0000
      size: 2MiB
      read_wiat: 2
      read_wait: 1
)";
  Config c = Config::parse(yaml, "configs/x.yaml");
  c.get<uint64_t>("soc.memories.flash.base");
  c.get<uint64_t>("soc.memories.flash.size");
  c.get<int>("soc.memories.flash.read_wait", 0);
  std::string msg = error_of([&] { c.check_all_used(); });
  EXPECT_CONTAINS(msg, "configs/x.yaml:6: unknown key 'soc.memories.flash.read_wiat'");
  EXPECT_CONTAINS(msg, "known keys at this level: base, size, read_wait");
  EXPECT_CONTAINS(msg, "did you mean 'read_wait'");
  c.mark_used("soc.memories.flash.read_wiat");
  EXPECT_NO_THROW(c.check_all_used());
}

TEST(ConfigUnused, FirstInFileOrderAndWholeSubtrees) {
  const std::string yaml = R"(a: 1
b:
  c: 2
  d: 3
e: 4
)";
  Config c = Config::parse(yaml, "o.yaml");
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "o.yaml:1: unknown key 'a'");
  c.get<int>("a");
  // b was never touched: reported as a whole, not its children.
  std::string msg = error_of([&] { c.check_all_used(); });
  EXPECT_CONTAINS(msg, "o.yaml:2: unknown key 'b'");
  c.get<int>("b.d");  // marks b (parent) and b.d, but not b.c
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "o.yaml:3: unknown key 'b.c'");
  c.mark_used("b");
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "o.yaml:5: unknown key 'e'");
  c.get<int>("e");
  EXPECT_NO_THROW(c.check_all_used());
}

TEST(ConfigUnused, HasDoesNotMarkKeysMarksOnlyTheMap) {
  Config c = Config::parse("m:\n  x: 1\n  y: 2\n", "h.yaml");
  EXPECT_TRUE(c.has("m.x"));
  EXPECT_TRUE(c.is_map("m"));
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "unknown key 'm'");
  c.keys("m");
  std::string msg = error_of([&] { c.check_all_used(); });
  EXPECT_CONTAINS(msg, "h.yaml:2: unknown key 'm.x'");
  EXPECT_CONTAINS(msg, "no key at this level was read");
}

TEST(ConfigUnused, DefaultedReadMarksEnclosingMap) {
  // An empty map whose keys all take defaults is still understood.
  Config c = Config::parse("fetch_buffer: {}\nother: {}\n", "d.yaml");
  EXPECT_EQ(c.get<int>("fetch_buffer.lines", 1), 1);
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "d.yaml:2: unknown key 'other'");
}

TEST(ConfigUnused, ListElementsAndSetKeys) {
  Config c = Config::parse("l: [1, 2]\n", "l.yaml", {"soc.typo=3"});
  c.get<int>("l.0");
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "l.yaml:1: unknown key 'l.1'");
  c.get<int>("l.1");
  // A key created by --set is checked like any other and names the --set.
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "--set soc.typo=3: unknown key 'soc'");
  c.keys("soc");
  EXPECT_CONTAINS(error_of([&] { c.check_all_used(); }), "--set soc.typo=3: unknown key 'soc.typo'");
}

// ------------------------------------------------------------------------------------------------
// to_json and sub()

TEST(ConfigJson, ConvertsScalarsAndRoundTrips) {
  const std::string yaml = R"(soc:
  name: mcu
  quoted: "0x10"
  freq_hz: 200e6
  base: 0x2000_0000
  size: 2MiB
  neg: -3
  ratio: 0.25
  flag: true
  nothing:
  list: [1, two, 3.5]
  version: 1.2.3
)";
  Config c = Config::parse(yaml, "j.yaml");
  nlohmann::json expected = {
      {"soc",
       {{"name", "mcu"},
        {"quoted", "0x10"},
        {"freq_hz", 200000000},
        {"base", 536870912},
        {"size", 2097152},
        {"neg", -3},
        {"ratio", 0.25},
        {"flag", true},
        {"nothing", nullptr},
        {"list", {1, "two", 3.5}},
        {"version", "1.2.3"}}}};
  nlohmann::json j = c.to_json();
  EXPECT_EQ(j, expected) << j.dump(2);
  EXPECT_TRUE(j["soc"]["freq_hz"].is_number_integer());
  // JSON is YAML: parsing the dump gives the same tree back.
  Config back = Config::parse(j.dump(), "round.json");
  EXPECT_EQ(back.to_json(), j);
  // to_json does not mark keys as used.
  EXPECT_THROW(c.check_all_used(), ConfigError);
}

TEST(ConfigSub, ViewsShareTreeAndMarks) {
  const std::string yaml = R"(soc:
  memories:
    sram:
      base: 0x8000_0000
      size: 512KiB
    mram:
      base: 0x6000_0000
      size: 1MiB
      extra: 1
)";
  Config c = Config::parse(yaml, "v.yaml");
  Config mem = c.sub("soc.memories");
  EXPECT_EQ(mem.keys(""), (std::vector<std::string>{"sram", "mram"}));
  Config sram = mem.sub("sram");
  EXPECT_EQ(sram.get<uint32_t>("base"), 0x80000000u);
  EXPECT_EQ(sram.get<uint32_t>("size"), 524288u);
  EXPECT_TRUE(sram.has("base"));
  EXPECT_FALSE(sram.has("soc"));
  EXPECT_EQ(sram.origin("size").line, 5);
  EXPECT_EQ(sram.file(), "v.yaml");
  // Errors name the full key.
  std::string msg = error_of([&] { sram.get<int>("nope"); });
  EXPECT_CONTAINS(msg, "v.yaml:3");
  EXPECT_CONTAINS(msg, "'soc.memories.sram.nope'");
  EXPECT_EQ(mem.to_json()["mram"]["size"], 1048576);
  // check_all_used on a view checks only that subtree.
  EXPECT_NO_THROW(sram.check_all_used());
  Config mram = mem.sub("mram");
  mram.get<uint32_t>("base");
  mram.get<uint32_t>("size");
  EXPECT_CONTAINS(error_of([&] { mram.check_all_used(); }), "v.yaml:9: unknown key 'soc.memories.mram.extra'");
  // Marks through views are visible to the whole config.
  mram.get<int>("extra");
  EXPECT_NO_THROW(c.check_all_used());
  // A sub of a scalar is an error; a sub of an absent path is empty.
  EXPECT_CONTAINS(error_of([&] { sram.sub("base"); }), "v.yaml:4");
  EXPECT_FALSE(c.sub("absent").has("x"));
  EXPECT_EQ(c.sub("absent").get<int>("x", 3), 3);
}

TEST(ConfigPreset, LoadsMcuBase) {
#ifdef MCUCIM_SOURCE_DIR
  const std::string path = std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base.yaml";
#else
  const std::string path = "configs/mcu-base.yaml";
#endif
  if (!fs::exists(path)) GTEST_SKIP() << path << " not found";
  Config c = Config::load(path, {"soc.clock.freq_hz=100e6"});
  EXPECT_EQ(c.get<uint64_t>("soc.clock.freq_hz"), 100000000u);
  EXPECT_EQ(c.get<uint32_t>("soc.memories.flash.base"), 0x20000000u);
  EXPECT_EQ(c.get<uint32_t>("soc.memories.flash.size"), 2u * 1024 * 1024);
  EXPECT_EQ(c.get<uint32_t>("soc.memories.sram.size"), 512u * 1024);
  EXPECT_DOUBLE_EQ(c.get<double>("soc.devices.clint.timebase_hz"), 1e6);
  EXPECT_EQ(c.get_enum("soc.core.misaligned", {"trap", "emulate"}, "trap"), "trap");
}

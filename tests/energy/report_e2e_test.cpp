// End-to-end: run firmware with known regions/tokens/idle time through the mcucim binary and check
// the JSON report, the schema, the trace, and bad energy inputs.
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"
#include "sim/energy.h"

using nlohmann::json;

namespace {

json run_report(const std::string& firmware, const std::string& extra = "", int* code = nullptr,
                std::string* err = nullptr) {
  static int n = 0;
  const std::string path = e2e::tmpdir() + "/energy-report" + std::to_string(n++) + ".json";
  auto r = e2e::mcucim(e2e::run_args(firmware, "--report " + path + " " + extra));
  if (code) *code = r.code;
  if (err) *err = r.err;
  std::ifstream f(path);
  if (!f) {
    ADD_FAILURE() << "no report written; stderr:\n" << r.err;
    return json::object();
  }
  return json::parse(f);
}

const json& region(const json& rep, const std::string& name) {
  for (const auto& r : rep["regions"])
    if (r["name"] == name) return r;
  static json none;
  ADD_FAILURE() << "no region " << name;
  return none;
}

double component(const json& energy, const std::string& name, const char* field) {
  for (const auto& c : energy["components"])
    if (c["name"] == name) return c[field].get<double>();
  ADD_FAILURE() << "no component " << name;
  return 0;
}

std::string tech_file() { return std::string(MCUCIM_SOURCE_DIR) + "/configs/tech/22nm-lp.yaml"; }

}  // namespace

// workloads/regions/regions.c: main > generate > 4 x layer > matmul (1000 MACs each), token after each layer.
TEST(RegionsFirmware, NestedRegionsAddUp) {
  int code = -1;
  json rep = run_report("regions", "", &code);
  ASSERT_EQ(code, 0);
  ASSERT_EQ(rep["regions"].size(), 4u);
  const json &main = region(rep, "main"), &gen = region(rep, "generate"), &layer = region(rep, "layer"),
             &mm = region(rep, "matmul");
  EXPECT_EQ(main["calls"], 1);
  EXPECT_EQ(gen["calls"], 1);
  EXPECT_EQ(layer["calls"], 4);
  EXPECT_EQ(mm["calls"], 4);
  EXPECT_EQ(gen["parent"], main["id"]);
  EXPECT_EQ(layer["parent"], gen["id"]);
  EXPECT_EQ(mm["parent"], layer["id"]);
  EXPECT_EQ(mm["depth"], 3);
  // inclusive statistics: children fit in their parents
  for (const char* f : {"cycles", "instret"}) {
    EXPECT_LE(mm[f].get<uint64_t>(), layer[f].get<uint64_t>()) << f;
    EXPECT_LE(layer[f].get<uint64_t>(), gen[f].get<uint64_t>()) << f;
    EXPECT_LE(gen[f].get<uint64_t>(), main[f].get<uint64_t>()) << f;
    EXPECT_LE(main[f].get<uint64_t>(), rep[f].get<uint64_t>()) << f;
  }
  EXPECT_LE(mm["energy_j"]["total"].get<double>(), layer["energy_j"]["total"].get<double>());
  EXPECT_LE(gen["energy_j"]["total"].get<double>(), main["energy_j"]["total"].get<double>());
  EXPECT_LE(main["energy_j"]["total"].get<double>(), rep["energy_j"]["total"].get<double>());
  // declared work: 4 x 1000 in matmul, inclusive in every ancestor
  EXPECT_EQ(mm["declared_macs"], 4000);
  EXPECT_EQ(layer["declared_macs"], 4000);
  EXPECT_EQ(main["declared_macs"], 4000);
  EXPECT_EQ(rep["macs"]["declared"], 4000);
  EXPECT_EQ(rep["macs"]["hardware"], 0);  // rv32imc: no Xmac
  const double tpw = 2.0 * 4000 / rep["energy_j"]["total"].get<double>() / 1e12;
  EXPECT_NEAR(rep["tops_per_w"].get<double>(), tpw, tpw * 1e-9);
  // the matmul work loop is the same each call: min and max within a few cycles
  EXPECT_LE(mm["max_cycles"].get<uint64_t>() - mm["min_cycles"].get<uint64_t>(), 20u);
  EXPECT_TRUE(rep["warnings"].empty());
  // energy by component adds up to the total
  double sum = 0;
  for (auto& [k, v] : rep["energy_j"]["by_component"].items()) sum += v.get<double>();
  EXPECT_NEAR(sum, rep["energy_j"]["total"].get<double>(), 1e-15);
}

TEST(RegionsFirmware, TokensAddUpToGenerate) {
  json rep = run_report("regions");
  const json& tok = rep["tokens"];
  ASSERT_EQ(tok["count"], 4);
  ASSERT_EQ(tok["each"].size(), 4u);
  const json& gen = region(rep, "generate");
  uint64_t cycles = 0;
  double energy = 0, prev_latency = 0;
  for (size_t i = 0; i < 4; ++i) {
    const json& t = tok["each"][i];
    EXPECT_EQ(t["id"], i);
    cycles += t["cycles"].get<uint64_t>();
    energy += t["energy_j"].get<double>();
    // layer t does 50*(t+1) more iterations: each token is slower than the one before
    EXPECT_GT(t["latency_s"].get<double>(), prev_latency);
    prev_latency = t["latency_s"].get<double>();
  }
  // the tokens tile generate from its begin to the last token (then only the region end remains)
  const uint64_t gcycles = gen["cycles"].get<uint64_t>();
  EXPECT_LE(cycles, gcycles);
  EXPECT_LT(gcycles - cycles, 50u);
  EXPECT_LE(energy, gen["energy_j"]["total"].get<double>());
  EXPECT_NEAR(tok["latency_s"]["max"].get<double>(), prev_latency, 1e-15);
  const double f = rep["operating_point"]["freq_hz"].get<double>();
  EXPECT_NEAR(tok["tokens_per_s"].get<double>(), 4.0 / (cycles / f), 1e-6);
}

TEST(RegionsFirmware, UnbalancedMarksAreWarningsNotErrors) {
  int code = -1;
  std::string err;
  json rep = run_report("regions_bad", "", &code, &err);
  EXPECT_EQ(code, 0);
  ASSERT_EQ(rep["warnings"].size(), 3u) << rep["warnings"].dump(1);
  EXPECT_NE(err.find("warning: region end for id 7"), std::string::npos) << err;
  EXPECT_EQ(rep["regions"].size(), 3u);
}

TEST(Report, ValidatesAgainstSchema) {
  static int n = 0;
  for (const char* fw : {"regions", "hello", "idle_wfi"}) {
    const std::string path = e2e::tmpdir() + "/schema" + std::to_string(n++) + ".json";
    auto r = e2e::mcucim(e2e::run_args(fw, "-q --report " + path));
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string cmd = "python3 -c \"import json, jsonschema; jsonschema.validate(json.load(open('" + path +
                            "')), json.load(open('" + std::string(MCUCIM_SOURCE_DIR) +
                            "/docs/report.schema.json')), cls=jsonschema.Draft202012Validator)\"";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << fw;
  }
}

TEST(Report, SchemaRejectsAReportWithoutEnergy) {
  // The check can fail: a report missing energy_j must not validate.
  const std::string path = e2e::tmpdir() + "/schema-bad.json";
  std::ofstream(path) << R"({"config": {}, "cycles": 1})";
  const std::string cmd = "python3 -c \"import json, jsonschema; jsonschema.validate(json.load(open('" + path +
                          "')), json.load(open('" + std::string(MCUCIM_SOURCE_DIR) +
                          "/docs/report.schema.json')))\" 2>/dev/null";
  EXPECT_NE(std::system(cmd.c_str()), 0);
}

TEST(Trace, LoadsAsJsonWithRegionTokenAndPowerEvents) {
  const std::string path = e2e::tmpdir() + "/trace.json";
  auto r = e2e::mcucim(e2e::run_args("regions", "-q --trace " + path));
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream f(path);
  json t = json::parse(f);
  std::map<std::string, int> x;
  int counters = 0;
  std::set<std::string> tracks;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] == "X") {
      x[e["name"].get<std::string>()]++;
      EXPECT_GE(e["dur"].get<double>(), 0);
    }
    if (e["ph"] == "C") {
      ++counters;
      tracks.insert(e["name"].get<std::string>());
    }
  }
  EXPECT_EQ(x["main"], 1);
  EXPECT_EQ(x["generate"], 1);
  EXPECT_EQ(x["layer"], 4);
  EXPECT_EQ(x["matmul"], 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(x["token " + std::to_string(i)], 1);
  EXPECT_TRUE(tracks.count("power core"));
  EXPECT_TRUE(tracks.count("power flash"));
  EXPECT_TRUE(tracks.count("power sram"));
  EXPECT_GT(counters, 10);
}

// workloads/regions/idle_wfi.c sleeps 1000 timer ticks in wfi inside region "sleep".
TEST(Idle, WfiCostsLeakageOnly) {
  const auto tech = mcucim::sim::load_tech_file(tech_file(), {"sram", "flash", "mram"});
  json none = run_report("idle_wfi", "--set soc.power.idle=none");
  json gated = run_report("idle_wfi", "--set soc.power.idle=clock_gated");
  json off = run_report("idle_wfi", "--set soc.power.idle=power_gated");
  const uint64_t idle = gated["events"]["idle_cycles"].get<uint64_t>();
  const double f = gated["operating_point"]["freq_hz"].get<double>();
  // 1000 ticks of a 1 MHz timebase at 200 MHz: ~200000 idle cycles
  EXPECT_GT(idle, 190000u);
  EXPECT_EQ(none["cycles"], gated["cycles"]);
  // none keeps clocking: the difference is exactly idle cycles x clock energy
  EXPECT_NEAR(component(none["energy_j"], "core", "dynamic_j") - component(gated["energy_j"], "core", "dynamic_j"),
              idle * tech.clock_pj_per_cycle * 1e-12, 1e-15);
  // power gating cuts the core's leakage to the retention fraction while idle
  EXPECT_NEAR(component(gated["energy_j"], "core", "leakage_j") - component(off["energy_j"], "core", "leakage_j"),
              tech.core_leakage_uw * 1e-6 * (1 - tech.core_retention_fraction) * idle / f, 1e-15);
  // the sleep region: nearly all of its energy is leakage; its core dynamic energy is that of its few
  // instructions plus their cycles, far below what 200000 clocked cycles would cost
  const json& sleep = region(gated, "sleep");
  const double core_dyn = component(sleep["energy_j"], "core", "dynamic_j");
  EXPECT_LT(core_dyn, sleep["instret"].get<double>() * 5e-12 + 2000 * tech.clock_pj_per_cycle * 1e-12);
  EXPECT_GT(sleep["energy_j"]["leakage"].get<double>(), 0.5 * sleep["energy_j"]["total"].get<double>());
}

TEST(OperatingPoint, DynamicEnergyScalesWithVSquared) {
  json lo = run_report("hello", "--set soc.power.voltage_v=0.4");
  json ref = run_report("hello");
  EXPECT_EQ(lo["cycles"], ref["cycles"]);
  EXPECT_NEAR(component(lo["energy_j"], "core", "dynamic_j"), 0.25 * component(ref["energy_j"], "core", "dynamic_j"),
              1e-18);
  EXPECT_NEAR(component(lo["energy_j"], "sram", "dynamic_j"), 0.25 * component(ref["energy_j"], "sram", "dynamic_j"),
              1e-18);
  // flash has its own supply (scales_with_vdd: false)
  EXPECT_NEAR(component(lo["energy_j"], "flash", "dynamic_j"), component(ref["energy_j"], "flash", "dynamic_j"), 1e-18);
  // leakage: 0.5 x exp(-0.4 / 0.3) of the reference
  const double k = 0.5 * std::exp(-0.4 / 0.3);
  EXPECT_NEAR(component(lo["energy_j"], "core", "leakage_j"), k * component(ref["energy_j"], "core", "leakage_j"), 1e-15);
}

TEST(BadInput, TechFileMissingAComponentExits2) {
  std::ifstream in(tech_file());
  std::string text((std::istreambuf_iterator<char>(in)), {});
  text.replace(text.find("    mram:\n"), 10, "    mram_x:\n");
  const std::string p = e2e::tmpdir() + "/tech-nomram.yaml";
  std::ofstream(p) << text;
  auto r = e2e::mcucim(e2e::run_args("hello", "--set soc.tech=" + p));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tech-nomram.yaml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("memories.mram"), std::string::npos) << r.err;
}

TEST(BadInput, BadOperatingPointExits2) {
  auto r = e2e::mcucim(e2e::run_args("hello", "--set soc.power.voltage_v=-1"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("soc.power.voltage_v"), std::string::npos) << r.err;
  r = e2e::mcucim(e2e::run_args("hello", "--set soc.power.idle=sleepy"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("soc.power.idle"), std::string::npos) << r.err;
  r = e2e::mcucim(e2e::run_args("hello", "--set soc.tech=no-such-node"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no-such-node"), std::string::npos) << r.err;
}

// Every fetch charged: an instruction served by the I-cache or the prefetch buffer costs what that
// structure costs (component `icache`), from the event counts in the report and the per-access
// figures read from configs/tech/22nm-lp.yaml here (independently of sim/energy.cpp's parser).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "../e2e/e2e_util.h"

using nlohmann::json;

namespace {

json run(const std::string& config, const std::string& firmware) {
  static int n = 0;
  const std::string path = e2e::tmpdir() + "/icache" + std::to_string(n++) + ".json";
  auto r = e2e::mcucim("run -c " + e2e::cfg(config) + " --elf " + e2e::fw(firmware) + " -q --report " + path);
  EXPECT_EQ(r.code, 0) << r.err;
  std::ifstream f(path);
  return f ? json::parse(f) : json::object();
}

const json& component(const json& energy, const std::string& name) {
  for (const auto& c : energy["components"])
    if (c["name"] == name) return c;
  static json none = json::object();
  ADD_FAILURE() << "no component " << name;
  return none;
}

YAML::Node tech() { return YAML::LoadFile(std::string(MCUCIM_SOURCE_DIR) + "/configs/tech/22nm-lp.yaml")["tech"]; }

struct Fetch {
  uint64_t words = 0, fills = 0;
};
Fetch fetch_events(const json& rep) {
  Fetch f;
  for (const auto& m : rep["events"]["memories"]) {
    f.words += m["fetch_words"].get<uint64_t>();
    f.fills += m["fetch_fills"].get<uint64_t>();
  }
  return f;
}

}  // namespace

// mcu-llm: a 256 x 16 B I-cache (4 KiB = the table's ref_bytes, so no capacity scaling), 0.8 V = Vref.
TEST(IcacheEnergy, CachedInstructionsCostTheCacheAccess) {
  const json rep = run("mcu-llm", "regions");
  const Fetch f = fetch_events(rep);
  const uint64_t instret = rep["instret"];
  // Every instruction is read as one or two 32-bit words, two compressed ones may share a word.
  EXPECT_GE(f.words, instret / 2);
  EXPECT_LE(f.words, 2 * instret);
  ASSERT_GT(f.words, 10 * f.fills);  // mostly hits
  const YAML::Node ic = tech()["icache"];
  const double word = ic["data_word_pj"].as<double>(), tag = ic["tag_pj"].as<double>();
  ASSERT_EQ(ic["ref_bytes"].as<double>(), 4096);
  // hit: tag + one data word; fill: tag read + 4 words written + tag write
  const double expect_pj = double(f.words - f.fills) * (word + tag) + double(f.fills) * (4 * word + 2 * tag);
  const json& c = component(rep["energy_j"], "icache");
  EXPECT_EQ(c["kind"], "icache");
  EXPECT_NEAR(c["dynamic_j"].get<double>(), expect_pj * 1e-12, expect_pj * 1e-12 * 1e-9);
  // The hits alone are most of it: a cached instruction does not cost nothing.
  EXPECT_GT(c["dynamic_j"].get<double>(), 0.5 * double(f.words) * (word + tag) * 1e-12);
  // leakage: 0.13 uW/KiB over 4 KiB data + 256 tags of 21 bits (20 + valid), for the run's time
  const double kib = (4096 * 8 + 256 * 21) / 8.0 / 1024;
  EXPECT_NEAR(c["leakage_j"].get<double>(),
              ic["leakage_uw_per_kib"].as<double>() * kib * 1e-6 * rep["time_s"].get<double>(), 1e-15);
  // The components still add up to the total, for the run and for every region.
  auto sum_ok = [](const json& e) {
    double s = 0;
    for (const auto& k : e["components"]) s += k["total_j"].get<double>();
    return std::fabs(s - e["total"].get<double>()) <= 1e-12 * e["total"].get<double>();
  };
  EXPECT_TRUE(sum_ok(rep["energy_j"]));
  for (const auto& r : rep["regions"]) EXPECT_TRUE(sum_ok(r["energy_j"])) << r["name"];
}

// mcu-base: a one-line prefetch buffer, each word read as a register-file read.
TEST(IcacheEnergy, PrefetchBufferHitsAreRegisterReads) {
  const json rep = run("mcu-base", "regions");
  const Fetch f = fetch_events(rep);
  const YAML::Node fb = tech()["fetch_buffer"];
  const double expect_pj = double(f.words - f.fills) * fb["read_word_pj"].as<double>() +
                           double(f.fills) * 4 * fb["write_word_pj"].as<double>();
  const json& c = component(rep["energy_j"], "icache");
  EXPECT_EQ(c["kind"], "fetch_buffer");
  ASSERT_GT(f.words, f.fills);
  EXPECT_NEAR(c["dynamic_j"].get<double>(), expect_pj * 1e-12, expect_pj * 1e-12 * 1e-9);
  EXPECT_EQ(c["leakage_j"].get<double>(), 0.0);
}

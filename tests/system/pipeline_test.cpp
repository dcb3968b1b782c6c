// tinyllm split across the MCUs of a system (workloads/tinyllm/tinyllm_par.c) against the same model
// on the host (tinyllm-host): the same ids and logits checksum, pipeline-parallel over UART, SPI and
// LoRa; a 4-MCU run is deterministic; bad splits get one clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"

using nlohmann::json;

namespace {

const std::string kTools = std::string(MCUCIM_BINARY_DIR) + "/workloads/tinyllm/";

e2e::Result sh(const std::string& cmd) {
  static int n = 0;
  const std::string base = e2e::tmpdir() + "/psh" + std::to_string(n++);
  int st = std::system((cmd + " > " + base + ".out 2> " + base + ".err < /dev/null").c_str());
  e2e::Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = e2e::slurp(base + ".out");
  r.err = e2e::slurp(base + ".err");
  return r;
}

// A synthetic model of `layers` layers (dim 64, 8 heads), made once per test process.
std::string synth(int layers) {
  const std::string img = e2e::tmpdir() + "/synth" + std::to_string(layers) + ".tllm";
  if (!std::filesystem::exists(img)) {
    auto r = sh(kTools + "mcucim-synth -o " + img + " --layers " + std::to_string(layers) + " --seq-len 64");
    EXPECT_EQ(r.code, 0) << r.err;
  }
  return img;
}

std::string line(const std::string& out, const std::string& key) {
  std::smatch m;
  if (std::regex_search(out, m, std::regex("(?:^|\\n)(?:\\w+\\| )?(" + key + "[^\\n]*)"))) return m[1];
  return "missing " + key;
}

std::string system_yaml(const std::string& name, int n, const std::string& model, const std::string& args,
                        const std::string& mode = "pp") {
  const std::string p = e2e::tmpdir() + "/" + name + ".yaml";
  std::ofstream(p) << "system:\n  name: " << name << "\n  mcus:\n    node:\n      count: " << n
                   << "\n      config: " << e2e::cfg("mcu-llm-link") << "\n      args: \"-R {index} -N {count} -M " << mode
                   << " " << args << "\"\n  topology: {kind: ring, mcus: node, model: " << model << "}\n";
  return p;
}

}  // namespace

TEST(Pipeline, IdsAndLogitsEqualTheHostOverEveryLink) {
  const std::string img = synth(4);
  const std::string args = "-n 12 -b xmac -i hello world";
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 12 --backend xmac --prompt 'hello world'");
  ASSERT_EQ(host.code, 0) << host.err;
  const std::string ids = line(host.out, "ids:"), fnv = line(host.out, "logits_fnv:");
  ASSERT_EQ(ids.rfind("ids: ", 0), 0u) << host.out;
  for (const auto& [n, model] : std::vector<std::pair<int, std::string>>{{1, "uart"}, {2, "uart"}, {4, "spi"}, {2, "lora-sx1262"}}) {
    auto r = e2e::mcucim("run -c " + system_yaml("pp" + std::to_string(n) + model, n, model, args) + " --elf " +
                         e2e::fw("tinyllm_par") + " --load " + img + "@0x20100000");
    ASSERT_EQ(r.code, 0) << model << n << r.out << r.err;
    EXPECT_EQ(line(r.out, "node0\\| ids:").substr(7), ids) << model << n;
    // The last rank computes the logits.
    EXPECT_EQ(line(r.out, "node" + std::to_string(n - 1) + "\\| logits_fnv:").substr(7), fnv) << model << n;
  }
}

TEST(Pipeline, FourMcusAreDeterministic) {
  const std::string img = synth(4);
  const std::string sys = system_yaml("pp4det", 4, "spi", "-n 8 -b xmac");
  std::vector<json> reps;
  for (int k = 0; k < 2; ++k) {
    const std::string rep = e2e::tmpdir() + "/pp4det" + std::to_string(k) + ".json";
    auto r = e2e::mcucim("run -c " + sys + " --elf " + e2e::fw("tinyllm_par") + " --load " + img + "@0x20100000 --report " + rep);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    reps.push_back(json::parse(e2e::slurp(rep)));
  }
  ASSERT_EQ(reps[0]["mcus"].size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const json &a = reps[0]["mcus"][i]["report"], &b = reps[1]["mcus"][i]["report"];
    EXPECT_EQ(a["cycles"], b["cycles"]) << i;
    EXPECT_EQ(a["instret"], b["instret"]) << i;
    EXPECT_EQ(a["energy_j"]["total"], b["energy_j"]["total"]) << i;
    EXPECT_EQ(a["tokens"]["each"], b["tokens"]["each"]) << i;
  }
  EXPECT_EQ(reps[0]["links"], reps[1]["links"]);
  EXPECT_EQ(reps[0]["system"]["time_s"], reps[1]["system"]["time_s"]);
  // Bytes on the links per token: every position sends one activation message ((2 + dim) x 4 bytes)
  // along the chain; each decode position returns a 4-byte token.
  EXPECT_EQ(reps[0]["links"][0]["bytes"].get<uint64_t>() % ((2 + 64) * 4), 0u);
}

TEST(Pipeline, MoreMcusThanLayersIsAClearError) {
  const std::string img = synth(2);
  auto r = e2e::mcucim("run -c " + system_yaml("pp3on2", 3, "uart", "-n 4") + " --elf " + e2e::fw("tinyllm_par") +
                       " --load " + img + "@0x20100000");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("node0| tinyllm: error: -N: 3 MCUs for 2 layers: pipeline parallelism needs at least one layer per MCU"),
            std::string::npos) << r.out;
}

TEST(TensorParallel, IdsAndLogitsEqualTheHost) {
  // 8 heads, 4 kv heads: 2 and 4 MCUs split them; every matrix's rows are split, joined by ring
  // all-gathers; INT8 KV cache (-k) too.
  const std::string img = synth(2);
  for (const std::string kv : {"", " -k"}) {
    auto host = sh(kTools + "tinyllm-host " + img + " --steps 10 --backend xmac --prompt 'hello world'" + (kv.empty() ? "" : " --kv-int8"));
    ASSERT_EQ(host.code, 0) << host.err;
    const std::string ids = line(host.out, "ids:"), fnv = line(host.out, "logits_fnv:");
    ASSERT_EQ(ids.rfind("ids: ", 0), 0u) << host.out;
    for (const auto& [n, model] : std::vector<std::pair<int, std::string>>{{2, "uart"}, {4, "spi"}}) {
      auto r = e2e::mcucim("run -c " + system_yaml("tp" + std::to_string(n) + model + kv.substr(kv.empty() ? 0 : 2), n, model,
                                                   "-n 10 -b xmac -i hello world" + kv, "tp") +
                           " --elf " + e2e::fw("tinyllm_par") + " --load " + img + "@0x20100000");
      ASSERT_EQ(r.code, 0) << model << n << r.out << r.err;
      EXPECT_EQ(line(r.out, "node0\\| ids:").substr(7), ids) << model << n << kv;
      EXPECT_EQ(line(r.out, "node0\\| logits_fnv:").substr(7), fnv) << model << n << kv;
    }
  }
}

TEST(TensorParallel, AnMcuCountThatDoesNotDivideTheHeadsIsAClearError) {
  const std::string img = synth(2);
  auto r = e2e::mcucim("run -c " + system_yaml("tp3", 3, "uart", "-n 4", "tp") + " --elf " + e2e::fw("tinyllm_par") +
                       " --load " + img + "@0x20100000");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("node0| tinyllm: error: -M tp: tensor parallelism over 3 MCUs: the model's 4 kv heads (8 heads) do not divide among them"),
            std::string::npos) << r.out;
}

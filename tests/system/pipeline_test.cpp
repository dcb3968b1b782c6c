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

using e2e::sh;

const std::string kTools = std::string(MCUCIM_BINARY_DIR) + "/workloads/tinyllm/";

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

// -A (tllm_tp_argmax): greedy decoding exchanges one (max, index) pair per rank instead of gathering the
// logits; the ids stay the host's. Bytes per position, by hand: a ring all-gather moves (N - 1) x the
// whole vector over all links (every rank sends N - 1 slices), so the logits' 512 floats cost
// (N - 1) x 2048 bytes and the pairs (N - 1) x N x 8: -A saves (N - 1) x (2048 - 8 N) bytes a position
// (N = 2: 2032; N = 4: 6048).
TEST(TensorParallel, ArgmaxExchangeKeepsTheHostIdsAndMovesFewerBytes) {
  const std::string img = synth(2);
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 10 --backend xmac --prompt 'hello world'");
  ASSERT_EQ(host.code, 0) << host.err;
  const std::string ids = line(host.out, "ids:");
  for (int n : {2, 4}) {
    double bpp[2] = {0, 0};
    for (int a = 0; a < 2; ++a) {
      const std::string name = "tpA" + std::to_string(n) + std::to_string(a), rep = e2e::tmpdir() + "/" + name + ".json";
      auto r = e2e::mcucim("run -c " + system_yaml(name, n, "spi", std::string(a ? "-A " : "") + "-n 10 -b xmac -i hello world", "tp") +
                           " --elf " + e2e::fw("tinyllm_par") + " --load " + img + "@0x20100000 -q --report " + rep);
      ASSERT_EQ(r.code, 0) << n << r.out << r.err;
      EXPECT_EQ(line(r.out, "node0\\| ids:").substr(7), ids) << n << " -A " << a;
      EXPECT_EQ(r.out.find("logits_fnv") == std::string::npos, a == 1) << r.out;
      bpp[a] = json::parse(e2e::slurp(rep))["system"]["link_bytes_per_position"].get<double>();
    }
    EXPECT_DOUBLE_EQ(bpp[0] - bpp[1], (n - 1) * (2048.0 - 8 * n)) << n;
  }
  // Only with tensor parallelism and greedy decoding.
  for (const std::string bad : {"-M pp -A", "-M tp -A -t 0.8"}) {
    auto r = e2e::mcucim("run -c " + system_yaml("tpAbad", 2, "spi", "-n 4 " + bad.substr(6), bad.substr(3, 2)) + " --elf " +
                         e2e::fw("tinyllm_par") + " --load " + img + "@0x20100000");
    EXPECT_EQ(r.code, 2) << bad << r.out;
    EXPECT_NE(r.out.find("-A: the argmax exchange needs -M tp and greedy decoding (-t 0)"), std::string::npos) << r.out;
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

// Shares (mcucim-pack --share R/N): each MCU holds only its rows of every matrix (and its slice of the
// vocabulary's embedding rows), loaded per MCU by the system config's `load:`; the ids and logits
// checksum still equal the host's run of the whole model.
TEST(TensorParallel, SharesPerMcuEqualTheHost) {
  const std::string img = synth(2);
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 10 --backend xmac --prompt 'hello world'");
  ASSERT_EQ(host.code, 0) << host.err;
  const std::string ids = line(host.out, "ids:"), fnv = line(host.out, "logits_fnv:");
  const auto full = std::filesystem::file_size(img);
  for (int n : {2, 4}) {
    uintmax_t sum = 0;
    for (int r = 0; r < n; ++r) {
      const std::string share = e2e::tmpdir() + "/share" + std::to_string(r) + "of" + std::to_string(n) + ".tllm";
      auto p = sh(kTools + "mcucim-pack --share " + std::to_string(r) + "/" + std::to_string(n) + " " + img + " -o " + share);
      ASSERT_EQ(p.code, 0) << p.err;
      sum += std::filesystem::file_size(share);
      // A share is about 1/n of the weights (header and tokenizer are in every share).
      EXPECT_LT(std::filesystem::file_size(share), full * 2 / n) << share;
    }
    EXPECT_GT(sum, full);  // the header, table and tokenizer n times
    const std::string p = e2e::tmpdir() + "/tpshare" + std::to_string(n) + ".yaml";
    std::ofstream(p) << "system:\n  name: tpshare\n  mcus:\n    node:\n      count: " << n << "\n      config: "
                     << e2e::cfg("mcu-llm-link") << "\n      args: \"-R {index} -N {count} -M tp -n 10 -b xmac -i hello world\"\n"
                     << "      load: [\"" << e2e::tmpdir() << "/share{index}of{count}.tllm@0x20100000\"]\n"
                     << "  topology: {kind: ring, mcus: node, model: spi}\n";
    const std::string rep = e2e::tmpdir() + "/tpshare" + std::to_string(n) + ".json";
    auto r = e2e::mcucim("run -c " + p + " --elf " + e2e::fw("tinyllm_par") + " -q --report " + rep);
    ASSERT_EQ(r.code, 0) << n << r.out << r.err;
    EXPECT_EQ(line(r.out, "node0\\| ids:").substr(7), ids) << n;
    EXPECT_EQ(line(r.out, "node0\\| logits_fnv:").substr(7), fnv) << n;
    // Each MCU's own share is in the provenance.
    const json j = json::parse(e2e::slurp(rep));
    int loads = 0;
    for (const auto& in : j["provenance"]["inputs"]) loads += in["role"] == "load";
    EXPECT_EQ(loads, n);
    // A system report with tokens (every MCU's regions and tokens) validates against the schema.
    const std::string cmd = "python3 -c \"import json, jsonschema; jsonschema.validate(json.load(open('" + rep +
                            "')), json.load(open('" + std::string(MCUCIM_SOURCE_DIR) +
                            "/docs/report.schema.json')), cls=jsonschema.Draft202012Validator)\"";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << rep;
    EXPECT_GT(j["tokens"]["count"].get<int>(), 0);
  }
}

TEST(TensorParallel, ASharePlacedOnTheWrongRankOrRunWholeIsAClearError) {
  const std::string img = synth(2), share = e2e::tmpdir() + "/wrong1of2.tllm";
  ASSERT_EQ(sh(kTools + "mcucim-pack --share 1/2 " + img + " -o " + share).code, 0);
  // Rank 1's share on both MCUs: rank 0 refuses it.
  auto r = e2e::mcucim("run -c " + system_yaml("tpwrong", 2, "spi", "-n 4", "tp") + " --elf " + e2e::fw("tinyllm_par") +
                       " --load " + share + "@0x20100000");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("node0| tinyllm: error: -M tp: tensor parallelism: this image is the share of rank 1 of 2, run as rank 0 of 2"),
            std::string::npos) << r.out;
  // A share is not a whole model: the host run refuses it; a share of 3 ranks of 4 kv heads cannot be made.
  auto h = sh(kTools + "tinyllm-host " + share + " --steps 4");
  EXPECT_NE(h.code, 0);
  auto bad = sh(kTools + "mcucim-pack --share 0/3 " + img + " -o " + e2e::tmpdir() + "/bad.tllm");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("3 ranks do not divide the model's 4 kv heads"), std::string::npos) << bad.err;
}

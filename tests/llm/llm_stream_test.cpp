// Weight streaming and the MoE expert cache (runtime/STREAMING.md): streaming does not change the
// numerics (host and simulator, images in the external flash of configs/mcu-llm-xflash.yaml); the
// bytes moved and the expert cache's hits are checked against values computed here from the model
// format (runtime/MODEL_FORMAT.md) and an independent LRU simulation of the printed routing; the
// simulator's own counters (DMA bytes, expert<N> region calls) confirm what the firmware says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <list>
#include <map>
#include <sstream>

#include "../e2e/e2e_util.h"

using testing::HasSubstr;

namespace {

using e2e::sh;
using e2e::result_lines;

using e2e::kTools;
const std::string kXflash = "0x90000000";

// The value of the first line starting with `key` (without the key), or "" if absent.
std::string line_of(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(key, 0) == 0) return l.substr(key.size());
  return "";
}
// "name=value" from the METRIC lines
uint64_t metric(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("METRIC ", 0) != 0) continue;
    auto p = l.find(" " + name + "=");
    if (p != std::string::npos) return std::stoull(l.substr(p + name.size() + 2));
  }
  ADD_FAILURE() << "no METRIC " << name << " in:\n" << out;
  return 0;
}

std::string synth(const std::string& name, const std::string& args) {
  const std::string img = e2e::tmpdir() + "/" + name + ".tllm";
  if (!std::filesystem::exists(img)) {
    auto r = sh(kTools + "mcucim-synth -o " + img + " " + args);
    EXPECT_EQ(r.code, 0) << r.err;
  }
  return img;
}

e2e::Result sim(const std::string& img, const std::string& args, const std::string& report = "") {
  return e2e::mcucim("run -c " + e2e::cfg("mcu-llm-xflash") + " --elf " + e2e::fw("tinyllm") + " -q --load " + img + "@" +
                     kXflash + " --args '" + args + "'" + (report.empty() ? "" : " --report " + report));
}

nlohmann::json load_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

// Bytes of one tensor as stored (MODEL_FORMAT.md): rows padded to 16 elements, one f32 scale per
// group (plus one offset when affine).
uint64_t tensor_bytes(uint64_t rows, uint64_t cols, unsigned bits, unsigned group, bool affine = false) {
  if (bits == 32) return rows * cols * 4;
  uint64_t data = rows * ((cols + 15) / 16 * 16) * bits / 8;
  uint64_t groups = (cols + group - 1) / group;
  return data + rows * groups * 4 * (affine ? 2 : 1);
}

// The default mcucim-synth model (dim 64, hidden 172, 2 layers, 8 heads / 4 kv heads, vocab 512, shared
// classifier): the bytes of every matrix the forward pass reads per token.
uint64_t dense_default_matrix_bytes(unsigned bits, unsigned group, bool affine = false) {
  const uint64_t dim = 64, kv = 32, hid = 172, vocab = 512;
  uint64_t layer = 2 * tensor_bytes(dim, dim, bits, group, affine) + 2 * tensor_bytes(kv, dim, bits, group, affine) +
                   2 * tensor_bytes(hid, dim, bits, group, affine) + tensor_bytes(dim, hid, bits, group, affine);
  return 2 * layer + tensor_bytes(vocab, dim, bits, group, affine);
}

TEST(LlmStream, HostStreamingDoesNotChangeNumerics) {
  struct W { const char* name; const char* weights; };
  for (W w : {W{"int8", "int8:32"}, W{"fp32", "fp32"}, W{"int2aff", "int2:16:affine"}, W{"int4odd", "int4:24"}}) {
    const std::string img = synth(std::string("dense_") + w.name, std::string("--seed 3 --weights ") + w.weights);
    auto ref = sh(kTools + "tinyllm-host " + img + " --steps 6 --backend xmac");
    ASSERT_EQ(ref.code, 0) << ref.err;
    for (const char* s : {"auto", "8192", "1600"}) {  // whole matrices; row blocks; a few rows per block
      auto r = sh(kTools + "tinyllm-host " + img + " --steps 6 --backend xmac --stream " + s);
      ASSERT_EQ(r.code, 0) << w.name << " --stream " << s << ": " << r.err;
      EXPECT_EQ(result_lines(r.out), result_lines(ref.out)) << w.name << " --stream " << s;
    }
  }
}

TEST(LlmStream, SimulatorStreamedFromExternalFlashEqualsHost) {
  const std::string img = synth("dense_int8", "--seed 3 --weights int8:32");
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 6 --backend xmac");
  ASSERT_EQ(host.code, 0) << host.err;
  std::istringstream ids(line_of(host.out, "ids:"));
  ASSERT_EQ(std::distance(std::istream_iterator<std::string>(ids), std::istream_iterator<std::string>()), 6)
      << "the test expects no early stop:\n" << host.out;
  const uint64_t per_token = dense_default_matrix_bytes(8, 32);
  for (const char* s : {"", "-S auto", "-S 8192"}) {
    const std::string rep = e2e::tmpdir() + "/stream" + std::to_string(std::string(s).size()) + ".json";
    auto r = sim(img, std::string("-n 6 -b xmac ") + s, rep);
    ASSERT_EQ(r.code, 0) << s << "\n" << r.out << r.err;
    EXPECT_EQ(result_lines(r.out), result_lines(host.out)) << "firmware " << s;
    auto j = load_json(rep);
    uint64_t dma_bytes = 0;
    for (auto& d : j["events"]["devices"])
      if (d["kind"] == "dma") dma_bytes += d["stats"]["bytes_copied"].get<uint64_t>();
    if (!*s) {
      EXPECT_EQ(dma_bytes, 0u) << "in place: no DMA";
      continue;
    }
    // every matrix once per position (6 positions, no early stop), plus the prefetch of the next
    // token's first block (layer 0 wq, 64 x 64): whole with auto; with 4096-byte buffers the rows k
    // whose data and scales, each 16-aligned, fit: 16*ceil(64k/16) + 16*ceil(8k/16) <= 4096
    uint64_t first = tensor_bytes(64, 64, 8, 32);
    if (std::string(s) == "-S 8192") {
      uint64_t k = 0;
      while ((k + 1) * 64 + ((k + 1) * 8 + 15) / 16 * 16 <= 4096) k++;
      first = k * (64 + 8);
    }
    EXPECT_EQ(metric(r.out, "stream_bytes"), 6 * per_token + first) << s;
    EXPECT_EQ(dma_bytes, 6 * per_token + first) << "the DMA engine's own count, " << s;
    bool wait_region = false;
    for (auto& reg : j["regions"]) wait_region |= reg["name"] == "dma_wait";
    EXPECT_TRUE(wait_region) << "a dma_wait region in the report (" << s << ")";
  }
}

// LRU over (layer, expert) keys with `slots` entries: the hits of this access sequence.
uint64_t lru_hits(const std::vector<std::pair<int, int>>& seq, size_t slots) {
  std::list<std::pair<int, int>> lru;  // front = most recent
  uint64_t hits = 0;
  for (auto& k : seq) {
    auto it = std::find(lru.begin(), lru.end(), k);
    if (it != lru.end()) {
      hits++;
      lru.erase(it);
    } else if (lru.size() == slots) {
      lru.pop_back();
    }
    lru.push_front(k);
  }
  return hits;
}

std::vector<std::pair<int, int>> parse_routes(const std::string& s) {
  std::vector<std::pair<int, int>> r;
  std::istringstream in(s);
  for (std::string w; in >> w;) {
    auto c = w.find(':');
    r.push_back({std::stoi(w.substr(0, c)), std::stoi(w.substr(c + 1))});
  }
  return r;
}

TEST(LlmStream, MoeExpertCacheSameOutputAndOnlyRoutedExpertsRead) {
  // 8 experts, top-2, 1 shared, 2 layers, 6 positions: 24 routed uses, some experts never chosen
  const std::string img = synth("moe8", "--experts 8 --shared 1 --top-k 2 --layers 2 --seed 11");
  const int steps = 6, layers = 2, top_k = 2, experts = 8;
  const uint64_t expert_bytes = 3 * tensor_bytes(64, 64, 8, 32);  // w1, w3 (64x64) and w2 (64x64), int8:32
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 6 --backend xmac --routes");
  ASSERT_EQ(host.code, 0) << host.err;
  const auto routes = parse_routes(line_of(host.out, "routes:"));
  std::istringstream ids(line_of(host.out, "ids:"));
  ASSERT_EQ(std::distance(std::istream_iterator<std::string>(ids), std::istream_iterator<std::string>()), steps)
      << "the test expects no early stop:\n" << host.out;
  ASSERT_EQ(routes.size(), size_t(steps * layers * top_k)) << host.out;
  std::map<int, uint64_t> count;
  for (auto& k : routes) count[k.second]++;
  EXPECT_EQ(metric(host.out, "expert_bytes_read"), routes.size() * expert_bytes) << "no cache: every use reads the expert";

  for (int slots : {3, 16}) {
    for (const char* stream : {"", " -S 8192"}) {
      const std::string rep = e2e::tmpdir() + "/moe" + std::to_string(slots) + (*stream ? "s" : "") + ".json";
      auto r = sim(img, "-n 6 -b xmac -r -E " + std::to_string(slots) + stream, rep);
      ASSERT_EQ(r.code, 0) << r.out << r.err;
      const std::string what = "-E " + std::to_string(slots) + stream;
      EXPECT_EQ(result_lines(r.out), result_lines(host.out)) << what;
      EXPECT_EQ(line_of(r.out, "routes:"), line_of(host.out, "routes:")) << what;
      const uint64_t hits = lru_hits(routes, slots);
      EXPECT_EQ(metric(r.out, "expert_uses"), routes.size()) << what;
      EXPECT_EQ(metric(r.out, "expert_hits"), hits) << what;
      EXPECT_EQ(metric(r.out, "expert_misses"), routes.size() - hits) << what;
      EXPECT_EQ(metric(r.out, "expert_bytes_read"), (routes.size() - hits) * expert_bytes) << what;
      // the simulator's region table: expert<N> only for routed experts, calls = routing counts
      auto j = load_json(rep);
      std::map<int, uint64_t> calls;
      uint64_t declared = 0;
      for (auto& reg : j["regions"]) {
        const std::string n = reg["name"];
        if (n.rfind("expert", 0) != 0) continue;
        calls[std::stoi(n.substr(6))] = reg["calls"].get<uint64_t>();
        declared += reg["declared_macs"].get<uint64_t>();
      }
      EXPECT_EQ(calls, count) << what;
      EXPECT_EQ(declared, routes.size() * 3 * 64 * 64) << "declared MACs of the expert regions, " << what;
      EXPECT_LT(count.size(), size_t(experts)) << "the seed should leave some experts unrouted";
      if (!*stream) {  // only the cache uses the DMA: it moved exactly the missed experts' bytes
        uint64_t dma = 0;
        for (auto& d : j["events"]["devices"])
          if (d["kind"] == "dma") dma += d["stats"]["bytes_copied"].get<uint64_t>();
        EXPECT_EQ(dma, (routes.size() - hits) * expert_bytes) << what;
      }
    }
  }
  // the host's cache gives the same counts
  auto hc = sh(kTools + "tinyllm-host " + img + " --steps 6 --backend xmac --expert-cache 3");
  ASSERT_EQ(hc.code, 0) << hc.err;
  EXPECT_EQ(result_lines(hc.out), result_lines(host.out));
  EXPECT_EQ(metric(hc.out, "expert_hits"), lru_hits(routes, 3));
}

TEST(LlmStream, SramTooSmallIsAClearError) {
  // dim 256, hidden 1024: w1 with scales is 1024 x (256 + 8 x 4) = 294912 bytes; two do not fit the
  // firmware's 448 KiB arena
  const std::string img = synth("wide", "--dim 256 --hidden 1024 --layers 1 --vocab 512 --seq-len 16");
  auto a = sim(img, "-n 2 -S auto");
  EXPECT_EQ(a.code, 3) << a.out;
  EXPECT_THAT(a.out, HasSubstr("tinyllm: error"));
  EXPECT_THAT(a.out, HasSubstr("cannot hold two"));
  // buffers smaller than the longest row (w2: 1024 bytes + 32 scales x 4 = 1152 bytes)
  auto b = sim(img, "-n 2 -S 2200");
  EXPECT_EQ(b.code, 2) << b.out;
  EXPECT_THAT(b.out, HasSubstr("cannot hold one row"));
  // and the same model streams with row blocks
  auto c = sim(img, "-n 2 -b xmac -S 65536");
  EXPECT_EQ(c.code, 0) << c.out;
  auto h = sh(kTools + "tinyllm-host " + img + " --steps 2 --backend xmac");
  EXPECT_EQ(result_lines(c.out), result_lines(h.out));
  // an expert cache on a dense model
  auto d = sim(img, "-n 2 -E 2");
  EXPECT_EQ(d.code, 2) << d.out;
  EXPECT_THAT(d.out, HasSubstr("dense"));
}

}  // namespace

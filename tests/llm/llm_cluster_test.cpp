// tinyllm split across the harts of a cluster (-T N, docs/CLUSTER.md): the ids and the logits checksum
// must equal the single-hart run's bit for bit for 1, 2, 3, 4 and 8 harts: the firmware on
// configs/mcu-llm-cluster.yaml against tinyllm-host without a split (the runtime's host build), with the
// fp32 and the INT8 KV cache, a batched prefill (the prompt) and decode. More harts must take fewer
// decode cycles, and exactly the harts asked for must have worked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"

using nlohmann::json;

namespace {
using e2e::kTools;
using e2e::kModels;

std::string ids_and_checksum(const std::string& out) {
  const size_t a = out.find("ids:");
  const size_t b = out.find('\n', out.find("logits_fnv:"));
  return a == std::string::npos || b == std::string::npos ? std::string() : out.substr(a, b - a);
}

using e2e::have_models;

std::string image() {
  const std::string img = e2e::tmpdir() + "/cluster-int8.tllm";
  if (!std::filesystem::exists(img))
    EXPECT_EQ(std::system((kTools + "mcucim-pack " + kModels + "stories260K.bin " + kModels + "tok512.bin -o " + img +
                           " --weights int8:32 > /dev/null").c_str()), 0);
  return img;
}

std::string host(const std::string& img, const std::string& args) {
  const std::string out = e2e::tmpdir() + "/cluster-host.txt";
  EXPECT_EQ(std::system((kTools + "tinyllm-host " + img + " " + args + " > " + out).c_str()), 0) << args;
  return ids_and_checksum(e2e::slurp(out));
}
}  // namespace

TEST(LlmCluster, SplitAcrossHartsEqualsSingleHart) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: stories260K.bin/tok512.bin not found in " << kModels;
  const std::string img = image();
  for (const std::string kv : {"", "-k"}) {
    const std::string want = host(img, "-n 8 -b xmac -i 'Once upon a time' " + std::string(kv.empty() ? "" : "--kv-int8"));
    ASSERT_THAT(want, testing::StartsWith("ids: 403 407 261 378 "));  // the prompt's tokens (README)
    uint64_t decode_cycles_1 = 0;
    for (uint32_t harts : {1u, 2u, 3u, 4u, 8u}) {
      const std::string rep = e2e::tmpdir() + "/cluster-llm" + std::to_string(harts) + ".json";
      auto r = e2e::mcucim("run -c " + e2e::cfg("mcu-llm-cluster") + " --elf " + e2e::fw("tinyllm") + " --load " + img +
                           "@0x80080000 --args '-n 8 -b xmac -i Once upon a time " + kv + " -T " +
                           std::to_string(harts) + "' -q --report " + rep);
      ASSERT_EQ(r.code, 0) << harts << " harts " << kv << "\n" << r.out << r.err;
      EXPECT_EQ(ids_and_checksum(r.out), want) << harts << " harts " << kv;
      std::ifstream f(rep);
      const json j = json::parse(f);
      uint64_t decode = 0;
      for (const auto& t : j["tokens"]["each"])
        if (t["phase"] == "decode") decode += t["cycles"].get<uint64_t>();
      ASSERT_GT(decode, 0u);
      for (uint32_t h = 1; h < 8; ++h) {
        if (h < harts) EXPECT_GT(j["harts"][h]["instret"].get<uint64_t>(), 0u) << "hart " << h << " of " << harts;
        else EXPECT_EQ(j["harts"][h]["instret"].get<uint64_t>(), 0u) << "hart " << h << " of " << harts;
      }
      if (harts == 1) decode_cycles_1 = decode;
      else EXPECT_LT(decode, decode_cycles_1) << harts << " harts are not faster than one";
    }
  }
}

// Sampling with a temperature (hart 0 hashes and samples: the logits are rescaled in place) and the
// greedy split with more positions than the 8 above: the same ids and checksum as the host.
TEST(LlmCluster, SampledAndLongerRunsEqualTheHost) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: no models in " << kModels;
  const std::string img = image();
  for (const std::string args : {"-n 24 -b xmac -t 0.9 -s 3", "-n 40 -b xmac -k"}) {
    std::string host_args = args;
    if (host_args.find(" -k") != std::string::npos) host_args.replace(host_args.find(" -k"), 3, " --kv-int8");
    const std::string want = host(img, host_args);
    ASSERT_THAT(want, testing::StartsWith("ids: "));
    auto r = e2e::mcucim("run -c " + e2e::cfg("mcu-llm-cluster") + " --set soc.core.count=4 --elf " + e2e::fw("tinyllm") +
                         " --load " + img + "@0x80080000 --args '" + args + " -x -T 4' -q");
    ASSERT_EQ(r.code, 0) << args << "\n" << r.out << r.err;
    EXPECT_EQ(ids_and_checksum(r.out), want) << args;
  }
}

// The host build runs the parts in turn (tllm_cluster_serial): any split gives the unsplit bits, here
// with FP32 weights (the norm without quantization, fp32 matrix parts) and INT4 (other groups).
TEST(LlmCluster, HostSplitEqualsUnsplit) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: no models in " << kModels;
  for (const std::string w : {"fp32", "int4:32"}) {
    const std::string img = e2e::tmpdir() + "/cluster-" + w.substr(0, 4) + ".tllm";
    ASSERT_EQ(std::system((kTools + "mcucim-pack " + kModels + "stories260K.bin " + kModels + "tok512.bin -o " + img +
                           " --weights " + w + " > /dev/null").c_str()), 0);
    for (const std::string kv : {"", " --kv-int8"}) {
      const std::string args = "-n 12 -b scalar -i 'Once upon a time'" + kv;
      const std::string want = host(img, args);
      ASSERT_THAT(want, testing::StartsWith("ids: 403 407 261 378 "));
      for (uint32_t parts : {2u, 3u, 5u, 8u})
        EXPECT_EQ(host(img, args + " -T " + std::to_string(parts)), want) << w << kv << " in " << parts << " parts";
    }
  }
}

TEST(LlmCluster, BadHartCounts) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: no models in " << kModels;
  const std::string img = image();
  auto r = e2e::mcucim("run -c " + e2e::cfg("mcu-llm-cluster") + " --set soc.core.count=2 --elf " + e2e::fw("tinyllm") +
                       " --load " + img + "@0x80080000 --args '-n 2 -b xmac -T 4' -q");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, testing::HasSubstr("more harts than the cluster has"));
  r = e2e::mcucim("run -c " + e2e::cfg("mcu-llm-cluster") + " --elf " + e2e::fw("tinyllm") + " --load " + img +
                  "@0x80080000 --args '-n 2 -b xmac -T 9' -q");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, testing::HasSubstr("-T expects a number of harts (1..8)"));
  r = e2e::mcucim("run -c " + e2e::cfg("mcu-llm-cluster") + " --elf " + e2e::fw("tinyllm") + " --load " + img +
                  "@0x80080000 --args '-n 2 -b xmac -T 2 -S auto' -q");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, testing::HasSubstr("not combined with CIM"));
}

// Forged model images on the MCU (issue 18): the firmware reports them like the host does instead of
// faulting, and images with NaN or infinite weights give the same ids and logits checksum on the host
// and in the simulator (float-to-int conversion of NaN is defined by the runtime, NaNs are hashed alike).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "../e2e/e2e_util.h"

using testing::HasSubstr;

namespace {

using e2e::sh;

using e2e::kTools;

uint32_t u32_at(const std::string& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
void put_u32(std::string& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
// FNV-1a 32 over bytes [20, size) (runtime/MODEL_FORMAT.md), written here independently.
void fix_checksum(std::string& b) {
  uint32_t h = 2166136261u;
  for (size_t i = 20; i < b.size(); i++) h = (h ^ static_cast<uint8_t>(b[i])) * 16777619u;
  put_u32(b, 16, h);
}
// A default synthetic image (dense, INT8, 2 layers, dim 64), changed by `edit`, written to `name`.
template <typename F>
std::string forged(const std::string& name, F edit) {
  const std::string good = e2e::tmpdir() + "/hard_good.tllm";
  if (!std::filesystem::exists(good)) {
    EXPECT_EQ(sh(kTools + "mcucim-synth -o " + good).code, 0);
  }
  std::string b = e2e::slurp(good);
  edit(b);
  fix_checksum(b);
  const std::string p = e2e::tmpdir() + "/" + name + ".tllm";
  std::ofstream(p, std::ios::binary) << b;
  return p;
}
e2e::Result fw(const std::string& img, const std::string& args) {
  return e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("tinyllm") +
                     " -q --set soc.core.isa=rv32imfc_xmac --load " + img + "@0x20100000 --args '" + args + "'");
}
std::string line(const std::string& out, const std::string& key) {
  auto p = out.find(key);
  return p == std::string::npos ? "missing " + key : out.substr(p, out.find('\n', p) - p);
}
// Element `i` of layer 0's rms_att weights (tensor 1, fp32) set to the float with these bits.
auto rms_weight(uint32_t i, uint32_t bits) {
  return [=](std::string& b) {
    const uint32_t entry = u32_at(b, 72) + 1 * 32;  // tensor table + entry 1
    put_u32(b, u32_at(b, entry + 20) + 4 * i, bits);
  };
}

}  // namespace

TEST(LlmHardening, ForgedExpertHiddenDimIsAFirmwareError) {
  // Once sized the firmware's memory plan: it wrapped in 32 bits and the firmware wrote outside its arena.
  auto img = forged("hidden", [](std::string& b) { put_u32(b, 64, 0x40000000u); });
  auto r = fw(img, "-n 2");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("expert_hidden_dim 1073741824 set but n_experts is 0"));
  auto h = sh(kTools + "tinyllm-host " + img + " --steps 2");
  EXPECT_EQ(h.code, 2);
  EXPECT_THAT(h.err, HasSubstr("expert_hidden_dim"));
}

TEST(LlmHardening, ForgedTokenOffsetIsAFirmwareError) {
  // A token early in the sorted index but late in id order gets a string offset 2 GB out: the check of
  // the sorted index read it before the offset check reached it, and the firmware faulted.
  auto img = forged("tokoff", [](std::string& b) {
    const uint32_t to = u32_at(b, 76), V = u32_at(b, 44);
    const size_t sorted = to + 16 + 8ull * V;
    for (uint32_t i = 1; i < V; i++)
      if (const uint32_t id = u32_at(b, sorted + 4ull * i); id > i + 1) {
        put_u32(b, to + 16 + 4ull * id, 0x80000000u);
        return;
      }
    ADD_FAILURE() << "no token sorted before its id";
  });
  auto r = fw(img, "-n 2");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("string offset 2147483648 outside"));
}

TEST(LlmHardening, NanAndInfiniteWeightsGiveTheSameResultsOnHostAndMcu) {
  // A NaN weight makes one activation NaN while the group's scale stays finite: its INT8 code was
  // INT_MIN (x86) or INT_MAX (RISC-V) clamped to -127 / +127, so host and MCU diverged. An infinite
  // weight makes every later value NaN, whose bits differ between the two (hashed alike now).
  for (const auto& [name, bits] : {std::pair<const char*, uint32_t>{"nan", 0x7fc00000u}, {"inf", 0x7f800000u}}) {
    auto img = forged(name, rms_weight(5, bits));
    for (const char* backend : {"scalar", "xmac"}) {
      auto host = sh(kTools + "tinyllm-host " + img + " --steps 6 --backend " + backend);
      ASSERT_EQ(host.code, 0) << host.err;
      auto sim = fw(img, std::string("-n 6 -b ") + backend);
      ASSERT_EQ(sim.code, 0) << sim.out << sim.err;
      EXPECT_EQ(line(sim.out, "ids:"), line(host.out, "ids:")) << name << " " << backend;
      EXPECT_EQ(line(sim.out, "logits_fnv:"), line(host.out, "logits_fnv:")) << name << " " << backend;
    }
  }
}

// Model images forged the way a hostile file would be (issue 18): each must give a clear error from
// tllm_model_open / the tools, never an out-of-bounds read, a crash or a huge allocation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "tinyllm/tinyllm.h"
#include "tllm_tools.h"

using namespace tllm_tools;

namespace {

std::vector<uint8_t> dense_image() {
  Dims d;
  d.dim = 32; d.hidden_dim = 48; d.n_layers = 2; d.n_heads = 4; d.n_kv_heads = 2; d.vocab_size = 300; d.seq_len = 32;
  QuantPlan plan;
  plan.matrices = parse_qspec("int8:16");
  return build_image(spec_synthetic(d, 5, plan));
}
// FNV-1a 32 over bytes [20, size), written independently of the runtime's tllm_fnv1a.
void fix_checksum(std::vector<uint8_t> &img) {
  uint32_t h = 2166136261u;
  for (size_t i = 20; i < img.size(); i++) h = (h ^ img[i]) * 16777619u;
  std::memcpy(img.data() + 16, &h, 4);
}
uint32_t u32_at(const std::vector<uint8_t> &img, size_t off) {
  uint32_t v;
  std::memcpy(&v, img.data() + off, 4);
  return v;
}
void put_u32(std::vector<uint8_t> &img, size_t off, uint32_t v) { std::memcpy(img.data() + off, &v, 4); }
tllm_status open_img(const std::vector<uint8_t> &img, std::string &msg) {
  LoadedModel lm;
  tllm_error err{};
  tllm_status s = lm.open(img, &err);
  msg = err.msg;
  return s;
}

}  // namespace

TEST(TinyllmHardening, TokenStringOffsetIsCheckedBeforeTheSortedIndexUsesIt) {
  // The sorted index names tokens in byte order; the check compared strings of tokens whose offsets
  // it had not validated yet. Give a token that appears early in the sorted order (but late in id
  // order) an offset 2 GB past the string area: reading it crashed.
  std::vector<uint8_t> img = dense_image();
  const uint32_t to = u32_at(img, 76), V = u32_at(img, 44);
  const size_t offsets = to + 16, sorted = offsets + 8ull * V;
  uint32_t victim = 0, at = 0;
  for (uint32_t i = 1; i < V && !victim; i++)
    if (u32_at(img, sorted + 4ull * i) > i + 1) { victim = u32_at(img, sorted + 4ull * i); at = i; }
  ASSERT_NE(victim, 0u) << "no token sorted before its id";
  put_u32(img, offsets + 4ull * victim, 0x80000000u);
  fix_checksum(img);
  std::string msg;
  EXPECT_EQ(open_img(img, msg), TLLM_E_CORRUPT);
  EXPECT_EQ(msg, "tokenizer: token " + std::to_string(victim) + " string offset 2147483648 outside the " +
                     std::to_string(u32_at(img, 80) - u32_at(img, to + 8)) + "-byte string area")
      << "(sorted position " << at << ")";
}

TEST(TinyllmHardening, ExpertHiddenDimOnADenseModelIsRefused) {
  // Unchecked, it sized the memory plan (hidden = max(hidden_dim, expert_hidden_dim)); on the MCU the
  // 32-bit plan wrapped and the firmware wrote outside its arena.
  std::vector<uint8_t> img = dense_image();
  put_u32(img, 64, 0x40000000u);
  fix_checksum(img);
  std::string msg;
  EXPECT_EQ(open_img(img, msg), TLLM_E_CORRUPT);
  EXPECT_EQ(msg, "model header: expert_hidden_dim 1073741824 set but n_experts is 0");
}

TEST(TinyllmHardening, HostToolsKeepToADefaultRamBudget) {
  // tinyllm-host allocated the memory plan the header asked for (31-38 GB for forged headers). A valid
  // header with seq_len 2^20 and 8 layers of 64 kv dims asks for a KV cache of
  // 8 x 2^20 x 64 x 4 bytes x 2 (k, v) = 4 GiB: over the host tools' default budget of 2 GiB.
  Dims d;
  d.dim = 64; d.hidden_dim = 64; d.n_layers = 8; d.n_heads = 4; d.n_kv_heads = 4; d.vocab_size = 300; d.seq_len = 16;
  QuantPlan plan;
  plan.matrices = parse_qspec("int8:16");
  std::vector<uint8_t> img = build_image(spec_synthetic(d, 5, plan));
  put_u32(img, 48, 1u << 20);  // seq_len (no tensor depends on it)
  fix_checksum(img);
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(img, &err), TLLM_OK) << err.msg;
  RunOptions o;
  o.steps = 1;
  RunResult r = generate(lm.model, o);
  EXPECT_EQ(r.status, TLLM_E_NOMEM);
  EXPECT_NE(r.error.find("KV cache 4294967296"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("budget is 2147483648 bytes"), std::string::npos) << r.error;
  // --ram raises it (here only as far as the plan: nothing is allocated by tllm_plan_memory).
  tllm_config cfg{0, 0};
  tllm_plan p;
  EXPECT_EQ(tllm_plan_memory(&p, &lm.model, &cfg, size_t(8) << 30, &err), TLLM_OK) << err.msg;
}

TEST(TinyllmHardening, PlanSizesDoNotWrap) {
  // Dimensions within the header's bounds whose plan exceeds 32 bits: the plan is computed in 64 bits
  // and refused against a 4 GiB - 1 budget (the MCU's SIZE_MAX) instead of wrapping to a small total.
  std::vector<uint8_t> img = dense_image();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(img, &err), TLLM_OK) << err.msg;
  tllm_model m = lm.model;
  m.n_layers = 1024;
  m.seq_len = 1u << 20;
  m.n_kv_heads = 8;
  m.kv_dim = 8 * m.head_size;  // 64
  tllm_config cfg{0, 0};
  tllm_plan p;
  EXPECT_EQ(tllm_plan_memory(&p, &m, &cfg, 0xffffffffu, &err), TLLM_E_NOMEM);
  // KV: 1024 layers x 2^20 positions x 64 dims x 4 bytes x 2 = 2^39 bytes.
  EXPECT_NE(std::string(err.msg).find("KV cache 549755813888"), std::string::npos) << err.msg;
  EXPECT_EQ(p.total, 0u);
}

TEST(TinyllmHardening, LogitsHashTreatsEveryNanAlike) {
  // x86 and RISC-V make NaNs of different sign and payload; the checksum must not see the difference.
  const uint32_t bits[3] = {0x7fc00000u, 0xffc00000u, 0x7f800001u};
  float a[2], b[2];
  std::memcpy(&a[0], &bits[0], 4);
  std::memcpy(&b[0], &bits[1], 4);
  a[1] = b[1] = 1.5f;
  EXPECT_EQ(tllm_logits_hash(TLLM_FNV_OFFSET, a, 2), tllm_logits_hash(TLLM_FNV_OFFSET, b, 2));
  std::memcpy(&b[0], &bits[2], 4);
  EXPECT_EQ(tllm_logits_hash(TLLM_FNV_OFFSET, a, 2), tllm_logits_hash(TLLM_FNV_OFFSET, b, 2));
  // Non-NaN values hash their bits (FNV-1a, one step per 32-bit word, computed here).
  uint32_t h = 2166136261u;
  for (int i = 0; i < 2; i++) h = (h ^ (i ? 0x3fc00000u : 0x7fc00000u)) * 16777619u;
  EXPECT_EQ(tllm_logits_hash(TLLM_FNV_OFFSET, a, 2), h);
}

TEST(TinyllmHardening, NanOrInfiniteActivationQuantizesToZero) {
  // Out-of-range float-to-int conversion is undefined in C (x86 gives INT_MIN, RISC-V saturates): a
  // group holding a NaN or an infinity quantizes to 0 (its scale is NaN or inf), so host and MCU
  // agree; the other groups are unaffected.
  float x[32] = {};
  x[0] = 127.0f, x[1] = -127.0f, x[2] = 63.5f;     // group 0: scale 1
  x[16] = 127.0f, x[17] = -63.5f;                  // group 1: scale 1
  uint32_t nan_bits = 0x7fc00000u;
  std::memcpy(&x[3], &nan_bits, 4);
  int8_t q[32];
  float scale[2];
  int32_t sum[2];
  tllm_quantize_act(q, scale, sum, x, 32, 16);
  for (int i = 0; i < 16; i++) EXPECT_EQ(q[i], 0) << i;
  EXPECT_TRUE(std::isnan(scale[0]));
  EXPECT_EQ(scale[1], 1.0f);
  EXPECT_EQ(q[16], 127);
  EXPECT_EQ(q[17], -64);  // -63.5 -> -64 (ties away from zero)
  x[3] = INFINITY;
  tllm_quantize_act(q, scale, sum, x, 32, 16);
  for (int i = 0; i < 16; i++) EXPECT_EQ(q[i], 0) << i;
  EXPECT_TRUE(std::isinf(scale[0]));
}

TEST(TinyllmHardening, ReadFileRefusesDevicesAndDirectories) {
  EXPECT_THROW(read_file("/dev/zero"), Error);
  EXPECT_THROW(read_file("/tmp"), Error);
}

// tinyllm runtime: oracle agreement (fp32 greedy ids of llama2.c), tokenizer, quantization quality,
// backend bit-exactness, bad inputs, memory plan, MoE routing. Tests that need ../shared/models skip
// loudly when it is absent (MCUCIM_SHARED_DIR).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "tinyllm/tinyllm.h"
#include "tinyllm/tllm_math.h"
#include "tllm_tools.h"

using namespace tllm_tools;

namespace {

const std::string kShared = MCUCIM_SHARED_DIR;
const std::string kCkpt = kShared + "/models/stories260K.bin";
const std::string kTok = kShared + "/models/tok512.bin";
const std::string kIds256 = kShared + "/oracles/stories260K_fp32_greedy_noprompt_256.ids";
const std::string kIds64 = kShared + "/oracles/stories260K_fp32_greedy_prompt_once_upon_a_time_64.ids";
const std::string kTxt64 = kShared + "/oracles/stories260K_fp32_greedy_prompt_once_upon_a_time_64.txt";

bool have(const std::string &p) { return std::ifstream(p).good(); }

#define NEED_MODELS()                                                                          \
  do {                                                                                         \
    for (const std::string &p_ : {kCkpt, kTok, kIds256, kIds64})                               \
      if (!have(p_)) GTEST_SKIP() << "SKIPPED: model/oracle file missing: " << p_              \
                                  << " (set MCUCIM_SHARED_DIR or get stories260K, see ../shared/models/README.md)"; \
  } while (0)

// Packs stories260K with the given options (cached per option string).
std::vector<uint8_t> pack(const std::string &weights, const std::map<std::string, std::string> &names = {}) {
  static std::map<std::string, std::vector<uint8_t>> cache;
  std::string key = weights;
  for (auto &kv : names) key += "|" + kv.first + "=" + kv.second;
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  static Checkpoint ck = load_checkpoint(kCkpt);
  static Tokenizer tok = load_tokenizer(kTok, ck.d.vocab_size);
  QuantPlan plan;
  plan.matrices = parse_qspec(weights);
  for (auto &kv : names) plan.by_name[kv.first] = parse_qspec(kv.second);
  return cache[key] = build_image(spec_from_checkpoint(ck, tok, plan));
}

std::string first_divergence(const std::vector<int32_t> &got, const std::vector<int32_t> &want) {
  size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i])
      return "first divergence at position " + std::to_string(i + 1) + ": got " + std::to_string(got[i]) + ", oracle " + std::to_string(want[i]);
  if (got.size() != want.size()) return "length differs: got " + std::to_string(got.size()) + ", oracle " + std::to_string(want.size());
  return "";
}

std::string slurp(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

// ---- deterministic math ------------------------------------------------------------------------
TEST(TinyllmMath, SqrtIsCorrectlyRounded) {
  for (uint32_t u = 1; u < 0x7F800000u; u += 7919u) {
    float x;
    std::memcpy(&x, &u, 4);
    float a = tllm_sqrtf(x), r = std::sqrt(x);
    ASSERT_EQ(std::memcmp(&a, &r, 4), 0) << "sqrt(" << x << ")";
  }
  EXPECT_EQ(tllm_sqrtf(4.0f), 2.0f);
  EXPECT_EQ(tllm_sqrtf(0.0f), 0.0f);
  EXPECT_TRUE(std::isnan(tllm_sqrtf(-1.0f)));
}

TEST(TinyllmMath, ExpWithinThreeUlp) {
  for (float x = -87.0f; x < 88.0f; x += 0.0173f) {
    double r = std::exp(static_cast<double>(x));
    float rf = static_cast<float>(r);
    double ulp = std::nextafter(rf, INFINITY) - rf;
    ASSERT_LE(std::fabs(tllm_expf(x) - r), 3 * ulp) << "x = " << x;
  }
  EXPECT_EQ(tllm_expf(0.0f), 1.0f);
  EXPECT_EQ(tllm_expf(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(tllm_expf(100.0f)));
}

TEST(TinyllmMath, CosSinWithinOneUlp) {
  for (float x = 0; x < 600.0f; x += 0.37f) {
    float c, s;
    tllm_cossinf(x, &c, &s);
    EXPECT_NEAR(c, std::cos(static_cast<double>(x)), 1.2e-7) << x;
    EXPECT_NEAR(s, std::sin(static_cast<double>(x)), 1.2e-7) << x;
  }
}

// ---- oracle: fp32 greedy ---------------------------------------------------------------------------
TEST(TinyllmOracle, Fp32GreedyNoPrompt256MatchesLlama2c) {
  NEED_MODELS();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(pack("fp32"), &err), TLLM_OK) << err.msg;
  RunOptions o;
  o.steps = 256;
  RunResult r = generate(lm.model, o);
  ASSERT_EQ(r.status, TLLM_OK) << r.error;
  std::vector<int32_t> want = read_ids(kIds256);
  ASSERT_EQ(want.size(), 256u);
  EXPECT_EQ(first_divergence(r.ids, want), "");
}

TEST(TinyllmOracle, Fp32GreedyPromptOnceUponATime64) {
  NEED_MODELS();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(pack("fp32"), &err), TLLM_OK) << err.msg;
  RunOptions o;
  o.prompt = "Once upon a time";
  o.steps = 64;  // llama2.c: 64 steps -> ids at positions 1..64
  RunResult r = generate(lm.model, o);
  ASSERT_EQ(r.status, TLLM_OK) << r.error;
  std::vector<int32_t> want = read_ids(kIds64);
  ASSERT_EQ(want.size(), 64u);
  EXPECT_EQ(first_divergence(r.ids, want), "");
}

// ---- tokenizer ------------------------------------------------------------------------------------
TEST(TinyllmTokenizer, KnownEncodingFromLlama2cOutput) {
  NEED_MODELS();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(pack("fp32"), &err), TLLM_OK) << err.msg;
  // llama2.c's prompted run reports the prompt tokens at positions 1..: "Once upon a time"
  std::vector<int32_t> oracle = read_ids(kIds64);
  int32_t toks[32];
  uint32_t n = 0;
  ASSERT_EQ(tllm_encode(&lm.model, "Once upon a time", 1, 0, toks, 32, &n, &err), TLLM_OK) << err.msg;
  ASSERT_EQ(n, 5u);
  EXPECT_EQ(toks[0], 1);
  for (uint32_t i = 1; i < n; i++) EXPECT_EQ(toks[i], oracle[i - 1]) << "token " << i;
  ASSERT_EQ(tllm_encode(&lm.model, "", 1, 1, toks, 32, &n, &err), TLLM_OK);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(toks[0], 1);
  EXPECT_EQ(toks[1], 2);
}

TEST(TinyllmTokenizer, DecodeOracleIdsGivesOracleText) {
  NEED_MODELS();
  if (!have(kTxt64)) GTEST_SKIP() << "SKIPPED: missing " << kTxt64;
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(pack("fp32"), &err), TLLM_OK) << err.msg;
  std::vector<int32_t> ids = read_ids(kIds64);
  std::string text;
  int32_t prev = 1;
  char bb[2];
  for (int32_t id : ids) { text += tllm_decode(&lm.model, prev, id, bb); prev = id; }
  std::string want = slurp(kTxt64);
  while (!want.empty() && (want.back() == '\n' || want.back() == '\r')) want.pop_back();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  EXPECT_EQ(text, want);
}

TEST(TinyllmTokenizer, RoundTripsAndByteFallback) {
  NEED_MODELS();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(pack("fp32"), &err), TLLM_OK) << err.msg;
  const tllm_model &m = lm.model;
  for (const char *text : {"Once upon a time", "Lily and Ben went to the park.", "a", "Hello\nworld!  x",
                           "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC", "\x01\x7F"}) {
    int32_t toks[128];
    uint32_t n = 0;
    ASSERT_EQ(tllm_encode(&m, text, 1, 0, toks, 128, &n, &err), TLLM_OK) << err.msg;
    std::string back;
    char bb[2];
    for (uint32_t i = 1; i < n; i++) back += tllm_decode(&m, toks[i - 1], toks[i], bb);
    EXPECT_EQ(back, text);
  }
  // "日" (E6 97 A5) is not in the 512-token vocabulary: byte fallback gives byte + 3 for each byte
  int32_t toks[16];
  uint32_t n = 0;
  ASSERT_EQ(tllm_encode(&m, "\xE6\x97\xA5", 0, 0, toks, 16, &n, &err), TLLM_OK);
  ASSERT_GE(n, 3u);
  EXPECT_EQ(toks[n - 3], 0xE6 + 3);
  EXPECT_EQ(toks[n - 2], 0x97 + 3);
  EXPECT_EQ(toks[n - 1], 0xA5 + 3);
  EXPECT_STREQ(tllm_token_str(&m, 0xE6 + 3), "<0xE6>");
  char bb[2];
  EXPECT_EQ(static_cast<unsigned char>(tllm_decode(&m, 5, 0xE6 + 3, bb)[0]), 0xE6u);
  // capacity too small is an error, not an overflow
  EXPECT_EQ(tllm_encode(&m, "Once upon a time", 1, 0, toks, 4, &n, &err), TLLM_E_ARG);
}

// ---- quantization ---------------------------------------------------------------------------------
TEST(TinyllmQuant, DequantErrorWithinHalfStepIncludingPartialGroups) {
  // rows of 172 (stories260K hidden) with groups that do not divide it
  const uint32_t rows = 3, cols = 172;
  std::vector<float> w(rows * cols);
  for (size_t i = 0; i < w.size(); i++) w[i] = std::sin(0.37f * i) * (1.0f + (i % 13));
  for (const char *spec : {"int8:64", "int8:5", "int4:32", "int4:24", "int2:16:affine", "int2:7:affine", "int8:200"}) {
    QSpec q = parse_qspec(spec);
    std::vector<uint8_t> data;
    std::vector<float> sc, of;
    quantize_tensor(w, rows, cols, q, data, sc, of);
    tllm_tensor t{};
    t.data = data.data(); t.scales = sc.data(); t.offsets = of.empty() ? nullptr : of.data();
    t.rows = rows; t.cols = cols; t.group = q.group; t.ngroups = tllm_groups_per_row(cols, q.group);
    t.row_bytes = tllm_row_bytes(q.prec, cols); t.prec = q.prec;
    std::vector<float> out(cols);
    for (uint32_t r = 0; r < rows; r++) {
      tllm_dequant_row(out.data(), &t, r);
      for (uint32_t j = 0; j < cols; j++) {
        float s = sc[r * t.ngroups + j / q.group];
        ASSERT_LE(std::fabs(out[j] - w[r * cols + j]), 0.5f * s * 1.0001f + 1e-6f) << spec << " r " << r << " j " << j;
      }
    }
  }
}

TEST(TinyllmQuant, TeacherForcedAgreement) {
  NEED_MODELS();
  std::vector<int32_t> ids = read_ids(kIds256);
  struct Case { const char *spec; double min; } cases[] = {
      {"int8:32", 0.95}, {"int4:32", 0.85}, {"int4:32:affine:clip", 0.85}, {"int2:32", 0.0}, {"int2:8:affine:clip", 0.0}};
  for (const Case &c : cases) {
    LoadedModel lm;
    tllm_error err{};
    std::vector<uint8_t> img = pack(c.spec);
    ASSERT_EQ(lm.open(img, &err), TLLM_OK) << err.msg;
    double a = agreement(lm.model, ids, 256);
    std::printf("[ agreement ] %-22s %.4f over 256 positions, image %zu bytes, %.2f bits/parameter\n", c.spec, a,
                img.size(), 8.0 * lm.model.weight_bytes / lm.model.n_params);
    RecordProperty(std::string("agreement_") + c.spec, std::to_string(a));
    EXPECT_GE(a, c.min) << c.spec;
  }
}

// Issue 12's accuracy bound for the fast path: the quantized models with the INT8 KV cache and quantized
// attention on the Xmac kernels (as bench/llm.sh's rows run them), teacher-forced on the fp32 oracle's
// 256 ids. Bounds: INT8 >= 97 % (the target), INT4 >= 85 % (as with the fp32 cache above).
TEST(TinyllmQuant, TeacherForcedAgreementWithInt8KvCache) {
  NEED_MODELS();
  std::vector<int32_t> ids = read_ids(kIds256);
  struct Case { const char *spec; double min; } cases[] = {{"int8:32", 0.97}, {"int4:32", 0.85}};
  for (const Case &c : cases) {
    LoadedModel lm;
    tllm_error err{};
    ASSERT_EQ(lm.open(pack(c.spec), &err), TLLM_OK) << err.msg;
    RunOptions o;
    o.backend = TLLM_BACKEND_XMAC;
    o.kv_int8 = true;
    AgreeResult r = agreement_run(lm.model, ids, 256, o);
    ASSERT_EQ(r.positions, 256u);
    const double a = double(r.agree) / r.positions;
    std::printf("[ agreement ] %-10s INT8 KV, Xmac: %.4f over 256 positions\n", c.spec, a);
    EXPECT_GE(a, c.min) << c.spec;
  }
}

// ---- backends ------------------------------------------------------------------------------------
TEST(TinyllmBackends, ScalarAndXmacGiveIdenticalIdsAndLogits) {
  NEED_MODELS();
  // group sizes that are multiples of the Xmac word (fast path) and ones that are not (masked path)
  for (const char *spec : {"int8:32", "int8:6", "int4:32", "int4:12", "int2:32", "int2:16:affine", "int2:8:affine:clip"}) {
    LoadedModel lm;
    tllm_error err{};
    ASSERT_EQ(lm.open(pack(spec), &err), TLLM_OK) << err.msg;
    RunOptions o;
    o.steps = 48;
    o.prompt = "Lily";
    o.temperature = 0.8f;
    o.seed = 42;
    RunResult a = generate(lm.model, o);
    o.backend = TLLM_BACKEND_XMAC;
    RunResult b = generate(lm.model, o);
    ASSERT_EQ(a.status, TLLM_OK) << a.error;
    ASSERT_EQ(b.status, TLLM_OK) << b.error;
    EXPECT_EQ(a.ids, b.ids) << spec;
    EXPECT_EQ(a.logits_hash, b.logits_hash) << spec;
    EXPECT_GT(a.ids.size(), 10u) << spec;
  }
}

TEST(TinyllmBackends, CimSlotEmptyUntilRegistered) {
  EXPECT_EQ(tllm_get_backend(TLLM_BACKEND_CIM), nullptr);
  Dims d;
  d.dim = 32; d.hidden_dim = 48; d.n_layers = 1; d.n_heads = 4; d.n_kv_heads = 2; d.vocab_size = 300; d.seq_len = 16;
  QuantPlan plan;
  plan.matrices = parse_qspec("int8:16");
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(build_image(spec_synthetic(d, 3, plan)), &err), TLLM_OK) << err.msg;
  RunOptions o;
  o.backend = TLLM_BACKEND_CIM;
  RunResult r = generate(lm.model, o);
  EXPECT_EQ(r.status, TLLM_E_BACKEND);
  EXPECT_NE(r.error.find("cim"), std::string::npos) << r.error;
}

// ---- sampling -------------------------------------------------------------------------------------
TEST(TinyllmSampler, XorshiftStarMatchesDefinition) {
  // llama2.c: x ^= x>>12; x ^= x<<25; x ^= x>>27; return (x * 0x2545F4914F6CDD1D) >> 32
  uint64_t st = 1;
  // by hand: 1 -> 1 ^ (1<<25) = 0x2000001 -> ^ (0x2000001>>27 = 0) -> 0x2000001
  uint64_t x = 0x2000001ull;
  uint32_t want = static_cast<uint32_t>((x * 0x2545F4914F6CDD1Dull) >> 32);
  EXPECT_EQ(tllm_random_u32(&st), want);
  EXPECT_EQ(st, x);
}

TEST(TinyllmSampler, TemperatureTopPIsSeededAndInVocab) {
  NEED_MODELS();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(pack("fp32"), &err), TLLM_OK) << err.msg;
  RunOptions o;
  o.steps = 64; o.temperature = 1.0f; o.topp = 0.9f; o.seed = 7;
  RunResult a = generate(lm.model, o), b = generate(lm.model, o);
  EXPECT_EQ(a.ids, b.ids);
  o.seed = 8;
  RunResult c = generate(lm.model, o);
  EXPECT_NE(a.ids, c.ids);
  for (int32_t id : a.ids) { EXPECT_GE(id, 0); EXPECT_LT(id, 512); }
}

// ---- bad inputs --------------------------------------------------------------------------------------
namespace {
std::vector<uint8_t> small_image(uint32_t experts = 0) {
  Dims d;
  d.dim = 32; d.hidden_dim = 48; d.n_layers = 2; d.n_heads = 4; d.n_kv_heads = 2; d.vocab_size = 300; d.seq_len = 32;
  if (experts) { d.n_experts = experts; d.top_k = 2; d.n_shared = 1; d.expert_hidden = 24; d.hidden_dim = 0; }
  QuantPlan plan;
  plan.matrices = parse_qspec("int4:16");
  return build_image(spec_synthetic(d, 11, plan));
}
void refresh_checksum(std::vector<uint8_t> &img) {
  uint32_t c = tllm_fnv1a(TLLM_FNV_OFFSET, img.data() + TLLM_CHECKSUM_START, static_cast<uint32_t>(img.size()) - TLLM_CHECKSUM_START);
  std::memcpy(img.data() + 16, &c, 4);
}
tllm_status open_status(const std::vector<uint8_t> &img, std::string *msg) {
  LoadedModel lm;
  tllm_error err{};
  tllm_status s = lm.open(img, &err);
  *msg = err.msg;
  return s;
}
}  // namespace

TEST(TinyllmBadInput, ImageErrorsAreClear) {
  std::vector<uint8_t> good = small_image();
  std::string msg;
  ASSERT_EQ(open_status(good, &msg), TLLM_OK) << msg;

  std::vector<uint8_t> img(good.begin(), good.begin() + 100);
  EXPECT_EQ(open_status(img, &msg), TLLM_E_TRUNCATED);
  EXPECT_NE(msg.find("header"), std::string::npos) << msg;

  img.assign(good.begin(), good.end() - 16);
  EXPECT_EQ(open_status(img, &msg), TLLM_E_TRUNCATED);
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  img = good;
  img[img.size() / 2] ^= 0x40;
  EXPECT_EQ(open_status(img, &msg), TLLM_E_CHECKSUM);
  EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;

  img = good;
  img[4] = 3;  // version 3 (this runtime reads 1 and 2)
  EXPECT_EQ(open_status(img, &msg), TLLM_E_VERSION);
  EXPECT_NE(msg.find("version 3"), std::string::npos) << msg;

  img = good;
  img[0] = 'X';
  EXPECT_EQ(open_status(img, &msg), TLLM_E_MAGIC);

  // inconsistent but correctly checksummed: a tensor's shape disagrees with the header
  img = good;
  tllm_header h;
  std::memcpy(&h, img.data(), sizeof h);
  tllm_tensor_entry e;
  std::memcpy(&e, img.data() + h.tensor_table_offset + 2 * TLLM_TENSOR_ENTRY_SIZE, sizeof e);
  e.rows += 1;
  std::memcpy(img.data() + h.tensor_table_offset + 2 * TLLM_TENSOR_ENTRY_SIZE, &e, sizeof e);
  refresh_checksum(img);
  EXPECT_EQ(open_status(img, &msg), TLLM_E_CORRUPT);
  EXPECT_NE(msg.find("tensor 2 (wq, layer 0)"), std::string::npos) << msg;

  // a tensor's data pointing outside the image
  img = good;
  std::memcpy(&e, img.data() + h.tensor_table_offset + 3 * TLLM_TENSOR_ENTRY_SIZE, sizeof e);
  e.data_offset = h.image_size - 16;
  std::memcpy(img.data() + h.tensor_table_offset + 3 * TLLM_TENSOR_ENTRY_SIZE, &e, sizeof e);
  refresh_checksum(img);
  EXPECT_EQ(open_status(img, &msg), TLLM_E_CORRUPT);
  EXPECT_NE(msg.find("outside the image"), std::string::npos) << msg;
}

TEST(TinyllmBadInput, ModelThatDoesNotFitTheRamBudget) {
  std::vector<uint8_t> good = small_image();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(good, &err), TLLM_OK);
  // KV cache alone: 2 layers x 32 positions x 16 kv dims x 2 (k, v) x 4 bytes = 8192 bytes
  tllm_config cfg{0, 0, 1, 0, 1};
  tllm_plan p;
  EXPECT_EQ(tllm_plan_memory(&p, &lm.model, &cfg, 8192, &err), TLLM_E_NOMEM);
  EXPECT_NE(std::string(err.msg).find("budget is 8192 bytes"), std::string::npos) << err.msg;
  ASSERT_EQ(tllm_plan_memory(&p, &lm.model, &cfg, SIZE_MAX, &err), TLLM_OK);
  EXPECT_EQ(p.kv_bytes, 8192u);
  cfg.kv_int8 = 1;  // int8: 2048 bytes + scales 2 x 2*32*2*4 = 1024
  ASSERT_EQ(tllm_plan_memory(&p, &lm.model, &cfg, SIZE_MAX, &err), TLLM_OK);
  EXPECT_EQ(p.kv_bytes, 2048u + 1024u);
  // Greedy (temperature 0 only): no top-p buffer, vocab x 8 bytes less (issue 15: a 32000-token
  // vocabulary's 256000 bytes).
  const size_t with_sampler = p.total;
  EXPECT_EQ(p.sampler_bytes, tllm_round_up(lm.model.vocab_size * 8u, TLLM_ALIGN));
  cfg.greedy = 1;
  ASSERT_EQ(tllm_plan_memory(&p, &lm.model, &cfg, SIZE_MAX, &err), TLLM_OK);
  EXPECT_EQ(p.sampler_bytes, 0u);
  EXPECT_EQ(with_sampler - p.total, tllm_round_up(lm.model.vocab_size * 8u, TLLM_ALIGN));
  cfg.greedy = 0;
  cfg.max_seq = 33;
  EXPECT_EQ(tllm_plan_memory(&p, &lm.model, &cfg, SIZE_MAX, &err), TLLM_E_ARG);
  EXPECT_NE(std::string(err.msg).find("seq_len 32"), std::string::npos) << err.msg;
  RunOptions o;
  o.ram_budget = 4096;
  RunResult r = generate(lm.model, o);
  EXPECT_EQ(r.status, TLLM_E_NOMEM);
}

TEST(TinyllmBadInput, PromptLongerThanSeqLen) {
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(small_image(), &err), TLLM_OK);
  RunOptions o;
  o.prompt = std::string(200, 'q');  // 200 byte tokens (+ BOS) > seq_len 32
  RunResult r = generate(lm.model, o);
  EXPECT_EQ(r.status, TLLM_E_PROMPT_TOO_LONG);
  EXPECT_NE(r.error.find("positions"), std::string::npos) << r.error;
}

TEST(TinyllmBadInput, PackRejectsTruncatedCheckpoint) {
  NEED_MODELS();
  std::string dir = TINYLLM_TOOLS_DIR;
  std::vector<uint8_t> ck = read_file(kCkpt);
  ck.resize(ck.size() - 1000);
  std::string bad = testing::TempDir() + "/truncated_ckpt.bin", out = testing::TempDir() + "/x.img",
              log = testing::TempDir() + "/pack.log";
  write_file(bad, ck);
  int rc = std::system((dir + "/mcucim-pack " + bad + " " + kTok + " -o " + out + " 2> " + log).c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  std::string m = slurp(log);
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
  EXPECT_NE(m.find(bad), std::string::npos) << m;
  EXPECT_THROW(load_checkpoint(bad), Error);
}

// Issue 18, found by fuzz/llama2_checkpoint_fuzz.cpp (corpus regress_*): a header whose tensors
// total 2^62 floats made the byte count 28 + 4 * 2^62 wrap to 28, so the bare header was taken for a
// whole checkpoint and its tensors were read from beyond it; vocab_size = INT32_MIN was negated
// (signed overflow). Both must be clear errors.
TEST(TinyllmBadInput, CheckpointHeaderArithmeticCannotWrap) {
  auto header = [](std::vector<int32_t> h) {
    std::vector<uint8_t> b(28);
    std::memcpy(b.data(), h.data(), 28);
    return b;
  };
  // dim 2^20, 1 head: floats = 2^20 * (V + 2L + 4L*2^20 + 3L*hidden + 1 + seq_len) = 2^20 * 2^42 with
  // hidden 2^20, 599186 layers, vocab 898778, seq_len 1 (worked by hand from llama2.c's layout).
  const std::vector<uint8_t> wraps = header({1 << 20, 1 << 20, 599186, 1, 1, 898778, 1});
  try {
    parse_checkpoint(wraps, "wrap.bin");
    ADD_FAILURE() << "accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("wrap.bin: 28 bytes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  std::vector<uint8_t> int_min = header({8, 16, 1, 2, 2, INT32_MIN, 4});
  int_min.resize(28 + 64);
  try {
    parse_checkpoint(int_min, "min.bin");
    ADD_FAILURE() << "accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size -2147483648 out of range"), std::string::npos) << e.what();
  }
}

// ---- MoE ---------------------------------------------------------------------------------------------
TEST(TinyllmMoE, OnlyRoutedExpertsAreRead) {
  const uint32_t E = 8;
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(small_image(E), &err), TLLM_OK) << err.msg;
  const tllm_model &m = lm.model;
  ASSERT_EQ(m.n_experts, E);
  tllm_config cfg{0, 0, 1, 0, 1};
  tllm_plan p;
  ASSERT_EQ(tllm_plan_memory(&p, &m, &cfg, SIZE_MAX, &err), TLLM_OK);
  std::vector<uint8_t> arena(p.total + 16);
  uint8_t *a = arena.data() + (16 - reinterpret_cast<uintptr_t>(arena.data()) % 16) % 16;
  for (tllm_backend b : {TLLM_BACKEND_SCALAR, TLLM_BACKEND_XMAC}) {
    tllm_state s;
    ASSERT_EQ(tllm_state_init(&s, &m, &p, a, p.total, b, &err), TLLM_OK);
    std::vector<uint64_t> bytes(m.hdr->n_tensors);
    s.tensor_bytes_read = bytes.data();
    std::set<uint32_t> used_over_run;
    for (uint32_t pos = 0; pos < 6; pos++) {
      std::fill(bytes.begin(), bytes.end(), 0);
      tllm_forward(&s, 5 + pos * 17, pos);
      for (uint32_t l = 0; l < m.n_layers; l++) {
        std::set<uint32_t> touched;
        for (uint32_t e = 0; e < E; e++) {
          uint64_t sum = 0, full = 0;
          for (uint32_t k : {TLLM_T_EXP_W1, TLLM_T_EXP_W2, TLLM_T_EXP_W3}) {
            const tllm_tensor_entry *te = tllm_model_entry(&m, k, l, e);
            sum += bytes[te - m.table];
            full += te->data_bytes + static_cast<uint64_t>(te->rows) * tllm_groups_per_row(te->cols, te->group_size) * 4u;
          }
          if (sum) { touched.insert(e); EXPECT_EQ(sum, full) << "expert " << e << " read partially"; used_over_run.insert(l * E + e); }
        }
        EXPECT_EQ(touched.size(), m.top_k) << "layer " << l << " pos " << pos;
        if (l + 1 == m.n_layers) {
          std::set<uint32_t> sel(s.expert_sel, s.expert_sel + m.top_k);
          EXPECT_EQ(touched, sel);
        }
        EXPECT_GT(bytes[tllm_model_entry(&m, TLLM_T_SHX_W1, l, 0) - m.table], 0u) << "shared expert not read";
      }
    }
    EXPECT_GT(used_over_run.size(), m.top_k) << "routing never changed across positions";
  }
  // and both backends agree on the MoE model
  RunOptions o;
  o.steps = 20;
  RunResult r1 = generate(m, o);
  o.backend = TLLM_BACKEND_XMAC;
  RunResult r2 = generate(m, o);
  ASSERT_EQ(r1.status, TLLM_OK) << r1.error;
  EXPECT_EQ(r1.ids, r2.ids);
  EXPECT_EQ(r1.logits_hash, r2.logits_hash);
}

TEST(TinyllmFormat, KvInt8RunsAndStaysClose) {
  NEED_MODELS();
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(pack("int8:32"), &err), TLLM_OK) << err.msg;
  RunOptions o;
  o.steps = 64;
  o.kv_int8 = true;
  RunResult r = generate(lm.model, o);
  ASSERT_EQ(r.status, TLLM_OK) << r.error;
  std::vector<int32_t> want = read_ids(kIds256);
  size_t same = 0;
  for (size_t i = 0; i < r.ids.size() && i < 64; i++) same += r.ids[i] == want[i];
  EXPECT_GE(same, 20u) << "INT8 weights + INT8 KV cache should follow the oracle's opening";
}

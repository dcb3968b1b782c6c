// Fuzz target: the model-image parser of the inference runtime (runtime/src/tllm_model.c, the same C
// the firmware runs, built for the host) and what uses an accepted image: the memory plan, the state,
// one forward position with the scalar and the Xmac kernels, the tokenizer (encode, decode) and the
// sampler's argmax. The checksum is skipped (TLLM_OPEN_SKIP_CHECKSUM) so mutations reach the checks
// behind it. Every input must be refused with an error or run to the end.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "tinyllm/tinyllm.h"

namespace {
// The plan gets at most 1 MiB (as a small MCU's SRAM): larger models are refused by the plan.
constexpr size_t kArena = 1u << 20;
alignas(16) uint8_t g_arena[kArena];
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64u << 20)) return 0;
  // The image must be 16-byte aligned (as in flash): copy it.
  std::unique_ptr<uint8_t[]> buf(new uint8_t[size + 16]);
  uint8_t* img = buf.get() + (16 - reinterpret_cast<uintptr_t>(buf.get()) % 16) % 16;
  if (size) std::memcpy(img, data, size);
  tllm_model m;
  tllm_error err{};
  if (tllm_model_open(&m, img, size, TLLM_OPEN_SKIP_CHECKSUM, &err) != TLLM_OK) return 0;

  int32_t toks[64];
  uint32_t n = 0;
  if (tllm_encode(&m, "Once upon a time, <0x41> x", 1, 1, toks, 64, &n, &err) == TLLM_OK) {
    char bb[2];
    for (uint32_t i = 1; i < n; i++) (void)tllm_decode(&m, toks[i - 1], toks[i], bb);
  }
  for (tllm_backend b : {TLLM_BACKEND_SCALAR, TLLM_BACKEND_XMAC}) {
    tllm_config cfg{2, b == TLLM_BACKEND_XMAC ? 1 : 0, 1, 0, 1};  // two positions; INT8 KV cache with Xmac
    if (cfg.max_seq > m.seq_len) cfg.max_seq = m.seq_len;
    tllm_plan plan;
    if (tllm_plan_memory(&plan, &m, &cfg, kArena, &err) != TLLM_OK) return 0;
    tllm_state s;
    if (tllm_state_init(&s, &m, &plan, g_arena, kArena, b, &err) != TLLM_OK) continue;
    uint32_t tok = m.hdr->bos_id;
    for (uint32_t pos = 0; pos < cfg.max_seq; pos++) {
      float* logits = tllm_forward(&s, tok, pos);
      tok = tllm_argmax(logits, m.vocab_size);
    }
  }
  return 0;
}

// Fuzz target: what mcucim-pack reads (workloads/tinyllm/tllm_tools.cpp): a llama2.c checkpoint
// (28-byte header, fp32 tensors) followed by its tokenizer file, then the default packing of the pair
// (int8, groups of 32: spec_from_checkpoint, build_image) and the runtime's parse of the image. The
// input is split where the header says the checkpoint ends (computed here in 128-bit arithmetic, an
// independent reading of the format); without room for that, the whole input is the checkpoint.
// Every input must be refused with tllm_tools::Error or packed into an image that tllm_model_open
// accepts with its checksum (mcucim-pack's "internal error" otherwise).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tllm_tools.h"

namespace {
// Bytes the llama2.c checkpoint with this header occupies (0: not a valid header for this count).
unsigned __int128 checkpoint_bytes(const uint8_t* data, size_t size) {
  if (size < 28) return 0;
  int32_t h[7];
  std::memcpy(h, data, 28);
  for (int i = 0; i < 7; ++i)
    if (i != 5 && h[i] <= 0) return 0;
  if (h[5] == 0 || h[5] == INT32_MIN || h[3] == 0 || h[0] % h[3] || h[3] % h[4]) return 0;
  using u128 = unsigned __int128;
  const u128 dim = unsigned(h[0]), hid = unsigned(h[1]), L = unsigned(h[2]), heads = unsigned(h[3]);
  const u128 kv = dim / heads * unsigned(h[4]), V = unsigned(h[5] > 0 ? h[5] : -h[5]), seq = unsigned(h[6]);
  const u128 per_layer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hid * dim;
  const u128 floats = V * dim + L * per_layer + dim + seq * (dim / heads) + (h[5] < 0 ? V * dim : 0);
  return 28 + 4 * floats;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tllm_tools;
  const unsigned __int128 n = checkpoint_bytes(data, size);
  const size_t split = n && n <= size ? size_t(n) : size;
  const std::vector<uint8_t> ck_bytes(data, data + split), tok_bytes(data + split, data + size);
  try {
    const Checkpoint ck = parse_checkpoint(ck_bytes, "fuzz.bin");
    const Tokenizer tok = parse_tokenizer(tok_bytes, ck.d.vocab_size, "fuzz_tok.bin");
    QuantPlan plan;
    plan.matrices = parse_qspec("int8:32");  // mcucim-pack's default
    const std::vector<uint8_t> img = build_image(spec_from_checkpoint(ck, tok, plan));
    LoadedModel lm;
    tllm_error err{};
    if (lm.open(img, &err) != TLLM_OK) {
      std::fprintf(stderr, "llama2_checkpoint fuzz: the packed image does not parse: %s\n", err.msg);
      std::abort();
    }
  } catch (const Error&) {
  }
  return 0;
}

// Host-side tinyllm tools: llama2.c checkpoint/tokenizer readers, group-wise quantizers, the model
// image writer, and run helpers (generation, teacher-forced agreement) shared by mcucim-pack,
// mcucim-synth, tinyllm-host and tests/tinyllm.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tinyllm/tinyllm.h"

namespace tllm_tools {

// Thrown for bad input files/options; the message names the file and what was wrong.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Dims {
  uint32_t dim = 0, hidden_dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, vocab_size = 0,
           seq_len = 0;
  uint32_t n_experts = 0, n_shared = 0, top_k = 0, expert_hidden = 0;
  bool shared_classifier = true;
  uint32_t kv_dim() const { return dim / n_heads * n_kv_heads; }
};

struct Tokenizer {
  std::vector<std::string> vocab;
  std::vector<float> scores;
  uint32_t max_token_length = 0;
};

// llama2.c legacy checkpoint (fp32), all tensors stacked over layers.
struct Checkpoint {
  Dims d;
  std::vector<float> tok_emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, wcls;
};
Checkpoint load_checkpoint(const std::string &path);
Tokenizer load_tokenizer(const std::string &path, uint32_t vocab_size);
// The same from bytes in memory (`path` names them in errors; fuzz/llama2_checkpoint_fuzz.cpp).
Checkpoint parse_checkpoint(const std::vector<uint8_t> &bytes, const std::string &path);
Tokenizer parse_tokenizer(const std::vector<uint8_t> &bytes, uint32_t vocab_size, const std::string &path);

enum class QMode { Sym, Affine };
struct QSpec {
  uint32_t prec = TLLM_FP32;  // enum tllm_precision
  uint32_t group = 32;
  QMode mode = QMode::Sym;
  bool clip_search = false;   // search a clipping range per group minimising the squared error
  bool mse = false;           // per-group scale/offset search + least-squares refit (tllm_quant.h)
  bool gptq = false;          // error-compensating rounding with calibration data (tllm_quant.h)
  bool cim = false;           // flag the tensor for the CIM macros (TLLM_TFLAG_CIM)
};
// "fp32" | "int8[:G]" | "int4:32:affine" | "int2:16:affine:clip" | "int2:16:affine:gptq" (mse/gptq:
// workloads/tinyllm/QUANTIZATION.md)
QSpec parse_qspec(const std::string &s);
std::string qspec_str(const QSpec &q);

// A tensor already in the image layout (packed rows, scales, offsets when affine).
struct QuantizedTensor {
  std::vector<uint8_t> data;
  std::vector<float> scales, offsets;
};

struct TensorSpec {
  uint32_t kind = 0, layer = 0, expert = 0, rows = 0, cols = 0;
  QSpec q;
  std::function<std::vector<float>()> source;  // row-major rows*cols floats
  std::shared_ptr<const QuantizedTensor> packed;  // if set, written as is (calibrated quantizers)
};

struct ModelSpec {
  Dims d;
  Tokenizer tok;
  std::vector<TensorSpec> tensors;  // canonical order
};

// Quantization choice per tensor: default for matrices, overrides by tensor name
// (tok_embedding, wcls, wq, wk, wv, wo, w1, w2, w3, expert.w1, ...) and per layer.
struct QuantPlan {
  QSpec matrices;               // default for every weight matrix
  std::map<std::string, QSpec> by_name;
  std::map<uint32_t, QSpec> by_layer;  // every matrix of that layer
  bool separate_classifier = false;    // store wcls even when shared (e.g. embedding int4, classifier int8)
  QSpec for_tensor(uint32_t kind, uint32_t layer) const;
};

ModelSpec spec_from_checkpoint(const Checkpoint &ck, const Tokenizer &tok, const QuantPlan &plan);
// Synthetic model with seeded random weights (uniform, scaled 1/sqrt(fan_in)); tokenizer of
// byte-fallback tokens plus generated merges.
ModelSpec spec_synthetic(const Dims &d, uint64_t seed, const QuantPlan &plan);

// Packs rows x cols floats into the tensor's data/scales layout (MODEL_FORMAT.md).
void quantize_tensor(const std::vector<float> &w, uint32_t rows, uint32_t cols, const QSpec &q,
                     std::vector<uint8_t> &data, std::vector<float> &scales,
                     std::vector<float> &offsets);

std::vector<uint8_t> build_image(const ModelSpec &spec);
// Flags the quantized tensors selected by `place` (tllm_cim_parse_place syntax: "ffn", "wq,wk,all",
// "w1,w3:0-2") for the CIM macros and, unless keep_groups, sets their group size to the row length
// (one MVM per row instead of one per group). Returns how many tensors were flagged; throws Error on
// a bad spec.
uint32_t mark_cim(ModelSpec &spec, const std::string &place, bool keep_groups = false);
std::string kind_name(uint32_t kind);

// The share of rank `rank` of `size` of a dense image (runtime/MODEL_FORMAT.md, "Shares"): the same
// header, table and tokenizer, each tensor holding only the rows tllm_share_rows() gives that rank,
// flag TLLM_FLAG_SHARE. Throws Error if the image does not open or cannot be split so.
std::vector<uint8_t> share_image(const std::vector<uint8_t> &image, uint32_t rank, uint32_t size);

// Files
std::vector<uint8_t> read_file(const std::string &path);
void write_file(const std::string &path, const std::vector<uint8_t> &bytes);
std::vector<int32_t> read_ids(const std::string &path);

// An image loaded into 16-aligned memory and opened.
struct LoadedModel {
  std::vector<uint8_t> storage;  // over-allocated for alignment
  const uint8_t *image = nullptr;
  size_t size = 0;
  tllm_model model{};
  tllm_status open(const std::vector<uint8_t> &bytes, tllm_error *err, unsigned flags = 0);
};

// CIM backend on the host: in-memory macros (cim_ref.h through the driver's host build) with the
// geometry and ADC of the simulated preset; defaults are configs/cim/deaville-jssc2025.yaml's.
struct CimOptions {
  bool enabled = false;       // run placed tensors on CIM
  std::string place;          // tllm_cim_parse_place() spec; "" = the image's flags if any, else "all"
  uint32_t macros = 6;        // available macros
  uint32_t rows = 256, cols = 512, cell_bits = 1, dac_bits = 1, adc_bits = 6;
  uint64_t adc_full_scale = 0;    // 0 = rows_per_pass * (2^dac - 1) * (2^cell - 1), as the simulator's default
  uint32_t rows_per_pass = 0;     // 0 = rows
  bool zero_skip = false;
  bool digital = false;           // exact adder trees (no ADC)
  uint32_t window_cols = 64;      // columns per ADC window group (deaville-jssc2025.yaml)
  bool windows = false;           // program the image's ADC windows (like the firmware's -W on)
};

// Host RAM the runtime's memory plan may take by default (KV cache, activations): a header with
// large dimensions must not make the host tools allocate tens of GB; --ram BYTES raises it.
constexpr size_t kHostRamBudget = size_t(2) << 30;

struct RunOptions {
  std::string prompt;
  uint32_t steps = 256;
  float temperature = 0.0f, topp = 0.9f;
  uint64_t seed = 1;
  tllm_backend backend = TLLM_BACKEND_SCALAR;
  uint32_t max_seq = 0;
  bool kv_int8 = false;          // INT8 KV cache and quantized attention
  uint32_t chunk = 8;            // batched prefill: prompt positions per forward call (1 = one at a time)
  uint32_t parts = 1;            // the firmware's -T: the forward pass split into parts (run in turn here)
  size_t ram_budget = kHostRamBudget;
  std::vector<uint64_t> *tensor_bytes_read = nullptr;
  CimOptions cim;             // with cim.enabled, `backend` is the fallback for tensors not on CIM
  // Weight streaming and MoE expert cache (runtime/STREAMING.md; the firmware's -S / -E / -r): the
  // same runtime code with memcpy in place of the DMA engine.
  uint32_t stream_bytes = 0;  // both weight buffers; 0 = off; TLLM_STREAM_AUTO = two of the largest matrix
  uint32_t expert_slots = 0;  // routed experts kept in RAM (LRU); 0 = no cache
  bool routes = false;        // print "routes: L:E ..." (MoE)
};
struct RunResult {
  tllm_status status = TLLM_OK;
  std::string error;
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> ids;  // tokens at positions 1..n (prompt tokens included), BOS excluded
  std::string text;
  uint32_t logits_hash = TLLM_FNV_OFFSET;
  std::string cim_line;      // "cim: N tensors on M of K macros (...)" as the firmware prints it
  std::string stats;         // MoE/streaming lines ("routes:", "experts:", "METRIC expert_...", "METRIC stream_...")
};
// llama2.c's generate(): steps positions (capped at max_seq), stop at BOS.
RunResult generate(const tllm_model &m, const RunOptions &o);

// Teacher forcing: feed BOS then ids[0..n-2]; agreement = fraction of positions whose argmax equals
// ids[pos]. n = min(ids.size(), positions).
double agreement(const tllm_model &m, const std::vector<int32_t> &ids, uint32_t positions,
                 tllm_backend backend = TLLM_BACKEND_SCALAR);
// The same with every run option (CIM, KV cache): the argmax ids per position, the logits checksum
// and the count, as the firmware's -a mode prints them. Throws Error on a runtime error.
struct AgreeResult {
  uint32_t positions = 0, agree = 0;
  std::vector<int32_t> ids;  // argmax at each position
  uint32_t logits_hash = TLLM_FNV_OFFSET;
  std::string cim_line;
};
AgreeResult agreement_run(const tllm_model &m, const std::vector<int32_t> &ids, uint32_t positions,
                          const RunOptions &o);
// "0.937500": agree/n rounded to 6 decimals with integer arithmetic (the firmware's format).
std::string fraction6(uint32_t agree, uint32_t n);

// Teacher forcing over several sequences (each: BOS, then its ids[0..n-2]), at most max_positions
// positions in all, with every run option (CIM included). `each(logits)` is called per position.
// `kernels` (optional) replaces the state's kernels (e.g. a recorder of the matvec inputs that calls
// the scalar kernels). Throws Error on a runtime error (CIM: message starting "CIM").
void teacher_forced(const tllm_model &m, const std::vector<std::vector<int32_t>> &seqs, uint32_t max_positions,
                    const RunOptions &o, const std::function<void(const float *)> &each,
                    const tllm_kernels *kernels = nullptr);

}  // namespace tllm_tools

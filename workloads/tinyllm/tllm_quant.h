// Calibrated weight quantization for tinyllm images (workloads/tinyllm/QUANTIZATION.md):
//  - an fp32 reference forward pass over a llama2.c checkpoint (host only, llama2.c semantics) that
//    samples calibration text and collects each matrix's input second moments H = sum x x^T;
//  - per-group scale/offset search minimising a (weighted) squared error ("mse" in a precision spec);
//  - GPTQ-style error-compensating rounding ("gptq"): a row's columns are quantized in order and each
//    rounding error is spread over the not-yet-quantized columns through the Cholesky factor of H^-1,
//    followed by a least-squares refit of every group's scale/offset under H;
//  - mixed precision under a size budget (--budget-bits): each tensor's end-to-end sensitivity (KL
//    divergence of the logits from the fp32 model's on the calibration text) per candidate precision,
//    then a greedy choice by KL reduction per added byte.
// The results are ordinary format-version-1 tensors (MODEL_FORMAT.md): no runtime change.
#pragma once
#include <cstdint>
#include <cstdio>
#include <vector>

#include "tllm_tools.h"

namespace tllm_tools {

struct CalibOptions {
  uint32_t sequences = 16;     // sampled sequences (--calib N)
  uint32_t length = 128;       // positions per sequence (--calib-len N)
  uint64_t seed = 1;           // sampling seed (--calib-seed N)
  float temperature = 1.0f;    // sampling temperature of the fp32 model
};

struct AdvancedQuantOptions {
  CalibOptions calib;
  float damp = 0.1f;           // GPTQ damping: H += damp * mean(diag H) * I (--gptq-damp)
  bool sequential = false;     // collect each stage's H with the already-quantized earlier tensors
  bool refit = true;           // least-squares refit of scales/offsets under H after rounding
  float emb_identity = 0.5f;   // shared embedding: H_cls (trace-normalised) + this * I (lookup error)
  double budget_bits = 0;      // > 0: mixed precision, bits/parameter of the image's weights (+scales)
  std::vector<QSpec> candidates;  // budget mode: precisions to choose from (default: see .cpp)
  uint32_t sens_positions = 256;  // budget mode: calibration positions used per sensitivity run
};

// Greedy/temperature sampling from the fp32 checkpoint, starting at BOS; a sequence ends early when
// BOS is produced. Returns token ids without the leading BOS.
std::vector<std::vector<int32_t>> calib_sequences(const Checkpoint &ck, const CalibOptions &o);

// Quantizes rows x cols weights with the spec's precision/group/mode. H (cols x cols, row-major, may
// be empty = identity) weights the error: with q.gptq the rounding is error-compensating under H,
// otherwise each group is searched for the scale/offset minimising sum_j H_jj (w_j - w^_j)^2 (q.mse)
// or quantized as the plain quantizer does. deq (optional) receives the dequantized weights as the
// runtime computes them (q * s [+ o] in float).
void quantize_tensor_h(const std::vector<float> &w, uint32_t rows, uint32_t cols, const QSpec &q,
                       const std::vector<double> &H, float damp, bool refit, QuantizedTensor &out,
                       std::vector<float> *deq);
std::vector<float> dequantize(const QuantizedTensor &t, uint32_t rows, uint32_t cols, const QSpec &q);

// Bytes of a tensor's weights + scales (+ offsets) as the image stores them.
uint64_t tensor_bytes(uint32_t rows, uint32_t cols, const QSpec &q);

// Fills spec.tensors[i].packed for every quantized tensor whose spec asks for gptq (calibrated), and
// in budget mode first chooses every matrix's precision. spec must come from spec_from_checkpoint(ck).
// Progress lines go to log (may be null). Throws Error on bad options.
void quantize_calibrated(ModelSpec &spec, const Checkpoint &ck, const AdvancedQuantOptions &o,
                         std::FILE *log);

// True if any tensor of the spec needs calibration data (gptq).
bool needs_calibration(const ModelSpec &spec);

}  // namespace tllm_tools

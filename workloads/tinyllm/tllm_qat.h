// QAT checkpoints (.tqc): weights trained by scripts/qat.py in the image's quantized format (integer
// levels, per-group scales and offsets, fp32 norms), read by mcucim-pack and stored unchanged.
// File format: workloads/tinyllm/QUANTIZATION.md, section "QAT checkpoint".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tllm_tools.h"

namespace tllm_tools {

constexpr uint32_t kTqcMagic = 0x43515454u;  // bytes "TTQC"
constexpr uint32_t kTqcVersion = 1u;
constexpr uint32_t kTqcHeaderBytes = 48u;
constexpr uint32_t kTqcRecordHeaderBytes = 32u;

struct QatTensor {
  uint32_t kind = 0, layer = 0, rows = 0, cols = 0;
  QSpec q;                    // precision, group, mode (sym/affine)
  bool full_range = false;    // scale only (not affine) with levels over the width's whole two's complement range
  std::vector<float> fp32;    // fp32 tensors: rows*cols values
  std::vector<int8_t> levels; // quantized: rows*cols integer levels, row-major
  std::vector<float> scales, offsets;  // rows*ngroups each (offsets only when affine)
};

struct QatCheckpoint {
  Dims d;
  std::vector<QatTensor> tensors;  // canonical image order (MODEL_FORMAT.md), dense models
};

// True if the file starts with the .tqc magic (a llama2.c checkpoint starts with its dim).
bool is_qat_checkpoint(const std::string &path);
// Reads and validates a .tqc file: header dims, record order and shapes, precisions the runtime has,
// group sizes, levels within the precision's range, finite scales/offsets, exact file size. Throws
// Error naming the file, the record and what was found/expected.
QatCheckpoint load_qat_checkpoint(const std::string &path);
// The model spec of a checkpoint: every quantized tensor carries its packed rows, scales and offsets
// as read (build_image() writes them unchanged); fp32 tensors are written as given.
ModelSpec spec_from_qat(const QatCheckpoint &qc, const Tokenizer &tok);

}  // namespace tllm_tools

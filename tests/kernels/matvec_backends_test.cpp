// The integer matvec backends (runtime/src/tllm_kernels.c) on the host: the Xmac backend's blocked
// fast path (8/4/1-row blocks, aligned activation words, unrolled group loops), its masked path
// (group not a multiple of the elements per weight word, or unaligned activations) and the scalar
// backend must all give the bits of an independent reference written here: its own unpacking of the
// packed rows (MODEL_FORMAT.md), exact integer group dots, and the documented combination
// (tllm_combine_group, groups 0..ng-1 in order).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "tinyllm/tinyllm.h"
}

namespace {

struct Rng {
  uint32_t s;
  uint32_t next() { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return s; }
  float uniform() { return (float)(next() >> 8) / 16777216.0f * 2.0f - 1.0f; }  // [-1, 1)
};

int bits_of(uint32_t prec) { return prec == TLLM_INT8 ? 8 : prec == TLLM_INT4 ? 4 : 2; }

// element j of a packed row, sign-extended (independent of the runtime's helpers)
int32_t elem(const uint8_t *row, uint32_t prec, uint32_t j) {
  int b = bits_of(prec);
  uint32_t bitpos = j * (uint32_t)b;
  uint32_t v = (row[bitpos / 8] >> (bitpos % 8)) & ((1u << b) - 1u);
  return (v & (1u << (b - 1))) ? (int32_t)v - (1 << b) : (int32_t)v;
}

struct Case {
  uint32_t prec, rows, cols, group;
  bool affine;
  uint32_t q_misalign;  // bytes added to the activation buffer's address
};

void run_case(const Case &c, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "prec " << c.prec << " rows " << c.rows << " cols " << c.cols << " group "
                                    << c.group << (c.affine ? " affine" : "") << " q+" << c.q_misalign);
  Rng rng{seed};
  const uint32_t npad = (c.cols + 15u) / 16u * 16u;
  const uint32_t row_bytes = npad * (uint32_t)bits_of(c.prec) / 8u;
  const uint32_t ng = (c.cols + c.group - 1u) / c.group;
  // weights: random bits everywhere, padding included (it meets zero activations)
  std::vector<uint32_t> wbuf((size_t)c.rows * row_bytes / 4u + 4u);
  for (auto &v : wbuf) v = rng.next();
  std::vector<float> scales((size_t)c.rows * ng), offsets((size_t)c.rows * ng);
  for (auto &v : scales) v = 0.001f + 0.01f * (rng.uniform() + 1.0f);
  for (auto &v : offsets) v = 0.02f * rng.uniform();
  tllm_tensor w{};
  w.data = wbuf.data();
  w.scales = scales.data();
  w.offsets = c.affine ? offsets.data() : nullptr;
  w.rows = c.rows; w.cols = c.cols; w.group = c.group; w.ngroups = ng; w.row_bytes = row_bytes;
  w.prec = c.prec;

  std::vector<float> x(c.cols);
  for (auto &v : x) v = 3.0f * rng.uniform();
  if (c.cols > 5) x[3] = 0.0f;
  std::vector<uint32_t> qstore(npad / 4u + 4u);  // 4-byte aligned storage
  int8_t *q = reinterpret_cast<int8_t *>(qstore.data()) + c.q_misalign;
  std::vector<float> as(ng);
  std::vector<int32_t> asum(ng);
  tllm_quantize_act(q, as.data(), asum.data(), x.data(), c.cols, c.group);
  tllm_qact a{q, as.data(), asum.data(), c.cols, c.group, ng, 1};

  // independent reference
  std::vector<float> ref(c.rows);
  for (uint32_t r = 0; r < c.rows; r++) {
    const uint8_t *row = reinterpret_cast<const uint8_t *>(wbuf.data()) + (size_t)r * row_bytes;
    float val = 0.0f;
    for (uint32_t g = 0; g < ng; g++) {
      int64_t d = 0;
      for (uint32_t j = g * c.group; j < c.cols && j < (g + 1u) * c.group; j++) d += (int64_t)elem(row, c.prec, j) * q[j];
      val = tllm_combine_group(val, (int32_t)d, asum[g], scales[(size_t)r * ng + g],
                               c.affine ? &offsets[(size_t)r * ng + g] : nullptr, as[g]);
    }
    ref[r] = val;
  }
  for (tllm_backend b : {TLLM_BACKEND_SCALAR, TLLM_BACKEND_XMAC}) {
    const tllm_kernels *k = tllm_get_backend(b);
    ASSERT_NE(k, nullptr);
    std::vector<float> out(c.rows + 1u, 12345.0f);  // one guard element past the rows
    k->matvec_q(out.data(), &w, &a);
    for (uint32_t r = 0; r < c.rows; r++) {
      uint32_t got, want;
      std::memcpy(&got, &out[r], 4);
      std::memcpy(&want, &ref[r], 4);
      ASSERT_EQ(got, want) << k->name << " row " << r << ": " << out[r] << " expected " << ref[r];
    }
    EXPECT_EQ(out[c.rows], 12345.0f) << k->name << " wrote past the last row";
  }
}

// every row-block remainder (rows 1..19 cover 8-blocks, the 4-block and single rows), group sizes with
// odd and even word counts per group, a last group shorter than the others, group > cols, and groups
// that end inside an activation word (3, 6, 7, 10: byte masks)
TEST(MatvecBackends, XmacAndScalarMatchReferenceBitForBit) {
  uint32_t seed = 1;
  const uint32_t precs[] = {TLLM_INT8, TLLM_INT4, TLLM_INT2};
  for (uint32_t prec : precs) {
    const uint32_t epw = prec == TLLM_INT8 ? 4u : prec == TLLM_INT4 ? 8u : 16u;
    const uint32_t groups[] = {epw, 2u * epw, 3u * epw, 4u * epw, 32u, 64u, 256u, epw + 4u, 20u, 3u, 6u, 7u, 10u};
    const uint32_t colss[] = {16u, 40u, 64u, 75u, 172u};
    for (uint32_t rows = 1; rows <= 19; rows += (rows < 9 ? 1u : 5u))
      for (uint32_t cols : colss)
        for (uint32_t group : groups)
          for (bool affine : {false, true}) run_case({prec, rows, cols, group, affine, 0}, seed++);
  }
}

// activations not 4-byte aligned: the Xmac backend must take its general path, same bits
TEST(MatvecBackends, UnalignedActivations) {
  uint32_t seed = 1000;
  for (uint32_t prec : {TLLM_INT8, TLLM_INT4, TLLM_INT2})
    for (uint32_t mis : {1u, 2u, 3u})
      for (uint32_t group : {32u, 6u}) run_case({prec, 13, 64, group, mis == 2u, mis}, seed++);
}

}  // namespace

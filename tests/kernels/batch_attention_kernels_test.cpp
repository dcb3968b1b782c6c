// The kernels added for runtime speed (runtime/src/tllm_kernels.c), on the host, against independent
// references written here:
//  - matmul_q (batched prefill): for nb word-interleaved activation vectors, every backend's output for
//    vector b has the bits of the reference matvec of vector b (own unpacking, exact group dots, the
//    documented combination), for every precision, group shape, row-block and vector-block remainder;
//  - dot_i8 (quantized attention): exact int32 dot products of INT8 rows with an INT8 vector, for the
//    contiguous K-row path and the strided V-row path;
//  - activation quantization: the interleaved layout, the fused RMSNorm + quantization equal to the two
//    steps, the documented rounding (nearest, ties away from zero, of x * 127 / max|x|), and non-finite
//    groups giving zeros (no float-to-int conversion of a NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
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

int32_t elem(const uint8_t *row, uint32_t prec, uint32_t j) {
  int b = bits_of(prec);
  uint32_t bitpos = j * (uint32_t)b;
  uint32_t v = (row[bitpos / 8] >> (bitpos % 8)) & ((1u << b) - 1u);
  return (v & (1u << (b - 1))) ? (int32_t)v - (1 << b) : (int32_t)v;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The documented activation quantization of one group, written independently: scale = max|x|/127,
// q = round-half-away(x * (127 / max|x|)) (both products in float, as the runtime rounds them).
void ref_quantize(const float *x, uint32_t n, uint32_t group, std::vector<int8_t> &q, std::vector<float> &scale,
                  std::vector<int32_t> &sum) {
  uint32_t ng = (n + group - 1) / group;
  q.assign((n + 15) / 16 * 16, 0);
  scale.assign(ng, 0.0f);
  sum.assign(ng, 0);
  for (uint32_t g = 0; g < ng; g++) {
    float amax = 0.0f;
    for (uint32_t j = g * group; j < n && j < (g + 1) * group; j++) amax = std::max(amax, std::fabs(x[j]));
    scale[g] = amax / 127.0f;
    if (!(amax >= 3.7e-37f) || std::isinf(amax)) continue;
    float inv = 127.0f / amax;
    for (uint32_t j = g * group; j < n && j < (g + 1) * group; j++) {
      float v = x[j] * inv;
      int32_t r = (int32_t)std::lround(v);  // ties away from zero
      q[j] = (int8_t)r;
      sum[g] += r;
    }
  }
}

struct MmCase {
  uint32_t prec, rows, cols, group;
  bool affine;
  uint32_t nb;
};

void run_matmul(const MmCase &c, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "prec " << c.prec << " rows " << c.rows << " cols " << c.cols << " group "
                                    << c.group << (c.affine ? " affine" : "") << " nb " << c.nb);
  Rng rng{seed};
  const uint32_t npad = (c.cols + 15u) / 16u * 16u;
  const uint32_t row_bytes = npad * (uint32_t)bits_of(c.prec) / 8u;
  const uint32_t ng = (c.cols + c.group - 1u) / c.group;
  std::vector<uint32_t> wbuf((size_t)c.rows * row_bytes / 4u + 4u);
  for (auto &v : wbuf) v = rng.next();
  std::vector<float> scales((size_t)c.rows * ng), offsets((size_t)c.rows * ng);
  for (auto &v : scales) v = 0.001f + 0.01f * (rng.uniform() + 1.0f);
  for (auto &v : offsets) v = 0.02f * rng.uniform();
  tllm_tensor w{};
  w.data = wbuf.data();
  w.scales = scales.data();
  w.offsets = c.affine ? offsets.data() : nullptr;
  w.rows = c.rows; w.cols = c.cols; w.group = c.group; w.ngroups = ng; w.row_bytes = row_bytes; w.prec = c.prec;

  // nb vectors, quantized by the runtime into the interleaved layout; each also by the reference
  std::vector<float> x((size_t)c.nb * c.cols);
  for (auto &v : x) v = 3.0f * rng.uniform();
  std::vector<uint32_t> qstore((size_t)c.nb * npad / 4u + 4u);
  int8_t *q = reinterpret_cast<int8_t *>(qstore.data());
  std::vector<float> as((size_t)c.nb * ng);
  std::vector<int32_t> asum((size_t)c.nb * ng);
  for (uint32_t b = 0; b < c.nb; b++)
    tllm_quantize_act_nb(q, as.data(), asum.data(), &x[(size_t)b * c.cols], c.cols, c.group, c.nb, b);
  tllm_qact a{q, as.data(), asum.data(), c.cols, c.group, ng, c.nb};

  std::vector<float> ref((size_t)c.nb * c.rows);
  for (uint32_t b = 0; b < c.nb; b++) {
    std::vector<int8_t> rq;
    std::vector<float> rs;
    std::vector<int32_t> rsum;
    ref_quantize(&x[(size_t)b * c.cols], c.cols, c.group, rq, rs, rsum);
    for (uint32_t j = 0; j < npad; j++)  // the interleaved layout: word j/4 of vector b at word (j/4)*nb + b
      ASSERT_EQ(q[((j / 4) * c.nb + b) * 4 + j % 4], rq[j]) << "vector " << b << " element " << j;
    for (uint32_t g = 0; g < ng; g++) {
      ASSERT_EQ(bits(as[(size_t)b * ng + g]), bits(rs[g]));
      ASSERT_EQ(asum[(size_t)b * ng + g], rsum[g]);
    }
    for (uint32_t r = 0; r < c.rows; r++) {
      const uint8_t *row = reinterpret_cast<const uint8_t *>(wbuf.data()) + (size_t)r * row_bytes;
      float val = 0.0f;
      for (uint32_t g = 0; g < ng; g++) {
        int64_t d = 0;
        for (uint32_t j = g * c.group; j < c.cols && j < (g + 1u) * c.group; j++) d += (int64_t)elem(row, c.prec, j) * rq[j];
        val = tllm_combine_group(val, (int32_t)d, rsum[g], scales[(size_t)r * ng + g],
                                 c.affine ? &offsets[(size_t)r * ng + g] : nullptr, rs[g]);
      }
      ref[(size_t)b * c.rows + r] = val;
    }
  }
  const uint32_t ostride = c.rows + 3u;  // a gap after every vector's rows must stay untouched
  for (tllm_backend be : {TLLM_BACKEND_SCALAR, TLLM_BACKEND_XMAC}) {
    const tllm_kernels *k = tllm_get_backend(be);
    ASSERT_NE(k, nullptr);
    std::vector<float> out((size_t)c.nb * ostride, 12345.0f);
    k->matmul_q(out.data(), ostride, &w, &a);
    for (uint32_t b = 0; b < c.nb; b++) {
      for (uint32_t r = 0; r < c.rows; r++)
        ASSERT_EQ(bits(out[(size_t)b * ostride + r]), bits(ref[(size_t)b * c.rows + r]))
            << k->name << " vector " << b << " row " << r << ": " << out[(size_t)b * ostride + r];
      for (uint32_t r = c.rows; r < ostride; r++) ASSERT_EQ(out[(size_t)b * ostride + r], 12345.0f) << k->name << " wrote into the gap";
    }
  }
}

// row counts around the 3-row blocks, vector counts around the 4-vector blocks, groups that are and are
// not multiples of the elements per weight word (the latter: the masked/scalar path), a short last group
TEST(BatchKernels, MatmulEqualsMatvecOfEachVectorBitForBit) {
  uint32_t seed = 7;
  for (uint32_t prec : {TLLM_INT8, TLLM_INT4, TLLM_INT2}) {
    const uint32_t epw = prec == TLLM_INT8 ? 4u : prec == TLLM_INT4 ? 8u : 16u;
    for (uint32_t rows : {1u, 2u, 3u, 4u, 7u, 11u})
      for (uint32_t nb : {1u, 2u, 3u, 4u, 5u, 8u, 9u})
        for (uint32_t group : {epw, 32u, 20u, 6u})
          for (bool affine : {false, true}) run_matmul({prec, rows, 75u, group, affine, nb}, seed++);
  }
  run_matmul({TLLM_INT8, 64u, 172u, 32u, false, 8u}, 99);  // stories260K's w2 shape
}

TEST(AttentionKernels, DotI8ExactForContiguousAndStridedRows) {
  Rng rng{3};
  for (uint32_t len : {4u, 8u, 12u, 16u, 20u, 64u, 256u}) {
    for (uint32_t extra : {0u, 4u, 12u}) {  // stride = len (K rows) or longer (V rows of a longer cache)
      const uint32_t stride = len + extra;
      for (uint32_t nrows : {1u, 3u, 4u, 5u, 8u, 9u, 13u, 16u, 33u}) {
        std::vector<uint32_t> rowstore(((size_t)nrows * stride + 3) / 4 + 1), xstore(len / 4 + 1);
        for (auto &v : rowstore) v = rng.next();
        for (auto &v : xstore) v = rng.next();
        const int8_t *rows = reinterpret_cast<const int8_t *>(rowstore.data());
        const int8_t *x = reinterpret_cast<const int8_t *>(xstore.data());
        std::vector<int32_t> want(nrows);
        for (uint32_t r = 0; r < nrows; r++) {
          int64_t d = 0;
          for (uint32_t i = 0; i < len; i++) d += (int64_t)rows[(size_t)r * stride + i] * x[i];
          want[r] = (int32_t)d;
        }
        for (tllm_backend be : {TLLM_BACKEND_SCALAR, TLLM_BACKEND_XMAC}) {
          const tllm_kernels *k = tllm_get_backend(be);
          std::vector<int32_t> out(nrows + 1, 777);
          k->dot_i8(out.data(), rows, stride, nrows, x, len);
          for (uint32_t r = 0; r < nrows; r++)
            ASSERT_EQ(out[r], want[r]) << k->name << " len " << len << " stride " << stride << " nrows " << nrows << " row " << r;
          ASSERT_EQ(out[nrows], 777) << k->name << " wrote past nrows";
        }
      }
    }
  }
}

TEST(ActivationQuant, FusedRmsNormEqualsNormThenQuantize) {
  Rng rng{11};
  for (uint32_t n : {64u, 75u, 172u}) {
    for (uint32_t group : {32u, 7u, 64u, 256u}) {
      for (uint32_t nb : {1u, 3u}) {
        std::vector<float> x(n), w(n);
        for (auto &v : x) v = 4.0f * rng.uniform();
        for (auto &v : w) v = 1.0f + 0.5f * rng.uniform();
        const uint32_t npad = (n + 15) / 16 * 16, ng = (n + group - 1) / group;
        std::vector<float> o1(n), o2(n), s1((size_t)nb * ng), s2((size_t)nb * ng);
        std::vector<int32_t> u1((size_t)nb * ng), u2((size_t)nb * ng);
        std::vector<uint32_t> q1((size_t)nb * npad / 4), q2((size_t)nb * npad / 4);
        const uint32_t b = nb - 1;
        tllm_rmsnorm(o1.data(), x.data(), w.data(), n, 1e-5f);
        tllm_quantize_act_nb(reinterpret_cast<int8_t *>(q1.data()), s1.data(), u1.data(), o1.data(), n, group, nb, b);
        tllm_rmsnorm_quant(o2.data(), reinterpret_cast<int8_t *>(q2.data()), s2.data(), u2.data(), x.data(), w.data(), n,
                           1e-5f, group, nb, b);
        for (uint32_t j = 0; j < n; j++) ASSERT_EQ(bits(o1[j]), bits(o2[j])) << "n " << n << " j " << j;
        EXPECT_EQ(q1, q2) << "n " << n << " group " << group;
        for (uint32_t g = 0; g < ng; g++) {
          EXPECT_EQ(bits(s1[b * ng + g]), bits(s2[b * ng + g]));
          EXPECT_EQ(u1[b * ng + g], u2[b * ng + g]);
        }
        // in place (the final norm normalises x into itself)
        std::vector<float> x3 = x;
        std::vector<uint32_t> q3((size_t)nb * npad / 4);
        tllm_rmsnorm_quant(x3.data(), reinterpret_cast<int8_t *>(q3.data()), s2.data(), u2.data(), x3.data(), w.data(), n,
                           1e-5f, group, nb, b);
        for (uint32_t j = 0; j < n; j++) ASSERT_EQ(bits(x3[j]), bits(o1[j]));
        EXPECT_EQ(q3, q1);
      }
    }
  }
}

TEST(ActivationQuant, RoundingTiesAndNonFiniteGroups) {
  // max 127 -> x * 1: 0.5 -> 1, -0.5 -> -1, 1.5 -> 2, 2.5 -> 3 (ties away from zero), -127 stays
  std::vector<float> x = {127.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 0.49999997f, -127.0f};
  std::vector<int8_t> q(16);
  float sc;
  int32_t sum;
  tllm_quantize_act(q.data(), &sc, &sum, x.data(), 8, 8);
  EXPECT_EQ(sc, 1.0f);
  const int8_t want[] = {127, 1, -1, 2, 3, -3, 0, -127};
  for (int i = 0; i < 8; i++) EXPECT_EQ(q[i], want[i]) << i;
  EXPECT_EQ(sum, 127 + 1 - 1 + 2 + 3 - 3 + 0 - 127);
  for (int i = 8; i < 16; i++) EXPECT_EQ(q[i], 0) << "padding " << i;
  // a NaN or an infinity makes its group all zero (the other group is quantized as usual)
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<float> y = {1.0f, bad, -2.0f, 0.25f, 1.0f, -1.0f, 0.5f, 0.0f};
    float s2[2];
    int32_t u2[2];
    std::vector<int8_t> q2(16, 99);
    tllm_quantize_act(q2.data(), s2, u2, y.data(), 8, 4);
    for (int i = 0; i < 4; i++) EXPECT_EQ(q2[i], 0);
    EXPECT_EQ(u2[0], 0);
    EXPECT_FALSE(std::isfinite(s2[0]));
    EXPECT_EQ(q2[4], 127);
    EXPECT_EQ(q2[5], -127);
    EXPECT_EQ(q2[6], 64);  // 0.5 * 127 = 63.5 -> 64
    EXPECT_EQ(s2[1], 1.0f / 127.0f);
  }
  // all zero: scale 0, q 0
  std::vector<float> z(8, 0.0f);
  tllm_quantize_act(q.data(), &sc, &sum, z.data(), 8, 8);
  EXPECT_EQ(sc, 0.0f);
  EXPECT_EQ(sum, 0);
  // tllm_quantize_vec with a stride (the transposed V cache)
  std::vector<int8_t> qs(40, 5);
  float v[4] = {-1.0f, 0.5f, 0.25f, 1.0f};
  float s = tllm_quantize_vec(qs.data(), 10, v, 4);
  EXPECT_EQ(s, 1.0f / 127.0f);
  EXPECT_EQ(qs[0], -127);
  EXPECT_EQ(qs[10], 64);
  EXPECT_EQ(qs[20], 32);  // 31.75 -> 32
  EXPECT_EQ(qs[30], 127);
  EXPECT_EQ(qs[1], 5);  // untouched between the strided elements
}

}  // namespace

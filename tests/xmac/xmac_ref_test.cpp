// Xmac reference semantics (runtime/include/xmac_ref.h) against an independent naive model written
// from isa/XMAC.md, plus the host build of the intrinsics (runtime/include/xmac.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "xmac.h"
#include "xmac_ref.h"

namespace {

// ---- Naive model: loop over elements, extract with shifts, sign-extend arithmetically, sum in int64,
// wrap to 32 bits at the end. Deliberately shares no code with xmac_ref.h.
int64_t naive_field(uint32_t word, unsigned bits, unsigned index) {
  const uint32_t mask = (1u << bits) - 1u;
  int64_t v = static_cast<int64_t>((word >> (bits * index)) & mask);
  const int64_t half = int64_t{1} << (bits - 1);
  if (v >= half) v -= 2 * half;
  return v;
}

int32_t naive_wrap(int64_t v) {
  int64_t m = v % (int64_t{1} << 32);
  if (m < 0) m += int64_t{1} << 32;               // 0 .. 2^32-1
  if (m >= (int64_t{1} << 31)) m -= int64_t{1} << 32;  // -2^31 .. 2^31-1
  return static_cast<int32_t>(m);
}

// weight_bits: 8, 4 or 2. act: the activation group (1, 2 or 4 words).
int32_t naive_dot(int32_t acc, uint32_t w, unsigned weight_bits, const uint32_t* act) {
  const unsigned n = 32 / weight_bits;
  int64_t sum = acc;
  for (unsigned i = 0; i < n; ++i) {
    const int64_t wi = naive_field(w, weight_bits, i);
    const int64_t ai = naive_field(act[i / 4], 8, i % 4);
    sum += wi * ai;
  }
  return naive_wrap(sum);
}

const int32_t kAccCorners[] = {0,          1,          -1,         INT32_MAX,     INT32_MIN,
                               INT32_MAX - 1, INT32_MIN + 1, INT32_MAX - 300, INT32_MIN + 300,
                               0x40000000, -0x40000000};

// Corner element values that fit each width (all from the set -128, 127, -8, 7, -2, 1, 0).
const std::vector<int> kCorner8 = {-128, 127, -8, 7, -2, 1, 0};
const std::vector<int> kCorner4 = {-8, 7, -2, 1, 0};
const std::vector<int> kCorner2 = {-2, 1, 0};

// Pack element values (assumed in range) little-endian into a word.
uint32_t pack(const std::vector<int>& elems, unsigned bits) {
  uint32_t w = 0;
  const uint32_t mask = (1u << bits) - 1u;
  for (size_t i = 0; i < elems.size(); ++i)
    w |= (static_cast<uint32_t>(elems[i]) & mask) << (bits * i);
  return w;
}

// Every word whose `lanes` fields (of `bits` each) take values from `values`.
std::vector<uint32_t> all_corner_words(const std::vector<int>& values, unsigned bits, unsigned lanes) {
  std::vector<uint32_t> out;
  std::vector<size_t> idx(lanes, 0);
  for (;;) {
    std::vector<int> e(lanes);
    for (unsigned i = 0; i < lanes; ++i) e[i] = values[idx[i]];
    out.push_back(pack(e, bits));
    unsigned k = 0;
    while (k < lanes && ++idx[k] == values.size()) idx[k++] = 0;
    if (k == lanes) break;
  }
  return out;
}

uint32_t random_corner_word(std::mt19937& rng, const std::vector<int>& values, unsigned bits) {
  std::vector<int> e(32 / bits);
  for (auto& x : e) x = values[rng() % values.size()];
  return pack(e, bits);
}

constexpr uint32_t kSeed = 20240611u;

// ---- Sign extension helpers: exhaustive over their input ranges.
TEST(XmacRef, SignExtensionHelpers) {
  for (uint32_t x = 0; x < 256; ++x) EXPECT_EQ(xmac_sext8(x | (0xABCD0000u & ~0xFFu)), naive_field(x, 8, 0)) << x;
  for (uint32_t x = 0; x < 16; ++x) EXPECT_EQ(xmac_sext4(x | 0xFFFFFFF0u), naive_field(x, 4, 0)) << x;
  for (uint32_t x = 0; x < 4; ++x) EXPECT_EQ(xmac_sext2(x | (0x12345670u & ~3u)), naive_field(x, 2, 0)) << x;
  EXPECT_EQ(xmac_sext8(0x80), -128);
  EXPECT_EQ(xmac_sext4(0x8), -8);
  EXPECT_EQ(xmac_sext2(0x2), -2);
  EXPECT_EQ(xmac_lane4(0x87654321u, 7), -8);
  EXPECT_EQ(xmac_lane2(0x40000000u, 15), 1);
  EXPECT_EQ(xmac_lane8(0x80000000u, 3), -128);
}

// ---- Hand-computed values from the specification's element order and sign rules.
TEST(XmacRef, HandComputedValues) {
  // w bytes 1, 2, 127, -128; a bytes -128, 127, -1, 1: -128 + 254 - 127 - 128 = -129.
  EXPECT_EQ(xmac_dot8_ref(5, 0x807F0201u, 0x01FF7F80u), 5 - 129);
  // Wrap at both ends.
  EXPECT_EQ(xmac_dot8_ref(INT32_MAX, 0x00000001u, 0x00000001u), INT32_MIN);
  EXPECT_EQ(xmac_dot8_ref(INT32_MIN, 0x000000FFu, 0x00000001u), INT32_MAX);
  // INT4 nibbles (low first) 1..7, -8 times all-ones activations: 28 - 8 = 20.
  EXPECT_EQ(xmac_dot4_ref(0, 0x87654321u, 0x01010101u, 0x01010101u), 20);
  // INT4 element 0 = -8 times activation 0 = -128; element 7 = 7 (bits 31:28) times a_hi byte 3 = 3.
  EXPECT_EQ(xmac_dot4_ref(0, 0x70000008u, 0x00000080u, 0x03000000u), 1024 + 21);
  // INT2: all -1 x 1 = -16; all 1 x 127 = 2032; all -2 x -128 = 4096.
  EXPECT_EQ(xmac_dot2_ref(0, 0xFFFFFFFFu, 0x01010101u, 0x01010101u, 0x01010101u, 0x01010101u), -16);
  EXPECT_EQ(xmac_dot2_ref(0, 0x55555555u, 0x7F7F7F7Fu, 0x7F7F7F7Fu, 0x7F7F7F7Fu, 0x7F7F7F7Fu), 2032);
  EXPECT_EQ(xmac_dot2_ref(0, 0xAAAAAAAAu, 0x80808080u, 0x80808080u, 0x80808080u, 0x80808080u), 4096);
  // INT2 element order: element 0 (bits 1:0) meets a0 byte 0; element 15 (bits 31:30) meets a3 byte 3.
  EXPECT_EQ(xmac_dot2_ref(0, 0x00000002u, 3u, 0, 0, 0), -6);
  EXPECT_EQ(xmac_dot2_ref(0, 0x40000000u, 0, 0, 0, 0x05000000u), 5);
  EXPECT_EQ(xmac_dot2_ref(0, 0x40000000u, 0x05050505u, 0x05050505u, 0x05050505u, 0x00FFFFFFu), 0);
}

// ---- Exhaustive corner cross product for INT8: every lane combination of weights and activations.
TEST(XmacRef, Dot8AllCornerCombinations) {
  const auto words = all_corner_words(kCorner8, 8, 4);  // 7^4 = 2401
  ASSERT_EQ(words.size(), 2401u);
  size_t failures = 0;
  for (uint32_t w : words)
    for (uint32_t a : words) {
      const int32_t got = xmac_dot8_ref(0, w, a);
      const int32_t want = naive_dot(0, w, 8, &a);
      if (got != want && ++failures < 10) ADD_FAILURE() << "dot8 w=0x" << std::hex << w << " a=0x" << a;
    }
  EXPECT_EQ(failures, 0u);
  // Accumulator corners over a sample of the products (the extremes are included: words[0] is all -128).
  for (int32_t acc : kAccCorners)
    for (size_t i = 0; i < words.size(); i += 7)
      for (size_t j = 0; j < words.size(); j += 49) {
        const uint32_t a = words[j];
        ASSERT_EQ(xmac_dot8_ref(acc, words[i], a), naive_dot(acc, words[i], 8, &a))
            << "acc=" << acc << std::hex << " w=0x" << words[i] << " a=0x" << a;
      }
}

// ---- INT4: every weight lane combination against corner activation patterns, and every activation
// lane combination (per register) against corner weight patterns.
TEST(XmacRef, Dot4CornerCombinations) {
  const auto wwords = all_corner_words(kCorner4, 4, 8);  // 5^8 = 390625
  const auto awords = all_corner_words(kCorner8, 8, 4);  // 2401
  const uint32_t apat[][2] = {{0x80808080u, 0x80808080u}, {0x7F7F7F7Fu, 0x7F7F7F7Fu},
                              {0x807F807Fu, 0x7F807F80u}, {0xF807FE01u, 0x0001FE07u},
                              {0x00000000u, 0x80000000u}, {0x01010101u, 0xFFFFFFFFu}};
  for (const auto& p : apat)
    for (size_t i = 0; i < wwords.size(); ++i) {
      const int32_t acc = kAccCorners[i % (sizeof(kAccCorners) / sizeof(kAccCorners[0]))];
      ASSERT_EQ(xmac_dot4_ref(acc, wwords[i], p[0], p[1]), naive_dot(acc, wwords[i], 4, p))
          << "acc=" << acc << std::hex << " w=0x" << wwords[i] << " a=0x" << p[0] << ",0x" << p[1];
    }
  const uint32_t wpat[] = {0x88888888u, 0x77777777u, 0x87878787u, 0x7E1087E1u, 0x00000008u, 0x80000000u};
  for (uint32_t w : wpat)
    for (uint32_t lo : awords)
      for (size_t j = 0; j < awords.size(); j += 13) {
        const uint32_t act[2] = {lo, awords[j]};
        ASSERT_EQ(xmac_dot4_ref(0, w, act[0], act[1]), naive_dot(0, w, 4, act))
            << std::hex << "w=0x" << w << " a=0x" << act[0] << ",0x" << act[1];
        const uint32_t swapped[2] = {awords[j], lo};
        ASSERT_EQ(xmac_dot4_ref(-7, w, swapped[0], swapped[1]), naive_dot(-7, w, 4, swapped));
      }
}

// ---- INT2: every weight lane combination of the low half and of the high half, against corner
// activation groups; activation lane combinations per register against corner weight patterns.
TEST(XmacRef, Dot2CornerCombinations) {
  const auto half = all_corner_words(kCorner2, 2, 8);   // 3^8 = 6561 (16-bit halves)
  const auto awords = all_corner_words(kCorner8, 8, 4);  // 2401
  const uint32_t groups[][4] = {
      {0x80808080u, 0x80808080u, 0x80808080u, 0x80808080u},
      {0x7F7F7F7Fu, 0x7F7F7F7Fu, 0x7F7F7F7Fu, 0x7F7F7F7Fu},
      {0x807F807Fu, 0x7F807F80u, 0xF807FE01u, 0x0001FE07u},
      {0x01020304u, 0x05060708u, 0x090A0B0Cu, 0x0D0E0F10u}};
  for (const auto& g : groups)
    for (uint32_t h : half)
      for (uint32_t w : {h, h << 16, h | (h << 16), h | 0xAAAA0000u}) {
        for (int32_t acc : {0, INT32_MAX, INT32_MIN}) {
          ASSERT_EQ(xmac_dot2_ref(acc, w, g[0], g[1], g[2], g[3]), naive_dot(acc, w, 2, g))
              << "acc=" << acc << std::hex << " w=0x" << w;
        }
      }
  const uint32_t wpat[] = {0xAAAAAAAAu, 0x55555555u, 0xFFFFFFFFu, 0x9A69A6A5u, 0x00000002u, 0x80000000u};
  for (uint32_t w : wpat)
    for (uint32_t a : awords)
      for (unsigned pos = 0; pos < 4; ++pos) {
        uint32_t g[4] = {0x807F807Fu, 0x01FF01FFu, 0x7F7F8080u, 0xFE02F808u};
        g[pos] = a;
        ASSERT_EQ(xmac_dot2_ref(1, w, g[0], g[1], g[2], g[3]), naive_dot(1, w, 2, g))
            << std::hex << "w=0x" << w << " a=0x" << a << " at register " << pos;
      }
}

// ---- Random cases: 1e6 per width, half uniform words, half lanes drawn from the corner values;
// accumulators uniform or near the wrap points.
TEST(XmacRef, RandomAgainstNaive) {
  std::mt19937 rng(kSeed);
  auto acc_of = [&](unsigned k) -> int32_t {
    switch (k % 4) {
      case 0: return static_cast<int32_t>(rng());
      case 1: return INT32_MAX - static_cast<int32_t>(rng() % 5000);
      case 2: return INT32_MIN + static_cast<int32_t>(rng() % 5000);
      default: return static_cast<int32_t>(rng() % 2001) - 1000;
    }
  };
  for (unsigned i = 0; i < 1000000; ++i) {
    const bool corner = i & 1;
    const int32_t acc = acc_of(i >> 1);
    uint32_t a[4];
    for (auto& x : a) x = corner ? random_corner_word(rng, kCorner8, 8) : static_cast<uint32_t>(rng());
    const uint32_t w8 = corner ? random_corner_word(rng, kCorner8, 8) : static_cast<uint32_t>(rng());
    const uint32_t w4 = corner ? random_corner_word(rng, kCorner4, 4) : static_cast<uint32_t>(rng());
    const uint32_t w2 = corner ? random_corner_word(rng, kCorner2, 2) : static_cast<uint32_t>(rng());
    ASSERT_EQ(xmac_dot8_ref(acc, w8, a[0]), naive_dot(acc, w8, 8, a))
        << "seed " << kSeed << " case " << i << std::hex << " w=0x" << w8 << " a=0x" << a[0];
    ASSERT_EQ(xmac_dot4_ref(acc, w4, a[0], a[1]), naive_dot(acc, w4, 4, a))
        << "seed " << kSeed << " case " << i << std::hex << " w=0x" << w4;
    ASSERT_EQ(xmac_dot2_ref(acc, w2, a[0], a[1], a[2], a[3]), naive_dot(acc, w2, 2, a))
        << "seed " << kSeed << " case " << i << std::hex << " w=0x" << w2;
    // The interpreter entry point agrees with the per-width functions.
    ASSERT_EQ(xmac_dot_ref(XMAC_FUNCT3_INT8, acc, w8, a), naive_dot(acc, w8, 8, a));
    ASSERT_EQ(xmac_dot_ref(XMAC_FUNCT3_INT4, acc, w4, a), naive_dot(acc, w4, 4, a));
    ASSERT_EQ(xmac_dot_ref(XMAC_FUNCT3_INT2, acc, w2, a), naive_dot(acc, w2, 2, a));
  }
}

TEST(XmacRef, DispatchAndCosts) {
  const uint32_t a[4] = {0x01010101u, 0x01010101u, 0x01010101u, 0x01010101u};
  EXPECT_EQ(xmac_dot_ref(3, 42, 0xFFFFFFFFu, a), 42);  // illegal width: accumulator unchanged
  EXPECT_EQ(xmac_macs(XMAC_FUNCT3_INT8), 4u);
  EXPECT_EQ(xmac_macs(XMAC_FUNCT3_INT4), 8u);
  EXPECT_EQ(xmac_macs(XMAC_FUNCT3_INT2), 16u);
  EXPECT_EQ(xmac_macs(3), 0u);
  EXPECT_EQ(xmac_issue_cycles(4, 4), 1u);
  EXPECT_EQ(xmac_issue_cycles(8, 4), 2u);
  EXPECT_EQ(xmac_issue_cycles(16, 4), 4u);
  EXPECT_EQ(xmac_issue_cycles(16, 3), 6u);
  EXPECT_EQ(xmac_issue_cycles(4, 8), 1u);
  EXPECT_EQ(xmac_issue_cycles(16, 1), 16u);
}

// ---- Encoding: words produced by GNU as for `.insn r CUSTOM_0, f3, f7, rd, rs1, rs2` (checked field by
// field against the layout 31:25 funct7 | 24:20 rs2 | 19:15 rs1 | 14:12 funct3 | 11:7 rd | 6:0 0x0B).
TEST(XmacEncoding, MatchesAssembler) {
  EXPECT_EQ(XMAC_ENCODE(0, 0, 10, 11, 12), 0x00C5850Bu);  // xmac.dot8  a0, a1, a2
  EXPECT_EQ(XMAC_ENCODE(0, 1, 10, 11, 12), 0x00C5950Bu);  // xmac.dot4  a0, a1, a2
  EXPECT_EQ(XMAC_ENCODE(0, 2, 10, 11, 12), 0x00C5A50Bu);  // xmac.dot2  a0, a1, a2
  EXPECT_EQ(XMAC_ENCODE(1, 0, 10, 15, 12), 0x02C7850Bu);  // xmac.ldot8 a0, a5, a2
  EXPECT_EQ(XMAC_ENCODE(1, 1, 30, 11, 12), 0x02C59F0Bu);  // xmac.ldot4 t5, a1, a2
  EXPECT_EQ(XMAC_ENCODE(1, 2, 10, 16, 12), 0x02C8250Bu);  // xmac.ldot2 a0, a6, a2
  const uint32_t raw = 0x02C59F0Bu;
  EXPECT_EQ(XMAC_INSN_OPCODE(raw), 0x0Bu);
  EXPECT_EQ(XMAC_INSN_RD(raw), 30u);
  EXPECT_EQ(XMAC_INSN_FUNCT3(raw), 1u);
  EXPECT_EQ(XMAC_INSN_RS1(raw), 11u);
  EXPECT_EQ(XMAC_INSN_RS2(raw), 12u);
  EXPECT_EQ(XMAC_INSN_FUNCT7(raw), 1u);
}

TEST(XmacEncoding, Legality) {
  // Every field combination over a representative register set, against the rules written out here.
  for (uint32_t f7 = 0; f7 < 4; ++f7)
    for (uint32_t f3 = 0; f3 < 8; ++f3)
      for (uint32_t rd : {0u, 1u, 5u, 12u, 31u})
        for (uint32_t rs1 : {0u, 1u, 5u, 12u, 31u})
          for (uint32_t rs2 = 0; rs2 < 32; ++rs2) {
            bool legal = f7 <= 1 && f3 <= 2;
            if (f3 == 1 && rs2 % 2 != 0) legal = false;
            if (f3 == 2 && rs2 % 4 != 0) legal = false;
            if (f7 == 1 && rd == rs1) legal = false;
            const uint32_t raw = XMAC_ENCODE(f7, f3, rd, rs1, rs2);
            EXPECT_EQ(xmac_insn_legal(raw), legal ? 1 : 0)
                << "funct7=" << f7 << " funct3=" << f3 << " rd=" << rd << " rs1=" << rs1 << " rs2=" << rs2;
          }
  EXPECT_EQ(xmac_insn_legal(0x00C58533u), 0);                 // add a0, a1, a2 (opcode 0x33)
  EXPECT_EQ(xmac_insn_legal(XMAC_ENCODE(0, 0, 10, 10, 10)), 1);  // dot may have rd == rs1 == rs2
  EXPECT_EQ(xmac_insn_legal(XMAC_ENCODE(0x40, 0, 1, 2, 3)), 0);
}

TEST(XmacEncoding, ConfigCsrFields) {
  EXPECT_EQ(XMAC_CSR_XMACCFG, 0xFC0);
  EXPECT_EQ(XMAC_MISA_BIT, 23u);
  const uint32_t cfg = XMAC_CFG_MAKE(1, 4, 2);
  EXPECT_EQ(cfg, 0x00020401u);  // bits 7:0 version, 15:8 lanes, 23:16 latency
  EXPECT_EQ(XMAC_CFG_VERSION(cfg), 1u);
  EXPECT_EQ(XMAC_CFG_LANES(cfg), 4u);
  EXPECT_EQ(XMAC_CFG_LATENCY(cfg), 2u);
  EXPECT_EQ(XMAC_CFG_LANES(0xFFFFFFFFu), 0xFFu);
}

// ---- Host intrinsics (xmac.h without __riscv) equal the reference, and ldot advances the pointer.
TEST(XmacHostIntrinsics, EqualReference) {
  std::mt19937 rng(kSeed + 1);
  std::vector<uint32_t> weights(64);
  for (auto& w : weights) w = static_cast<uint32_t>(rng());
  for (int rep = 0; rep < 2000; ++rep) {
    const int32_t acc = static_cast<int32_t>(rng());
    const uint32_t w = static_cast<uint32_t>(rng());
    const uint32_t a0 = rng(), a1 = rng(), a2 = rng(), a3 = rng();
    ASSERT_EQ(xmac_dot8(acc, w, a0), xmac_dot8_ref(acc, w, a0));
    ASSERT_EQ(xmac_dot4(acc, w, a0, a1), xmac_dot4_ref(acc, w, a0, a1));
    ASSERT_EQ(xmac_dot2(acc, w, a0, a1, a2, a3), xmac_dot2_ref(acc, w, a0, a1, a2, a3));
  }
  const uint32_t a0 = 0x807F01FFu, a1 = 0x12345678u, a2 = 0xFEDCBA98u, a3 = 0x7F80FE02u;
  int32_t s8 = 0, s4 = INT32_MAX, s2 = INT32_MIN, r8 = 0, r4 = INT32_MAX, r2 = INT32_MIN;
  const uint32_t *p8 = weights.data(), *p4 = weights.data(), *p2 = weights.data();
  for (size_t i = 0; i < weights.size(); ++i) {
    s8 = xmac_ldot8(s8, &p8, a0);
    s4 = xmac_ldot4(s4, &p4, a0, a1);
    s2 = xmac_ldot2(s2, &p2, a0, a1, a2, a3);
    r8 = xmac_dot8_ref(r8, weights[i], a0);
    r4 = xmac_dot4_ref(r4, weights[i], a0, a1);
    r2 = xmac_dot2_ref(r2, weights[i], a0, a1, a2, a3);
    ASSERT_EQ(p8, weights.data() + i + 1);
    ASSERT_EQ(p4, weights.data() + i + 1);
    ASSERT_EQ(p2, weights.data() + i + 1);
  }
  EXPECT_EQ(s8, r8);
  EXPECT_EQ(s4, r4);
  EXPECT_EQ(s2, r2);
  EXPECT_EQ(xmac_present(), 1);
  EXPECT_EQ(XMAC_CFG_VERSION(xmac_config()), XMAC_VERSION);
}

}  // namespace

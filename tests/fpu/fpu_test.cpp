// Hand-derived edge cases for isa/fpu (RV32F, IEEE 754 binary32). Every expected value below is worked
// out in the comment next to it from the IEEE 754 / RISC-V F v2.2 rules, not taken from the code.
#include "isa/fpu.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace fpu = mcucim::isa::fpu;
using fpu::NV; using fpu::DZ; using fpu::OF; using fpu::UF; using fpu::NX;
using fpu::RNE; using fpu::RTZ; using fpu::RDN; using fpu::RUP; using fpu::RMM;

namespace {

const char* const kRm[] = {"RNE", "RTZ", "RDN", "RUP", "RMM"};

// Bit patterns.
constexpr uint32_t kPZero = 0x00000000, kNZero = 0x80000000;
constexpr uint32_t kOne = 0x3f800000, kMinusOne = 0xbf800000, kTwo = 0x40000000, kHalf = 0x3f000000;
constexpr uint32_t kPInf = 0x7f800000, kNInf = 0xff800000, kMax = 0x7f7fffff, kNMax = 0xff7fffff;
constexpr uint32_t kSNaN = 0x7f800001, kQNaN = 0x7fc00000, kQNaNPayload = 0x7fc12345;
constexpr uint32_t kMinSub = 0x00000001, kMinNorm = 0x00800000, kMaxSub = 0x007fffff;
constexpr uint32_t kCanon = fpu::kCanonicalNaN;

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

struct Out {
  uint32_t bits, flags;
};

void expect(Out got, uint32_t bits, uint32_t flags, const std::string& what) {
  EXPECT_EQ(got.bits, bits) << what << ": result " << hex(got.bits) << ", expected " << hex(bits);
  EXPECT_EQ(got.flags, flags) << what << ": flags " << hex(got.flags) << ", expected " << hex(flags);
}

Out add(uint32_t a, uint32_t b, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::add(a, b, rm, f); return {r, f}; }
Out sub(uint32_t a, uint32_t b, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::sub(a, b, rm, f); return {r, f}; }
Out mul(uint32_t a, uint32_t b, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::mul(a, b, rm, f); return {r, f}; }
Out div(uint32_t a, uint32_t b, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::div(a, b, rm, f); return {r, f}; }
Out sqrt(uint32_t a, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::sqrt(a, rm, f); return {r, f}; }
Out fma(uint32_t a, uint32_t b, uint32_t c, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::fma(a, b, c, rm, f); return {r, f}; }
Out cvt_w(uint32_t a, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::cvt_w_s(a, rm, f); return {r, f}; }
Out cvt_wu(uint32_t a, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::cvt_wu_s(a, rm, f); return {r, f}; }
Out cvt_s_w(uint32_t a, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::cvt_s_w(a, rm, f); return {r, f}; }
Out cvt_s_wu(uint32_t a, unsigned rm) { uint32_t f = 0; uint32_t r = fpu::cvt_s_wu(a, rm, f); return {r, f}; }
Out fmin(uint32_t a, uint32_t b) { uint32_t f = 0; uint32_t r = fpu::min(a, b, f); return {r, f}; }
Out fmax(uint32_t a, uint32_t b) { uint32_t f = 0; uint32_t r = fpu::max(a, b, f); return {r, f}; }
Out feq(uint32_t a, uint32_t b) { uint32_t f = 0; uint32_t r = fpu::eq(a, b, f); return {r, f}; }
Out flt(uint32_t a, uint32_t b) { uint32_t f = 0; uint32_t r = fpu::lt(a, b, f); return {r, f}; }
Out fle(uint32_t a, uint32_t b) { uint32_t f = 0; uint32_t r = fpu::le(a, b, f); return {r, f}; }

// Expected values per rounding mode, indexed RNE, RTZ, RDN, RUP, RMM.
struct PerMode {
  uint32_t v[5];
};

}  // namespace

TEST(FpuSignedZero, ZeroSumsFollowRoundingDirection) {
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    uint32_t opposite = rm == RDN ? kNZero : kPZero;  // exact zero sum of opposite signs: -0 only in RDN
    expect(add(kPZero, kNZero, rm), opposite, 0, "+0 + -0 in " + m);
    expect(add(kNZero, kPZero, rm), opposite, 0, "-0 + +0 in " + m);
    expect(add(kPZero, kPZero, rm), kPZero, 0, "+0 + +0 in " + m);
    expect(add(kNZero, kNZero, rm), kNZero, 0, "-0 + -0 keeps the sign in " + m);
    expect(sub(kOne, kOne, rm), opposite, 0, "1 - 1 in " + m);
    expect(add(kOne, kMinusOne, rm), opposite, 0, "1 + -1 in " + m);
    expect(sub(kPZero, kPZero, rm), opposite, 0, "+0 - +0 in " + m);
    expect(sub(kNZero, kPZero, rm), kNZero, 0, "-0 - +0 in " + m);
    expect(add(kMinSub, kMinSub | 0x80000000u, rm), opposite, 0, "subnormal x + -x in " + m);
    expect(mul(kNZero, kOne, rm), kNZero, 0, "-0 * 1 in " + m);
    expect(mul(kNZero, kMinusOne, rm), kPZero, 0, "-0 * -1 in " + m);
    expect(add(kNZero, kOne, rm), kOne, 0, "-0 + 1 in " + m);
  }
}

TEST(FpuRounding, AdditionTiesAndDirections) {
  // 1 + 2^-24: exactly halfway between 1 (even) and 1 + 2^-23 (odd).
  const PerMode p1{{kOne, kOne, kOne, 0x3f800001, 0x3f800001}};
  // -(1 + 2^-24): RDN goes away from zero, RUP towards.
  const PerMode n1{{kMinusOne, kMinusOne, 0xbf800001, kMinusOne, 0xbf800001}};
  // 1 + 3*2^-24 (0x34400000 = 1.5*2^-23): halfway between 1+2^-23 (odd) and 1+2^-22 (even).
  const PerMode p3{{0x3f800002, 0x3f800001, 0x3f800001, 0x3f800002, 0x3f800002}};
  // 1 + 2^-25 (0x33000000): below the halfway point; only RUP moves.
  const PerMode p4{{kOne, kOne, kOne, 0x3f800001, kOne}};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(add(kOne, 0x33800000, rm), p1.v[rm], NX, "1 + 2^-24 in " + m);
    expect(add(kMinusOne, 0xb3800000, rm), n1.v[rm], NX, "-1 - 2^-24 in " + m);
    expect(add(kOne, 0x34400000, rm), p3.v[rm], NX, "1 + 3*2^-24 in " + m);
    expect(add(kOne, 0x33000000, rm), p4.v[rm], NX, "1 + 2^-25 in " + m);
    expect(add(kOne, kOne, rm), kTwo, 0, "1 + 1 in " + m);
    expect(add(kOne, kMinSub, rm), rm == RUP ? 0x3f800001 : kOne, NX, "1 + 2^-149 in " + m);
  }
}

TEST(FpuRounding, DivisionAndSqrtDirections) {
  // 1/3 = 2^-2 * 1.0101...: 4/3 * 2^23 = 11184810.67 -> 0xaaaaaa or 0xaaaaab (fraction above half).
  const PerMode third{{0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaab}};
  // sqrt(2) * 2^23 = 11863283.20 -> significand 11863283 = 0xb504f3 (fraction below half).
  const PerMode root2{{0x3fb504f3, 0x3fb504f3, 0x3fb504f3, 0x3fb504f4, 0x3fb504f3}};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(div(kOne, 0x40400000, rm), third.v[rm], NX, "1/3 in " + m);
    expect(sqrt(kTwo, rm), root2.v[rm], NX, "sqrt(2) in " + m);
    expect(sqrt(0x40800000, rm), kTwo, 0, "sqrt(4) in " + m);
    expect(div(0x40c00000, 0x40400000, rm), kTwo, 0, "6/3 in " + m);
  }
}

TEST(FpuSubnormal, HalfOfTheSmallestSubnormal) {
  // 2^-149 * 0.5 = 2^-150: halfway between 0 (even) and 2^-149. Tiny and inexact: UF|NX.
  const PerMode pos{{kPZero, kPZero, kPZero, kMinSub, kMinSub}};
  const PerMode neg{{kNZero, kNZero, 0x80000001, kNZero, 0x80000001}};
  // 3*2^-149 * 0.5 = 1.5*2^-149: halfway between 1 (odd) and 2 (even) units of 2^-149.
  const PerMode three{{0x00000002, 0x00000001, 0x00000001, 0x00000002, 0x00000002}};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(mul(kMinSub, kHalf, rm), pos.v[rm], UF | NX, "2^-149 * 0.5 in " + m);
    expect(mul(0x80000001, kHalf, rm), neg.v[rm], UF | NX, "-2^-149 * 0.5 in " + m);
    expect(mul(0x00000003, kHalf, rm), three.v[rm], UF | NX, "3*2^-149 * 0.5 in " + m);
    expect(div(kMinSub, kTwo, rm), pos.v[rm], UF | NX, "2^-149 / 2 in " + m);
    // Exact subnormal results raise nothing (tiny but exact).
    expect(mul(0x00000002, kHalf, rm), kMinSub, 0, "2^-148 * 0.5 in " + m);
    expect(add(kMinSub, kMinSub, rm), 0x00000002, 0, "2^-149 + 2^-149 in " + m);
    expect(sub(kMinNorm, kMinSub, rm), kMaxSub, 0, "2^-126 - 2^-149 in " + m);
    expect(add(kMaxSub, kMinSub, rm), kMinNorm, 0, "largest subnormal + 2^-149 in " + m);
    expect(mul(kMinNorm, kHalf, rm), 0x00400000, 0, "2^-126 * 0.5 in " + m);
    expect(div(0x00400000, kHalf, rm), kMinNorm, 0, "2^-127 / 0.5 in " + m);
    expect(mul(kMaxSub, kOne, rm), kMaxSub, 0, "subnormal * 1 in " + m);
    expect(sqrt(kMinSub, rm), rm == RUP ? 0x1a3504f4 : 0x1a3504f3, NX,
           "sqrt(2^-149) = 2^-75 * sqrt(2) in " + m);
  }
}

TEST(FpuSubnormal, TininessIsDetectedAfterRounding) {
  // x = (1 - 2^-24) * 2^-126 = 2^-126 - 2^-150 (0x3f7fffff * 0x00800000). The subnormal grid (2^-149)
  // puts x halfway between 0x007fffff (odd) and 0x00800000. With an unbounded exponent x is exactly
  // representable, below 2^-126: tiny. Inexact in the destination format -> UF|NX in every mode, even
  // when the delivered result is the smallest normal.
  const PerMode r1{{kMinNorm, kMaxSub, kMaxSub, kMinNorm, kMinNorm}};
  // y = (1 - 2^-23) * (1 + 2^-23) * 2^-126 = 2^-126 - 2^-172 (0x3f7ffffe * 0x00800001). Unbounded
  // 24-bit rounding: neighbours 2^-126 - 2^-150 and 2^-126; y is far above the midpoint, so nearest
  // and upward give 2^-126 (not tiny: NX only); toward zero gives 2^-126 - 2^-150 (tiny: UF|NX).
  const PerMode r2{{kMinNorm, kMaxSub, kMaxSub, kMinNorm, kMinNorm}};
  const uint32_t f2[5] = {NX, UF | NX, UF | NX, NX, NX};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(mul(0x3f7fffff, kMinNorm, rm), r1.v[rm], UF | NX, "(1-2^-24) * 2^-126 in " + m);
    expect(mul(0x3f7ffffe, 0x00800001, rm), r2.v[rm], f2[rm], "(1-2^-23) * (1+2^-23)2^-126 in " + m);
    // Negated: RDN and RUP swap roles.
    const unsigned mirror = rm == RDN ? RUP : rm == RUP ? RDN : rm;
    expect(mul(0xbf7ffffe, 0x00800001, rm), r2.v[mirror] | 0x80000000u, f2[mirror],
           "-(1-2^-23) * (1+2^-23)2^-126 in " + m);
  }
}

TEST(FpuOverflow, MaxFiniteTimesTwo) {
  const PerMode pos{{kPInf, kMax, kMax, kPInf, kPInf}};
  const PerMode neg{{kNInf, kNMax, kNInf, kNMax, kNInf}};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(mul(kMax, kTwo, rm), pos.v[rm], OF | NX, "max * 2 in " + m);
    expect(mul(kNMax, kTwo, rm), neg.v[rm], OF | NX, "-max * 2 in " + m);
    expect(add(kMax, kMax, rm), pos.v[rm], OF | NX, "max + max in " + m);
    expect(div(kMax, kHalf, rm), pos.v[rm], OF | NX, "max / 0.5 in " + m);
    expect(fma(kMax, kTwo, kNMax, rm), kMax, 0, "fma(max, 2, -max) = max exactly in " + m);
  }
}

TEST(FpuOverflow, RoundingAtTheTopOfTheRange) {
  // max = (2 - 2^-23) 2^127 has ulp 2^104. max + 2^103 (0x73000000) is halfway between max (odd) and
  // 2^128: RNE/RMM round up to 2^128 -> overflow. RTZ/RDN keep max (not above max: no OF). RUP -> inf.
  const PerMode half_ulp{{kPInf, kMax, kMax, kPInf, kPInf}};
  const uint32_t half_flags[5] = {OF | NX, NX, NX, OF | NX, OF | NX};
  // max + 2^102 (0x72800000): below the midpoint, only RUP overflows.
  const PerMode quarter{{kMax, kMax, kMax, kPInf, kMax}};
  const uint32_t quarter_flags[5] = {NX, NX, NX, OF | NX, NX};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(add(kMax, 0x73000000, rm), half_ulp.v[rm], half_flags[rm], "max + 2^103 in " + m);
    expect(add(kMax, 0x72800000, rm), quarter.v[rm], quarter_flags[rm], "max + 2^102 in " + m);
  }
}

TEST(FpuSpecial, DivisionByZeroAndInvalid) {
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(div(kOne, kPZero, rm), kPInf, DZ, "1/+0 in " + m);
    expect(div(kMinusOne, kPZero, rm), kNInf, DZ, "-1/+0 in " + m);
    expect(div(kOne, kNZero, rm), kNInf, DZ, "1/-0 in " + m);
    expect(div(kMinSub, kPZero, rm), kPInf, DZ, "subnormal/0 in " + m);
    expect(div(kPInf, kPZero, rm), kPInf, 0, "inf/0 (no DZ) in " + m);
    expect(div(kPZero, kPZero, rm), kCanon, NV, "0/0 in " + m);
    expect(div(kPInf, kNInf, rm), kCanon, NV, "inf/-inf in " + m);
    expect(div(kPZero, kNInf, rm), kNZero, 0, "0/-inf in " + m);
    expect(div(kOne, kPInf, rm), kPZero, 0, "1/inf in " + m);
    expect(mul(kPInf, kNZero, rm), kCanon, NV, "inf * -0 in " + m);
    expect(mul(kPInf, kMinusOne, rm), kNInf, 0, "inf * -1 in " + m);
    expect(add(kPInf, kNInf, rm), kCanon, NV, "inf + -inf in " + m);
    expect(sub(kPInf, kPInf, rm), kCanon, NV, "inf - inf in " + m);
    expect(add(kPInf, kPInf, rm), kPInf, 0, "inf + inf in " + m);
    expect(add(kNInf, kMax, rm), kNInf, 0, "-inf + max in " + m);
    expect(sqrt(kMinusOne, rm), kCanon, NV, "sqrt(-1) in " + m);
    expect(sqrt(0x80000001, rm), kCanon, NV, "sqrt(-subnormal) in " + m);
    expect(sqrt(kNInf, rm), kCanon, NV, "sqrt(-inf) in " + m);
    expect(sqrt(kNZero, rm), kNZero, 0, "sqrt(-0) in " + m);
    expect(sqrt(kPZero, rm), kPZero, 0, "sqrt(+0) in " + m);
    expect(sqrt(kPInf, rm), kPInf, 0, "sqrt(+inf) in " + m);
  }
}

TEST(FpuSpecial, NaNsAreCanonicalAndOnlySignallingOnesRaiseNV) {
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(add(kSNaN, kOne, rm), kCanon, NV, "sNaN + 1 in " + m);
    expect(add(kOne, 0xff800001, rm), kCanon, NV, "1 + -sNaN in " + m);
    expect(add(kQNaNPayload, kOne, rm), kCanon, 0, "qNaN(payload) + 1 in " + m);
    expect(add(0xffc00000, kOne, rm), kCanon, 0, "-qNaN + 1 in " + m);
    expect(add(kQNaN, kPInf, rm), kCanon, 0, "qNaN + inf in " + m);
    expect(sub(kQNaN, kSNaN, rm), kCanon, NV, "qNaN - sNaN in " + m);
    expect(mul(kSNaN, kPZero, rm), kCanon, NV, "sNaN * 0 in " + m);
    expect(mul(kQNaN, kPZero, rm), kCanon, 0, "qNaN * 0 in " + m);
    expect(div(kQNaN, kPZero, rm), kCanon, 0, "qNaN / 0 (no DZ) in " + m);
    expect(div(kSNaN, kOne, rm), kCanon, NV, "sNaN / 1 in " + m);
    expect(sqrt(kSNaN, rm), kCanon, NV, "sqrt(sNaN) in " + m);
    expect(sqrt(0xffc00000, rm), kCanon, 0, "sqrt(-qNaN) in " + m);
    expect(fma(kOne, kOne, kQNaNPayload, rm), kCanon, 0, "fma(1, 1, qNaN) in " + m);
    expect(fma(kOne, kOne, kSNaN, rm), kCanon, NV, "fma(1, 1, sNaN) in " + m);
    expect(fma(kQNaN, kPInf, kPZero, rm), kCanon, 0, "fma(qNaN, inf, 0) in " + m);
  }
}

TEST(FpuFma, SingleRoundingDiffersFromMulThenAdd) {
  // a = b = 1 + 2^-12 (0x3f800800), c = -(1 + 2^-11) (0xbf801000).
  // a*b = 1 + 2^-11 + 2^-24 exactly, so a*b + c = 2^-24 (0x33800000), exact in every mode.
  const uint32_t a = 0x3f800800, c = 0xbf801000;
  for (unsigned rm = 0; rm < 5; ++rm)
    expect(fma(a, a, c, rm), 0x33800000, 0, std::string("fma(1+2^-12, 1+2^-12, -(1+2^-11)) in ") + kRm[rm]);
  // Rounded separately: a*b is halfway between 1+2^-11 (even) and 1+2^-11+2^-23 (odd); RNE keeps
  // 1+2^-11 and the following add gives exactly 0 -- the double-rounding answer fma must not give.
  Out p = mul(a, a, RNE);
  expect(p, 0x3f801000, NX, "(1+2^-12)^2 rounded to float");
  expect(add(p.bits, c, RNE), kPZero, 0, "rounded product + c");
  expect(mul(a, a, RUP), 0x3f801001, NX, "(1+2^-12)^2 in RUP");
  // a*a = 1 + 2^-11 + 2^-24 is a float midpoint; adding c = +-2^-100 (0x0d800000) moves the exact value
  // just off it. Binary64 cannot hold 1 + ... + 2^-100, so an implementation that rounds a*a + c to
  // double first lands on the midpoint and then ties to even (0x3f801000) -- wrong for +2^-100.
  const PerMode above{{0x3f801001, 0x3f801000, 0x3f801000, 0x3f801001, 0x3f801001}};
  const PerMode below{{0x3f801000, 0x3f801000, 0x3f801000, 0x3f801001, 0x3f801000}};
  for (unsigned rm = 0; rm < 5; ++rm) {
    expect(fma(a, a, 0x0d800000, rm), above.v[rm], NX, std::string("fma(a, a, 2^-100) in ") + kRm[rm]);
    expect(fma(a, a, 0x8d800000, rm), below.v[rm], NX, std::string("fma(a, a, -2^-100) in ") + kRm[rm]);
  }
  // Cancellation of a product against its own rounding: a*a - RN(a*a) = 2^-24 for this a.
  expect(fma(a, a, 0xbf801000, RNE), 0x33800000, 0, "fma error term");
  // fma(x, y, -x*y rounded up) < 0: a*a - (1+2^-11+2^-23) = -2^-24.
  expect(fma(a, a, 0xbf801001, RNE), 0xb3800000, 0, "fma negative residual");
}

TEST(FpuFma, InvalidAndSignedZeroCases) {
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    // RISC-V: inf * 0 raises NV even when the addend is a quiet NaN.
    expect(fma(kPInf, kPZero, kQNaN, rm), kCanon, NV, "fma(inf, 0, qNaN) in " + m);
    expect(fma(kNZero, kNInf, kQNaNPayload, rm), kCanon, NV, "fma(-0, -inf, qNaN) in " + m);
    expect(fma(kPInf, kPZero, kOne, rm), kCanon, NV, "fma(inf, 0, 1) in " + m);
    expect(fma(kPInf, kOne, kNInf, rm), kCanon, NV, "fma(inf, 1, -inf) in " + m);
    expect(fma(kPInf, kOne, kPInf, rm), kPInf, 0, "fma(inf, 1, inf) in " + m);
    expect(fma(kOne, kOne, kNInf, rm), kNInf, 0, "fma(1, 1, -inf) in " + m);
    expect(fma(kMax, kMax, kNInf, rm), kNInf, 0, "fma(max, max, -inf): no overflow flag in " + m);
    uint32_t opposite = rm == RDN ? kNZero : kPZero;
    expect(fma(kPZero, kOne, kNZero, rm), opposite, 0, "fma(+0, 1, -0) in " + m);
    expect(fma(kNZero, kOne, kNZero, rm), kNZero, 0, "fma(-0, 1, -0) in " + m);
    expect(fma(kOne, kOne, kMinusOne, rm), opposite, 0, "fma(1, 1, -1) in " + m);
    expect(fma(kPZero, kMax, kMinSub, rm), kMinSub, 0, "fma(0, max, 2^-149) in " + m);
    expect(fma(kMinSub, kMinSub, kPZero, rm), rm == RUP ? kMinSub : kPZero, UF | NX,
           "fma(2^-149, 2^-149, 0) in " + m);
    expect(fma(kMinSub, kMinSub, kOne, rm), rm == RUP ? 0x3f800001 : kOne, NX,
           "fma(2^-149, 2^-149, 1) in " + m);
    expect(fma(kMax, kTwo, kNMax, rm), kMax, 0, "fma(max, 2, -max): intermediate beyond range in " + m);
    // R4 variants with a=2, b=3, c=1: fmadd 7, fmsub 5, fnmsub -5, fnmadd -7.
    uint32_t f = 0;
    EXPECT_EQ(fpu::fma(kTwo, 0x40400000, kOne, rm, f), 0x40e00000u) << m;
    EXPECT_EQ(fpu::fmsub(kTwo, 0x40400000, kOne, rm, f), 0x40a00000u) << m;
    EXPECT_EQ(fpu::fnmsub(kTwo, 0x40400000, kOne, rm, f), 0xc0a00000u) << m;
    EXPECT_EQ(fpu::fnmadd(kTwo, 0x40400000, kOne, rm, f), 0xc0e00000u) << m;
    EXPECT_EQ(f, 0u) << m;
    // fnmadd(1, 1, -1) = -(1) - (-1) = exact zero of an opposite-sign sum.
    f = 0;
    EXPECT_EQ(fpu::fnmadd(kOne, kOne, kMinusOne, rm, f), opposite) << m;
  }
}

TEST(FpuMinMax, V22Semantics) {
  expect(fmin(kNZero, kPZero), kNZero, 0, "min(-0, +0)");
  expect(fmin(kPZero, kNZero), kNZero, 0, "min(+0, -0)");
  expect(fmax(kNZero, kPZero), kPZero, 0, "max(-0, +0)");
  expect(fmax(kPZero, kNZero), kPZero, 0, "max(+0, -0)");
  expect(fmin(kQNaN, kOne), kOne, 0, "min(qNaN, 1)");
  expect(fmin(kOne, kQNaNPayload), kOne, 0, "min(1, qNaN)");
  expect(fmax(kQNaN, kMinusOne), kMinusOne, 0, "max(qNaN, -1)");
  expect(fmin(kSNaN, kOne), kOne, NV, "min(sNaN, 1)");
  expect(fmax(kOne, kSNaN), kOne, NV, "max(1, sNaN)");
  expect(fmin(kQNaN, kQNaNPayload), kCanon, 0, "min(qNaN, qNaN)");
  expect(fmax(kSNaN, kQNaN), kCanon, NV, "max(sNaN, qNaN)");
  expect(fmin(kOne, kTwo), kOne, 0, "min(1, 2)");
  expect(fmax(kOne, kTwo), kTwo, 0, "max(1, 2)");
  expect(fmin(kMinusOne, 0xc0000000), 0xc0000000, 0, "min(-1, -2)");
  expect(fmax(kMinusOne, 0xc0000000), kMinusOne, 0, "max(-1, -2)");
  expect(fmin(kNInf, kPInf), kNInf, 0, "min(-inf, inf)");
  expect(fmax(kNInf, kMax), kMax, 0, "max(-inf, max)");
  expect(fmin(0x80000001, kPZero), 0x80000001, 0, "min(-subnormal, +0)");
  expect(fmax(kMinSub, kNZero), kMinSub, 0, "max(subnormal, -0)");
}

TEST(FpuCompare, QuietAndSignalling) {
  expect(feq(kPZero, kNZero), 1, 0, "+0 == -0");
  expect(flt(kNZero, kPZero), 0, 0, "-0 < +0");
  expect(fle(kNZero, kPZero), 1, 0, "-0 <= +0");
  expect(fle(kPZero, kNZero), 1, 0, "+0 <= -0");
  expect(flt(kMinusOne, kOne), 1, 0, "-1 < 1");
  expect(flt(kOne, kMinusOne), 0, 0, "1 < -1");
  expect(flt(0xc0000000, kMinusOne), 1, 0, "-2 < -1");
  expect(flt(kMinusOne, 0xc0000000), 0, 0, "-1 < -2");
  expect(flt(kOne, kOne), 0, 0, "1 < 1");
  expect(fle(kOne, kOne), 1, 0, "1 <= 1");
  expect(fle(kTwo, kOne), 0, 0, "2 <= 1");
  expect(flt(kNInf, kNMax), 1, 0, "-inf < -max");
  expect(flt(0x80000001, kNZero), 1, 0, "-subnormal < -0");
  expect(feq(kOne, kOne), 1, 0, "1 == 1");
  expect(feq(kOne, 0x3f800001), 0, 0, "1 == 1+ulp");
  expect(feq(kQNaN, kQNaN), 0, 0, "qNaN == qNaN (quiet)");
  expect(feq(kQNaN, kOne), 0, 0, "qNaN == 1 (quiet)");
  expect(feq(kSNaN, kOne), 0, NV, "sNaN == 1");
  expect(flt(kQNaN, kOne), 0, NV, "qNaN < 1 (signalling)");
  expect(fle(kOne, kQNaN), 0, NV, "1 <= qNaN (signalling)");
  expect(flt(kSNaN, kOne), 0, NV, "sNaN < 1");
}

TEST(FpuClassify, EachOfTheTenClasses) {
  EXPECT_EQ(fpu::classify(kNInf), 1u << 0);
  EXPECT_EQ(fpu::classify(kMinusOne), 1u << 1);
  EXPECT_EQ(fpu::classify(kNMax), 1u << 1);
  EXPECT_EQ(fpu::classify(0x80800000), 1u << 1);  // -smallest normal
  EXPECT_EQ(fpu::classify(0x80000001), 1u << 2);
  EXPECT_EQ(fpu::classify(0x807fffff), 1u << 2);
  EXPECT_EQ(fpu::classify(kNZero), 1u << 3);
  EXPECT_EQ(fpu::classify(kPZero), 1u << 4);
  EXPECT_EQ(fpu::classify(kMinSub), 1u << 5);
  EXPECT_EQ(fpu::classify(kMaxSub), 1u << 5);
  EXPECT_EQ(fpu::classify(kOne), 1u << 6);
  EXPECT_EQ(fpu::classify(kMinNorm), 1u << 6);
  EXPECT_EQ(fpu::classify(kPInf), 1u << 7);
  EXPECT_EQ(fpu::classify(kSNaN), 1u << 8);
  EXPECT_EQ(fpu::classify(0x7fbfffff), 1u << 8);
  EXPECT_EQ(fpu::classify(0xff800001), 1u << 8);  // sign of a NaN does not matter
  EXPECT_EQ(fpu::classify(kQNaN), 1u << 9);
  EXPECT_EQ(fpu::classify(0xffffffff), 1u << 9);
}

TEST(FpuSignInjection, CopiesSignBitsOnly) {
  EXPECT_EQ(fpu::sgnj(kOne, 0xc0000000), kMinusOne);
  EXPECT_EQ(fpu::sgnj(kMinusOne, kTwo), kOne);
  EXPECT_EQ(fpu::sgnjn(kOne, 0xc0000000), kOne);
  EXPECT_EQ(fpu::sgnjn(kOne, kTwo), kMinusOne);
  EXPECT_EQ(fpu::sgnjx(kMinusOne, 0xc0000000), kOne);
  EXPECT_EQ(fpu::sgnjx(kMinusOne, kTwo), kMinusOne);
  EXPECT_EQ(fpu::sgnj(kQNaNPayload, kNZero), 0xffc12345u);  // NaN payload untouched (fneg/fabs)
  EXPECT_EQ(fpu::sgnjx(kSNaN, kSNaN), kSNaN);
}

TEST(FpuConvert, FloatToInt32Saturation) {
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(cvt_w(0x4f000000, rm), 0x7fffffff, NV, "2^31 -> w in " + m);
    expect(cvt_w(0xcf000000, rm), 0x80000000, 0, "-2^31 -> w in " + m);
    expect(cvt_w(0xcf000001, rm), 0x80000000, NV, "-(2^31+256) -> w in " + m);
    expect(cvt_w(0x4effffff, rm), 0x7fffff80, 0, "2^31-128 -> w in " + m);
    expect(cvt_w(kQNaN, rm), 0x7fffffff, NV, "qNaN -> w in " + m);
    expect(cvt_w(0xffc00000, rm), 0x7fffffff, NV, "-qNaN -> w in " + m);
    expect(cvt_w(kSNaN, rm), 0x7fffffff, NV, "sNaN -> w in " + m);
    expect(cvt_w(kPInf, rm), 0x7fffffff, NV, "inf -> w in " + m);
    expect(cvt_w(kNInf, rm), 0x80000000, NV, "-inf -> w in " + m);
    expect(cvt_w(kNZero, rm), 0, 0, "-0 -> w in " + m);
    expect(cvt_w(kMax, rm), 0x7fffffff, NV, "max -> w in " + m);
    expect(cvt_w(0xc2f60000, rm), uint32_t(-123), 0, "-123 -> w in " + m);
  }
}

TEST(FpuConvert, FloatToUint32Saturation) {
  // -0.5: RNE -> -0 (tie to even 0), RTZ -> 0, RUP -> -0: all 0 with NX. RDN and RMM -> -1: invalid.
  const PerMode v{{0, 0, 0, 0, 0}};
  const uint32_t fl[5] = {NX, NX, NV, NX, NV};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(cvt_wu(0xbf000000, rm), v.v[rm], fl[rm], "-0.5 -> wu in " + m);
    expect(cvt_wu(0xbe800000, rm), 0, rm == RDN ? NV : NX, "-0.25 -> wu in " + m);
    expect(cvt_wu(kMinusOne, rm), 0, NV, "-1 -> wu in " + m);
    expect(cvt_wu(0x4f800000, rm), 0xffffffff, NV, "2^32 -> wu in " + m);
    expect(cvt_wu(0x4f7fffff, rm), 0xffffff00, 0, "2^32-256 -> wu in " + m);
    expect(cvt_wu(0x4f000000, rm), 0x80000000, 0, "2^31 -> wu in " + m);
    expect(cvt_wu(kQNaN, rm), 0xffffffff, NV, "qNaN -> wu in " + m);
    expect(cvt_wu(0xffc00000, rm), 0xffffffff, NV, "-qNaN -> wu in " + m);
    expect(cvt_wu(kNInf, rm), 0, NV, "-inf -> wu in " + m);
    expect(cvt_wu(kPInf, rm), 0xffffffff, NV, "inf -> wu in " + m);
    expect(cvt_wu(kNZero, rm), 0, 0, "-0 -> wu in " + m);
    expect(cvt_wu(kNMax, rm), 0, NV, "-max -> wu in " + m);
  }
}

TEST(FpuConvert, FloatToIntRoundingModes) {
  struct Case { uint32_t in; const char* name; PerMode out; };
  const Case cases[] = {
      {0x3f000000, "0.5", {{0, 0, 0, 1, 1}}},
      {0x3fc00000, "1.5", {{2, 1, 1, 2, 2}}},
      {0x40200000, "2.5", {{2, 2, 2, 3, 3}}},
      {0xc0200000, "-2.5", {{uint32_t(-2), uint32_t(-2), uint32_t(-3), uint32_t(-2), uint32_t(-3)}}},
      {0xbf000000, "-0.5", {{0, 0, uint32_t(-1), 0, uint32_t(-1)}}},
      {0x3f400000, "0.75", {{1, 0, 0, 1, 1}}},
      {0xbe800000, "-0.25", {{0, 0, uint32_t(-1), 0, 0}}},
      {0x00000001, "2^-149", {{0, 0, 0, 1, 0}}},
      {0x80000001, "-2^-149", {{0, 0, uint32_t(-1), 0, 0}}},
      {0x4b7fffff, "16777215", {{16777215, 16777215, 16777215, 16777215, 16777215}}},
  };
  for (const Case& c : cases) {
    bool exact = c.in == 0x4b7fffff;
    for (unsigned rm = 0; rm < 5; ++rm) {
      expect(cvt_w(c.in, rm), c.out.v[rm], exact ? 0u : uint32_t(NX), std::string(c.name) + " -> w in " + kRm[rm]);
      if (!(c.in & 0x80000000u))
        expect(cvt_wu(c.in, rm), c.out.v[rm], exact ? 0u : uint32_t(NX), std::string(c.name) + " -> wu in " + kRm[rm]);
    }
  }
}

TEST(FpuConvert, IntToFloatRounding) {
  // 2^24 + 1 lies halfway between 2^24 (0x4b800000, even) and 2^24 + 2 (0x4b800001, odd).
  const PerMode p{{0x4b800000, 0x4b800000, 0x4b800000, 0x4b800001, 0x4b800001}};
  const PerMode n{{0xcb800000, 0xcb800000, 0xcb800001, 0xcb800000, 0xcb800001}};
  // 2^24 + 3: halfway between 2^24+2 (odd) and 2^24+4 (even).
  const PerMode p3{{0x4b800002, 0x4b800001, 0x4b800001, 0x4b800002, 0x4b800002}};
  // 2^31 - 1: between 2^31 - 128 (0x4effffff) and 2^31 (0x4f000000), above the midpoint.
  const PerMode imax{{0x4f000000, 0x4effffff, 0x4effffff, 0x4f000000, 0x4f000000}};
  // 2^32 - 1 (unsigned): between 2^32 - 256 (0x4f7fffff) and 2^32 (0x4f800000).
  const PerMode umax{{0x4f800000, 0x4f7fffff, 0x4f7fffff, 0x4f800000, 0x4f800000}};
  for (unsigned rm = 0; rm < 5; ++rm) {
    std::string m = kRm[rm];
    expect(cvt_s_w(16777217u, rm), p.v[rm], NX, "2^24+1 -> s in " + m);
    expect(cvt_s_w(uint32_t(-16777217), rm), n.v[rm], NX, "-(2^24+1) -> s in " + m);
    expect(cvt_s_wu(16777217u, rm), p.v[rm], NX, "2^24+1 (unsigned) -> s in " + m);
    expect(cvt_s_w(16777219u, rm), p3.v[rm], NX, "2^24+3 -> s in " + m);
    expect(cvt_s_w(0x7fffffffu, rm), imax.v[rm], NX, "2^31-1 -> s in " + m);
    expect(cvt_s_wu(0xffffffffu, rm), umax.v[rm], NX, "2^32-1 (unsigned) -> s in " + m);
    expect(cvt_s_w(0x80000000u, rm), 0xcf000000, 0, "-2^31 -> s in " + m);
    expect(cvt_s_wu(0x80000000u, rm), 0x4f000000, 0, "2^31 (unsigned) -> s in " + m);
    expect(cvt_s_w(16777216u, rm), 0x4b800000, 0, "2^24 -> s in " + m);
    expect(cvt_s_w(16777218u, rm), 0x4b800001, 0, "2^24+2 -> s in " + m);
    expect(cvt_s_w(0, rm), kPZero, 0, "0 -> s in " + m);
    expect(cvt_s_wu(0, rm), kPZero, 0, "0 (unsigned) -> s in " + m);
    expect(cvt_s_w(uint32_t(-1), rm), kMinusOne, 0, "-1 -> s in " + m);
    expect(cvt_s_wu(0xffffffffu - 0xffu, rm), 0x4f7fffff, 0, "2^32-256 (unsigned) -> s in " + m);
  }
}

TEST(FpuFlags, AreAccruedNeverCleared) {
  uint32_t f = NV | DZ;
  fpu::add(kOne, kOne, RNE, f);  // exact: adds nothing
  EXPECT_EQ(f, NV | DZ);
  fpu::add(kOne, 0x33800000, RNE, f);  // inexact
  EXPECT_EQ(f, NV | DZ | NX);
  fpu::mul(kMax, kTwo, RTZ, f);
  EXPECT_EQ(f, NV | DZ | NX | OF);
}

TEST(FpuHost, EnvironmentIsDefault) { EXPECT_TRUE(fpu::host_env_is_default()); }

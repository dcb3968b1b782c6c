// RV32F semantics: host fast path for RNE with normal results, integer soft-float for everything else.
// See fpu.h for the contract.
//
// Why the fast path is exact (all in round-to-nearest-even, binary32 operands widened to binary64):
//  - add: the float sum s is correctly rounded by the host; TwoSum gives the exact error (no overflow
//    since s is finite), so NX <=> error != 0.
//  - mul: the product of two 24-bit significands fits binary64's 53 bits, so (double)a*(double)b is
//    exact and its conversion to float is the single correct rounding; NX <=> conversion changed it.
//  - div: q = a/b is correctly rounded by the host; q*b is exact in binary64 (24+24 bits), so the
//    quotient was exact <=> q*b == a.
//  - sqrt: likewise s*s == a in binary64 <=> exact.
//  - fma: p = a*b is exact in binary64; d = p+c rounded to binary64 plus its TwoSum error e. Turning d
//    into the round-to-odd result (nudge an even d one binary64 ulp towards e when e != 0) makes the
//    final conversion to float a single correct rounding, since 53 >= 24 + 2.
// The result is taken only when its biased exponent is in [2, 254]: then it is normal, finite and not
// the smallest normal, so neither overflow nor (after-rounding) tininess can be involved, and the only
// possible flag is NX. Zero, subnormal, min-normal, infinite and NaN results fall to the soft path.
#include "isa/fpu.h"

#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <algorithm>
#include <utility>

#if defined(__FAST_MATH__)
#error "isa/fpu.cpp must be compiled without -ffast-math (IEEE semantics are required)"
#endif
#if defined(__FLT_EVAL_METHOD__) && __FLT_EVAL_METHOD__ != 0
#error "isa/fpu.cpp needs FLT_EVAL_METHOD == 0 (float arithmetic evaluated in float, e.g. x86-64 SSE)"
#endif

namespace mcucim::isa::fpu {
namespace {

using u128 = unsigned __int128;

inline float f32(uint32_t b) { float f; std::memcpy(&f, &b, 4); return f; }
inline uint32_t b32(float f) { uint32_t b; std::memcpy(&b, &f, 4); return b; }
inline uint64_t b64(double d) { uint64_t b; std::memcpy(&b, &d, 8); return b; }
inline double f64(uint64_t b) { double d; std::memcpy(&d, &b, 8); return d; }

constexpr uint32_t kExpMask = 0x7f800000;
constexpr uint32_t kFracMask = 0x007fffff;
constexpr uint32_t kQuietBit = 0x00400000;
constexpr uint32_t kInf = 0x7f800000;
constexpr uint32_t kMaxFinite = 0x7f7fffff;

inline bool is_nan(uint32_t a) { return (a & ~kSignBit) > kInf; }
inline bool is_snan(uint32_t a) { return is_nan(a) && !(a & kQuietBit); }
inline bool is_inf(uint32_t a) { return (a & ~kSignBit) == kInf; }
inline bool is_zero(uint32_t a) { return (a & ~kSignBit) == 0; }
inline uint32_t sign_of(uint32_t a) { return a & kSignBit; }
// The biased exponent lies in [2, 254]: normal, finite, larger in magnitude than the smallest normal.
inline bool fast_ok(uint32_t r) { return ((r >> 23) & 0xff) - 2u < 253u; }

// Finite nonzero operand as value = sig * 2^exp with sig in [2^23, 2^24).
struct Unpacked { int exp; uint32_t sig; };
inline Unpacked unpack(uint32_t a) {
  uint32_t e = (a >> 23) & 0xff, f = a & kFracMask;
  if (e) return {int(e) - 150, f | 0x800000u};
  int shift = __builtin_clz(f) - 8;  // subnormal: normalise
  return {-149 - shift, f << shift};
}

// Rounding decision: `kept` is the retained integer, `rest` the discarded bits, `half` the weight of the
// first discarded bit, `neg` the sign of the value. Returns whether to add one unit to `kept`.
inline bool round_up(unsigned rm, bool neg, uint64_t kept, uint64_t rest, uint64_t half) {
  if (rest == 0) return false;
  switch (rm) {
    case RTZ: return false;
    case RDN: return neg;
    case RUP: return !neg;
    case RMM: return rest >= half;
    default: return rest > half || (rest == half && (kept & 1));  // RNE
  }
}

inline uint64_t shift_right_jam64(uint64_t x, unsigned n) {
  if (n == 0) return x;
  if (n >= 64) return x != 0;
  return (x >> n) | ((x << (64 - n)) != 0);
}
inline u128 shift_right_jam128(u128 x, unsigned n) {
  if (n == 0) return x;
  if (n >= 128) return x != 0;
  return (x >> n) | u128((x << (128 - n)) != 0);
}

// Round value = sig * 2^exp (sig != 0; bit 0 may be a sticky bit standing for "something nonzero
// below", which is sound as long as at least 26 significant bits are present) to binary32.
uint32_t round_pack(bool neg, int exp, uint64_t sig, unsigned rm, uint32_t& flags) {
  assert(sig != 0);
  int lz = __builtin_clzll(sig);
  sig <<= lz;
  int e = exp - lz + 63;  // value = (sig / 2^63) * 2^e, bit 63 set
  const uint32_t sign = neg ? kSignBit : 0;
  constexpr uint64_t kRestMask = (uint64_t(1) << 40) - 1, kHalf = uint64_t(1) << 39;
  if (e >= -126) {
    uint64_t kept = sig >> 40, rest = sig & kRestMask;
    if (round_up(rm, neg, kept, rest, kHalf)) {
      if (++kept == (uint64_t(1) << 24)) { kept >>= 1; ++e; }
    }
    if (e > 127) {
      flags |= OF | NX;
      bool to_inf = !(rm == RTZ || (rm == RDN && !neg) || (rm == RUP && neg));  // nearest or away
      return sign | (to_inf ? kInf : kMaxFinite);
    }
    if (rest) flags |= NX;
    return sign | (uint32_t(e + 127) << 23) | (uint32_t(kept) & kFracMask);
  }
  // Tiny before rounding. Tininess after rounding: the value rounded to 24 bits with an unbounded
  // exponent stays below 2^-126 unless it is in the binade just below and rounds up into 2^-126.
  bool tiny = true;
  if (e == -127) {
    uint64_t kept = sig >> 40, rest = sig & kRestMask;
    if (kept == 0xffffff && round_up(rm, neg, kept, rest, kHalf)) tiny = false;
  }
  uint64_t s = shift_right_jam64(sig, unsigned(-126 - e));
  uint64_t kept = s >> 40, rest = s & kRestMask;
  if (round_up(rm, neg, kept, rest, kHalf)) ++kept;  // may carry into 2^23: the smallest normal
  if (rest) flags |= tiny ? (NX | UF) : NX;
  return sign | uint32_t(kept);
}

// The NaN result of an operation with at least one NaN operand.
inline uint32_t nan_result(uint32_t a, uint32_t b, uint32_t& flags) {
  if (is_snan(a) || is_snan(b)) flags |= NV;
  return kCanonicalNaN;
}

inline uint32_t exact_zero_sum(unsigned rm) { return rm == RDN ? kSignBit : 0; }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Soft-float path.
namespace soft {

uint32_t add(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) return nan_result(a, b, flags);
  if (is_inf(a)) {
    if (is_inf(b) && sign_of(a) != sign_of(b)) { flags |= NV; return kCanonicalNaN; }
    return a;
  }
  if (is_inf(b)) return b;
  if (is_zero(a) && is_zero(b)) return sign_of(a) == sign_of(b) ? a : exact_zero_sum(rm);
  if (is_zero(a)) return b;
  if (is_zero(b)) return a;
  Unpacked ua = unpack(a), ub = unpack(b);
  bool sa = sign_of(a), sb = sign_of(b);
  if (ua.exp < ub.exp) { std::swap(ua, ub); std::swap(sa, sb); }
  // Significands at bits 61..38: room for a carry at bit 62 and 38 guard bits below.
  uint64_t A = uint64_t(ua.sig) << 38;
  uint64_t B = shift_right_jam64(uint64_t(ub.sig) << 38, unsigned(ua.exp - ub.exp));
  uint64_t S;
  bool neg;
  if (sa == sb) { S = A + B; neg = sa; }
  else if (A >= B) { S = A - B; neg = sa; }
  else { S = B - A; neg = sb; }
  if (S == 0) return exact_zero_sum(rm);
  return round_pack(neg, ua.exp - 38, S, rm, flags);
}

uint32_t mul(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) return nan_result(a, b, flags);
  uint32_t sign = sign_of(a ^ b);
  if (is_inf(a) || is_inf(b)) {
    if (is_zero(a) || is_zero(b)) { flags |= NV; return kCanonicalNaN; }
    return sign | kInf;
  }
  if (is_zero(a) || is_zero(b)) return sign;
  Unpacked ua = unpack(a), ub = unpack(b);
  return round_pack(sign, ua.exp + ub.exp, uint64_t(ua.sig) * ub.sig, rm, flags);
}

uint32_t div(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) return nan_result(a, b, flags);
  uint32_t sign = sign_of(a ^ b);
  if (is_inf(a)) {
    if (is_inf(b)) { flags |= NV; return kCanonicalNaN; }
    return sign | kInf;
  }
  if (is_inf(b)) return sign;
  if (is_zero(b)) {
    if (is_zero(a)) { flags |= NV; return kCanonicalNaN; }
    flags |= DZ;
    return sign | kInf;
  }
  if (is_zero(a)) return sign;
  Unpacked ua = unpack(a), ub = unpack(b);
  uint64_t num = uint64_t(ua.sig) << 40;  // quotient has 40 or 41 bits
  uint64_t q = num / ub.sig, r = num % ub.sig;
  return round_pack(sign, ua.exp - ub.exp - 40, q | (r != 0), rm, flags);
}

uint32_t sqrt(uint32_t a, unsigned rm, uint32_t& flags) {
  if (is_nan(a)) return nan_result(a, a, flags);
  if (is_zero(a)) return a;  // sqrt(-0) = -0
  if (sign_of(a)) { flags |= NV; return kCanonicalNaN; }
  if (is_inf(a)) return a;
  Unpacked ua = unpack(a);
  uint64_t m = ua.sig;
  int e = ua.exp;
  if (e & 1) { m <<= 1; --e; }  // make the exponent even
  uint64_t rad = m << 38;        // < 2^63; root has 31 or 32 bits
  uint64_t root = uint64_t(std::sqrt(double(rad)));
  while (root * root > rad) --root;
  while ((root + 1) * (root + 1) <= rad) ++root;
  bool inexact = root * root != rad;
  return round_pack(false, (e - 38) / 2, root | uint64_t(inexact), rm, flags);
}

uint32_t fma(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t& flags) {
  bool prod_invalid = (is_inf(a) && is_zero(b)) || (is_zero(a) && is_inf(b));
  if (is_nan(a) || is_nan(b) || is_nan(c)) {
    if (prod_invalid || is_snan(a) || is_snan(b) || is_snan(c)) flags |= NV;
    return kCanonicalNaN;
  }
  if (prod_invalid) { flags |= NV; return kCanonicalNaN; }
  uint32_t ps = sign_of(a ^ b);
  if (is_inf(a) || is_inf(b)) {
    if (is_inf(c) && sign_of(c) != ps) { flags |= NV; return kCanonicalNaN; }
    return ps | kInf;
  }
  if (is_inf(c)) return c;
  if (is_zero(a) || is_zero(b)) {
    if (is_zero(c)) return ps == sign_of(c) ? c : exact_zero_sum(rm);
    return c;
  }
  Unpacked ua = unpack(a), ub = unpack(b);
  if (is_zero(c)) return round_pack(ps, ua.exp + ub.exp, uint64_t(ua.sig) * ub.sig, rm, flags);
  Unpacked uc = unpack(c);
  // Product (47-48 bits) and addend (24 bits) both placed with their top bit at 123..124.
  u128 P = u128(uint64_t(ua.sig) * ub.sig) << 77;
  int ep = ua.exp + ub.exp - 77;
  u128 C = u128(uc.sig) << 101;
  int ec = uc.exp - 101;
  bool np = ps != 0, nc = sign_of(c) != 0;
  int e;
  if (ep >= ec) { C = shift_right_jam128(C, unsigned(std::min(ep - ec, 200))); e = ep; }
  else { P = shift_right_jam128(P, unsigned(std::min(ec - ep, 200))); e = ec; }
  u128 S;
  bool neg;
  if (np == nc) { S = P + C; neg = np; }
  else if (P >= C) { S = P - C; neg = np; }
  else { S = C - P; neg = nc; }
  if (S == 0) return exact_zero_sum(rm);
  // Reduce to 64 bits with a sticky bit (a large cancellation only happens without jamming: exact).
  uint64_t hi = uint64_t(S >> 64), lo = uint64_t(S);
  int lz = hi ? __builtin_clzll(hi) : 64 + __builtin_clzll(lo);
  S <<= lz;
  uint64_t sig = uint64_t(S >> 64) | uint64_t(uint64_t(S) != 0);
  return round_pack(neg, e - lz + 64, sig, rm, flags);
}

}  // namespace soft

// ---------------------------------------------------------------------------------------------------
// Public functions: fast path first.

uint32_t add(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags) {
  if (rm == RNE) {
    float fa = f32(a), fb = f32(b);
    float s = fa + fb;
    uint32_t r = b32(s);
    if (fast_ok(r)) {
      float bb = s - fa;  // TwoSum: exact rounding error of fa + fb
      float err = (fa - (s - bb)) + (fb - bb);
      flags |= err != 0.0f ? NX : 0u;
      return r;
    }
  }
  return soft::add(a, b, rm, flags);
}

uint32_t sub(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags) {
  return add(a, b ^ kSignBit, rm, flags);  // NaN operands give the canonical NaN regardless of sign
}

uint32_t mul(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags) {
  if (rm == RNE) {
    double p = double(f32(a)) * double(f32(b));  // exact
    float s = float(p);
    uint32_t r = b32(s);
    if (fast_ok(r)) {
      flags |= double(s) != p ? NX : 0u;
      return r;
    }
  }
  return soft::mul(a, b, rm, flags);
}

uint32_t div(uint32_t a, uint32_t b, unsigned rm, uint32_t& flags) {
  if (rm == RNE) {
    float fa = f32(a), fb = f32(b);
    float q = fa / fb;
    uint32_t r = b32(q);
    if (fast_ok(r)) {
      flags |= double(q) * double(fb) != double(fa) ? NX : 0u;  // product exact in binary64
      return r;
    }
  }
  return soft::div(a, b, rm, flags);
}

uint32_t sqrt(uint32_t a, unsigned rm, uint32_t& flags) {
  // Positive, finite, nonzero operand: the root is always normal.
  if (rm == RNE && a - 1u < kInf - 1u) {
    float fa = f32(a);
    float s = __builtin_sqrtf(fa);
    flags |= double(s) * double(s) != double(fa) ? NX : 0u;
    return b32(s);
  }
  return soft::sqrt(a, rm, flags);
}

uint32_t fma(uint32_t a, uint32_t b, uint32_t c, unsigned rm, uint32_t& flags) {
  if (rm == RNE) {
    double p = double(f32(a)) * double(f32(b));  // exact
    double dc = double(f32(c));
    double d = p + dc;
    double bb = d - p;  // TwoSum error of p + dc
    double e = (p - (d - bb)) + (dc - bb);
    // Round to odd: when e != 0 the exact sum lies strictly between d and its neighbour towards e;
    // if d is even, take that (odd) neighbour. On the sign-magnitude bit pattern, moving away from
    // zero (e has d's sign) is +1, towards zero -1. Branch-free: e != 0 is data-dependent.
    uint64_t db = b64(d);
    uint64_t nudge = uint64_t(e != 0.0) & ~db & 1;
    uint64_t step = ((db ^ b64(e)) >> 63) ? uint64_t(-1) : 1;
    db += step & (0 - nudge);
    double dro = f64(db);
    float s = float(dro);
    uint32_t r = b32(s);
    if (fast_ok(r)) {
      // Exact <=> e == 0 and the float conversion is exact. When e != 0, dro is odd (53 significant
      // bits), so it never equals a float: the one comparison covers both.
      flags |= double(s) != dro ? NX : 0u;
      return r;
    }
  }
  return soft::fma(a, b, c, rm, flags);
}

// ---------------------------------------------------------------------------------------------------
// Min/max, comparisons, classification.

namespace {
// Total order on non-NaN values with -0 < +0.
inline bool less_signed_zero(uint32_t a, uint32_t b) {
  bool sa = sign_of(a), sb = sign_of(b);
  if (sa != sb) return sa;
  return sa ? a > b : a < b;
}
}  // namespace

uint32_t min(uint32_t a, uint32_t b, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) {
    if (is_snan(a) || is_snan(b)) flags |= NV;
    if (is_nan(a) && is_nan(b)) return kCanonicalNaN;
    return is_nan(a) ? b : a;
  }
  return less_signed_zero(b, a) ? b : a;
}

uint32_t max(uint32_t a, uint32_t b, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) {
    if (is_snan(a) || is_snan(b)) flags |= NV;
    if (is_nan(a) && is_nan(b)) return kCanonicalNaN;
    return is_nan(a) ? b : a;
  }
  return less_signed_zero(a, b) ? b : a;
}

uint32_t eq(uint32_t a, uint32_t b, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) {
    if (is_snan(a) || is_snan(b)) flags |= NV;
    return 0;
  }
  return a == b || is_zero(a | b);
}

uint32_t lt(uint32_t a, uint32_t b, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) { flags |= NV; return 0; }
  if (is_zero(a | b)) return 0;
  return less_signed_zero(a, b);
}

uint32_t le(uint32_t a, uint32_t b, uint32_t& flags) {
  if (is_nan(a) || is_nan(b)) { flags |= NV; return 0; }
  if (a == b || is_zero(a | b)) return 1;
  return less_signed_zero(a, b);
}

uint32_t classify(uint32_t a) {
  bool neg = sign_of(a);
  uint32_t e = (a >> 23) & 0xff, f = a & kFracMask;
  if (e == 0xff) {
    if (f == 0) return neg ? kClassNegInf : kClassPosInf;
    return (f & kQuietBit) ? kClassQNaN : kClassSNaN;
  }
  if (e == 0) {
    if (f == 0) return neg ? kClassNegZero : kClassPosZero;
    return neg ? kClassNegSubnormal : kClassPosSubnormal;
  }
  return neg ? kClassNegNormal : kClassPosNormal;
}

// ---------------------------------------------------------------------------------------------------
// Conversions.

namespace {
// Round a finite binary32 to an integer: magnitude (saturated to 2^40 when huge) and inexactness.
struct IntRound { uint64_t mag; bool inexact; };
inline IntRound round_to_int(uint32_t a, unsigned rm) {
  if (is_zero(a)) return {0, false};
  bool neg = sign_of(a);
  Unpacked u = unpack(a);
  if (u.exp >= 0) return {u.exp > 16 ? (uint64_t(1) << 40) : uint64_t(u.sig) << u.exp, false};
  unsigned sh = unsigned(-u.exp);
  if (sh > 25) {  // |a| < 2^-1: rounds to 0 or 1
    return {round_up(rm, neg, 0, 1, 2) ? 1u : 0u, true};
  }
  uint64_t kept = u.sig >> sh, rest = u.sig & ((uint64_t(1) << sh) - 1), half = uint64_t(1) << (sh - 1);
  if (round_up(rm, neg, kept, rest, half)) ++kept;
  return {kept, rest != 0};
}
}  // namespace

uint32_t cvt_w_s(uint32_t a, unsigned rm, uint32_t& flags) {
  if (is_nan(a)) { flags |= NV; return 0x7fffffff; }
  if (is_inf(a)) { flags |= NV; return sign_of(a) ? 0x80000000u : 0x7fffffffu; }
  IntRound r = round_to_int(a, rm);
  if (sign_of(a)) {
    if (r.mag > 0x80000000u) { flags |= NV; return 0x80000000u; }
    flags |= r.inexact ? NX : 0u;
    return uint32_t(0u - uint32_t(r.mag));
  }
  if (r.mag > 0x7fffffffu) { flags |= NV; return 0x7fffffffu; }
  flags |= r.inexact ? NX : 0u;
  return uint32_t(r.mag);
}

uint32_t cvt_wu_s(uint32_t a, unsigned rm, uint32_t& flags) {
  if (is_nan(a)) { flags |= NV; return 0xffffffffu; }
  if (is_inf(a)) { flags |= NV; return sign_of(a) ? 0u : 0xffffffffu; }
  IntRound r = round_to_int(a, rm);
  if (sign_of(a)) {
    if (r.mag != 0) { flags |= NV; return 0; }
    flags |= r.inexact ? NX : 0u;
    return 0;
  }
  if (r.mag > 0xffffffffu) { flags |= NV; return 0xffffffffu; }
  flags |= r.inexact ? NX : 0u;
  return uint32_t(r.mag);
}

uint32_t cvt_s_w(uint32_t int_bits, unsigned rm, uint32_t& flags) {
  int32_t v = int32_t(int_bits);
  if (v >= -(1 << 24) && v <= (1 << 24)) return b32(float(v));  // exact in any rounding mode
  bool neg = v < 0;
  uint32_t mag = neg ? 0u - int_bits : int_bits;
  return round_pack(neg, 0, mag, rm, flags);
}

uint32_t cvt_s_wu(uint32_t uint_bits, unsigned rm, uint32_t& flags) {
  if (uint_bits <= (1u << 24)) return b32(float(uint_bits));
  return round_pack(false, 0, uint_bits, rm, flags);
}

bool host_env_is_default() {
  // Probe the environment by behaviour, portable across hosts: ties to even, and subnormals neither
  // flushed on output nor treated as zero on input. volatile keeps the compiler from folding.
  volatile float one = 1.0f, tiny = 0x1p-24f, sub = 0x1p-149f, half = 0.5f, two = 2.0f;
  bool rne = (one + tiny) == 1.0f && (one + tiny * 3.0f) == 1.0f + 0x1p-22f && -(one + tiny) == -1.0f;
  bool no_ftz = (sub * two) == 0x1p-148f && (0x1p-126f * half) != 0.0f;
  volatile float sub_in = sub;
  bool no_daz = (sub_in * 0x1p100f) == 0x1p-49f;
  return rne && no_ftz && no_daz;
}

}  // namespace mcucim::isa::fpu

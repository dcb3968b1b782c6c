// Independent exact reference for binary32 arithmetic, used to cross-check isa/fpu.
//
// It shares no code or method with isa/fpu.cpp. The exact result x of an operation is never rounded
// step by step; instead it is only ever *compared* against candidate binary32 values (and midpoints
// between neighbours) using exact 640-bit fixed-point integers:
//   add/sub/mul/fma/int->float:  x = sum of signed terms m*2^e   compare sum(terms) - g
//   div:                         |x| = |a|/|b|                    compare |a| - g*|b|
//   sqrt:                        |x| = sqrt(a)                    compare a - g*g
// Rounding then follows the IEEE 754 definitions literally: find the adjacent binary32 values lo <= |x| <
// hi by walking the (monotone) bit patterns, decide by the midpoint for RNE/RMM and by direction
// otherwise; overflow when the unbounded-exponent rounding exceeds the largest finite value; tininess
// after rounding from thresholds derived for each rounding direction; UF = tiny && inexact.
// Special operands (NaN, infinities, zeros) follow the spec text, checked with the host's <cmath>
// classification; operands are decomposed with std::frexp.
#pragma once
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace fpuref {

using u128 = unsigned __int128;

constexpr uint32_t NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;
constexpr unsigned RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
constexpr uint32_t kCanonicalNaN = 0x7fc00000;

struct Result {
  uint32_t bits;
  uint32_t flags;
};

inline float as_float(uint32_t b) { float f; std::memcpy(&f, &b, 4); return f; }
inline uint32_t as_bits(float f) { uint32_t b; std::memcpy(&b, &f, 4); return b; }
inline bool is_snan(uint32_t b) { return std::isnan(as_float(b)) && !(b & 0x00400000); }

// Nonnegative dyadic number m * 2^e.
struct Dy {
  u128 m;
  int e;
};

// Exact nonnegative fixed-point integer: value = sum w[i] 2^(64 i) * 2^kLsbExp.
constexpr int kLsbExp = -352;  // fma products of subnormals reach 2^-344 (m normalised to 24 bits)
constexpr int kLimbs = 10;      // covers values below 2^288; the largest compared is < 2^258
struct Fixed {
  uint64_t w[kLimbs] = {};
  void add(u128 m, int e) {
    if (m == 0) return;
    int pos = e - kLsbExp;
    assert(pos >= 0);
    int limb = pos / 64, bit = pos % 64;
    u128 low = m << bit;
    uint64_t parts[3] = {uint64_t(low), uint64_t(low >> 64), bit ? uint64_t(m >> (128 - bit)) : 0};
    uint64_t carry = 0;
    for (int i = limb; i < kLimbs; ++i) {
      uint64_t p = i - limb < 3 ? parts[i - limb] : 0;
      if (i - limb >= 3 && carry == 0) break;
      u128 s = u128(w[i]) + p + carry;
      w[i] = uint64_t(s);
      carry = uint64_t(s >> 64);
    }
    assert(carry == 0);
  }
};
inline int compare(const Fixed& a, const Fixed& b) {
  for (int i = kLimbs - 1; i >= 0; --i)
    if (a.w[i] != b.w[i]) return a.w[i] < b.w[i] ? -1 : 1;
  return 0;
}

struct Term {
  bool neg;
  u128 m;
  int e;
};

// The exact value of an operation on finite operands.
struct Exact {
  enum Kind { kSum, kQuot, kRoot } kind = kSum;
  Term t[3];
  int n = 0;   // kSum: x = sum of t[0..n)
  Dy num{}, den{};  // kQuot: |x| = num / den
  Dy rad{};         // kRoot: |x| = sqrt(rad)
  bool neg = false; // sign of x (kQuot/kRoot: set by the caller; kSum: computed by sign())

  void add_term(bool tneg, u128 m, int e) {
    if (m) t[n++] = {tneg, m, e};
  }
  // sign(|x| - g) given the sign `neg` of x.
  int cmp_mag(Dy g) const {
    Fixed p, q;
    switch (kind) {
      case kSum:
        for (int i = 0; i < n; ++i) (t[i].neg == neg ? p : q).add(t[i].m, t[i].e);
        q.add(g.m, g.e);
        break;
      case kQuot:
        p.add(num.m, num.e);
        q.add(g.m * den.m, g.e + den.e);
        break;
      case kRoot:
        p.add(rad.m, rad.e);
        q.add(g.m * g.m, 2 * g.e);
        break;
    }
    return compare(p, q);
  }
  // For kSum: sets neg and returns false when x is exactly zero.
  bool compute_sign() {
    neg = false;
    int c = cmp_mag(Dy{0, 0});  // sign of sum with terms taken as-is
    if (c == 0) return false;
    neg = c < 0;
    return true;
  }
};

// Finite nonzero float as m * 2^e via the host's frexp.
inline Term decompose(uint32_t bits) {
  float f = as_float(bits);
  int ex;
  float fr = std::frexp(std::fabs(f), &ex);  // |f| = fr * 2^ex, fr in [0.5, 1)
  uint32_t m = uint32_t(std::ldexp(fr, 24)); // exact: fr has at most 24 significant bits
  return {std::signbit(f), m, ex - 24};
}

// The value of a nonnegative binary32 bit pattern; 0x7f800000 stands for 2^128, the next grid point
// after the largest finite value when the exponent range is unbounded.
inline Dy grid(uint32_t p) {
  uint32_t e = p >> 23, f = p & 0x7fffff;
  if (e == 0) return {f, -149};
  return {u128(f | 0x800000), int(e) - 150};
}
inline Dy midpoint(uint32_t p) {  // (grid(p) + grid(p+1)) / 2, exactly
  Dy a = grid(p), b = grid(p + 1);
  int e = a.e < b.e ? a.e : b.e;
  return {(a.m << (a.e - e)) + (b.m << (b.e - e)), e - 1};
}

// Round a nonzero exact value; `approx` is any estimate of |x| (speeds up the search only).
inline Result round_exact(const Exact& x, unsigned rm, long double approx) {
  const bool neg = x.neg;
  const uint32_t sign = neg ? 0x80000000u : 0u;
  // Does this rounding direction move the magnitude away from zero on an inexact result?
  const bool away = (rm == RUP && !neg) || (rm == RDN && neg);
  const bool toward_zero = rm == RTZ || (rm == RUP && neg) || (rm == RDN && !neg);
  auto overflow = [&]() -> Result {
    bool to_inf = rm == RNE || rm == RMM || away;
    return {sign | (to_inf ? 0x7f800000u : 0x7f7fffffu), OF | NX};
  };
  if (x.cmp_mag(Dy{1, 128}) >= 0) return overflow();  // |x| >= 2^128: any rounding exceeds max

  // lo = largest finite pattern with grid(lo) <= |x|  (then |x| < grid(lo + 1)).
  long double g = std::fabs(approx);
  uint32_t lo = g >= 0x1p128L ? 0x7f7fffffu : (as_bits(float(g)) & 0x7fffffffu);
  if (lo > 0x7f7fffffu) lo = 0x7f7fffffu;
  int steps = 0;
  bool ok = true;
  while (lo > 0 && x.cmp_mag(grid(lo)) < 0) {
    --lo;
    if (++steps > 4) { ok = false; break; }
  }
  while (ok && lo < 0x7f7fffffu && x.cmp_mag(grid(lo + 1)) >= 0) {
    ++lo;
    if (++steps > 8) { ok = false; break; }
  }
  if (!ok) {  // bad estimate: bisection over the pattern space
    uint32_t l = 0, h = 0x7f800000u;  // invariant grid(l) <= |x| < grid(h)
    while (h - l > 1) {
      uint32_t mid = l + (h - l) / 2;
      if (x.cmp_mag(grid(mid)) >= 0) l = mid; else h = mid;
    }
    lo = l;
  }

  int c_lo = x.cmp_mag(grid(lo));
  assert(c_lo >= 0);
  if (c_lo == 0) return {sign | lo, 0};  // exact (a subnormal exact result raises nothing)

  bool up;
  if (rm == RNE || rm == RMM) {
    int c_mid = x.cmp_mag(midpoint(lo));
    if (c_mid != 0) up = c_mid > 0;
    else up = rm == RMM ? true : ((lo & 1) != 0);  // tie: away, or to the even significand
  } else {
    up = away;
  }
  uint32_t r = up ? lo + 1 : lo;
  if (r == 0x7f800000u) return overflow();

  uint32_t flags = NX;
  // Tininess after rounding: the 24-bit, unbounded-exponent rounding of |x| is below 2^-126. Just
  // below 2^-126 that grid has spacing 2^-150, so the thresholds are:
  //   nearest (RNE, RMM): |x| < 2^-126 - 2^-151   (the tie rounds up: 2^-126 is even / away)
  //   toward zero:        |x| < 2^-126
  //   away from zero:     |x| <= 2^-126 - 2^-150
  bool tiny;
  const Dy min_normal{1, -126};
  if (rm == RNE || rm == RMM) tiny = x.cmp_mag(Dy{(u128(1) << 25) - 1, -151}) < 0;
  else if (toward_zero) tiny = x.cmp_mag(min_normal) < 0;
  else tiny = x.cmp_mag(Dy{(u128(1) << 24) - 1, -150}) <= 0;
  if (tiny) flags |= UF;
  return {sign | r, flags};
}

inline uint32_t zero_of_sum(bool same_sign_zero_neg, bool operands_same_sign, unsigned rm) {
  if (operands_same_sign) return same_sign_zero_neg ? 0x80000000u : 0u;
  return rm == RDN ? 0x80000000u : 0u;
}

inline Result nan_of(uint32_t a, uint32_t b, uint32_t c = 0) {
  return {kCanonicalNaN, (is_snan(a) || is_snan(b) || is_snan(c)) ? NV : 0u};
}

inline Result add(uint32_t a, uint32_t b, unsigned rm) {
  float fa = as_float(a), fb = as_float(b);
  if (std::isnan(fa) || std::isnan(fb)) return nan_of(a, b);
  if (std::isinf(fa) && std::isinf(fb) && std::signbit(fa) != std::signbit(fb)) return {kCanonicalNaN, NV};
  if (std::isinf(fa)) return {a, 0};
  if (std::isinf(fb)) return {b, 0};
  Exact x;
  if (fa != 0) { Term t = decompose(a); x.add_term(t.neg, t.m, t.e); }
  if (fb != 0) { Term t = decompose(b); x.add_term(t.neg, t.m, t.e); }
  if (!x.compute_sign())
    return {zero_of_sum(std::signbit(fa), std::signbit(fa) == std::signbit(fb), rm), 0};
  return round_exact(x, rm, (long double)fa + (long double)fb);
}

inline Result sub(uint32_t a, uint32_t b, unsigned rm) { return add(a, b ^ 0x80000000u, rm); }

inline Result mul(uint32_t a, uint32_t b, unsigned rm) {
  float fa = as_float(a), fb = as_float(b);
  if (std::isnan(fa) || std::isnan(fb)) return nan_of(a, b);
  bool neg = std::signbit(fa) != std::signbit(fb);
  uint32_t sign = neg ? 0x80000000u : 0u;
  if ((std::isinf(fa) && fb == 0) || (fa == 0 && std::isinf(fb))) return {kCanonicalNaN, NV};
  if (std::isinf(fa) || std::isinf(fb)) return {sign | 0x7f800000u, 0};
  if (fa == 0 || fb == 0) return {sign, 0};
  Term ta = decompose(a), tb = decompose(b);
  Exact x;
  x.add_term(neg, ta.m * tb.m, ta.e + tb.e);
  x.compute_sign();
  return round_exact(x, rm, (long double)fa * (long double)fb);
}

inline Result div(uint32_t a, uint32_t b, unsigned rm) {
  float fa = as_float(a), fb = as_float(b);
  if (std::isnan(fa) || std::isnan(fb)) return nan_of(a, b);
  bool neg = std::signbit(fa) != std::signbit(fb);
  uint32_t sign = neg ? 0x80000000u : 0u;
  if (std::isinf(fa) && std::isinf(fb)) return {kCanonicalNaN, NV};
  if (fa == 0 && fb == 0) return {kCanonicalNaN, NV};
  if (std::isinf(fa)) return {sign | 0x7f800000u, 0};
  if (std::isinf(fb)) return {sign, 0};
  if (fb == 0) return {sign | 0x7f800000u, DZ};
  if (fa == 0) return {sign, 0};
  Term ta = decompose(a), tb = decompose(b);
  Exact x;
  x.kind = Exact::kQuot;
  x.num = {ta.m, ta.e};
  x.den = {tb.m, tb.e};
  x.neg = neg;
  return round_exact(x, rm, (long double)fa / (long double)fb);
}

inline Result sqrt(uint32_t a, unsigned rm) {
  float fa = as_float(a);
  if (std::isnan(fa)) return nan_of(a, a);
  if (fa == 0) return {a, 0};
  if (fa < 0) return {kCanonicalNaN, NV};
  if (std::isinf(fa)) return {a, 0};
  Term ta = decompose(a);
  Exact x;
  x.kind = Exact::kRoot;
  x.rad = {ta.m, ta.e};
  return round_exact(x, rm, std::sqrt((long double)fa));
}

inline Result fma(uint32_t a, uint32_t b, uint32_t c, unsigned rm) {
  float fa = as_float(a), fb = as_float(b), fc = as_float(c);
  bool inf_times_zero = (std::isinf(fa) && fb == 0) || (fa == 0 && std::isinf(fb));
  if (std::isnan(fa) || std::isnan(fb) || std::isnan(fc)) {
    Result r = nan_of(a, b, c);
    if (inf_times_zero) r.flags |= NV;  // RISC-V: even when c is a quiet NaN
    return r;
  }
  if (inf_times_zero) return {kCanonicalNaN, NV};
  bool pneg = std::signbit(fa) != std::signbit(fb);
  if (std::isinf(fa) || std::isinf(fb)) {
    if (std::isinf(fc) && std::signbit(fc) != pneg) return {kCanonicalNaN, NV};
    return {(pneg ? 0x80000000u : 0u) | 0x7f800000u, 0};
  }
  if (std::isinf(fc)) return {c, 0};
  Exact x;
  if (fa != 0 && fb != 0) {
    Term ta = decompose(a), tb = decompose(b);
    x.add_term(pneg, ta.m * tb.m, ta.e + tb.e);
  }
  if (fc != 0) { Term tc = decompose(c); x.add_term(tc.neg, tc.m, tc.e); }
  if (!x.compute_sign()) return {zero_of_sum(pneg, pneg == std::signbit(fc), rm), 0};
  return round_exact(x, rm, (long double)fa * (long double)fb + (long double)fc);
}

// Float -> integer with the RISC-V saturation rules; x is rounded with long double arithmetic (exact
// for binary32 inputs: floor, the fraction and the comparisons below involve no rounding).
inline Result cvt_to_int(uint32_t a, unsigned rm, bool is_unsigned) {
  float f = as_float(a);
  const long double lo = is_unsigned ? 0.0L : -2147483648.0L;
  const long double hi = is_unsigned ? 4294967295.0L : 2147483647.0L;
  auto sat = [&](bool high) -> Result {
    long double v = high ? hi : lo;
    return {is_unsigned ? uint32_t((unsigned long long)v) : uint32_t(int32_t((long long)v)), NV};
  };
  if (std::isnan(f)) return sat(true);
  if (std::isinf(f)) return sat(f > 0);
  long double x = f;
  long double fl = std::floor(x), frac = x - fl, r;
  switch (rm) {
    case RTZ: r = std::trunc(x); break;
    case RDN: r = fl; break;
    case RUP: r = std::ceil(x); break;
    case RMM: r = frac < 0.5L ? fl : frac > 0.5L ? fl + 1 : (x > 0 ? fl + 1 : fl); break;
    default:
      r = frac < 0.5L ? fl : frac > 0.5L ? fl + 1 : (std::fmod(fl, 2.0L) == 0 ? fl : fl + 1);
  }
  if (r < lo) return sat(false);
  if (r > hi) return sat(true);
  uint32_t bits = is_unsigned ? uint32_t((unsigned long long)r) : uint32_t(int32_t((long long)r));
  return {bits, r != x ? NX : 0u};
}

inline Result cvt_from_int(uint32_t bits, unsigned rm, bool is_unsigned) {
  long long v = is_unsigned ? (long long)bits : (long long)int32_t(bits);
  if (v == 0) return {0, 0};
  Exact x;
  x.add_term(v < 0, u128(v < 0 ? -v : v), 0);
  x.compute_sign();
  return round_exact(x, rm, (long double)v);
}

}  // namespace fpuref

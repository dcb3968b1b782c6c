// Randomised cross-check of isa/fpu against the exact reference in fpu_reference.h, in all five rounding
// modes, for both the public functions (host fast path in RNE) and the soft-float path alone.
// Deterministic: fixed seeds (printed on failure via the case description).
#include "isa/fpu.h"
#include "fpu_reference.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace fpu = mcucim::isa::fpu;

namespace {

const char* const kRm[] = {"RNE", "RTZ", "RDN", "RUP", "RMM"};

struct Rng {  // splitmix64
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t u32() { return uint32_t(next()); }
  uint32_t below(uint32_t n) { return uint32_t(next() % n); }
};

uint32_t make(uint32_t sign, uint32_t exp, uint32_t frac) { return (sign << 31) | (exp << 23) | (frac & 0x7fffff); }

// A significand pattern: mostly random, often with few set bits (exact results and ties), or extremes.
uint32_t frac_of(Rng& r) {
  switch (r.below(8)) {
    case 0: return 0;
    case 1: return 0x7fffff;
    case 2: return r.below(4);
    case 3: return 0x7fffff - r.below(4);
    case 4: return r.u32() & (r.u32() | r.u32() << 12) & 0x7ff800;  // few high bits
    case 5: return 1u << r.below(23);
    default: return r.u32() & 0x7fffff;
  }
}

// An operand from an interesting region of the exponent range (including NaN/inf/zero/subnormals).
uint32_t operand(Rng& r) {
  uint32_t s = r.below(2), e;
  switch (r.below(10)) {
    case 0: e = 0; break;                          // zero / subnormal
    case 1: e = 1 + r.below(3); break;             // smallest normals
    case 2: e = 252 + r.below(3); break;           // largest normals
    case 3: e = r.below(16) == 0 ? 255 : 127; break; // inf/NaN (rarely) or [1, 2)
    case 4: return r.u32();                        // anything
    default: e = 100 + r.below(55); break;         // around 1
  }
  return make(s, e, frac_of(r));
}

uint32_t exp_of(uint32_t a) { return (a >> 23) & 0xff; }

// A second operand related to the first: near cancellation, half-ulp offsets, exponent sums near the
// subnormal/overflow boundaries.
uint32_t partner(Rng& r, uint32_t a, char op) {
  uint32_t s = r.below(2);
  int ea = int(exp_of(a));
  switch (r.below(6)) {
    case 0: return operand(r);
    case 1: return a + r.below(5) - 2;                                  // neighbour of a
    case 2: return (a ^ 0x80000000u) + r.below(5) - 2;                  // neighbour of -a
    case 3: {                                                           // a shifted exponent
      int e = ea - int(r.below(30));
      return make(s, uint32_t(e < 0 ? 0 : e), frac_of(r));
    }
    default: {
      // exponent that puts the product/quotient near the ends of the range
      int target = r.below(2) ? 1 + int(r.below(40)) - 20 : 254 + int(r.below(8)) - 4;
      int e = op == 'd' ? ea - target + 127 : target - ea + 127;
      if (e < 0) e = 0;
      if (e > 254) e = 254;
      return make(s, uint32_t(e), frac_of(r));
    }
  }
}

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

struct Checker {
  int failures = 0;
  long cases = 0;
  long flag_count[5] = {};  // reference results raising NX, UF, OF, DZ, NV: shows what was covered
  std::string coverage() const {
    char b[160];
    std::snprintf(b, sizeof b, "NX %ld, UF %ld, OF %ld, DZ %ld, NV %ld", flag_count[0], flag_count[1],
                  flag_count[2], flag_count[3], flag_count[4]);
    return b;
  }
  void check(const char* what, unsigned rm, std::initializer_list<uint32_t> in, uint32_t got_bits,
             uint32_t got_flags, fpuref::Result want) {
    ++cases;
    for (int b = 0; b < 5; ++b) flag_count[b] += (want.flags >> b) & 1;
    if (got_bits == want.bits && got_flags == want.flags) return;
    if (++failures > 20) return;
    std::string args;
    for (uint32_t v : in) args += (args.empty() ? "" : ", ") + hex(v);
    ADD_FAILURE() << what << "(" << args << ") in " << kRm[rm] << ": got " << hex(got_bits) << " flags "
                  << hex(got_flags) << ", reference " << hex(want.bits) << " flags " << hex(want.flags);
  }
};

template <typename F>
double timed(F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

constexpr int kPerMode = 100000;  // per operation and rounding mode

}  // namespace

TEST(FpuRandom, BinaryOpsMatchExactReference) {
  Checker ck;
  Rng r(0x5eed0001);
  double secs = timed([&] {
    for (unsigned rm = 0; rm < 5; ++rm) {
      for (int i = 0; i < kPerMode; ++i) {
        uint32_t a = operand(r);
        uint32_t f;
        uint32_t b = partner(r, a, 'a');
        f = 0; uint32_t x = fpu::add(a, b, rm, f); ck.check("add", rm, {a, b}, x, f, fpuref::add(a, b, rm));
        f = 0; x = fpu::sub(a, b, rm, f); ck.check("sub", rm, {a, b}, x, f, fpuref::sub(a, b, rm));
        f = 0; x = fpu::soft::add(a, b, rm, f); ck.check("soft::add", rm, {a, b}, x, f, fpuref::add(a, b, rm));
        b = partner(r, a, 'm');
        fpuref::Result m = fpuref::mul(a, b, rm);
        f = 0; x = fpu::mul(a, b, rm, f); ck.check("mul", rm, {a, b}, x, f, m);
        f = 0; x = fpu::soft::mul(a, b, rm, f); ck.check("soft::mul", rm, {a, b}, x, f, m);
        b = partner(r, a, 'd');
        fpuref::Result d = fpuref::div(a, b, rm);
        f = 0; x = fpu::div(a, b, rm, f); ck.check("div", rm, {a, b}, x, f, d);
        f = 0; x = fpu::soft::div(a, b, rm, f); ck.check("soft::div", rm, {a, b}, x, f, d);
        fpuref::Result s = fpuref::sqrt(a, rm);
        f = 0; x = fpu::sqrt(a, rm, f); ck.check("sqrt", rm, {a}, x, f, s);
        f = 0; x = fpu::soft::sqrt(a, rm, f); ck.check("soft::sqrt", rm, {a}, x, f, s);
      }
    }
  });
  EXPECT_EQ(ck.failures, 0);
  std::printf("[ info ] %ld add/sub/mul/div/sqrt cases vs exact reference in %.2f s (%s)\n", ck.cases, secs,
              ck.coverage().c_str());
}

TEST(FpuRandom, FmaMatchesExactReference) {
  Checker ck;
  Rng r(0x5eed0002);
  double secs = timed([&] {
    for (unsigned rm = 0; rm < 5; ++rm) {
      for (int i = 0; i < 2 * kPerMode; ++i) {
        uint32_t a = operand(r), b = partner(r, a, 'm'), c;
        switch (r.below(4)) {
          case 0: c = operand(r); break;
          case 1: c = partner(r, a, 'a'); break;
          default: {  // c near -(a*b): massive cancellation, residual terms, ties
            uint32_t f = 0;
            c = fpu::soft::mul(a, b, unsigned(r.below(5)), f) ^ 0x80000000u;
            if (r.below(2)) c += r.below(5) - 2;
            break;
          }
        }
        fpuref::Result want = fpuref::fma(a, b, c, rm);
        uint32_t f = 0;
        uint32_t x = fpu::fma(a, b, c, rm, f);
        ck.check("fma", rm, {a, b, c}, x, f, want);
        f = 0;
        x = fpu::soft::fma(a, b, c, rm, f);
        ck.check("soft::fma", rm, {a, b, c}, x, f, want);
        // The R4 variants are sign-flipped fma (NaN results are canonical, so operand signs of NaNs
        // do not matter).
        f = 0;
        x = fpu::fnmadd(a, b, c, rm, f);
        ck.check("fnmadd", rm, {a, b, c}, x, f, fpuref::fma(a ^ 0x80000000u, b, c ^ 0x80000000u, rm));
      }
    }
  });
  EXPECT_EQ(ck.failures, 0);
  std::printf("[ info ] %ld fma cases vs exact reference in %.2f s (%s)\n", ck.cases, secs, ck.coverage().c_str());
}

TEST(FpuRandom, ConversionsMatchReference) {
  Checker ck;
  Rng r(0x5eed0003);
  for (unsigned rm = 0; rm < 5; ++rm) {
    for (int i = 0; i < kPerMode; ++i) {
      // Floats around the int32/uint32 range and small fractions.
      uint32_t a = r.below(3) ? make(r.below(2), 110 + r.below(50), frac_of(r)) : operand(r);
      uint32_t f = 0;
      uint32_t x = fpu::cvt_w_s(a, rm, f);
      ck.check("cvt_w_s", rm, {a}, x, f, fpuref::cvt_to_int(a, rm, false));
      f = 0;
      x = fpu::cvt_wu_s(a, rm, f);
      ck.check("cvt_wu_s", rm, {a}, x, f, fpuref::cvt_to_int(a, rm, true));
      uint32_t n = r.u32();
      switch (r.below(3)) {
        case 0: n >>= r.below(32); break;
        case 1: n = uint32_t(-int32_t(n >> r.below(32))); break;
        default: break;
      }
      f = 0;
      x = fpu::cvt_s_w(n, rm, f);
      ck.check("cvt_s_w", rm, {n}, x, f, fpuref::cvt_from_int(n, rm, false));
      f = 0;
      x = fpu::cvt_s_wu(n, rm, f);
      ck.check("cvt_s_wu", rm, {n}, x, f, fpuref::cvt_from_int(n, rm, true));
    }
  }
  EXPECT_EQ(ck.failures, 0);
  std::printf("[ info ] %ld conversion cases vs reference (%s)\n", ck.cases, ck.coverage().c_str());
}

// min/max/compare/classify against host float semantics (independent of the bit-level implementation).
TEST(FpuRandom, MinMaxCompareClassifyMatchHostSemantics) {
  Rng r(0x5eed0004);
  int failures = 0;
  for (int i = 0; i < 200000 && failures < 20; ++i) {
    uint32_t a = operand(r), b = r.below(4) == 0 ? a ^ (r.below(2) << 31) : partner(r, a, 'a');
    float fa = fpuref::as_float(a), fb = fpuref::as_float(b);
    bool na = std::isnan(fa), nb = std::isnan(fb);
    bool sig = fpuref::is_snan(a) || fpuref::is_snan(b);
    uint32_t want_min, want_max;
    if (na && nb) want_min = want_max = fpu::kCanonicalNaN;
    else if (na) want_min = want_max = b;
    else if (nb) want_min = want_max = a;
    else if (fa == fb && fa == 0) {  // +-0: -0 is the smaller
      want_min = std::signbit(fa) ? a : b;
      want_max = std::signbit(fa) ? b : a;
    } else {
      want_min = fa < fb ? a : b;
      want_max = fa < fb ? b : a;
    }
    uint32_t f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0;
    uint32_t mn = fpu::min(a, b, f1), mx = fpu::max(a, b, f2);
    uint32_t e = fpu::eq(a, b, f3), l = fpu::lt(a, b, f4), le = fpu::le(a, b, f5);
    uint32_t nv_sig = sig ? uint32_t(fpu::NV) : 0u, nv_any = (na || nb) ? uint32_t(fpu::NV) : 0u;
    bool ok = mn == want_min && mx == want_max && f1 == nv_sig && f2 == nv_sig && e == uint32_t(fa == fb) &&
              f3 == nv_sig && l == uint32_t(fa < fb) && f4 == nv_any && le == uint32_t(fa <= fb) && f5 == nv_any;
    uint32_t cls = fpu::classify(a);
    uint32_t want_cls;
    switch (std::fpclassify(fa)) {
      case FP_INFINITE: want_cls = std::signbit(fa) ? 1u << 0 : 1u << 7; break;
      case FP_NORMAL: want_cls = std::signbit(fa) ? 1u << 1 : 1u << 6; break;
      case FP_SUBNORMAL: want_cls = std::signbit(fa) ? 1u << 2 : 1u << 5; break;
      case FP_ZERO: want_cls = std::signbit(fa) ? 1u << 3 : 1u << 4; break;
      default: want_cls = fpuref::is_snan(a) ? 1u << 8 : 1u << 9; break;
    }
    ok = ok && cls == want_cls;
    if (!ok) {
      ++failures;
      ADD_FAILURE() << "min/max/eq/lt/le/classify(" << hex(a) << ", " << hex(b) << "): min " << hex(mn) << "/"
                    << hex(want_min) << " max " << hex(mx) << "/" << hex(want_max) << " eq " << e << " lt " << l
                    << " le " << le << " flags " << f1 << f2 << f3 << f4 << f5 << " class " << hex(cls) << "/"
                    << hex(want_cls);
    }
  }
}

__attribute__((noinline)) uint32_t host_add(uint32_t a, uint32_t b) {
  return fpuref::as_bits(fpuref::as_float(a) + fpuref::as_float(b));
}
__attribute__((noinline)) uint32_t host_muladd(uint32_t a, uint32_t b, uint32_t c) {
  return fpuref::as_bits(fpuref::as_float(a) * fpuref::as_float(b) + fpuref::as_float(c));
}

// Not a correctness test: prints host ns/op of the hot operations (run with
// --gtest_also_run_disabled_tests --gtest_filter='*Speed*').
TEST(FpuRandom, DISABLED_Speed) {
  constexpr int kN = 1 << 16;
  static uint32_t xs[kN], ys[kN], zs[kN];
  Rng r(7);
  for (int i = 0; i < kN; ++i) {  // normal operands around 1, like activations/weights
    xs[i] = make(r.below(2), 120 + r.below(10), r.u32());
    ys[i] = make(r.below(2), 120 + r.below(10), r.u32());
    zs[i] = make(r.below(2), 120 + r.below(10), r.u32());
  }
  constexpr int kReps = 200;
  auto run = [&](const char* name, unsigned rm, auto op) {
    uint32_t acc = 0, flags = 0;
    double s = timed([&] {
      for (int rep = 0; rep < kReps; ++rep)
        for (int i = 0; i < kN; ++i) acc += op(xs[i], ys[i], zs[i], rm, flags);
    });
    std::printf("[ info ] %-8s %s %6.2f ns/op (acc %08x)\n", name, kRm[rm], s * 1e9 / (double(kN) * kReps), acc);
  };
  // Baseline: a plain out-of-line host float add/fma with no flags (what a non-IEEE-exact ISS would do).
  run("host+", 0, [](uint32_t a, uint32_t b, uint32_t, unsigned, uint32_t&) { return host_add(a, b); });
  run("host*+", 0, [](uint32_t a, uint32_t b, uint32_t c, unsigned, uint32_t&) { return host_muladd(a, b, c); });
  for (unsigned rm : {0u, 4u}) {
    run("add", rm, [](uint32_t a, uint32_t b, uint32_t, unsigned m, uint32_t& f) { return fpu::add(a, b, m, f); });
    run("mul", rm, [](uint32_t a, uint32_t b, uint32_t, unsigned m, uint32_t& f) { return fpu::mul(a, b, m, f); });
    run("fma", rm, [](uint32_t a, uint32_t b, uint32_t c, unsigned m, uint32_t& f) { return fpu::fma(a, b, c, m, f); });
    run("div", rm, [](uint32_t a, uint32_t b, uint32_t, unsigned m, uint32_t& f) { return fpu::div(a, b, m, f); });
    run("sqrt", rm, [](uint32_t a, uint32_t, uint32_t, unsigned m, uint32_t& f) { return fpu::sqrt(a & 0x7fffffff, m, f); });
  }
}

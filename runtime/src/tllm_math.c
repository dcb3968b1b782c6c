/* Deterministic math (see tinyllm/tllm_math.h). */
#include "tinyllm/tllm_math.h"

#include <string.h>

static inline float f_from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t bits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* round to nearest integer (ties away from zero) of a float known to be within int range */
static inline int32_t nearest_i32(float v) {
  int32_t t = (int32_t)v; /* truncation toward zero */
  float f = v - (float)t; /* exact: |f| < 1 and v, t share the exponent range */
  if (f >= 0.5f) t += 1;
  else if (f <= -0.5f) t -= 1;
  return t;
}

float tllm_expf(float x) {
  if (x != x) return x;
  if (x > 88.7228f) return f_from_bits(0x7F800000u);
  if (x < -103.9721f) return 0.0f;
  const float log2e = 1.44269502f;
  const float ln2_hi = f_from_bits(0x3F317200u); /* 0.693145751953125, 15 significant bits */
  const float ln2_lo = f_from_bits(0x35BFBE8Eu); /* ln2 - ln2_hi */
  int32_t k = nearest_i32(x * log2e);
  float kf = (float)k;
  float r = (x - kf * ln2_hi) - kf * ln2_lo;
  float p = 1.0f / 720.0f;
  p = 1.0f / 120.0f + r * p;
  p = 1.0f / 24.0f + r * p;
  p = 1.0f / 6.0f + r * p;
  p = 0.5f + r * p;
  p = 1.0f + r * p;
  p = 1.0f + r * p;
  /* scale by 2^k; k in [-150, 128] */
  if (k > 127) {
    return p * 2.0f * f_from_bits((uint32_t)(k - 1 + 127) << 23);
  }
  if (k < -126) {
    return (p * f_from_bits((uint32_t)(k + 64 + 127) << 23)) * f_from_bits((uint32_t)(-64 + 127) << 23);
  }
  return p * f_from_bits((uint32_t)(k + 127) << 23);
}

/* Degree-5 polynomials with p(0) = 1 for e^r on [-ln2/2, ln2/2] and 2^f on [-1/2, 1/2], fitted to the
 * relative error (minimax by Lawson's iteration; 9.1e-8), coefficients rounded to float:
 * tllm_expf_fast_inline and tllm_exp2f_fast_core in tllm_math.h. */
float tllm_expf_fast(float x) { return tllm_expf_fast_inline(x); }
float tllm_exp2f_fast(float x) { return tllm_exp2f_fast_inline(x); }

/* cos and sin in double (the fallback for |x| >= 6433): reduction by pi/2 and Taylor polynomials on
 * |r| <= pi/4, error < 1e-16 before the final rounding. */
static void cossin_double(float xf, float *c, float *s) {
  const double pio2_hi = 1.5707963267341256e+00; /* first 33 bits of pi/2 */
  const double pio2_lo = 6.0771005065061922e-11; /* pi/2 - pio2_hi */
  const double two_over_pi = 6.36619772367581382433e-01;
  double x = (double)xf;
  double kd = x * two_over_pi;
  /* nearest integer */
  int32_t k = (int32_t)kd;
  double fr = kd - (double)k;
  if (fr >= 0.5) k += 1;
  else if (fr <= -0.5) k -= 1;
  double r = (x - (double)k * pio2_hi) - (double)k * pio2_lo;
  double r2 = r * r;
  /* Taylor series to r^17 / r^16: |r| <= pi/4 gives error < 1e-16 */
  double sp = 1.0 / 355687428096000.0;        /* 1/17! */
  sp = -1.0 / 1307674368000.0 + r2 * sp;      /* 1/15! */
  sp = 1.0 / 6227020800.0 + r2 * sp;          /* 1/13! */
  sp = -1.0 / 39916800.0 + r2 * sp;           /* 1/11! */
  sp = 1.0 / 362880.0 + r2 * sp;              /* 1/9! */
  sp = -1.0 / 5040.0 + r2 * sp;
  sp = 1.0 / 120.0 + r2 * sp;
  sp = -1.0 / 6.0 + r2 * sp;
  double sn = r + r * (r2 * sp);
  double cp = 1.0 / 20922789888000.0;         /* 1/16! */
  cp = -1.0 / 87178291200.0 + r2 * cp;        /* 1/14! */
  cp = 1.0 / 479001600.0 + r2 * cp;           /* 1/12! */
  cp = -1.0 / 3628800.0 + r2 * cp;            /* 1/10! */
  cp = 1.0 / 40320.0 + r2 * cp;
  cp = -1.0 / 720.0 + r2 * cp;
  cp = 1.0 / 24.0 + r2 * cp;
  cp = -0.5 + r2 * cp;
  double cs = 1.0 + r2 * cp;
  double cc, ss;
  switch ((uint32_t)k & 3u) {
    case 0: cc = cs; ss = sn; break;
    case 1: cc = -sn; ss = cs; break;
    case 2: cc = -cs; ss = -sn; break;
    default: cc = sn; ss = -cs; break;
  }
  *c = (float)cc;
  *s = (float)ss;
}

/* Error-free transformations in float (no FMA: -ffp-contract=off keeps them exact). */
static inline void fast_two_sum(float a, float b, float *hi, float *lo) { /* |a| >= |b| */
  float t = a + b;
  *lo = b - (t - a);
  *hi = t;
}
static inline void two_sum(float a, float b, float *hi, float *lo) {
  float t = a + b, bb = t - a;
  *lo = (a - (t - bb)) + (b - bb);
  *hi = t;
}
static inline void two_prod(float a, float b, float *hi, float *lo) { /* Veltkamp/Dekker */
  const float split = 4097.0f; /* 2^12 + 1 */
  float t = split * a, ah = t - (t - a), al = a - ah;
  t = split * b;
  float bh = t - (t - b), bl = b - bh;
  float p = a * b;
  *lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  *hi = p;
}

void tllm_cossinf(float x, float *c, float *s) {
  if (!(x < 6433.0f && x > -6433.0f)) { cossin_double(x, c, s); return; }
  /* pi/2 = P1 + P2 + P3 + P4: P1 has 8 significant bits, P2 and P3 12, so k * P1..P3 are exact for
   * |k| < 4096 */
  const float P1 = f_from_bits(0x3FC90000u), P2 = f_from_bits(0x39FDA000u), P3 = f_from_bits(0x33A22000u),
              P4 = f_from_bits(0x2C34611Au);
  const int32_t k = nearest_i32(x * 0.636619772f);
  const float kf = (float)k;
  float rh, rl, e;
  two_sum(x - kf * P1, -(kf * P2), &rh, &rl); /* x - k P1 is exact (Sterbenz) */
  two_sum(rh, -(kf * P3), &rh, &e);
  rl = (rl + e) - kf * P4;
  float r, rlo; /* x - k pi/2 = r + rlo */
  fast_two_sum(rh, rl, &r, &rlo);
  float r2h, r2l;
  two_prod(r, r, &r2h, &r2l);
  /* sin(r + rlo) = r + r^3 (-1/6 + r^2/120 - ...) + rlo cos(r): the r^3/6 term in double-float */
  const float c6h = f_from_bits(0xBE2AAAABu), c6l = f_from_bits(0x31AAAAABu); /* -1/6 */
  float p = 2.75573188e-06f - r2h * 2.50521079e-08f;
  p = -1.98412701e-04f + r2h * p;
  p = 8.33333377e-03f + r2h * p;
  float uh, ul;
  fast_two_sum(c6h, r2h * p, &uh, &ul);
  ul += c6l;
  float r3h, r3l;
  two_prod(r2h, r, &r3h, &r3l);
  r3l += r2l * r;
  float th, tl;
  two_prod(r3h, uh, &th, &tl);
  tl += r3h * ul + r3l * uh;
  float sh, sl;
  fast_two_sum(r, th, &sh, &sl);
  const float sn = sh + (sl + (tl + (rlo - 0.5f * r2h * rlo)));
  /* cos(r + rlo) = 1 - r^2/2 + r^4 (1/24 - r^2/720 + ...) - rlo sin(r): r^2/2 and r^4/24 in double-float */
  const float c24h = f_from_bits(0x3D2AAAABu), c24l = f_from_bits(0xB0AAAAABu); /* 1/24 */
  float q = -2.75573200e-07f + r2h * 2.08767559e-09f;
  q = 2.48015876e-05f + r2h * q;
  q = -1.38888892e-03f + r2h * q;
  float vh, vl;
  fast_two_sum(c24h, r2h * q, &vh, &vl);
  vl += c24l;
  float r4h, r4l;
  two_prod(r2h, r2h, &r4h, &r4l);
  r4l += 2.0f * r2h * r2l;
  float fh, fl;
  two_prod(r4h, vh, &fh, &fl);
  fl += r4h * vl + r4l * vh;
  float w, ew;
  fast_two_sum(1.0f, -0.5f * r2h, &w, &ew);
  float ch, cl;
  fast_two_sum(w, fh, &ch, &cl);
  const float cs = ch + (cl + (((ew - 0.5f * r2l) - rlo * (r - r3h * 0.166666672f)) + fl));
  switch ((uint32_t)k & 3u) {
    case 0: *c = cs; *s = sn; break;
    case 1: *c = -sn; *s = cs; break;
    case 2: *c = -cs; *s = -sn; break;
    default: *c = sn; *s = -cs; break;
  }
}

/* Correctly rounded square root by integer arithmetic (no libm, identical everywhere). */
float tllm_sqrtf(float x) {
#if defined(__riscv) && defined(__riscv_flen) && __riscv_flen >= 32 && defined(__riscv_fdiv)
  float r;
  __asm__("fsqrt.s %0, %1" : "=f"(r) : "f"(x)); /* IEEE: correctly rounded, the same bits */
  return r;
#else
  uint32_t ix = bits_of(x);
  if ((ix & 0x7FFFFFFFu) == 0u) return x;         /* +-0 */
  if (ix & 0x80000000u) return f_from_bits(0x7FC00000u); /* negative: NaN */
  int32_t e = (int32_t)((ix >> 23) & 0xFFu);
  if (e == 0xFF) return (ix & 0x7FFFFFu) ? f_from_bits(0x7FC00000u) : x; /* NaN (canonical, as fsqrt.s), inf */
  uint32_t m = ix & 0x7FFFFFu;
  if (e == 0) {                                    /* subnormal: normalise */
    while ((m & 0x800000u) == 0u) { m <<= 1; e -= 1; }
    e += 1;
  } else {
    m |= 0x800000u;
  }
  /* x = m * 2^(e - 150), m in [2^23, 2^24) */
  int32_t ue = e - 150;
  if (ue & 1) { m <<= 1; ue -= 1; }                /* make the exponent even; m < 2^25 */
  /* sqrt(m * 2^ue) = sqrt(m * 2^26) * 2^((ue - 26)/2); m*2^26 in [2^49, 2^51) -> root in [2^24.5, 2^25.5) */
  uint64_t M = (uint64_t)m << 26;
  /* integer square root, bit by bit */
  uint64_t rem = M, root = 0, bit = (uint64_t)1 << 50;
  while (bit > rem) bit >>= 2;
  while (bit) {
    if (rem >= root + bit) { rem -= root + bit; root = (root >> 1) + bit; }
    else root >>= 1;
    bit >>= 2;
  }
  /* root = floor(sqrt(M)), 25 or 26 bits; exponent of its lsb: (ue - 26)/2 */
  int32_t re = (ue - 26) / 2;
  uint32_t sticky = rem != 0;
  while (root >= ((uint64_t)1 << 25)) { sticky |= (uint32_t)(root & 1u); root >>= 1; re += 1; }
  /* root in [2^24, 2^25): 24 mantissa bits + 1 guard bit */
  uint32_t guard = (uint32_t)(root & 1u);
  uint32_t mant = (uint32_t)(root >> 1);
  re += 1;
  if (guard && (sticky || (mant & 1u))) { mant += 1; if (mant == 0x1000000u) { mant >>= 1; re += 1; } }
  /* value = mant * 2^re, mant in [2^23, 2^24]: biased exponent = re + 23 + 127 (sqrt of a float
   * is always a normal number) */
  uint32_t be = (uint32_t)(re + 23 + 127);
  return f_from_bits((be << 23) | (mant & 0x7FFFFFu));
#endif
}

void tllm_softmax(float *x, uint32_t n) {
  float mx = x[0];
  for (uint32_t i = 1; i < n; i++) if (x[i] > mx) mx = x[i];
  float sum = 0.0f;
  for (uint32_t i = 0; i < n; i++) { x[i] = tllm_expf(x[i] - mx); sum += x[i]; }
  for (uint32_t i = 0; i < n; i++) x[i] /= sum;
}

/* Deterministic math for tinyllm: only IEEE-exact operations (+ - * /, sqrt, int<->float conversions),
 * so every conforming build (host x86-64 SSE, RV32F, RV32 soft-float) gives the same bits when
 * compiled with -ffp-contract=off. */
#ifndef TINYLLM_MATH_H
#define TINYLLM_MATH_H
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* e^x for float: k = nearest(x/ln2), r = x - k ln2 (Cody-Waite, exact high part), degree-6 Taylor
 * polynomial on |r| <= 0.347 (error < 2 ulp), scaled by 2^k through the exponent bits. The fp32
 * (llama2.c) path uses it. */
float tllm_expf(float x);

/* Fast e^x (softmax and SiLU of quantized models; runtime/README: "fast expf"):
 *   x > 88.72283 -> +inf;  x <= -87.33654 (e^x below FLT_MIN) -> +0;  NaN -> NaN;
 *   else k = nearest(x log2 e), r = (x - k ln2_hi) - k ln2_lo, e^r by a degree-5 polynomial with p(0) = 1
 *   fitted to the relative error on |r| <= ln2/2 (9.1e-8), times 2^k by adding k to the exponent bits (no branches).
 * Error bound: |tllm_expf_fast(x) - e^x| <= TLLM_EXPF_FAST_MAX_REL * e^x for every float x whose e^x is
 * a normal float (checked over the whole input range by tests/tinyllm: all bit patterns in steps, a
 * whole binade, and every rounding boundary of k). About 22 instructions on RV32F, no division. */
float tllm_expf_fast(float x);
#define TLLM_EXPF_FAST_MAX_REL 2.5e-7f /* 2.1 x 2^-23 */

/* cos and sin of a float angle, within 0.51 ulp of the true values (about 0.05% of the results are
 * not the correctly rounded float): for |x| < 6433 (k < 4096 quarter turns) in float arithmetic only
 * (Cody-Waite reduction with a 4-part pi/2, double-float evaluation of the leading terms); beyond that
 * in double. Used once per (position, frequency) for the RoPE table. */
void tllm_cossinf(float x, float *c, float *s);
/* Correctly rounded (IEEE) square root: the FPU's fsqrt.s on RV32F, integer arithmetic elsewhere. */
float tllm_sqrtf(float x);
/* In place: x[i] = e^(x[i] - max) / sum, in index order (MoE router, sampler, fp32 attention). */
void tllm_softmax(float *x, uint32_t n);

/* Nearest integer with ties away from zero (C's lroundf) of a float with |v| < 2^31 (no NaN): one
 * fcvt.w.s with the RMM rounding mode on RV32F, exact integer/float arithmetic elsewhere (same value). */
static inline int32_t tllm_round_i32(float v) {
#if defined(__riscv) && defined(__riscv_flen) && __riscv_flen >= 32
  int32_t r;
  __asm__("fcvt.w.s %0, %1, rmm" : "=r"(r) : "f"(v));
  return r;
#else
  int32_t t = (int32_t)v; /* truncation toward zero */
  float f = v - (float)t; /* exact */
  if (f >= 0.5f) t += 1;
  else if (f <= -0.5f) t -= 1;
  return t;
#endif
}

/* The larger of a and b as RISC-V's fmax.s defines it: a NaN operand is ignored (both NaN: the
 * canonical NaN) and -0 < +0. One fmax.s on RV32F (GCC's fmaxf adds signalling-NaN library calls),
 * comparisons elsewhere (the same value). */
static inline float tllm_fmaxf(float a, float b) {
#if defined(__riscv) && defined(__riscv_flen) && __riscv_flen >= 32
  float r;
  __asm__("fmax.s %0, %1, %2" : "=f"(r) : "f"(a), "f"(b));
  return r;
#else
  if (a > b) return a;
  if (b > a) return b;
  uint32_t ua, ub;
  memcpy(&ua, &a, 4);
  memcpy(&ub, &b, 4);
  if (a == b) ua &= ub; /* equal: the same bits, or -0 and +0 -> +0 */
  else if (a != a) ua = b != b ? 0x7FC00000u : ub;
  memcpy(&a, &ua, 4);
  return a;
#endif
}

/* Fast 2^x (the quantized attention's softmax folds log2 e into the score scale):
 *   x >= 128 -> +inf;  x <= -126 (2^x below FLT_MIN) -> +0;  NaN -> NaN;
 *   else k = nearest(x), f = x - k (exact, |f| <= 1/2), 2^f by a degree-5 polynomial with p(0) = 1 (relative
 *   error 9.1e-8: 2^k exactly for integer x), times 2^k through the exponent bits.
 * Error bound: relative TLLM_EXP2F_FAST_MAX_REL for every float x whose 2^x is a normal float (tested
 * like tllm_expf_fast). tllm_exp2f_fast_core: the same for x in [-126, 128) without the range checks. */
float tllm_exp2f_fast(float x);
#define TLLM_EXP2F_FAST_MAX_REL 2.5e-7f

static inline float tllm_exp2f_fast_core(float x) {
  const int32_t k = tllm_round_i32(x);
  const float f = x - (float)k;
  float p = 0.00132647239f;
  p = 0.00967151287f + f * p;
  p = 0.0555073375f + f * p;
  p = 0.240222421f + f * p;
  p = 0.693146978f + f * p;
  p = 1.0f + f * p;
  uint32_t u;
  memcpy(&u, &p, 4);
  u += (uint32_t)k << 23; /* p in [0.70, 1.42], result normal: exact */
  memcpy(&p, &u, 4);
  return p;
}
static inline float tllm_exp2f_fast_inline(float x) {
  if (!(x > -126.0f)) return x != x ? x : 0.0f;
  if (x >= 128.0f) { uint32_t u = 0x7F800000u; float f; memcpy(&f, &u, 4); return f; }
  return tllm_exp2f_fast_core(x);
}

/* tllm_expf_fast, inlined into the hot loops (softmax, SiLU) so that its constants stay in registers
 * (on the MCU a constant load from flash costs the flash wait states). Same operations, same bits. */
static inline float tllm_expf_fast_inline(float x) {
  uint32_t u;
  float f;
  if (!(x > -87.33654f)) return x != x ? x : 0.0f; /* e^x < FLT_MIN (or NaN) */
  if (x > 88.72283f) { u = 0x7F800000u; memcpy(&f, &u, 4); return f; }
  const int32_t k = tllm_round_i32(x * 1.44269502f); /* -126..128 */
  const float kf = (float)k;
  const float r = (x - kf * 0.693145752f) - kf * 1.42860677e-06f; /* ln2 = 0x3F317200 + 0x35BFBE8E; kf * the first is exact */
  float p = 0.00829031265f;
  p = 0.0418979303f + r * p;
  p = 0.166676362f + r * p;
  p = 0.499991495f + r * p;
  p = 0.999999707f + r * p;
  p = 1.0f + r * p;
  /* p in [0.70, 1.42] and the result is normal: adding k to the exponent field is exact */
  memcpy(&u, &p, 4);
  u += (uint32_t)k << 23;
  memcpy(&f, &u, 4);
  return f;
}

#ifdef __cplusplus
}
#endif
#endif

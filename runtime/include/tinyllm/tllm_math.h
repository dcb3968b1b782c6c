/* Deterministic math for tinyllm: only IEEE-exact operations (+ - * /, int<->float conversions),
 * so every conforming build (host x86-64 SSE, RV32F, RV32 soft-float) gives the same bits when
 * compiled with -ffp-contract=off. */
#ifndef TINYLLM_MATH_H
#define TINYLLM_MATH_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* e^x for float: k = nearest(x/ln2), r = x - k ln2 (Cody-Waite, exact high part), degree-6 Taylor
 * polynomial on |r| <= 0.347 (error < 2 ulp), scaled by 2^k through the exponent bits. */
float tllm_expf(float x);
/* cos and sin of a float angle, evaluated in double (reduction by pi/2 and Taylor polynomials on
 * |r| <= pi/4), rounded to float: within 1 ulp of the true value for |x| < 2^20. */
void tllm_cossinf(float x, float *c, float *s);
float tllm_sqrtf(float x); /* correctly rounded (IEEE sqrt) */
/* In place: x[i] = e^(x[i] - max) / sum, in index order (attention, MoE router, sampler). */
void tllm_softmax(float *x, uint32_t n);

#ifdef __cplusplus
}
#endif
#endif

/* A float workload whose results must be bit-identical whether the firmware is built hard-float
 * (rv32imfc/ilp32f: F instructions executed by the simulator's FPU model) or soft-float
 * (rv32imc/ilp32: libgcc's IEEE soft-float routines). Prints the bit patterns and a checksum.
 * Only correctly rounded operations are used (+ - * / sqrt, conversions, comparisons), with
 * -ffp-contract=off so no FMA is formed in one build and not the other. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

#define N 24
static float a[N][N], x[N], y[N];

int main(void) {
  uint32_t seed = 12345, sum = 0;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      seed = seed * 1664525u + 1013904223u;
      a[i][j] = (float)((int32_t)seed >> 8) / 8388608.0f;  /* [-1, 1) */
    }
    x[i] = (float)(i + 1) / 7.0f;
  }
  /* matrix-vector product, normalisation, softmax-like exponent by repeated squaring */
  for (int it = 0; it < 8; it++) {
    float norm = 0.0f;
    for (int i = 0; i < N; i++) {
      float s = 0.0f;
      for (int j = 0; j < N; j++) s += a[i][j] * x[j];
      y[i] = s;
      norm += s * s;
    }
    float inv = 1.0f / sqrtf(norm + 1e-5f);
    for (int i = 0; i < N; i++) x[i] = y[i] * inv;
  }
  float tiny = 1e-38f, big = 3e38f;
  float specials[] = {tiny * 1e-5f, big * 10.0f, -big * 10.0f, 1.0f / 3.0f, sqrtf(2.0f), 0.1f + 0.2f,
                      (float)(int32_t)-123456789, (float)2147483647u, -0.0f * 5.0f};
  for (int i = 0; i < N; i++) sum = sum * 31u + bits(x[i]);
  for (unsigned i = 0; i < sizeof specials / sizeof specials[0]; i++) sum = sum * 31u + bits(specials[i]);
  int32_t conv = (int32_t)(x[3] * 1000.0f);
  sum = sum * 31u + (uint32_t)conv + (x[0] < x[1]) + 2u * (x[2] <= x[3]);
  for (int i = 0; i < 4; i++) printf("x[%d] = %08lx\n", i, (unsigned long)bits(x[i]));
  printf("float checksum %08lx\n", (unsigned long)sum);
  return 0;
}

/* Data and output format of the cim_check firmware, shared with its host-side twin in
 * tests/cim/cim_e2e_test.cpp (same generator, same driver calls, same printing). */
#ifndef CIM_CHECK_DATA_H
#define CIM_CHECK_DATA_H
#include <stdint.h>

#define CHK_A_OUT 100u /* INT4 weights, 300 inputs: 2 input tiles x 1 output tile on 256x512 macros */
#define CHK_A_IN 300u
#define CHK_B_OUT 70u  /* INT8 weights, 200 inputs: 1 input tile x 2 output tiles (64 outputs each) */
#define CHK_B_IN 200u

static uint32_t chk_rng = 0x1234567u;
static inline uint32_t chk_next(void) {
  uint32_t s = chk_rng;
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return chk_rng = s;
}
/* n signed values of `bits` bits */
static inline void chk_fill(int8_t *v, uint32_t n, uint32_t bits) {
  uint32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t u = (int32_t)(chk_next() >> 24) & ((1 << bits) - 1);
    v[i] = (int8_t)(u >= (1 << (bits - 1)) ? u - (1 << bits) : u);
  }
}
/* An ADC window table for 256-row macros (ADC range 0..256): groups x passes words,
 * offset 40 + (3g + k) mod 20, full scale 100 (cim_ref_win_pack layout: offset | fs << 16). */
static inline void chk_windows(uint32_t *w, uint32_t groups, uint32_t passes) {
  uint32_t g, k;
  for (g = 0; g < groups; ++g)
    for (k = 0; k < passes; ++k) w[g * passes + k] = (40u + (3u * g + k) % 20u) | (100u << 16);
}
#endif

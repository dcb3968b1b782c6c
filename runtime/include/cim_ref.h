/* CIM reference semantics: the single source of truth for what the MRAM compute-in-memory macro
 * computes (specification: cim/CIM.md). Included by the simulator's macro model (cim/macro.cpp), by
 * the runtime driver's host build (runtime/cim.c) and by the tests, so host and simulator agree bit
 * for bit. C11 and C++ compatible, header-only, freestanding (<stdint.h> only), no allocation.
 *
 * Array: `rows` x `cols` cells of `cell_bits` bits. A signed W-bit weight w (W in {1,2,4,8},
 * a multiple of cell_bits) is stored OFFSET-ENCODED, u = w + 2^(W-1) in [0, 2^W - 1], sliced over
 * S = W / cell_bits adjacent physical columns: output o uses columns o*S .. o*S+S-1, slice s holding
 * bits [s*cell_bits, (s+1)*cell_bits) of u. An input x (A bits, signed, A in 1..8) is applied in
 * passes: with a 1-bit DAC (dac_bits == 1) pass p drives bit p of x's A-bit two's-complement
 * pattern (weight +2^p, the sign bit -2^(A-1)); with a D-bit DAC pass k drives the unsigned D-bit
 * chunk k of the pattern (weight 2^(kD)) and one extra pass drives the sign bit (weight -2^A).
 * For each pass k and physical column c the array forms the analog sum
 *     v[k][c] = sum over active rows r of level_k(x_r) * cell(r, c)            (an integer >= 0)
 * which the ADC converts: code = min(2^B - 1, floor((2 v + step) / (2 step))) (round half up,
 * saturating), value = code * step. The digital periphery then forms, exactly,
 *     y_o = sum_k weight_k * ( sum_s 2^(s*cell_bits) * value[k][o*S+s]  -  2^(W-1) * insum_k )
 * where insum_k = sum_r level_k(x_r) is the offset-correction term (computed digitally from the
 * input buffer). With step == 1 and 2^B - 1 >= rows * (2^D - 1) * (2^cell_bits - 1) the ADC never
 * clips or rounds and y is the exact integer product sum_r w[o][r] * x_r (wrapped to int32).
 */
#ifndef MCUCIM_CIM_REF_H
#define MCUCIM_CIM_REF_H
#include <stdint.h>

/* ---- Error codes (also the STATUS.ERR field of the device, runtime/include/mcucim/cim_regs.h) ---- */
#define CIM_OK 0
#define CIM_ERR_BUSY 1           /* START/PROGRAM while an operation is in progress */
#define CIM_ERR_RANGE 2          /* rows/outputs outside the array (tile out of range) */
#define CIM_ERR_WIDTH 3          /* weight or input width not supported (or not the programmed width) */
#define CIM_ERR_VALUE 4          /* a weight or input outside its declared signed range */
#define CIM_ERR_NOT_PROGRAMMED 5 /* MVM before the array holds weights */
#define CIM_ERR_BUS 6            /* programming source could not be read */
#define CIM_ERR_NOSPACE 7        /* driver: the matrix needs more macros than available */
#define CIM_ERR_ARG 8            /* driver: bad argument (null pointer, zero size) */
#define CIM_ERR_DEVICE 9         /* driver: no CIM macro at the given address (bad ID) */

#define CIM_REF_MAX_ROWS 4096u
#define CIM_REF_MAX_COLS 4096u

typedef struct {
  uint32_t rows, cols;  /* physical array */
  uint32_t cell_bits;   /* 1, 2, 4 or 8 (MTJ: 1) */
  uint32_t adc_bits;    /* B, 1..16 */
  uint32_t adc_step;    /* analog units per ADC code, >= 1 */
  uint32_t dac_bits;    /* D, 1..8 */
} cim_ref_array;

/* Per-MVM event counts (for the energy model; optional). */
typedef struct {
  uint64_t passes;        /* input passes */
  uint64_t conversions;   /* ADC conversions = passes x active physical columns */
  uint64_t clipped;       /* conversions that saturated at code 2^B - 1 */
  uint64_t rows_driven;   /* sum over passes of rows with a non-zero level */
  uint64_t level_units;   /* sum over passes, active columns, rows of level (cell-read units) */
  uint64_t on_units;      /* sum of the analog sums v[k][c] (cell conductance above G_AP, units) */
} cim_ref_stats;

#define CIM_REF_WORDS(rows) (((uint32_t)(rows) + 63u) / 64u)

static inline uint32_t cim_ref_cell_words(const cim_ref_array *a) {
  return a->cols * a->cell_bits * CIM_REF_WORDS(a->rows);
}

static inline int cim_ref_check_array(const cim_ref_array *a) {
  if (a->rows < 1 || a->rows > CIM_REF_MAX_ROWS || a->cols < 1 || a->cols > CIM_REF_MAX_COLS) return CIM_ERR_RANGE;
  if (!(a->cell_bits == 1 || a->cell_bits == 2 || a->cell_bits == 4 || a->cell_bits == 8)) return CIM_ERR_WIDTH;
  if (a->adc_bits < 1 || a->adc_bits > 16 || a->dac_bits < 1 || a->dac_bits > 8) return CIM_ERR_WIDTH;
  if (a->adc_step < 1) return CIM_ERR_RANGE;
  return CIM_OK;
}

static inline int cim_ref_valid_wbits(const cim_ref_array *a, uint32_t wbits) {
  return (wbits == 1 || wbits == 2 || wbits == 4 || wbits == 8) && wbits % a->cell_bits == 0;
}
static inline int cim_ref_valid_abits(uint32_t abits) { return abits >= 1 && abits <= 8; }
static inline uint32_t cim_ref_slices(const cim_ref_array *a, uint32_t wbits) { return wbits / a->cell_bits; }
static inline uint32_t cim_ref_max_outputs(const cim_ref_array *a, uint32_t wbits) {
  return a->cols / cim_ref_slices(a, wbits);
}
static inline int32_t cim_ref_smin(uint32_t bits) { return -(int32_t)(1u << (bits - 1)); }
static inline int32_t cim_ref_smax(uint32_t bits) { return (int32_t)(1u << (bits - 1)) - 1; }

/* ---- Input passes ------------------------------------------------------------------------------- */
static inline uint32_t cim_ref_chunks(uint32_t abits, uint32_t dac) { return (abits + dac - 1) / dac; }
static inline uint32_t cim_ref_passes(uint32_t abits, uint32_t dac) {
  return dac == 1 ? abits : cim_ref_chunks(abits, dac) + 1;
}
/* Pass k reads pattern bits [first, first + nbits) with bit first+i at multiplier 2^i. */
static inline void cim_ref_pass_bits(uint32_t abits, uint32_t dac, uint32_t k, uint32_t *first, uint32_t *nbits) {
  if (dac == 1) {
    *first = k;
    *nbits = 1;
  } else if (k < cim_ref_chunks(abits, dac)) {
    *first = k * dac;
    *nbits = (k * dac + dac <= abits) ? dac : abits - k * dac;
  } else {
    *first = abits - 1; /* the sign pass */
    *nbits = 1;
  }
}
static inline uint32_t cim_ref_pass_level(int32_t x, uint32_t abits, uint32_t dac, uint32_t k) {
  uint32_t first, nbits;
  const uint32_t pattern = (uint32_t)x & ((1u << abits) - 1u);
  cim_ref_pass_bits(abits, dac, k, &first, &nbits);
  return (pattern >> first) & ((1u << nbits) - 1u);
}
static inline int64_t cim_ref_pass_weight(uint32_t abits, uint32_t dac, uint32_t k) {
  if (dac == 1) return k == abits - 1 ? -((int64_t)1 << k) : ((int64_t)1 << k);
  if (k < cim_ref_chunks(abits, dac)) return (int64_t)1 << (k * dac);
  return -((int64_t)1 << abits);
}

/* ---- ADC ---------------------------------------------------------------------------------------- */
static inline uint32_t cim_ref_adc_max_code(const cim_ref_array *a) { return (1u << a->adc_bits) - 1u; }
static inline uint32_t cim_ref_adc_code(const cim_ref_array *a, uint64_t v) {
  const uint64_t q = (2u * v + a->adc_step) / (2u * (uint64_t)a->adc_step);
  return q > cim_ref_adc_max_code(a) ? cim_ref_adc_max_code(a) : (uint32_t)q;
}
static inline uint64_t cim_ref_adc_value(const cim_ref_array *a, uint64_t v) {
  return (uint64_t)cim_ref_adc_code(a, v) * a->adc_step;
}
/* The ADC step that covers `full_scale` analog units with 2^B - 1 codes (at least 1). */
static inline uint32_t cim_ref_step_for(uint32_t adc_bits, uint64_t full_scale) {
  const uint64_t codes = (1u << adc_bits) - 1u;
  const uint64_t s = (full_scale + codes - 1) / codes;
  return s < 1 ? 1u : (uint32_t)s;
}
/* Largest analog sum with `rows` active rows. */
static inline uint64_t cim_ref_analog_max(const cim_ref_array *a, uint32_t rows) {
  return (uint64_t)rows * ((1u << a->dac_bits) - 1u) * ((1u << a->cell_bits) - 1u);
}

/* ---- Storage ------------------------------------------------------------------------------------ */
/* cells: cim_ref_cell_words(a) uint64_t; bit r of plane (c, b) = bit b of the cell at (row r, col c). */
static inline uint64_t *cim_ref_plane(const cim_ref_array *a, uint64_t *cells, uint32_t col, uint32_t bit) {
  return cells + ((uint64_t)col * a->cell_bits + bit) * CIM_REF_WORDS(a->rows);
}
static inline uint32_t cim_ref_cell(const cim_ref_array *a, const uint64_t *cells, uint32_t row, uint32_t col) {
  uint32_t v = 0, b;
  for (b = 0; b < a->cell_bits; ++b) {
    const uint64_t *p = cells + ((uint64_t)col * a->cell_bits + b) * CIM_REF_WORDS(a->rows);
    v |= (uint32_t)((p[row / 64] >> (row % 64)) & 1u) << b;
  }
  return v;
}
static inline void cim_ref_set_cell(const cim_ref_array *a, uint64_t *cells, uint32_t row, uint32_t col, uint32_t v) {
  uint32_t b;
  for (b = 0; b < a->cell_bits; ++b) {
    uint64_t *p = cim_ref_plane(a, cells, col, b);
    const uint64_t m = (uint64_t)1 << (row % 64);
    p[row / 64] = ((v >> b) & 1u) ? (p[row / 64] | m) : (p[row / 64] & ~m);
  }
}

/* Check a programming request: rows [row0, row0+nrows) x outputs [out0, out0+nout) of width wbits,
 * weight (row i, output o) at w[o * stride + i]. Returns CIM_OK or an error code. */
static inline int cim_ref_check_program(const cim_ref_array *a, uint32_t wbits, uint32_t row0, uint32_t nrows,
                                        uint32_t out0, uint32_t nout, const int8_t *w, uint32_t stride) {
  uint32_t o, i;
  if (!cim_ref_valid_wbits(a, wbits)) return CIM_ERR_WIDTH;
  if (nrows == 0 || nout == 0 || row0 >= a->rows || nrows > a->rows - row0) return CIM_ERR_RANGE;
  if (out0 >= cim_ref_max_outputs(a, wbits) || nout > cim_ref_max_outputs(a, wbits) - out0) return CIM_ERR_RANGE;
  for (o = 0; o < nout; ++o)
    for (i = 0; i < nrows; ++i) {
      const int32_t v = w[(uint64_t)o * stride + i];
      if (v < cim_ref_smin(wbits) || v > cim_ref_smax(wbits)) return CIM_ERR_VALUE;
    }
  return CIM_OK;
}
/* Program (after cim_ref_check_program succeeded, or checks again): writes u = w + 2^(W-1). */
static inline int cim_ref_program(const cim_ref_array *a, uint64_t *cells, uint32_t wbits, uint32_t row0,
                                  uint32_t nrows, uint32_t out0, uint32_t nout, const int8_t *w, uint32_t stride) {
  uint32_t o, i, s;
  const int err = cim_ref_check_program(a, wbits, row0, nrows, out0, nout, w, stride);
  const uint32_t S = cim_ref_slices(a, wbits), cmask = (1u << a->cell_bits) - 1u;
  if (err) return err;
  for (o = 0; o < nout; ++o)
    for (i = 0; i < nrows; ++i) {
      const uint32_t u = (uint32_t)((int32_t)w[(uint64_t)o * stride + i] + (1 << (wbits - 1)));
      for (s = 0; s < S; ++s)
        cim_ref_set_cell(a, cells, row0 + i, (out0 + o) * S + s, (u >> (s * a->cell_bits)) & cmask);
    }
  return CIM_OK;
}

static inline uint32_t cim_ref_popcount64(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
  return (uint32_t)__builtin_popcountll(v);
#else
  uint32_t n = 0;
  while (v) { v &= v - 1; ++n; }
  return n;
#endif
}

/* Check an MVM request: x[0..nrows) drive rows 0..nrows-1, outputs 0..nout-1. */
static inline int cim_ref_check_mvm(const cim_ref_array *a, uint32_t wbits, uint32_t abits, const int8_t *x,
                                    uint32_t nrows, uint32_t nout) {
  uint32_t i;
  if (!cim_ref_valid_wbits(a, wbits) || !cim_ref_valid_abits(abits)) return CIM_ERR_WIDTH;
  if (nrows < 1 || nrows > a->rows || nout < 1 || nout > cim_ref_max_outputs(a, wbits)) return CIM_ERR_RANGE;
  for (i = 0; i < nrows; ++i)
    if (x[i] < cim_ref_smin(abits) || x[i] > cim_ref_smax(abits)) return CIM_ERR_VALUE;
  return CIM_OK;
}

/* The ideal macro: y[o] for o < nout (int32, wrapping). Returns CIM_OK or an error code (y untouched).
 * `stats` may be NULL. */
static inline int cim_ref_mvm(const cim_ref_array *a, const uint64_t *cells, uint32_t wbits, uint32_t abits,
                              const int8_t *x, uint32_t nrows, uint32_t nout, int32_t *y, cim_ref_stats *stats) {
  uint64_t xp[8][CIM_REF_WORDS(CIM_REF_MAX_ROWS)];
  const uint32_t words = CIM_REF_WORDS(a->rows), S = cim_ref_slices(a, wbits);
  const uint32_t passes = cim_ref_passes(abits, a->dac_bits);
  uint32_t i, k, o, s, b, j, wd;
  const int err = cim_ref_check_mvm(a, wbits, abits, x, nrows, nout);
  if (err) return err;
  for (i = 0; i < abits; ++i)
    for (wd = 0; wd < words; ++wd) xp[i][wd] = 0;
  for (i = 0; i < nrows; ++i) {
    const uint32_t pattern = (uint32_t)x[i] & ((1u << abits) - 1u);
    for (b = 0; b < abits; ++b)
      if ((pattern >> b) & 1u) xp[b][i / 64] |= (uint64_t)1 << (i % 64);
  }
  for (o = 0; o < nout; ++o) y[o] = 0;
  for (k = 0; k < passes; ++k) {
    uint32_t first, nbits;
    uint64_t insum = 0, driven = 0;
    const int64_t pw = cim_ref_pass_weight(abits, a->dac_bits, k);
    cim_ref_pass_bits(abits, a->dac_bits, k, &first, &nbits);
    for (wd = 0; wd < words; ++wd) {
      uint64_t any = 0;
      for (j = 0; j < nbits; ++j) {
        insum += (uint64_t)cim_ref_popcount64(xp[first + j][wd]) << j;
        any |= xp[first + j][wd];
      }
      driven += cim_ref_popcount64(any);
    }
    if (stats) {
      stats->passes++;
      stats->rows_driven += driven;
      stats->level_units += insum * nout * S;
      stats->conversions += (uint64_t)nout * S;
    }
    for (o = 0; o < nout; ++o) {
      int64_t acc = 0;
      for (s = 0; s < S; ++s) {
        const uint32_t c = o * S + s;
        uint64_t v = 0;
        for (b = 0; b < a->cell_bits; ++b) {
          const uint64_t *plane = cells + ((uint64_t)c * a->cell_bits + b) * words;
          for (j = 0; j < nbits; ++j) {
            uint64_t n = 0;
            for (wd = 0; wd < words; ++wd) n += cim_ref_popcount64(xp[first + j][wd] & plane[wd]);
            v += n << (j + b);
          }
        }
        {
          const uint32_t code = cim_ref_adc_code(a, v);
          if (stats) {
            stats->on_units += v;
            /* clipped: the unsaturated code would exceed the top code */
            stats->clipped += 2u * v + a->adc_step >= 2u * (uint64_t)a->adc_step * (cim_ref_adc_max_code(a) + 1u);
          }
          acc += (int64_t)((uint64_t)code * a->adc_step) << (s * a->cell_bits);
        }
      }
      acc -= (int64_t)insum << (wbits - 1);
      y[o] = (int32_t)(uint32_t)((uint32_t)y[o] + (uint32_t)(uint64_t)(acc * pw));
    }
  }
  return CIM_OK;
}

#endif /* MCUCIM_CIM_REF_H */

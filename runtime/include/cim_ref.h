/* CIM reference semantics: the single source of truth for what the compute-in-memory macro
 * computes (specification: cim/CIM.md). Included by the simulator's macro model (cim/macro.cpp), by
 * the runtime driver's host build (runtime/cim.c), by mcucim-pack's window calibration and by the
 * tests, so host and simulator agree bit for bit. C11 and C++ compatible, header-only, freestanding
 * (<stdint.h> only), no allocation.
 *
 * Array: `rows` x `cols` cells of `cell_bits` bits. A signed W-bit weight w (W in {1,2,4,8},
 * a multiple of cell_bits) is stored OFFSET-ENCODED, u = w + 2^(W-1) in [0, 2^W - 1], sliced over
 * S = W / cell_bits adjacent physical columns: output o uses columns o*S .. o*S+S-1, slice s holding
 * bits [s*cell_bits, (s+1)*cell_bits) of u. An input x (A bits, signed, A in 1..8) is applied in
 * passes: with a 1-bit DAC (dac_bits == 1) pass p drives bit p of x's A-bit two's-complement
 * pattern (weight +2^p, the sign bit -2^(A-1)); with a D-bit DAC pass k drives the unsigned D-bit
 * chunk k of the pattern (weight 2^(kD)) and one extra pass drives the sign bit (weight -2^A).
 *
 * Row parallelism: the active rows 0..nrows-1 form row groups of `rows_per_pass` (R) rows,
 * g = 0 .. ceil(nrows / R) - 1 (the last one may be shorter). One STEP is (pass k, row group g):
 * its rows are activated together and each active physical column c forms the analog sum
 *     v[k][g][c] = sum over rows r of group g of level_k(x_r) * cell(r, c)      (an integer >= 0)
 * Zero skipping (zero_skip): a step whose input levels are all zero is not executed (v = 0 exactly,
 * nothing converted, no time). Readout of an executed step:
 *   - analog (CIM_TYPE_ANALOG): a B-bit ADC with a window of offset o and step s (analog units):
 *         q = floor((2 (v - o) + s) / (2 s))          (round half up)
 *         code = min(2^B - 1, max(0, q)),  value = o + code * s      (clipped when q < 0 or q > 2^B - 1)
 *     Without a window o = 0 and s = adc_step (the preset's full scale); with windows enabled each
 *     (column group c / win_cols, pass k) has its own (o, full scale F), s = ceil(F / (2^B - 1)).
 *   - digital (CIM_TYPE_DIGITAL): an exact adder tree per column: value = v.
 * The digital periphery then forms, exactly (int64, wrapped to int32),
 *     y_o = sum over executed steps (k, g) of weight_k * ( sum_s 2^(s*cell_bits) * value[k][g][o*S+s]
 *                                                          - 2^(W-1) * insum[k][g] )
 * where insum[k][g] = sum over rows of group g of level_k(x_r) is the offset-correction term
 * (computed digitally from the input buffer). A digital macro, or an analog one with step 1 and
 * 2^B - 1 >= R * (2^D - 1) * (2^cell_bits - 1) and no window, gives the exact integer product
 * sum_r w[o][r] * x_r (wrapped to int32).
 */
#ifndef MCUCIM_CIM_REF_H
#define MCUCIM_CIM_REF_H
#include <stdint.h>

/* ---- Error codes (also the STATUS.ERR field of the device, runtime/include/mcucim/cim_regs.h) ---- */
#define CIM_OK 0
#define CIM_ERR_BUSY 1           /* START/PROGRAM/power request while an operation is in progress */
#define CIM_ERR_RANGE 2          /* rows/outputs outside the array (tile out of range) */
#define CIM_ERR_WIDTH 3          /* weight or input width not supported (or not the programmed width) */
#define CIM_ERR_VALUE 4          /* a weight or input outside its declared signed range */
#define CIM_ERR_NOT_PROGRAMMED 5 /* MVM before the array holds weights */
#define CIM_ERR_BUS 6            /* programming source could not be read */
#define CIM_ERR_NOSPACE 7        /* driver: the matrix needs more macros than available */
#define CIM_ERR_ARG 8            /* bad argument (driver: null pointer, zero size; device: bad command/state) */
#define CIM_ERR_DEVICE 9         /* driver: no CIM macro at the given address (bad ID) */
#define CIM_ERR_WINDOW 10        /* ADC window outside the ADC's input range, or a window on a macro without ADC */

#define CIM_REF_MAX_ROWS 4096u
#define CIM_REF_MAX_COLS 4096u
#define CIM_REF_MAX_PASSES 8u      /* passes of an 8-bit input with a 1-bit DAC (more DAC bits: fewer) */
#define CIM_REF_MAX_WIN_GROUPS 256u /* ADC window groups per macro (cols / win_cols) */
#define CIM_REF_WIN_FIELD_MAX 65535u /* window offset and full scale are 16-bit fields */

#define CIM_TYPE_ANALOG 0u         /* analog column sums, ADC readout */
#define CIM_TYPE_DIGITAL 1u        /* per-cell sensing, exact adder tree per column (no ADC) */

typedef struct {
  uint32_t rows, cols;     /* physical array */
  uint32_t cell_bits;      /* 1, 2, 4 or 8 (MTJ: 1) */
  uint32_t adc_bits;       /* B, 1..16 (analog) */
  uint32_t adc_step;       /* analog units per ADC code without a window, >= 1 */
  uint32_t dac_bits;       /* D, 1..8 */
  uint32_t rows_per_pass;  /* R: rows activated together per conversion, 1..rows */
  uint32_t zero_skip;      /* 1: a step whose input levels are all zero is skipped */
  uint32_t type;           /* CIM_TYPE_ANALOG or CIM_TYPE_DIGITAL */
  uint32_t win_cols;       /* columns per ADC window group (divides cols, cols / win_cols <= 256) */
} cim_ref_array;

/* Per-MVM event counts (for the energy model; optional). */
typedef struct {
  uint64_t passes;        /* input passes */
  uint64_t steps;         /* executed steps (pass x row group) */
  uint64_t skipped;       /* steps skipped because their input levels were all zero */
  uint64_t conversions;   /* column readouts (ADC conversions or adder-tree sums) = executed steps x active columns */
  uint64_t clipped;       /* conversions that saturated (code 0 below the window, 2^B - 1 above) */
  uint64_t rows_driven;   /* sum over executed steps of rows with a non-zero level */
  uint64_t level_units;   /* sum over executed steps, active columns, rows of level (cell-read units) */
  uint64_t on_units;      /* sum of the analog sums v (cell conductance above the lowest level, units) */
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
  if (a->rows_per_pass < 1 || a->rows_per_pass > a->rows) return CIM_ERR_RANGE;
  if (a->type != CIM_TYPE_ANALOG && a->type != CIM_TYPE_DIGITAL) return CIM_ERR_ARG;
  if (a->zero_skip > 1) return CIM_ERR_ARG;
  if (a->win_cols < 1 || a->cols % a->win_cols || a->cols / a->win_cols > CIM_REF_MAX_WIN_GROUPS) return CIM_ERR_RANGE;
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

/* An analog array of rows x cols with 1-bit cells and DAC, B-bit ADC over the largest sum of all
 * rows (no clipping), all rows per pass, no zero skipping, one window group: callers set what differs
 * (and recompute adc_step with cim_ref_step_for if they change rows_per_pass, bits or the full scale). */
static inline void cim_ref_array_defaults(cim_ref_array *a, uint32_t rows, uint32_t cols, uint32_t adc_bits) {
  a->rows = rows;
  a->cols = cols;
  a->cell_bits = 1;
  a->dac_bits = 1;
  a->adc_bits = adc_bits;
  a->rows_per_pass = rows;
  a->zero_skip = 0;
  a->type = CIM_TYPE_ANALOG;
  a->win_cols = cols;
  a->adc_step = cim_ref_step_for(adc_bits, cim_ref_analog_max(a, rows));
}

/* ---- ADC windows --------------------------------------------------------------------------------- */
/* A window register / image word: offset in bits [15:0], full scale in bits [31:16] (analog units). */
static inline uint32_t cim_ref_win_pack(uint32_t offset, uint32_t full_scale) { return offset | (full_scale << 16); }
static inline uint32_t cim_ref_win_offset(uint32_t w) { return w & 0xFFFFu; }
static inline uint32_t cim_ref_win_fs(uint32_t w) { return w >> 16; }
static inline uint32_t cim_ref_win_groups(const cim_ref_array *a) { return a->cols / a->win_cols; }
/* Index of the window of column group g, pass k in a table (also the register index). */
static inline uint32_t cim_ref_win_index(uint32_t g, uint32_t k) { return g * CIM_REF_MAX_PASSES + k; }
#define CIM_REF_WIN_TABLE_WORDS (CIM_REF_MAX_WIN_GROUPS * CIM_REF_MAX_PASSES)
/* A window must lie inside the ADC's input range [0, R (2^D-1) (2^cell_bits-1)] with a full scale
 * >= 1, on an analog macro. */
static inline int cim_ref_check_window(const cim_ref_array *a, uint32_t offset, uint32_t full_scale) {
  if (a->type != CIM_TYPE_ANALOG) return CIM_ERR_WINDOW;
  if (full_scale < 1 || offset > CIM_REF_WIN_FIELD_MAX || full_scale > CIM_REF_WIN_FIELD_MAX) return CIM_ERR_WINDOW;
  if ((uint64_t)offset + full_scale > cim_ref_analog_max(a, a->rows_per_pass)) return CIM_ERR_WINDOW;
  return CIM_OK;
}
/* The window that covers the whole range (the reset value of the window registers). */
static inline uint32_t cim_ref_win_full(const cim_ref_array *a) {
  const uint64_t m = cim_ref_analog_max(a, a->rows_per_pass);
  return cim_ref_win_pack(0, m > CIM_REF_WIN_FIELD_MAX ? CIM_REF_WIN_FIELD_MAX : (uint32_t)m);
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

/* ---- Steps: inputs as bit planes, column sums of one (pass, row group) ---------------------------- */
typedef struct {
  uint64_t xp[8][CIM_REF_WORDS(CIM_REF_MAX_ROWS)]; /* bit b of the input patterns, one bit per row */
  uint32_t abits, nrows;
} cim_ref_input;

static inline void cim_ref_input_prepare(cim_ref_input *in, const int8_t *x, uint32_t nrows, uint32_t abits) {
  uint32_t i, b, wd;
  const uint32_t words = CIM_REF_WORDS(nrows);
  in->abits = abits;
  in->nrows = nrows;
  for (b = 0; b < abits; ++b)
    for (wd = 0; wd < words; ++wd) in->xp[b][wd] = 0;
  for (i = 0; i < nrows; ++i) {
    const uint32_t pattern = (uint32_t)x[i] & ((1u << abits) - 1u);
    for (b = 0; b < abits; ++b)
      if ((pattern >> b) & 1u) in->xp[b][i / 64] |= (uint64_t)1 << (i % 64);
  }
}

static inline uint32_t cim_ref_row_groups(const cim_ref_array *a, uint32_t nrows) {
  return (nrows + a->rows_per_pass - 1) / a->rows_per_pass;
}

/* One step's inputs: the pass's bit planes masked to the row group's rows (words w0 .. w0+nw-1). */
typedef struct {
  uint64_t xm[8][CIM_REF_WORDS(CIM_REF_MAX_ROWS)];
  uint32_t w0, nw, nbits;
  uint64_t insum;   /* sum of the group's input levels in this pass */
  uint64_t driven;  /* rows of the group with a non-zero level */
} cim_ref_step;

static inline void cim_ref_step_prepare(const cim_ref_array *a, const cim_ref_input *in, uint32_t k, uint32_t g,
                                        cim_ref_step *st) {
  uint32_t first, nbits, j, wd;
  const uint32_t r0 = g * a->rows_per_pass;
  const uint32_t r1 = r0 + a->rows_per_pass < in->nrows ? r0 + a->rows_per_pass : in->nrows;
  cim_ref_pass_bits(in->abits, a->dac_bits, k, &first, &nbits);
  st->w0 = r0 / 64;
  st->nw = (r1 - 1) / 64 - st->w0 + 1;
  st->nbits = nbits;
  st->insum = 0;
  st->driven = 0;
  for (wd = 0; wd < st->nw; ++wd) {
    const uint32_t w = st->w0 + wd;
    uint64_t mask = ~(uint64_t)0, any = 0;
    if (w == r0 / 64) mask &= ~(uint64_t)0 << (r0 % 64);
    if (w == (r1 - 1) / 64 && r1 % 64) mask &= ((uint64_t)1 << (r1 % 64)) - 1u;
    for (j = 0; j < nbits; ++j) {
      st->xm[j][wd] = in->xp[first + j][w] & mask;
      st->insum += (uint64_t)cim_ref_popcount64(st->xm[j][wd]) << j;
      any |= st->xm[j][wd];
    }
    st->driven += cim_ref_popcount64(any);
  }
}

/* The analog sum v of physical column c in a prepared step. */
static inline uint64_t cim_ref_step_column(const cim_ref_array *a, const uint64_t *cells, const cim_ref_step *st,
                                           uint32_t c) {
  const uint32_t words = CIM_REF_WORDS(a->rows);
  uint64_t v = 0;
  uint32_t b, j, wd;
  for (b = 0; b < a->cell_bits; ++b) {
    const uint64_t *plane = cells + ((uint64_t)c * a->cell_bits + b) * words + st->w0;
    for (j = 0; j < st->nbits; ++j) {
      uint64_t n = 0;
      for (wd = 0; wd < st->nw; ++wd) n += cim_ref_popcount64(st->xm[j][wd] & plane[wd]);
      v += n << (j + b);
    }
  }
  return v;
}

/* ADC readout of v with window offset o and step s; *clip set to 1 when the code saturated. */
static inline uint64_t cim_ref_adc_convert(const cim_ref_array *a, uint64_t v, uint32_t o, uint32_t s, int *clip) {
  const int64_t num = 2 * ((int64_t)v - (int64_t)o) + (int64_t)s, den = 2 * (int64_t)s;
  const int64_t q = num >= 0 ? num / den : -((-num + den - 1) / den); /* floor */
  const int64_t top = (int64_t)cim_ref_adc_max_code(a);
  *clip = q < 0 || q > top;
  return (uint64_t)o + (uint64_t)(q < 0 ? 0 : q > top ? top : q) * s;
}

/* Check every window entry an MVM of nout outputs at width wbits and abits inputs would use. */
static inline int cim_ref_check_windows(const cim_ref_array *a, const uint32_t *win, uint32_t wbits, uint32_t abits,
                                        uint32_t nout) {
  const uint32_t ncols = nout * cim_ref_slices(a, wbits), passes = cim_ref_passes(abits, a->dac_bits);
  uint32_t g, k;
  if (a->type != CIM_TYPE_ANALOG) return CIM_ERR_WINDOW;
  if (passes > CIM_REF_MAX_PASSES) return CIM_ERR_WIDTH;
  for (g = 0; g * a->win_cols < ncols; ++g)
    for (k = 0; k < passes; ++k) {
      const uint32_t w = win[cim_ref_win_index(g, k)];
      const int e = cim_ref_check_window(a, cim_ref_win_offset(w), cim_ref_win_fs(w));
      if (e) return e;
    }
  return CIM_OK;
}

/* The ideal macro: y[o] for o < nout (int32, wrapping). `win`: NULL (ADC over the preset's full
 * scale) or a window table (cim_ref_win_index; analog macros only). Returns CIM_OK or an error code
 * (y untouched). `stats` may be NULL. */
static inline int cim_ref_mvm(const cim_ref_array *a, const uint64_t *cells, uint32_t wbits, uint32_t abits,
                              const int8_t *x, uint32_t nrows, uint32_t nout, int32_t *y, cim_ref_stats *stats,
                              const uint32_t *win) {
  cim_ref_input in;
  cim_ref_step st;
  uint32_t steps_o[CIM_REF_MAX_WIN_GROUPS * CIM_REF_MAX_PASSES];
  const uint32_t S = cim_ref_slices(a, wbits);
  const uint32_t passes = cim_ref_passes(abits, a->dac_bits), groups = cim_ref_row_groups(a, nrows);
  uint32_t k, g, o, s;
  int err = cim_ref_check_mvm(a, wbits, abits, x, nrows, nout);
  if (err) return err;
  if (win && (err = cim_ref_check_windows(a, win, wbits, abits, nout)) != CIM_OK) return err;
  if (win)
    for (g = 0; g * a->win_cols < nout * S; ++g)
      for (k = 0; k < passes; ++k)
        steps_o[cim_ref_win_index(g, k)] = cim_ref_step_for(a->adc_bits, cim_ref_win_fs(win[cim_ref_win_index(g, k)]));
  cim_ref_input_prepare(&in, x, nrows, abits);
  for (o = 0; o < nout; ++o) y[o] = 0;
  for (k = 0; k < passes; ++k) {
    const int64_t pw = cim_ref_pass_weight(abits, a->dac_bits, k);
    if (stats) stats->passes++;
    for (g = 0; g < groups; ++g) {
      cim_ref_step_prepare(a, &in, k, g, &st);
      if (a->zero_skip && st.insum == 0) {
        if (stats) stats->skipped++;
        continue;
      }
      if (stats) {
        stats->steps++;
        stats->rows_driven += st.driven;
        stats->level_units += st.insum * nout * S;
        stats->conversions += (uint64_t)nout * S;
      }
      for (o = 0; o < nout; ++o) {
        int64_t acc = 0;
        for (s = 0; s < S; ++s) {
          const uint32_t c = o * S + s;
          const uint64_t v = cim_ref_step_column(a, cells, &st, c);
          uint64_t value = v;
          if (a->type == CIM_TYPE_ANALOG) {
            int clip = 0;
            if (win) {
              const uint32_t wi = cim_ref_win_index(c / a->win_cols, k);
              value = cim_ref_adc_convert(a, v, cim_ref_win_offset(win[wi]), steps_o[wi], &clip);
            } else {
              value = cim_ref_adc_convert(a, v, 0, a->adc_step, &clip);
            }
            if (stats) stats->clipped += (uint64_t)clip;
          }
          if (stats) stats->on_units += v;
          acc += (int64_t)value << (s * a->cell_bits);
        }
        acc -= (int64_t)st.insum << (wbits - 1);
        y[o] = (int32_t)(uint32_t)((uint32_t)y[o] + (uint32_t)(uint64_t)(acc * pw));
      }
    }
  }
  return CIM_OK;
}

#endif /* MCUCIM_CIM_REF_H */

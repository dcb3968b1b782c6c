/* CIM driver (runtime/include/cim.h). Written so that it also compiles as C++ (the host-side test
 * includes it). */
#include "cim.h"

#if !defined(__riscv)
#include <stdlib.h>
#endif

#if defined(__riscv)
static inline uint32_t reg_rd(const cim_macro *m, uint32_t off) {
  return *(volatile uint32_t *)(m->base + off);
}
static inline void reg_wr(const cim_macro *m, uint32_t off, uint32_t v) { *(volatile uint32_t *)(m->base + off) = v; }
#endif

int cim_open(cim_macro *m, uintptr_t base) {
  if (!m) return CIM_ERR_ARG;
  m->base = base;
  m->cells = 0;
  m->wbits = 0;
  m->win = 0;
  m->win_en = 0;
  m->power = CIM_POWER_ON;
#if defined(__riscv)
  if (reg_rd(m, CIM_REG_ID) != CIM_ID_VALUE) return CIM_ERR_DEVICE;
  {
    const uint32_t cfg = reg_rd(m, CIM_REG_CFG);
    m->arr.rows = reg_rd(m, CIM_REG_ROWS);
    m->arr.cols = reg_rd(m, CIM_REG_COLS);
    m->arr.cell_bits = CIM_CFG_CELL_BITS(cfg);
    m->arr.adc_bits = CIM_CFG_ADC_BITS(cfg);
    m->arr.dac_bits = CIM_CFG_DAC_BITS(cfg);
    m->arr.adc_step = reg_rd(m, CIM_REG_ADC_STEP);
    m->arr.rows_per_pass = reg_rd(m, CIM_REG_RPP);
    m->arr.win_cols = reg_rd(m, CIM_REG_WIN_COLS);
    m->arr.zero_skip = CIM_CFG_ZERO_SKIP(cfg);
    m->arr.type = CIM_CFG_DIGITAL(cfg) ? CIM_TYPE_DIGITAL : CIM_TYPE_ANALOG;
    m->power = reg_rd(m, CIM_REG_POWER) & 3u;
  }
  return cim_ref_check_array(&m->arr);
#else
  return CIM_ERR_DEVICE;
#endif
}

int cim_open_host(cim_macro *m, const cim_ref_array *arr) {
#if defined(__riscv)
  (void)m;
  (void)arr;
  return CIM_ERR_DEVICE;
#else
  int err;
  if (!m || !arr) return CIM_ERR_ARG;
  if ((err = cim_ref_check_array(arr)) != CIM_OK) return err;
  m->base = 0;
  m->arr = *arr;
  m->wbits = 0;
  m->win_en = 0;
  m->power = CIM_POWER_ON;
  m->cells = (uint64_t *)calloc(cim_ref_cell_words(arr), sizeof(uint64_t));
  m->win = (uint32_t *)malloc(CIM_REF_WIN_TABLE_WORDS * sizeof(uint32_t));
  if (!m->cells || !m->win) {
    cim_close(m);
    return CIM_ERR_ARG;
  }
  {
    uint32_t i;
    for (i = 0; i < CIM_REF_WIN_TABLE_WORDS; ++i) m->win[i] = cim_ref_win_full(arr);
  }
  return CIM_OK;
#endif
}

void cim_close(cim_macro *m) {
#if !defined(__riscv)
  if (m && m->cells) free(m->cells);
  if (m && m->win) free(m->win);
#endif
  if (m) {
    m->cells = 0;
    m->win = 0;
  }
}

int cim_wait(const cim_macro *m) {
#if defined(__riscv)
  uint32_t s;
  do {
    s = reg_rd(m, CIM_REG_STATUS);
  } while (s & CIM_STATUS_BUSY);
  return (int)CIM_STATUS_ERR(s);
#else
  (void)m;
  return CIM_OK;
#endif
}

static uint32_t div_up(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

#if defined(__riscv)
/* A register write the device may refuse: STATUS is cleared first (an earlier command's sticky error
 * is not this write's), then the write's error code is read and cleared again. */
static int checked_write(const cim_macro *m, uint32_t off, uint32_t v) {
  int e;
  reg_wr(m, CIM_REG_CTRL, CIM_CTRL_CLEAR);
  reg_wr(m, off, v);
  e = (int)CIM_STATUS_ERR(reg_rd(m, CIM_REG_STATUS));
  if (e) reg_wr(m, CIM_REG_CTRL, CIM_CTRL_CLEAR);
  return e;
}
#endif

int cim_windows_enable(cim_macro *m, int on) {
  if (!m) return CIM_ERR_ARG;
  if (on && m->arr.type != CIM_TYPE_ANALOG) return CIM_ERR_WINDOW;
#if defined(__riscv)
  return checked_write(m, CIM_REG_MODE, on ? CIM_MODE_WIN_EN : 0u);
#else
  m->win_en = on ? 1u : 0u;
  return CIM_OK;
#endif
}

int cim_set_windows(cim_macro *m, const uint32_t *words, uint32_t n_groups, uint32_t n_passes) {
  uint32_t g, k;
  if (!m || !words || !n_groups || !n_passes) return CIM_ERR_ARG;
  if (n_groups > cim_ref_win_groups(&m->arr) || n_passes > CIM_REF_MAX_PASSES) return CIM_ERR_RANGE;
  for (g = 0; g < n_groups; ++g)
    for (k = 0; k < n_passes; ++k) {
      const uint32_t w = words[g * n_passes + k];
      const int e = cim_ref_check_window(&m->arr, cim_ref_win_offset(w), cim_ref_win_fs(w));
      if (e) return e;
    }
  for (g = 0; g < n_groups; ++g)
    for (k = 0; k < n_passes; ++k) {
#if defined(__riscv)
      const int e = checked_write(m, CIM_WIN_TABLE + 4u * cim_ref_win_index(g, k), words[g * n_passes + k]);
      if (e) return e;
#else
      m->win[cim_ref_win_index(g, k)] = words[g * n_passes + k];
#endif
    }
  return cim_windows_enable(m, 1);
}

int cim_power(cim_macro *m, uint32_t state) {
  if (!m || state > CIM_POWER_OFF) return CIM_ERR_ARG;
#if defined(__riscv)
  {
    const int e = checked_write(m, CIM_REG_POWER, state);
    if (e) return e;
  }
#endif
  m->power = state;
  return CIM_OK;
}

int cim_matrix_power(cim_macro *macros, const cim_matrix *mat, uint32_t state) {
  uint32_t i;
  int err = CIM_OK;
  if (!macros || !mat) return CIM_ERR_ARG;
  for (i = 0; i < mat->tiles_in * mat->tiles_out; ++i) {
    const int e = cim_power(&macros[mat->first + i], state);
    if (e && err == CIM_OK) err = e;
  }
  return err;
}

uint32_t cim_tiles_needed(const cim_macro *m, uint32_t n_out, uint32_t n_in, uint32_t wbits) {
  if (!cim_ref_valid_wbits(&m->arr, wbits) || n_out == 0 || n_in == 0) return 0;
  return div_up(n_in, m->arr.rows) * div_up(n_out, cim_ref_max_outputs(&m->arr, wbits));
}

/* Program one tile: rows [0, nrows), outputs [0, nout) of macro m from w (stride n_in). */
static int program_tile(cim_macro *m, const int8_t *w, uint32_t nrows, uint32_t nout, uint32_t stride, uint32_t wbits) {
#if defined(__riscv)
  int err = cim_wait(m);
  (void)err; /* a stale error of an earlier command is replaced by this one's */
  reg_wr(m, CIM_REG_WBITS, wbits);
  reg_wr(m, CIM_REG_ROW0, 0);
  reg_wr(m, CIM_REG_OUT0, 0);
  reg_wr(m, CIM_REG_NROWS, nrows);
  reg_wr(m, CIM_REG_NOUT, nout);
  reg_wr(m, CIM_REG_SRC, (uint32_t)(uintptr_t)w);
  reg_wr(m, CIM_REG_STRIDE, stride);
  reg_wr(m, CIM_REG_CTRL, CIM_CTRL_PROGRAM);
  return cim_wait(m);
#else
  const int err = cim_ref_program(&m->arr, m->cells, wbits, 0, nrows, 0, nout, w, stride);
  if (err == CIM_OK) m->wbits = wbits;
  return err;
#endif
}

int cim_load(cim_macro *macros, uint32_t n_macros, uint32_t first, const int8_t *w, uint32_t n_out, uint32_t n_in,
             uint32_t wbits, cim_matrix *mat) {
  uint32_t ti, to, i, need;
  if (!macros || !w || !mat || n_out == 0 || n_in == 0 || first >= n_macros) return CIM_ERR_ARG;
  if (!cim_ref_valid_wbits(&macros[first].arr, wbits)) return CIM_ERR_WIDTH;
  need = cim_tiles_needed(&macros[first], n_out, n_in, wbits);
  if (need > n_macros - first) return CIM_ERR_NOSPACE;
  for (i = first; i < first + need; ++i) /* one tile shape for the whole matrix */
    if (macros[i].arr.rows != macros[first].arr.rows ||
        cim_ref_max_outputs(&macros[i].arr, wbits) != cim_ref_max_outputs(&macros[first].arr, wbits))
      return CIM_ERR_ARG;
  mat->n_out = n_out;
  mat->n_in = n_in;
  mat->wbits = wbits;
  mat->first = first;
  mat->tile_rows = macros[first].arr.rows;
  mat->tile_outs = cim_ref_max_outputs(&macros[first].arr, wbits);
  mat->tiles_in = div_up(n_in, mat->tile_rows);
  mat->tiles_out = div_up(n_out, mat->tile_outs);
  for (to = 0; to < mat->tiles_out; ++to)
    for (ti = 0; ti < mat->tiles_in; ++ti) {
      const uint32_t r0 = ti * mat->tile_rows, o0 = to * mat->tile_outs;
      const uint32_t nr = n_in - r0 < mat->tile_rows ? n_in - r0 : mat->tile_rows;
      const uint32_t no = n_out - o0 < mat->tile_outs ? n_out - o0 : mat->tile_outs;
      const int err = program_tile(&macros[first + to * mat->tiles_in + ti], w + (uint64_t)o0 * n_in + r0, nr, no,
                                   n_in, wbits);
      if (err != CIM_OK) return err;
    }
  return CIM_OK;
}

int cim_mvm(cim_macro *macros, const cim_matrix *mat, const int8_t *x, uint32_t abits, int32_t *y) {
  uint32_t ti, to, o;
  int err = CIM_OK;
  if (!macros || !mat || !x || !y) return CIM_ERR_ARG;
  if (!cim_ref_valid_abits(abits)) return CIM_ERR_WIDTH;
  for (o = 0; o < mat->n_out; ++o) y[o] = 0;
#if defined(__riscv)
  /* Start every tile, then collect: the macros compute in parallel. */
  for (to = 0; to < mat->tiles_out; ++to)
    for (ti = 0; ti < mat->tiles_in; ++ti) {
      const cim_macro *m = &macros[mat->first + to * mat->tiles_in + ti];
      const uint32_t r0 = ti * mat->tile_rows, o0 = to * mat->tile_outs;
      const uint32_t nr = mat->n_in - r0 < mat->tile_rows ? mat->n_in - r0 : mat->tile_rows;
      const uint32_t no = mat->n_out - o0 < mat->tile_outs ? mat->n_out - o0 : mat->tile_outs;
      volatile uint32_t *in = (volatile uint32_t *)(m->base + CIM_IN_BUF);
      uint32_t i = 0;
      for (; i + 4 <= nr; i += 4) {
        const uint8_t *b = (const uint8_t *)(x + r0 + i);
        in[i / 4] = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
      }
      for (; i < nr; ++i) ((volatile int8_t *)(m->base + CIM_IN_BUF))[i] = x[r0 + i];
      reg_wr(m, CIM_REG_WBITS, mat->wbits);
      reg_wr(m, CIM_REG_ABITS, abits);
      reg_wr(m, CIM_REG_NROWS, nr);
      reg_wr(m, CIM_REG_NOUT, no);
      reg_wr(m, CIM_REG_CTRL, CIM_CTRL_START);
    }
  for (to = 0; to < mat->tiles_out; ++to)
    for (ti = 0; ti < mat->tiles_in; ++ti) {
      const cim_macro *m = &macros[mat->first + to * mat->tiles_in + ti];
      const uint32_t o0 = to * mat->tile_outs;
      const uint32_t no = mat->n_out - o0 < mat->tile_outs ? mat->n_out - o0 : mat->tile_outs;
      const volatile uint32_t *out = (const volatile uint32_t *)(m->base + CIM_OUT_BUF);
      const int e = cim_wait(m);
      if (e != CIM_OK) {
        if (err == CIM_OK) err = e;
        continue;
      }
      for (o = 0; o < no; ++o) y[o0 + o] = (int32_t)((uint32_t)y[o0 + o] + out[o]);
    }
#else
  for (to = 0; to < mat->tiles_out && err == CIM_OK; ++to)
    for (ti = 0; ti < mat->tiles_in && err == CIM_OK; ++ti) {
      cim_macro *m = &macros[mat->first + to * mat->tiles_in + ti];
      const uint32_t r0 = ti * mat->tile_rows, o0 = to * mat->tile_outs;
      const uint32_t nr = mat->n_in - r0 < mat->tile_rows ? mat->n_in - r0 : mat->tile_rows;
      const uint32_t no = mat->n_out - o0 < mat->tile_outs ? mat->n_out - o0 : mat->tile_outs;
      int32_t part[CIM_REF_MAX_COLS];
      if (m->wbits == 0) err = CIM_ERR_NOT_PROGRAMMED;
      else if (m->wbits != mat->wbits) err = CIM_ERR_WIDTH;
      else err = cim_ref_mvm(&m->arr, m->cells, mat->wbits, abits, x + r0, nr, no, part, 0, m->win_en ? m->win : 0);
      if (err == CIM_OK)
        for (o = 0; o < no; ++o) y[o0 + o] = (int32_t)((uint32_t)y[o0 + o] + (uint32_t)part[o]);
    }
#endif
  if (err != CIM_OK)
    for (o = 0; o < mat->n_out; ++o) y[o] = 0; /* never hand out a partial result */
  return err;
}

/* CIM driver: runs integer matrix-vector products on the MRAM compute-in-memory macros.
 *
 *   cim_macro m[4];  cim_matrix A;  int32_t y[256];
 *   for (i = 0; i < 4; ++i) cim_open(&m[i], CIM_DEFAULT_BASE + i * CIM_DEFAULT_STRIDE);
 *   cim_load(m, 4, 0, w, 256, 256, 8, &A);        // program once (weights int8, row-major n_out x n_in)
 *   cim_mvm(m, &A, x, 8, y);                       // y = W x, INT32, as often as needed
 *
 * A matrix is cut into tiles of (macro rows) inputs x (macro outputs at that width) outputs; each
 * tile is programmed into its own macro (weights stay in place: "program once at load time").
 * Tiles along the input dimension are summed digitally by the driver. Every function returns
 * CIM_OK (0) or a CIM_ERR_* code from cim_ref.h; on an error the output is not valid and no partial
 * result is returned as if it were one.
 *
 * Target build (__riscv): talks to the device registers (mcucim/cim_regs.h), polling STATUS.
 * Host build: the same code path drives an in-memory array through cim_ref.h, so host and simulator
 * results agree bit for bit (ideal macro). C11 (also compiles as C++), freestanding on the target. */
#ifndef MCUCIM_CIM_H
#define MCUCIM_CIM_H
#include <stdint.h>

#include "cim_ref.h"
#include "mcucim/cim_regs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uintptr_t base;      /* device base address (target) */
  cim_ref_array arr;   /* geometry, converters, rows per pass, zero skipping, type */
  uint64_t *cells;     /* host build: the array contents (NULL on the target) */
  uint32_t wbits;      /* host build: programmed width */
  uint32_t *win;       /* host build: the ADC window table (CIM_REF_WIN_TABLE_WORDS words) */
  uint32_t win_en;     /* host build: windows enabled */
  uint32_t power;      /* last requested power state (CIM_POWER_*) */
} cim_macro;

typedef struct {
  uint32_t n_out, n_in, wbits;
  uint32_t tile_rows, tile_outs;   /* tile size */
  uint32_t tiles_in, tiles_out;    /* tile grid; tile (ti, to) lives in macro first + to * tiles_in + ti */
  uint32_t first;
} cim_matrix;

/* Target: check the ID register and read the geometry. Host: CIM_ERR_DEVICE (use cim_open_host). */
int cim_open(cim_macro *m, uintptr_t base);
/* Host build only: an in-memory macro with the given geometry (allocated; cim_close frees it). */
int cim_open_host(cim_macro *m, const cim_ref_array *arr);
void cim_close(cim_macro *m);

/* Number of macros a n_out x n_in matrix of width wbits needs on macros shaped like m. */
uint32_t cim_tiles_needed(const cim_macro *m, uint32_t n_out, uint32_t n_in, uint32_t wbits);
/* Program W (n_out x n_in, row-major, int8 values in the signed wbits range) into macros
 * [first, first + tiles). CIM_ERR_NOSPACE if n_macros - first is too few. */
int cim_load(cim_macro *macros, uint32_t n_macros, uint32_t first, const int8_t *w, uint32_t n_out, uint32_t n_in,
             uint32_t wbits, cim_matrix *mat);
/* y[0..n_out) = W x for x[0..n_in) of abits-bit signed inputs. All tiles run in parallel. */
int cim_mvm(cim_macro *macros, const cim_matrix *mat, const int8_t *x, uint32_t abits, int32_t *y);

/* ADC windows (analog macros, cim/CIM.md "ADC windows"): words[g * n_passes + k] (cim_ref_win_pack:
 * offset | full scale << 16, analog units) for column groups g < n_groups and passes k < n_passes are
 * written into the macro's window table and the windows enabled. Every window is checked first
 * (CIM_ERR_WINDOW: outside the ADC range R (2^D-1) (2^cell_bits-1), full scale 0, or a digital
 * macro; CIM_ERR_RANGE: more groups or passes than the table has); nothing is enabled on an error. */
int cim_set_windows(cim_macro *m, const uint32_t *words, uint32_t n_groups, uint32_t n_passes);
/* Enable (1) or disable (0) the window table (disabled: the ADC covers the preset's full scale). */
int cim_windows_enable(cim_macro *m, int on);

/* Power state request (CIM_POWER_ON / _IDLE / _OFF, mcucim/cim_regs.h): CIM_ERR_BUSY while the macro
 * runs a command (the state is unchanged), CIM_ERR_ARG for another value. An MVM or PROGRAM on an
 * idle/off macro wakes it (paying the wake-up latency and energy): power requests never change
 * results. Host build: recorded only (no time on the host). */
int cim_power(cim_macro *m, uint32_t state);
/* The same for every macro of a matrix (the first error is returned, the others still tried). */
int cim_matrix_power(cim_macro *macros, const cim_matrix *mat, uint32_t state);

/* Low level (target): wait until the macro is not busy; returns its error code (0 if none). */
int cim_wait(const cim_macro *m);

#ifdef __cplusplus
}
#endif
#endif

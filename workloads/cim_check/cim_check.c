/* cim_check: the CIM driver end to end on the simulated macros (configs/mcu-cim.yaml, >= 4 macros).
 * Prints the INT32 results of two matrix-vector products (INT4 and INT8 weights, INT8 inputs, partial
 * tiles along both dimensions) that tests/cim/cim_e2e_test.cpp compares with the driver's host build,
 * then provokes register misuse and prints the error codes the driver sees; then runs A through ADC
 * windows (compared with the host twin as well), gates B's macros and runs B again (the MVM wakes
 * them), and refuses a window outside the ADC range and a power request on a busy macro. Exit 0 if
 * every driver call that should succeed did. */
#include <stdio.h>

#include "cim.h"
#include "cim_check_data.h"

static int8_t wa[CHK_A_OUT * CHK_A_IN], xa[CHK_A_IN];
static int8_t wb[CHK_B_OUT * CHK_B_IN], xb[CHK_B_IN];
static int32_t ya[CHK_A_OUT], yb[CHK_B_OUT];

static void print_vec(const char *name, const int32_t *y, uint32_t n) {
  uint32_t i;
  printf("%s:", name);
  for (i = 0; i < n; ++i) printf(" %ld", (long)y[i]);
  printf("\n");
}

int main(void) {
  cim_macro m[4];
  cim_matrix A, B;
  int ok = 1, i, e;
  for (i = 0; i < 4; ++i)
    if (cim_open(&m[i], CIM_DEFAULT_BASE + (uint32_t)i * CIM_DEFAULT_STRIDE) != CIM_OK) {
      printf("no CIM macro %d\n", i);
      return 2;
    }
  chk_fill(wa, CHK_A_OUT * CHK_A_IN, 4);
  chk_fill(xa, CHK_A_IN, 8);
  chk_fill(wb, CHK_B_OUT * CHK_B_IN, 8);
  chk_fill(xb, CHK_B_IN, 8);
  ok &= cim_load(m, 4, 0, wa, CHK_A_OUT, CHK_A_IN, 4, &A) == CIM_OK;
  ok &= cim_load(m, 4, 2, wb, CHK_B_OUT, CHK_B_IN, 8, &B) == CIM_OK;
  ok &= cim_mvm(m, &A, xa, 8, ya) == CIM_OK;
  ok &= cim_mvm(m, &B, xb, 8, yb) == CIM_OK;
  print_vec("A", ya, CHK_A_OUT);
  print_vec("B", yb, CHK_B_OUT);

  /* Misuse, straight at the registers of macro 0 (holds INT4 weights). */
  {
    volatile uint32_t *r = (volatile uint32_t *)m[0].base;
    r[CIM_REG_WBITS / 4] = 4;
    r[CIM_REG_ABITS / 4] = 8;
    r[CIM_REG_NROWS / 4] = 256;
    r[CIM_REG_NOUT / 4] = 100;
    r[CIM_REG_CTRL / 4] = CIM_CTRL_START;
    r[CIM_REG_CTRL / 4] = CIM_CTRL_START; /* still busy */
    printf("misuse start-while-busy: %d\n", cim_wait(&m[0]));
    r[CIM_REG_NROWS / 4] = 257;           /* more rows than the array has */
    r[CIM_REG_CTRL / 4] = CIM_CTRL_START;
    printf("misuse out-of-range-tile: %d\n", cim_wait(&m[0]));
    r[CIM_REG_NROWS / 4] = 256;
    r[CIM_REG_WBITS / 4] = 8;             /* not the programmed width */
    r[CIM_REG_CTRL / 4] = CIM_CTRL_START;
    printf("misuse bad-weight-width: %d\n", cim_wait(&m[0]));
    r[CIM_REG_WBITS / 4] = 4;
    r[CIM_REG_ABITS / 4] = 9;
    r[CIM_REG_CTRL / 4] = CIM_CTRL_START;
    printf("misuse bad-input-width: %d\n", cim_wait(&m[0]));
    r[CIM_REG_WBITS / 4] = 3;
    r[CIM_REG_NROWS / 4] = 1;
    r[CIM_REG_NOUT / 4] = 1;
    r[CIM_REG_SRC / 4] = (uint32_t)(uintptr_t)wa;
    r[CIM_REG_CTRL / 4] = CIM_CTRL_PROGRAM;
    printf("misuse bad-program-width: %d\n", cim_wait(&m[0]));
    r[CIM_REG_CTRL / 4] = CIM_CTRL_CLEAR;
    printf("after clear: status %lu\n", (unsigned long)r[CIM_REG_STATUS / 4]);
  }
  /* Through the driver: too few macros, bad input width, an input outside its width. */
  printf("driver no-space: %d\n", cim_load(m, 4, 3, wa, CHK_A_OUT, CHK_A_IN, 4, &A));
  printf("driver bad-width: %d\n", cim_mvm(m, &B, xb, 9, yb));
  e = cim_mvm(m, &B, xb, 4, yb); /* xb holds INT8 values: out of the INT4 range */
  printf("driver bad-value: %d (y[0] %ld)\n", e, (long)yb[0]);
  /* A good MVM still works after all that. */
  ok &= cim_mvm(m, &A, xa, 8, ya) == CIM_OK;
  print_vec("A again", ya, 4);

  /* ADC windows on A's macros (0 and 1): 8 groups of 64 columns x 8 passes, the same table on both. */
  {
    static uint32_t win[8 * 8];
    uint32_t bad = cim_ref_win_pack(200, 100); /* 200 + 100 > 256 rows: outside the ADC range */
    volatile uint32_t *r = (volatile uint32_t *)m[0].base;
    chk_windows(win, 8, 8);
    ok &= cim_set_windows(&m[0], win, 8, 8) == CIM_OK;
    ok &= cim_set_windows(&m[1], win, 8, 8) == CIM_OK;
    ok &= cim_mvm(m, &A, xa, 8, ya) == CIM_OK;
    print_vec("A windowed", ya, CHK_A_OUT);
    ok &= cim_windows_enable(&m[0], 0) == CIM_OK;
    ok &= cim_windows_enable(&m[1], 0) == CIM_OK;
    printf("driver window-out-of-range: %d\n", cim_set_windows(&m[0], &bad, 1, 1));
    r[CIM_WIN_TABLE / 4] = bad; /* straight at the register: refused, the entry keeps its value */
    printf("misuse window-out-of-range: %lu (entry 0x%08lx)\n", (unsigned long)CIM_STATUS_ERR(r[CIM_REG_STATUS / 4]),
           (unsigned long)r[CIM_WIN_TABLE / 4]);
    r[CIM_REG_CTRL / 4] = CIM_CTRL_CLEAR;
  }
  /* Power: B's macros (2, 3) off; the next MVM wakes them and gives the same results. */
  {
    volatile uint32_t *r = (volatile uint32_t *)m[2].base;
    ok &= cim_matrix_power(m, &B, CIM_POWER_OFF) == CIM_OK;
    printf("power state after off: %lu\n", (unsigned long)(r[CIM_REG_POWER / 4] & 3u));
    ok &= cim_mvm(m, &B, xb, 8, yb) == CIM_OK;
    print_vec("B after wake", yb, 4);
    printf("power state after mvm: %lu\n", (unsigned long)(r[CIM_REG_POWER / 4] & 3u));
    /* a state request while the macro computes is refused, the MVM goes on */
    r[CIM_REG_CTRL / 4] = CIM_CTRL_START;
    printf("misuse power-while-busy: %d\n", cim_power(&m[2], CIM_POWER_OFF));
    printf("after busy request: %d, state %lu\n", cim_wait(&m[2]), (unsigned long)(r[CIM_REG_POWER / 4] & 3u));
    r[CIM_REG_POWER / 4] = 3u; /* not a state */
    printf("misuse power-bad-state: %lu\n", (unsigned long)CIM_STATUS_ERR(r[CIM_REG_STATUS / 4]));
    r[CIM_REG_CTRL / 4] = CIM_CTRL_CLEAR;
    ok &= cim_matrix_power(m, &B, CIM_POWER_OFF) == CIM_OK; /* stays off to the end */
  }
  printf("cim_check: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

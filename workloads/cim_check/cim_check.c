/* cim_check: the CIM driver end to end on the simulated macros (configs/mcu-cim.yaml, >= 4 macros).
 * Prints the INT32 results of two matrix-vector products (INT4 and INT8 weights, INT8 inputs, partial
 * tiles along both dimensions) that tests/cim/cim_e2e_test.cpp compares with the driver's host build,
 * then provokes register misuse and prints the error codes the driver sees. Exit 0 if every driver
 * call that should succeed did. */
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
  printf("cim_check: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

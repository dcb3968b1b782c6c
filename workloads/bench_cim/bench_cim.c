/* bench_cim: y = W x for a 256x256 matrix, INT8 and INT4 weights against INT8 activations, on
 *   - the core, scalar C                      (regions int8_scalar, int4_scalar)
 *   - the core with Xmac, 8-row blocking      (regions int8_xmac, int4_xmac; skipped without Xmac)
 *   - the MRAM CIM macros through the driver  (regions int8_cim, int4_cim)
 * Each variant runs inside a sim-control region with 65536 declared MACs, so the simulator's report
 * gives its energy and TOPS/W; the program prints the cycles (mcycle) of each. Weights are programmed
 * into the macros once, before the timed regions (region cim_program: no MACs), INT8 into cim0..3
 * (64 outputs each), INT4 into cim4..5 (128 outputs each). The CIM results are compared with the
 * exact scalar ones: with the preset's 6-b ADC they differ (quantisation); the program prints the
 * largest difference and the RMS of the exact result, and checks the Xmac results bit for bit.
 * Exit code 0 unless a driver call fails or an Xmac result differs. Needs configs/mcu-cim.yaml. */
#include <stdint.h>
#include <stdio.h>

#include "cim.h"
#include "mcucim/simctrl.h"
#include "xmac.h"

#define N 256
#define MACS ((uint64_t)N * N)
#define SEED 0x2545F491u

static int8_t w8[N * N] __attribute__((aligned(4)));  /* INT8, row-major: also the Xmac word layout */
static int8_t w4[N * N];                               /* INT4 values one per byte, for the CIM driver */
static uint32_t w4p[N * N / 8];                        /* INT4 packed 8 per word, for scalar and Xmac */
static int8_t x[N] __attribute__((aligned(4)));
static int32_t y_ref[N], y[N];

static uint64_t read_mcycle(void) {
  uint32_t hi, lo, hi2;
  do {
    __asm__ volatile(".insn i SYSTEM, 2, %0, x0, -1152" : "=r"(hi));  /* mcycleh */
    __asm__ volatile(".insn i SYSTEM, 2, %0, x0, -1280" : "=r"(lo));  /* mcycle */
    __asm__ volatile(".insn i SYSTEM, 2, %0, x0, -1152" : "=r"(hi2));
  } while (hi != hi2);
  return ((uint64_t)hi << 32) | lo;
}

static uint32_t rng = SEED;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static void make_data(void) {
  unsigned i;
  for (i = 0; i < N * N; ++i) w8[i] = (int8_t)(next() >> 24);
  for (i = 0; i < N * N / 8; ++i) {
    const uint32_t v = next();
    unsigned j;
    w4p[i] = v;
    for (j = 0; j < 8; ++j) {
      const int32_t u = (int32_t)((v >> (4 * j)) & 0xFu);
      w4[8 * i + j] = (int8_t)(u >= 8 ? u - 16 : u);
    }
  }
  for (i = 0; i < N; ++i) x[i] = (int8_t)(next() >> 24);
}

static void i8_scalar(int32_t *out) {
  unsigned r, k;
  for (r = 0; r < N; ++r) {
    const int8_t *w = &w8[r * N];
    uint32_t acc = 0;
    for (k = 0; k < N; ++k) acc += (uint32_t)((int32_t)w[k] * (int32_t)x[k]);
    out[r] = (int32_t)acc;
  }
}
static void i4_scalar(int32_t *out) {
  unsigned r, j, i;
  for (r = 0; r < N; ++r) {
    uint32_t acc = 0;
    for (j = 0; j < N / 8; ++j) {
      const uint32_t word = w4p[r * (N / 8) + j];
      for (i = 0; i < 8; ++i) {
        const int32_t wi = (int32_t)((word >> (4 * i)) & 0xFu) - (int32_t)(((word >> (4 * i)) & 0x8u) << 1);
        acc += (uint32_t)(wi * (int32_t)x[8 * j + i]);
      }
    }
    out[r] = (int32_t)acc;
  }
}
/* Xmac: 8 rows share each activation word; one xmac.ldot per weight word. */
static void i8_xmac(int32_t *out) {
  const uint32_t *xw = (const uint32_t *)(const void *)x;
  unsigned r, k, i;
  for (r = 0; r < N; r += 8) {
    const uint32_t *p[8];
    int32_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (i = 0; i < 8; ++i) p[i] = (const uint32_t *)(const void *)&w8[(r + i) * N];
    for (k = 0; k < N / 4; ++k) {
      const uint32_t a = xw[k];
      s[0] = xmac_ldot8(s[0], &p[0], a);
      s[1] = xmac_ldot8(s[1], &p[1], a);
      s[2] = xmac_ldot8(s[2], &p[2], a);
      s[3] = xmac_ldot8(s[3], &p[3], a);
      s[4] = xmac_ldot8(s[4], &p[4], a);
      s[5] = xmac_ldot8(s[5], &p[5], a);
      s[6] = xmac_ldot8(s[6], &p[6], a);
      s[7] = xmac_ldot8(s[7], &p[7], a);
    }
    for (i = 0; i < 8; ++i) out[r + i] = s[i];
  }
}
static void i4_xmac(int32_t *out) {
  const uint32_t *xw = (const uint32_t *)(const void *)x;
  unsigned r, k, i;
  for (r = 0; r < N; r += 8) {
    const uint32_t *p[8];
    int32_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (i = 0; i < 8; ++i) p[i] = &w4p[(r + i) * (N / 8)];
    for (k = 0; k < N / 4; k += 2) {
      const uint32_t lo = xw[k], hi = xw[k + 1];
      s[0] = xmac_ldot4(s[0], &p[0], lo, hi);
      s[1] = xmac_ldot4(s[1], &p[1], lo, hi);
      s[2] = xmac_ldot4(s[2], &p[2], lo, hi);
      s[3] = xmac_ldot4(s[3], &p[3], lo, hi);
      s[4] = xmac_ldot4(s[4], &p[4], lo, hi);
      s[5] = xmac_ldot4(s[5], &p[5], lo, hi);
      s[6] = xmac_ldot4(s[6], &p[6], lo, hi);
      s[7] = xmac_ldot4(s[7], &p[7], lo, hi);
    }
    for (i = 0; i < 8; ++i) out[r + i] = s[i];
  }
}

static cim_macro mac[6];
static cim_matrix m8, m4;
static int cim_rc;
static void i8_cim(int32_t *out) { cim_rc = cim_mvm(mac, &m8, x, 8, out); }
static void i4_cim(int32_t *out) { cim_rc = cim_mvm(mac, &m4, x, 8, out); }

enum { R_I8_SCALAR = 1, R_I8_XMAC, R_I8_CIM, R_I4_SCALAR, R_I4_XMAC, R_I4_CIM, R_PROGRAM };

static uint32_t run(uint32_t id, const char *name, void (*k)(int32_t *), int32_t *out) {
  uint64_t t0, t1;
  unsigned i;
  for (i = 0; i < N; ++i) out[i] = 0x5A5A5A5A;
  sim_region_name(id, name);
  sim_region_begin(id);
  sim_work_macs(MACS);
  t0 = read_mcycle();
  k(out);
  t1 = read_mcycle();
  sim_region_end(id);
  printf("%-12s %10lu cycles\n", name, (unsigned long)(t1 - t0));
  return (uint32_t)(t1 - t0);
}

static int same(const char *name) {
  unsigned i;
  for (i = 0; i < N; ++i)
    if (y[i] != y_ref[i]) {
      printf("FAIL %s: row %u: %ld, scalar %ld\n", name, i, (long)y[i], (long)y_ref[i]);
      return 0;
    }
  return 1;
}

/* Largest |cim - exact| and the RMS of the exact result (integer sqrt), for the quantisation note. */
static void compare(const char *name) {
  uint32_t maxd = 0, i;
  uint64_t ss = 0, r = 0;
  for (i = 0; i < N; ++i) {
    const int32_t d = y[i] - y_ref[i];
    const uint32_t a = (uint32_t)(d < 0 ? -d : d);
    if (a > maxd) maxd = a;
    ss += (uint64_t)((int64_t)y_ref[i] * y_ref[i]);
  }
  ss /= N;
  for (i = 31; i < 32; --i) { /* integer square root, bit by bit */
    const uint64_t t = r | ((uint64_t)1 << i);
    if (t * t <= ss) r = t;
  }
  printf("%-12s max |cim - exact| = %lu (exact RMS %lu)\n", name, (unsigned long)maxd, (unsigned long)r);
}

int main(void) {
  int ok = 1, i, has_xmac = xmac_present();
  printf("bench_cim: %ux%u matrix-vector products, %lu MACs each\n", N, N, (unsigned long)MACS);
  for (i = 0; i < 6; ++i)
    if (cim_open(&mac[i], CIM_DEFAULT_BASE + (uint32_t)i * CIM_DEFAULT_STRIDE) != CIM_OK) {
      printf("bench_cim: no CIM macro %d at 0x%08lx (run with configs/mcu-cim.yaml)\n", i,
             (unsigned long)(CIM_DEFAULT_BASE + (uint32_t)i * CIM_DEFAULT_STRIDE));
      return 2;
    }
  make_data();
  sim_region_name(R_PROGRAM, "cim_program");
  sim_region_begin(R_PROGRAM);
  ok &= cim_load(mac, 6, 0, w8, N, N, 8, &m8) == CIM_OK;
  ok &= cim_load(mac, 6, 4, w4, N, N, 4, &m4) == CIM_OK;
  sim_region_end(R_PROGRAM);
  if (!ok) {
    printf("bench_cim: programming the macros failed\n");
    return 1;
  }

  run(R_I8_SCALAR, "int8_scalar", i8_scalar, y_ref);
  if (has_xmac) {
    run(R_I8_XMAC, "int8_xmac", i8_xmac, y);
    ok &= same("int8_xmac");
  }
  run(R_I8_CIM, "int8_cim", i8_cim, y);
  ok &= cim_rc == CIM_OK;
  compare("int8_cim");

  run(R_I4_SCALAR, "int4_scalar", i4_scalar, y_ref);
  if (has_xmac) {
    run(R_I4_XMAC, "int4_xmac", i4_xmac, y);
    ok &= same("int4_xmac");
  }
  run(R_I4_CIM, "int4_cim", i4_cim, y);
  ok &= cim_rc == CIM_OK;
  compare("int4_cim");
  printf("bench_cim: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

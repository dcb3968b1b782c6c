/* bench_matvec: 256x256 integer matrix-vector products, plain scalar C against the Xmac intrinsics.
 *
 *   y[r] = sum_k W[r][k] * x[k]      (int32 result, wrapping like the hardware)
 *
 * Variants, for INT8 weights and for INT4 weights (both against INT8 activations):
 *   scalar       straight C, one row at a time
 *   xmac 4-row   xmac.ldot with one weight pointer per row, 4 rows share each activation word/pair
 *   xmac 8-row   the same with 8 rows
 * Every Xmac result is checked against the scalar result. Each variant is timed with mcycle and
 * marked as a sim-control region (with its useful MACs declared), so the simulator's report can
 * attribute cycles and energy to it. Exit code: 0 if every check passed, 1 otherwise, 2 if the core
 * has no Xmac.
 *
 * Data layout: weights row-major, packed little-endian into 32-bit words (INT8: 4 per word, INT4: 8
 * per word, element 0 in the low bits), activations 4 INT8 per word, as isa/XMAC.md specifies.
 * Data are pseudo-random (xorshift32, fixed seed) and generated at start-up into RAM.
 *
 * Also builds and runs on a host (cc -I runtime/include bench_matvec.c): cycles then read 0 and the
 * run is a correctness check of the kernels against the reference semantics.
 */
#include <stdint.h>
#include <stdio.h>

#if defined(BENCH_NO_SIMCTRL)
/* For runs without the mcucim sim-control device (e.g. a QEMU smoke test): region marks are no-ops. */
#define sim_region_name(id, name) ((void)(id), (void)(name))
#define sim_region_begin(id) ((void)(id))
#define sim_region_end(id) ((void)(id))
#define sim_work_macs(macs) ((void)(macs))
#else
#include "mcucim/simctrl.h"
#endif
#include "xmac.h"

#define ROWS 256
#define COLS 256
#define W8_WORDS_PER_ROW (COLS / 4)
#define W4_WORDS_PER_ROW (COLS / 8)
#define X_WORDS (COLS / 4)
#define SEED 0x2545F491u

#if (ROWS % 8) != 0 || (COLS % 8) != 0
#error "bench_matvec: ROWS and COLS must be multiples of 8 (8-row blocking, 8 INT4 weights per word)"
#endif

static uint32_t w8[ROWS * W8_WORDS_PER_ROW]; /* 64 KiB */
static uint32_t w4[ROWS * W4_WORDS_PER_ROW]; /* 32 KiB */
static uint32_t xw[X_WORDS];                 /* activations */
#define LONG_COLS 8192u                       /* the inner-loop variant: 8 rows x 8192 columns of w8 */
static uint32_t xlong[LONG_COLS / 4];
static int32_t y_long[ROWS]; /* run_variant() pre-fills ROWS entries; 8 are used */
static int32_t y_ref[ROWS];
static int32_t y_xmac[ROWS];

/* ---- Cycle counter ---------------------------------------------------------------------------- */
static uint64_t read_mcycle(void) {
#if defined(__riscv)
  /* csrr via .insn so that -march=rv32imc (no Zicsr) assembles it: mcycle = 0xB00, mcycleh = 0xB80,
   * written as signed 12-bit immediates. Read hi, lo, hi again so a carry between them is caught. */
  uint32_t hi, lo, hi2;
  do {
    __asm__ volatile(".insn i SYSTEM, 2, %0, x0, -1152" : "=r"(hi));  /* mcycleh */
    __asm__ volatile(".insn i SYSTEM, 2, %0, x0, -1280" : "=r"(lo));  /* mcycle */
    __asm__ volatile(".insn i SYSTEM, 2, %0, x0, -1152" : "=r"(hi2)); /* mcycleh */
  } while (hi != hi2);
  return ((uint64_t)hi << 32) | lo;
#else
  return 0;
#endif
}

/* ---- Data ------------------------------------------------------------------------------------- */
static uint32_t rng_state = SEED;
static uint32_t xorshift32(void) {
  uint32_t s = rng_state;
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return rng_state = s;
}

static void make_data(void) {
  rng_state = SEED;
  for (unsigned i = 0; i < ROWS * W8_WORDS_PER_ROW; ++i) w8[i] = xorshift32(); /* any byte is an INT8 */
  for (unsigned i = 0; i < ROWS * W4_WORDS_PER_ROW; ++i) w4[i] = xorshift32(); /* any nibble an INT4 */
  for (unsigned i = 0; i < X_WORDS; ++i) xw[i] = xorshift32();
  for (unsigned i = 0; i < LONG_COLS / 4; ++i) xlong[i] = xorshift32();
}

/* ---- Scalar kernels --------------------------------------------------------------------------- */
/* Products are summed in uint32_t so the wrap matches the hardware without signed overflow. */
static void matvec_i8_scalar(int32_t *y) {
  const int8_t *x = (const int8_t *)xw; /* little-endian: byte i of the words is element i */
  for (unsigned r = 0; r < ROWS; ++r) {
    const int8_t *w = (const int8_t *)&w8[r * W8_WORDS_PER_ROW];
    uint32_t acc = 0;
    for (unsigned k = 0; k < COLS; ++k) acc += (uint32_t)((int32_t)w[k] * (int32_t)x[k]);
    y[r] = (int32_t)acc;
  }
}

static void matvec_i4_scalar(int32_t *y) {
  const int8_t *x = (const int8_t *)xw;
  for (unsigned r = 0; r < ROWS; ++r) {
    const uint32_t *w = &w4[r * W4_WORDS_PER_ROW];
    uint32_t acc = 0;
    for (unsigned j = 0; j < W4_WORDS_PER_ROW; ++j) {
      const uint32_t word = w[j];
      const int8_t *xj = x + 8 * j;
      for (unsigned i = 0; i < 8; ++i) {
        const int32_t wi = (int32_t)((word >> (4 * i)) & 0xFu) - (int32_t)(((word >> (4 * i)) & 0x8u) << 1);
        acc += (uint32_t)(wi * (int32_t)xj[i]);
      }
    }
    y[r] = (int32_t)acc;
  }
}

/* ---- Xmac kernels ----------------------------------------------------------------------------- */
/* INT8, 4 rows per block: each activation word is loaded once and meets one weight word of each row;
 * every weight word costs exactly one xmac.ldot8. */
static void matvec_i8_xmac4(int32_t *y) {
  for (unsigned r = 0; r < ROWS; r += 4) {
    const uint32_t *p0 = &w8[(r + 0) * W8_WORDS_PER_ROW], *p1 = &w8[(r + 1) * W8_WORDS_PER_ROW];
    const uint32_t *p2 = &w8[(r + 2) * W8_WORDS_PER_ROW], *p3 = &w8[(r + 3) * W8_WORDS_PER_ROW];
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (const uint32_t *xp = xw; xp != xw + X_WORDS; ++xp) {
      const uint32_t a = *xp;
      s0 = xmac_ldot8(s0, &p0, a);
      s1 = xmac_ldot8(s1, &p1, a);
      s2 = xmac_ldot8(s2, &p2, a);
      s3 = xmac_ldot8(s3, &p3, a);
    }
    y[r + 0] = s0;
    y[r + 1] = s1;
    y[r + 2] = s2;
    y[r + 3] = s3;
  }
}

static void matvec_i8_xmac8(int32_t *y) {
  for (unsigned r = 0; r < ROWS; r += 8) {
    const uint32_t *p0 = &w8[(r + 0) * W8_WORDS_PER_ROW], *p1 = &w8[(r + 1) * W8_WORDS_PER_ROW];
    const uint32_t *p2 = &w8[(r + 2) * W8_WORDS_PER_ROW], *p3 = &w8[(r + 3) * W8_WORDS_PER_ROW];
    const uint32_t *p4 = &w8[(r + 4) * W8_WORDS_PER_ROW], *p5 = &w8[(r + 5) * W8_WORDS_PER_ROW];
    const uint32_t *p6 = &w8[(r + 6) * W8_WORDS_PER_ROW], *p7 = &w8[(r + 7) * W8_WORDS_PER_ROW];
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (const uint32_t *xp = xw; xp != xw + X_WORDS; ++xp) {
      const uint32_t a = *xp;
      s0 = xmac_ldot8(s0, &p0, a);
      s1 = xmac_ldot8(s1, &p1, a);
      s2 = xmac_ldot8(s2, &p2, a);
      s3 = xmac_ldot8(s3, &p3, a);
      s4 = xmac_ldot8(s4, &p4, a);
      s5 = xmac_ldot8(s5, &p5, a);
      s6 = xmac_ldot8(s6, &p6, a);
      s7 = xmac_ldot8(s7, &p7, a);
    }
    y[r + 0] = s0;
    y[r + 1] = s1;
    y[r + 2] = s2;
    y[r + 3] = s3;
    y[r + 4] = s4;
    y[r + 5] = s5;
    y[r + 6] = s6;
    y[r + 7] = s7;
  }
}

/* 8 rows with the column loop unrolled 4x: per iteration 4 activation loads, 32 ldot8 and the loop
 * branch, so the MAC unit is busy 32 of ~38 cycles on a single-issue core (see isa/XMAC.md). */
static void matvec_i8_xmac8u4(int32_t *y) {
  for (unsigned r = 0; r < ROWS; r += 8) {
    const uint32_t *p0 = &w8[(r + 0) * W8_WORDS_PER_ROW], *p1 = &w8[(r + 1) * W8_WORDS_PER_ROW];
    const uint32_t *p2 = &w8[(r + 2) * W8_WORDS_PER_ROW], *p3 = &w8[(r + 3) * W8_WORDS_PER_ROW];
    const uint32_t *p4 = &w8[(r + 4) * W8_WORDS_PER_ROW], *p5 = &w8[(r + 5) * W8_WORDS_PER_ROW];
    const uint32_t *p6 = &w8[(r + 6) * W8_WORDS_PER_ROW], *p7 = &w8[(r + 7) * W8_WORDS_PER_ROW];
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (const uint32_t *xp = xw; xp != xw + X_WORDS; xp += 4) {
#pragma GCC unroll 4
      for (unsigned u = 0; u < 4; ++u) {
        const uint32_t a = xp[u];
        s0 = xmac_ldot8(s0, &p0, a);
        s1 = xmac_ldot8(s1, &p1, a);
        s2 = xmac_ldot8(s2, &p2, a);
        s3 = xmac_ldot8(s3, &p3, a);
        s4 = xmac_ldot8(s4, &p4, a);
        s5 = xmac_ldot8(s5, &p5, a);
        s6 = xmac_ldot8(s6, &p6, a);
        s7 = xmac_ldot8(s7, &p7, a);
      }
    }
    y[r + 0] = s0;
    y[r + 1] = s1;
    y[r + 2] = s2;
    y[r + 3] = s3;
    y[r + 4] = s4;
    y[r + 5] = s5;
    y[r + 6] = s6;
    y[r + 7] = s7;
  }
}

/* The inner loop alone: the same 8-row, 4x-unrolled loop over one block of 8 rows x 8192 columns (the
 * w8 buffer seen as 8 long rows, activations from xlong), so the per-block set-up and result stores
 * are amortised over 2048 loop iterations: its MACs/cycle is the inner loop's. Checked against the
 * scalar sum of the same block. */
#if defined(__riscv) && !defined(XMAC_USE_REF)
void xmac_inner8(const uint32_t *w, uint32_t row_bytes, const uint32_t *x, uint32_t nwords, int32_t *y);
#endif
static void inner_i8_8rows(int32_t *y) {
  const uint32_t *p0 = &w8[0 * LONG_COLS / 4], *p1 = &w8[1 * LONG_COLS / 4], *p2 = &w8[2 * LONG_COLS / 4];
  const uint32_t *p3 = &w8[3 * LONG_COLS / 4], *p4 = &w8[4 * LONG_COLS / 4], *p5 = &w8[5 * LONG_COLS / 4];
  const uint32_t *p6 = &w8[6 * LONG_COLS / 4], *p7 = &w8[7 * LONG_COLS / 4];
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
#if defined(__riscv) && !defined(XMAC_USE_REF)
  /* Hand-scheduled in xmac_inner8.S (isa/XMAC.md's example loop): GCC spends ~4 register moves per
   * iteration on the same loop written with the intrinsics (2.90 MACs/cycle instead of 3.2). */
  (void)p1; (void)p2; (void)p3; (void)p4; (void)p5; (void)p6; (void)p7;
  (void)s0; (void)s1; (void)s2; (void)s3; (void)s4; (void)s5; (void)s6; (void)s7;
  xmac_inner8(p0, LONG_COLS, xlong, LONG_COLS / 4, y);
  return;
#else
  for (const uint32_t *xp = xlong; xp != xlong + LONG_COLS / 4; ++xp) {
    const uint32_t a = *xp;
    s0 = xmac_ldot8(s0, &p0, a);
    s1 = xmac_ldot8(s1, &p1, a);
    s2 = xmac_ldot8(s2, &p2, a);
    s3 = xmac_ldot8(s3, &p3, a);
    s4 = xmac_ldot8(s4, &p4, a);
    s5 = xmac_ldot8(s5, &p5, a);
    s6 = xmac_ldot8(s6, &p6, a);
    s7 = xmac_ldot8(s7, &p7, a);
  }
#endif
  y[0] = s0; y[1] = s1; y[2] = s2; y[3] = s3; y[4] = s4; y[5] = s5; y[6] = s6; y[7] = s7;
}
static int check_inner(void) {
  const int8_t *x = (const int8_t *)(const void *)xlong;
  for (unsigned r = 0; r < 8; ++r) {
    const int8_t *w = (const int8_t *)(const void *)&w8[r * LONG_COLS / 4];
    uint32_t acc = 0;
    for (unsigned k = 0; k < LONG_COLS; ++k) acc += (uint32_t)((int32_t)w[k] * (int32_t)x[k]);
    if ((int32_t)acc != y_long[r]) {
      printf("int8 inner loop: MISMATCH at row %u: %ld != %ld\n", r, (long)y_long[r], (long)(int32_t)acc);
      return 0;
    }
  }
  return 1;
}

/* INT4 weights: one weight word holds 8 weights and meets an activation pair (2 words). */
static void matvec_i4_xmac4(int32_t *y) {
  for (unsigned r = 0; r < ROWS; r += 4) {
    const uint32_t *p0 = &w4[(r + 0) * W4_WORDS_PER_ROW], *p1 = &w4[(r + 1) * W4_WORDS_PER_ROW];
    const uint32_t *p2 = &w4[(r + 2) * W4_WORDS_PER_ROW], *p3 = &w4[(r + 3) * W4_WORDS_PER_ROW];
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (const uint32_t *xp = xw; xp != xw + X_WORDS; xp += 2) {
      const uint32_t lo = xp[0], hi = xp[1];
      s0 = xmac_ldot4(s0, &p0, lo, hi);
      s1 = xmac_ldot4(s1, &p1, lo, hi);
      s2 = xmac_ldot4(s2, &p2, lo, hi);
      s3 = xmac_ldot4(s3, &p3, lo, hi);
    }
    y[r + 0] = s0;
    y[r + 1] = s1;
    y[r + 2] = s2;
    y[r + 3] = s3;
  }
}

static void matvec_i4_xmac8(int32_t *y) {
  for (unsigned r = 0; r < ROWS; r += 8) {
    const uint32_t *p0 = &w4[(r + 0) * W4_WORDS_PER_ROW], *p1 = &w4[(r + 1) * W4_WORDS_PER_ROW];
    const uint32_t *p2 = &w4[(r + 2) * W4_WORDS_PER_ROW], *p3 = &w4[(r + 3) * W4_WORDS_PER_ROW];
    const uint32_t *p4 = &w4[(r + 4) * W4_WORDS_PER_ROW], *p5 = &w4[(r + 5) * W4_WORDS_PER_ROW];
    const uint32_t *p6 = &w4[(r + 6) * W4_WORDS_PER_ROW], *p7 = &w4[(r + 7) * W4_WORDS_PER_ROW];
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (const uint32_t *xp = xw; xp != xw + X_WORDS; xp += 2) {
      const uint32_t lo = xp[0], hi = xp[1];
      s0 = xmac_ldot4(s0, &p0, lo, hi);
      s1 = xmac_ldot4(s1, &p1, lo, hi);
      s2 = xmac_ldot4(s2, &p2, lo, hi);
      s3 = xmac_ldot4(s3, &p3, lo, hi);
      s4 = xmac_ldot4(s4, &p4, lo, hi);
      s5 = xmac_ldot4(s5, &p5, lo, hi);
      s6 = xmac_ldot4(s6, &p6, lo, hi);
      s7 = xmac_ldot4(s7, &p7, lo, hi);
    }
    y[r + 0] = s0;
    y[r + 1] = s1;
    y[r + 2] = s2;
    y[r + 3] = s3;
    y[r + 4] = s4;
    y[r + 5] = s5;
    y[r + 6] = s6;
    y[r + 7] = s7;
  }
}

/* ---- Driver ----------------------------------------------------------------------------------- */
#define MACS ((uint64_t)ROWS * COLS)

enum { REGION_I8_SCALAR = 1, REGION_I8_XMAC4, REGION_I8_XMAC8, REGION_I4_SCALAR, REGION_I4_XMAC4,
       REGION_I4_XMAC8, REGION_I8_XMAC8U4, REGION_I8_INNER };

/* Run one variant inside its sim-control region; returns the cycles it took. */
static uint32_t run_variant(uint32_t region, const char *name, void (*kernel)(int32_t *), int32_t *y) {
  for (unsigned r = 0; r < ROWS; ++r) y[r] = (int32_t)0x5A5A5A5A; /* a stale result must not pass */
  sim_region_name(region, name);
  sim_region_begin(region);
  sim_work_macs(MACS);
  const uint64_t t0 = read_mcycle();
  kernel(y);
  const uint64_t t1 = read_mcycle();
  sim_region_end(region);
  return (uint32_t)(t1 - t0);
}

static void report(const char *name, uint32_t cycles) {
  if (cycles == 0) {
    printf("%-16s %10s cycles  %8s MACs/cycle\n", name, "n/a", "n/a");
    return;
  }
  /* MACs per cycle with two decimals, rounded to nearest, in integer arithmetic */
  const uint64_t centi = (MACS * 100u + cycles / 2u) / cycles;
  printf("%-16s %10lu cycles  %5lu.%02lu MACs/cycle\n", name, (unsigned long)cycles,
         (unsigned long)(centi / 100u), (unsigned long)(centi % 100u));
}

/* Compare y_xmac against y_ref; print the first mismatch. Returns 1 if equal. */
static int check(const char *name) {
  for (unsigned r = 0; r < ROWS; ++r) {
    if (y_xmac[r] != y_ref[r]) {
      printf("FAIL %s: row %u: xmac %ld, scalar %ld\n", name, r, (long)y_xmac[r], (long)y_ref[r]);
      return 0;
    }
  }
  return 1;
}

/* FNV-1a over the scalar result, so runs can be compared across builds and hosts. */
static void print_checksum(const char *name) {
  uint32_t h = 2166136261u;
  for (unsigned r = 0; r < ROWS; ++r) h = (h ^ (uint32_t)y_ref[r]) * 16777619u;
  printf("%s result checksum: 0x%08lx\n", name, (unsigned long)h);
}

int main(void) {
  int ok = 1;
  printf("bench_matvec: %ux%u matrix-vector products, %lu MACs each\n", ROWS, COLS,
         (unsigned long)MACS);
  if (!xmac_present()) {
    printf("bench_matvec: this core has no Xmac (misa bit 23 clear or xmaccfg version < 1)\n");
    return 2;
  }
#if defined(__riscv) && !defined(XMAC_USE_REF)
  {
    const uint32_t cfg = xmac_config();
    printf("xmaccfg: version %lu, lanes %lu, latency %lu\n", (unsigned long)XMAC_CFG_VERSION(cfg),
           (unsigned long)XMAC_CFG_LANES(cfg), (unsigned long)XMAC_CFG_LATENCY(cfg));
  }
#endif
  make_data();

  report("int8 scalar", run_variant(REGION_I8_SCALAR, "int8_scalar", matvec_i8_scalar, y_ref));
  report("int8 xmac 4-row", run_variant(REGION_I8_XMAC4, "int8_xmac_4row", matvec_i8_xmac4, y_xmac));
  ok &= check("int8 xmac 4-row");
  report("int8 xmac 8-row", run_variant(REGION_I8_XMAC8, "int8_xmac_8row", matvec_i8_xmac8, y_xmac));
  ok &= check("int8 xmac 8-row");
  report("int8 xmac 8-row x4", run_variant(REGION_I8_XMAC8U4, "int8_xmac_8row_unroll4", matvec_i8_xmac8u4, y_xmac));
  ok &= check("int8 xmac 8-row x4");
  report("int8 inner loop", run_variant(REGION_I8_INNER, "int8_xmac_inner_loop", inner_i8_8rows, y_long));
  ok &= check_inner();
  print_checksum("int8");

  report("int4 scalar", run_variant(REGION_I4_SCALAR, "int4_scalar", matvec_i4_scalar, y_ref));
  report("int4 xmac 4-row", run_variant(REGION_I4_XMAC4, "int4_xmac_4row", matvec_i4_xmac4, y_xmac));
  ok &= check("int4 xmac 4-row");
  report("int4 xmac 8-row", run_variant(REGION_I4_XMAC8, "int4_xmac_8row", matvec_i4_xmac8, y_xmac));
  ok &= check("int4 xmac 8-row");
  print_checksum("int4");

  printf("bench_matvec: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

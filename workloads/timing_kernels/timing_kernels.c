/* Timing kernels: small, ordinary compiled RV32IMC programs (CRC, memcpy/strcmp, binary search, a
 * bytecode interpreter, shifts and bit tricks, multiply/divide, int8 matrix-vector), each measured
 * with rdcycle. Freestanding apart from picolibc's start-up code: output goes to the sim-control PUTC
 * register and the end to its EXIT register, so the same ELF runs on mcucim and on the PicoRV32 RTL
 * testbench (bench/picorv32_tb.v emulates those two registers), and in tests/isa/kernel_timing_test.cpp.
 * Only rdcycle (CSR 0xC00) is used: PicoRV32 implements the user counters, not mcycle.
 * Prints one line per kernel: "kernel <name> cycles <n> check <hex>". */
#include <stdint.h>

#include "mcucim/simctrl.h"

#define NOINLINE __attribute__((noinline))

static inline uint32_t rdcycle(void) {
  uint32_t c;
  __asm__ volatile("rdcycle %0" : "=r"(c));
  return c;
}

static void put_str(const char *s) {
  while (*s) sim_putc(*s++);
}
static void put_dec(uint32_t v) {
  char b[12];
  int n = 0;
  do { b[n++] = (char)('0' + v % 10u); v /= 10u; } while (v);
  while (n) sim_putc(b[--n]);
}
static void put_hex(uint32_t v) {
  for (int i = 28; i >= 0; i -= 4) sim_putc("0123456789abcdef"[(v >> i) & 15u]);
}

/* ---- data ---- */
static uint8_t buf_a[256], buf_b[256];
static char str_a[96], str_b[96];
static int32_t sorted[128];
static int8_t mat[16][64], vec[64];
static uint32_t xs = 0x12345678u;
static uint32_t rnd(void) { xs ^= xs << 13; xs ^= xs >> 17; xs ^= xs << 5; return xs; }

/* ---- kernels ---- */
NOINLINE uint32_t k_crc32(const uint8_t *p, int n) {
  uint32_t c = ~0u;
  for (int i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1u));
  }
  return ~c;
}

NOINLINE void k_memcpy(uint8_t *d, const uint8_t *s, int n) {
  /* word loop for the aligned body, byte loop for the rest */
  while (n >= 4 && !(((uintptr_t)d | (uintptr_t)s) & 3u)) {
    *(uint32_t *)d = *(const uint32_t *)s;
    d += 4; s += 4; n -= 4;
  }
  while (n-- > 0) *d++ = *s++;
}

NOINLINE int k_strcmp(const char *a, const char *b) {
  while (*a && *a == *b) { a++; b++; }
  return (unsigned char)*a - (unsigned char)*b;
}

NOINLINE int k_bsearch(const int32_t *a, int n, int32_t key) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) >> 1;
    if (a[mid] == key) return mid;
    if (a[mid] < key) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

/* A stack bytecode interpreter: push imm, add, sub, mul, dup, over, swap, jnz (back), dec, halt. */
enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_XOR, OP_OVER, OP_HALT };
NOINLINE uint32_t k_interp(const uint8_t *code) {
  uint32_t st[16];
  int sp = 0, pc = 0;
  for (;;) {
    switch (code[pc++]) {
      case OP_PUSH: st[sp++] = (uint32_t)(int8_t)code[pc++]; break;
      case OP_ADD: sp--; st[sp - 1] += st[sp]; break;
      case OP_SUB: sp--; st[sp - 1] -= st[sp]; break;
      case OP_MUL: sp--; st[sp - 1] *= st[sp]; break;
      case OP_DUP: st[sp] = st[sp - 1]; sp++; break;
      case OP_SWAP: { uint32_t t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; break; }
      case OP_OVER: st[sp] = st[sp - 2]; sp++; break;
      case OP_JNZ: { int off = code[pc++]; if (st[--sp]) pc -= off; break; }
      case OP_DEC: st[sp - 1]--; break;
      case OP_XOR: sp--; st[sp - 1] ^= st[sp]; break;
      default: return st[sp - 1];
    }
  }
}

NOINLINE uint32_t k_bits(uint32_t x, int n) {
  uint32_t acc = 0;
  for (int i = 0; i < n; i++) {
    uint32_t v = x, pop = 0;
    while (v) { v &= v - 1; pop++; }                 /* popcount */
    uint32_t r = 0, t = x;
    for (int b = 0; b < 32; b += 4) { r = (r << 4) | ((t >> b) & 15u); } /* nibble reverse */
    int s = (int)(x & 31u);
    uint32_t rot = (x << s) | (x >> ((32 - s) & 31)); /* rotate by a variable amount */
    int lz = 0;
    for (uint32_t m = 0x80000000u; m && !(x & m); m >>= 1) lz++;  /* leading zeros */
    acc += pop ^ r ^ rot ^ (uint32_t)lz ^ ((int32_t)x >> 7);
    x = x * 1664525u + 1013904223u;
  }
  return acc;
}

NOINLINE uint32_t k_muldiv(uint32_t a, uint32_t b, int n) {
  uint32_t acc = 1;
  for (int i = 0; i < n; i++) {
    acc += a * b;
    acc ^= (uint32_t)(((uint64_t)a * b) >> 32);
    acc += (int32_t)a / (int32_t)(b | 1u);
    acc ^= a % (b | 3u);
    a = a * 69069u + 1u;
    b = (b >> 3) + 12345u;
  }
  return acc;
}

NOINLINE void k_matvec(const int8_t m[16][64], const int8_t *v, int32_t *out) {
  for (int r = 0; r < 16; r++) {
    int32_t s = 0;
    for (int c = 0; c < 64; c++) s += m[r][c] * v[c];
    out[r] = s;
  }
}

/* ---- driver ---- */
#define NK 8
static const char *const names[NK] = {"crc32", "memcpy", "strcmp", "bsearch", "interp", "bits", "muldiv", "matvec"};
volatile uint32_t tk_cycles[NK];  /* read by tests/isa/kernel_timing_test.cpp */
volatile uint32_t tk_check[NK];

static const uint8_t prog[] = {
    OP_PUSH, 1, OP_PUSH, 40,             /* 0: [acc=1 n=40] */
    OP_SWAP,                             /* 4: loop: [n acc] */
    OP_PUSH, 3, OP_MUL, OP_OVER, OP_ADD, /* 5: [n acc*3+n] */
    OP_SWAP, OP_DEC, OP_DUP,             /* 10: [acc' n-1 n-1] */
    OP_JNZ, 11,                          /* 13: back to 4 while n-1 != 0 */
    OP_ADD, OP_HALT};                    /* 15: [acc'] */

int main(void) {
  for (int i = 0; i < 256; i++) { buf_a[i] = (uint8_t)rnd(); }
  for (int i = 0; i < 95; i++) { str_a[i] = str_b[i] = (char)('a' + i % 26); }
  str_b[90] = 'Z';
  for (int i = 0; i < 128; i++) sorted[i] = i * 7 - 300;
  for (int r = 0; r < 16; r++)
    for (int c = 0; c < 64; c++) mat[r][c] = (int8_t)rnd();
  for (int c = 0; c < 64; c++) vec[c] = (int8_t)rnd();
  int32_t out[16];

  for (int k = 0; k < NK; k++) {
    uint32_t chk = 0;
    const uint32_t t0 = rdcycle();
    switch (k) {
      case 0: chk = k_crc32(buf_a, 128); break;
      case 1: k_memcpy(buf_b, buf_a, 256); k_memcpy(buf_b + 1, buf_a, 63); chk = buf_b[200] ^ buf_b[5]; break;
      case 2: chk = (uint32_t)k_strcmp(str_a, str_b) + (uint32_t)k_strcmp(str_a, str_a); break;
      case 3:
        for (int q = -310; q < 600; q += 37) chk = chk * 31u + (uint32_t)k_bsearch(sorted, 128, q);
        break;
      case 4: chk = k_interp(prog); break;
      case 5: chk = k_bits(0xdeadbeefu, 24); break;
      case 6: chk = k_muldiv(0x12345u, 0x6789abcu, 12); break;
      case 7: k_matvec(mat, vec, out); for (int r = 0; r < 16; r++) chk = chk * 33u + (uint32_t)out[r]; break;
    }
    const uint32_t t1 = rdcycle();
    tk_cycles[k] = t1 - t0;
    tk_check[k] = chk;
  }
  for (int k = 0; k < NK; k++) {
    put_str("kernel ");
    put_str(names[k]);
    put_str(" cycles ");
    put_dec(tk_cycles[k]);
    put_str(" check ");
    put_hex(tk_check[k]);
    sim_putc('\n');
  }
  sim_exit(0);
}

/* Compute-bound integer benchmark firmware for simulator speed (bench/run.sh): CRC-32, integer
 * matrix multiply, insertion sort and a prime sieve, a few hundred million instructions in total.
 * Prints a checksum so that runs under mcucim and QEMU can be compared. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef ROUNDS
#define ROUNDS 150
#endif

static uint32_t crc32(const uint8_t *p, int n, uint32_t c) {
  c = ~c;
  for (int i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1u));
  }
  return ~c;
}

#define N 32
static int32_t A[N][N], B[N][N], C[N][N];
static void matmul(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      int32_t s = 0;
      for (int k = 0; k < N; k++) s += A[i][k] * B[k][j];
      C[i][j] = s;
    }
}

#define S 600
static int32_t arr[S];
static void isort(uint32_t seed) {
  for (int i = 0; i < S; i++) { seed = seed * 1664525u + 1013904223u; arr[i] = (int32_t)(seed >> 8); }
  for (int i = 1; i < S; i++) {
    int32_t v = arr[i];
    int j = i - 1;
    while (j >= 0 && arr[j] > v) { arr[j + 1] = arr[j]; j--; }
    arr[j + 1] = v;
  }
}

#define P 20000
static uint8_t sieve[P];
static int primes(void) {
  memset(sieve, 1, sizeof sieve);
  int count = 0;
  for (int i = 2; i < P; i++)
    if (sieve[i]) { count++; for (int j = 2 * i; j < P; j += i) sieve[j] = 0; }
  return count;
}

static uint8_t buf[8192];

#ifdef BENCH_INT_USER_MODE
/* bench_int_user: the same kernels in U-mode under PMP, one NAPOT entry granting RWX on the whole
   address space, so every fetch, load and store takes the simulator's protection-check path (needs
   a core with U-mode and PMP: configs/mcu-secure.yaml). Semihosting works from U-mode. */
static void enter_user_mode(void) {
  __asm__ volatile(
      "li t0, -1\n csrw pmpaddr0, t0\n"    /* NAPOT of all ones: everything */
      "li t0, 0x1f\n csrw pmpcfg0, t0\n"   /* A = NAPOT, R, W, X */
      "la t0, 1f\n csrw mepc, t0\n"
      "li t0, 0x1800\n csrc mstatus, t0\n" /* MPP = U */
      "mret\n1:\n" ::: "t0", "memory");
}
#endif

int main(void) {
#ifdef BENCH_INT_USER_MODE
  enter_user_mode();
#endif
  uint32_t x = 1, sum = 0;
  for (int i = 0; i < (int)sizeof buf; i++) { x = x * 1664525u + 1013904223u; buf[i] = (uint8_t)(x >> 24); }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { A[i][j] = i - j; B[i][j] = i * j + 1; }
  for (int r = 0; r < ROUNDS; r++) {
    sum = crc32(buf, sizeof buf, sum);
    matmul();
    sum += (uint32_t)C[r % N][(r * 7) % N];
    isort(sum);
    sum += (uint32_t)arr[S / 2];
    sum += (uint32_t)primes();
  }
  printf("intkernels checksum %08lx\n", (unsigned long)sum);
  return 0;
}

/* Self-checking program: CRC-32 of "123456789" (check value 0xCBF43926, from the CRC-32/ISO-HDLC
 * catalogue), quicksort of 1000 pseudo-random ints, and M-extension corner cases whose results are
 * fixed by the RISC-V unprivileged spec (division by zero, signed overflow, high products).
 * Prints "PASS" and returns 0, or "FAIL <what>" for each failed check and returns 1. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what, uint32_t got, uint32_t want) {
  if (!ok) {
    printf("FAIL %s: got 0x%08lx, expected 0x%08lx\n", what, (unsigned long)got, (unsigned long)want);
    failures++;
  }
}
#define CHECK_EQ(what, got, want) check((uint32_t)(got) == (uint32_t)(want), what, got, want)

/* CRC-32 (reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF), bit by bit. */
static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void quicksort(int32_t *a, int lo, int hi) {
  while (lo < hi) {
    int32_t pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    /* recurse into the smaller part, loop on the larger: stack depth stays O(log n) */
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
}

#define N_SORT 1000
static int32_t values[N_SORT];

static void check_sort(void) {
  uint32_t x = 12345u, sum_before = 0, xor_before = 0, sum_after = 0, xor_after = 0;
  for (int i = 0; i < N_SORT; i++) {
    x = x * 1664525u + 1013904223u; /* Numerical Recipes LCG */
    values[i] = (int32_t)x;
    sum_before += x;
    xor_before ^= x;
  }
  quicksort(values, 0, N_SORT - 1);
  int ordered = 1;
  for (int i = 0; i < N_SORT; i++) {
    if (i > 0 && values[i - 1] > values[i]) ordered = 0;
    sum_after += (uint32_t)values[i];
    xor_after ^= (uint32_t)values[i];
  }
  check(ordered, "quicksort order", (uint32_t)ordered, 1);
  CHECK_EQ("quicksort sum", sum_after, sum_before);
  CHECK_EQ("quicksort xor", xor_after, xor_before);
}

#define RTYPE(op, a, b)                                                   \
  ({                                                                      \
    uint32_t r_;                                                          \
    __asm__ volatile(op " %0, %1, %2" : "=r"(r_) : "r"(a), "r"(b));       \
    r_;                                                                   \
  })

static void check_muldiv(void) {
  /* volatile sources: the compiler must not fold the operands into the instructions */
  volatile uint32_t int_min = 0x80000000u, minus1 = 0xFFFFFFFFu, zero = 0, seven = 7,
                    minus7 = (uint32_t)-7, two = 2, big = 0x12345678u, k = 1000u;
  CHECK_EQ("mul 0x12345678*1000", RTYPE("mul", big, k), 0x12345678u * 1000u);
  CHECK_EQ("mulh -1*-1", RTYPE("mulh", minus1, minus1), 0);
  CHECK_EQ("mulh INT_MIN*INT_MIN", RTYPE("mulh", int_min, int_min), 0x40000000u);
  CHECK_EQ("mulhu 0xFFFFFFFF^2", RTYPE("mulhu", minus1, minus1), 0xFFFFFFFEu);
  CHECK_EQ("mulhsu -1*0xFFFFFFFF", RTYPE("mulhsu", minus1, minus1), 0xFFFFFFFFu);
  CHECK_EQ("div -7/2", RTYPE("div", minus7, two), (uint32_t)-3);
  CHECK_EQ("rem -7%2", RTYPE("rem", minus7, two), (uint32_t)-1);
  CHECK_EQ("divu 7/2", RTYPE("divu", seven, two), 3);
  CHECK_EQ("remu 7%2", RTYPE("remu", seven, two), 1);
  CHECK_EQ("div x/0", RTYPE("div", seven, zero), 0xFFFFFFFFu);
  CHECK_EQ("divu x/0", RTYPE("divu", seven, zero), 0xFFFFFFFFu);
  CHECK_EQ("rem x%0", RTYPE("rem", minus7, zero), (uint32_t)-7);
  CHECK_EQ("remu x%0", RTYPE("remu", seven, zero), 7);
  CHECK_EQ("div INT_MIN/-1", RTYPE("div", int_min, minus1), 0x80000000u);
  CHECK_EQ("rem INT_MIN%-1", RTYPE("rem", int_min, minus1), 0);
}

int main(void) {
  static const char digits[] = "123456789";
  CHECK_EQ("crc32(\"123456789\")", crc32((const uint8_t *)digits, strlen(digits)), 0xCBF43926u);
  check_sort();
  check_muldiv();
  if (failures == 0) printf("PASS\n");
  return failures == 0 ? 0 : 1;
}

/* Cluster self-check (tests/e2e/cluster_test.cpp): starts every hart; each adds 1 to a shared counter
 * ITERS times with amoadd.w and ITERS times with an lr.w/sc.w loop, then meets the others at the
 * barrier; hart 0 checks the counters, then wakes each hart h with a software interrupt (CLINT msip[h])
 * that the hart waits for in wfi (then counts it), then the last barrier. Prints
 * "harts N amo A lrsc L msip M barriers B" and exits 0 when A = L = N * ITERS and M = N - 1. */
#include <stdint.h>
#include <stdio.h>

#include "mcucim/clint.h"
#include "mcucim/cluster.h"

#define ITERS 200u
static volatile uint32_t amo_counter, lrsc_counter, msip_seen, started;
static uint8_t stacks[CLUSTER_MAX_HARTS][1024] __attribute__((aligned(16)));
static volatile uint32_t *const clint = (volatile uint32_t *)(uintptr_t)MCUCIM_CLINT_BASE;

static void add_amo(volatile uint32_t *p) { __asm__ volatile("amoadd.w zero, %1, (%0)" ::"r"(p), "r"(1u) : "memory"); }
static void add_lrsc(volatile uint32_t *p) {
  uint32_t v, fail;
  do {
    __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(p) : "memory");
    __asm__ volatile("sc.w %0, %2, (%1)" : "=&r"(fail) : "r"(p), "r"(v + 1u) : "memory");
  } while (fail);
}

static void work(uint32_t arg) {
  (void)arg;
  add_amo(&started);
  for (uint32_t i = 0; i < ITERS; i++) {
    add_amo(&amo_counter);
    add_lrsc(&lrsc_counter);
  }
  cluster_barrier(); /* 1: counting done */
  if (cluster_hartid() != 0) {
    /* mie.MSIE set, mstatus.MIE clear: wfi wakes on the pending software interrupt, no trap taken */
    __asm__ volatile("csrs mie, %0" ::"r"(1u << 3));
    cluster_barrier(); /* 2: ready to be woken */
    const uint32_t h = cluster_hartid();
    while (!(clint[CLINT_MSIP / 4 + h] & 1u)) __asm__ volatile("wfi" ::: "memory");
    clint[CLINT_MSIP / 4 + h] = 0; /* acknowledge */
    add_amo(&msip_seen);
    cluster_barrier(); /* 3 */
  }
}

int main(void) {
  const uint32_t n = cluster_harts();
  for (uint32_t h = 1; h < n; h++) cluster_start(h, work, h, stacks[h] + sizeof stacks[h]);
  work(0);
  const uint32_t a = amo_counter, l = lrsc_counter;
  if (n > 1) {
    cluster_barrier(); /* 2 */
    for (uint32_t h = 1; h < n; h++) {
      clint[CLINT_MSIP / 4 + h] = 1;
      while (msip_seen < h) {}
    }
    cluster_barrier(); /* 3 */
  }
  const uint32_t b = *cluster_reg(EU_BARRIERS);
  printf("harts %lu amo %lu lrsc %lu msip %lu barriers %lu\n", (unsigned long)n, (unsigned long)a, (unsigned long)l,
         (unsigned long)msip_seen, (unsigned long)b);
  return (a == n * ITERS && l == n * ITERS && msip_seen == n - 1u && started == n) ? 0 : 1;
}

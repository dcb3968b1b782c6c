/* Barrier wake-up timing (tests/e2e/cluster_test.cpp): hart h spins about h * 500 cycles, then reads
 * mcycle, the event unit's BARRIER register and mcycle again in three adjacent instructions. Hart 0
 * prints "hart H arrive A leave L" for every hart: every hart leaves in the same cycle, a fixed number
 * of cycles after the last arrival (the hand computation is in the test). */
#include <stdint.h>
#include <stdio.h>

#include "mcucim/cluster.h"

static volatile uint32_t arrive[CLUSTER_MAX_HARTS], leave[CLUSTER_MAX_HARTS];
static uint8_t stacks[CLUSTER_MAX_HARTS][512] __attribute__((aligned(16)));

static void timed_barrier(uint32_t h) {
  for (volatile uint32_t i = 0; i < h * 50u; i++) {}
  uint32_t a, l, v;
  __asm__ volatile("csrr %0, mcycle\n\tlw %2, 8(%3)\n\tcsrr %1, mcycle"
                   : "=&r"(a), "=&r"(l), "=&r"(v) : "r"(MCUCIM_EU_BASE) : "memory");
  (void)v;
  arrive[h] = a;
  leave[h] = l;
  cluster_barrier(); /* results stored */
}

int main(void) {
  const uint32_t n = cluster_harts();
  for (uint32_t h = 1; h < n; h++) cluster_start(h, timed_barrier, h, stacks[h] + sizeof stacks[h]);
  timed_barrier(0);
  for (uint32_t h = 0; h < n; h++)
    printf("hart %lu arrive %lu leave %lu\n", (unsigned long)h, (unsigned long)arrive[h], (unsigned long)leave[h]);
  return 0;
}

/* Multi-hart cluster (docs/CLUSTER.md): the event unit (start parked harts, hardware barrier) and
 * per-hart CLINT software interrupts. Hart 0 runs main(); harts 1..N-1 sleep until cluster_start().
 * Registers (offsets from the event unit's base, soc.devices.<name>.kind: event_unit): */
#ifndef MCUCIM_CLUSTER_H
#define MCUCIM_CLUSTER_H
#include <stdint.h>

#ifndef MCUCIM_EU_BASE
#define MCUCIM_EU_BASE 0x13000000u /* configs/mcu-llm-cluster.yaml */
#endif
#define EU_HARTS     0x00u /* ro: harts in the cluster */
#define EU_BARRIER_N 0x04u /* rw: harts taking part in the barrier (default: all) */
#define EU_BARRIER   0x08u /* ro: arrive, sleep clock-gated until all arrived; returns the barrier number */
#define EU_BARRIERS  0x0Cu /* ro: barriers completed */
#define EU_START_PC  0x10u
#define EU_START_SP  0x14u
#define EU_START_ARG 0x18u
#define EU_START     0x1Cu /* wo: hart id to start at START_PC with sp = START_SP, a0 = START_ARG */

#define CLUSTER_MAX_HARTS 32u

static inline volatile uint32_t *cluster_reg(uint32_t off) {
  return (volatile uint32_t *)(uintptr_t)(MCUCIM_EU_BASE + off);
}
static inline uint32_t cluster_harts(void) { return *cluster_reg(EU_HARTS); }
static inline uint32_t cluster_hartid(void) {
  uint32_t h;
  __asm__ volatile("csrr %0, mhartid" : "=r"(h));
  return h;
}
/* Harts that take part in cluster_barrier() (1..cluster_harts()). */
static inline void cluster_barrier_size(uint32_t n) { *cluster_reg(EU_BARRIER_N) = n; }
/* Wait until every taking-part hart has arrived. Memory written before it is visible after it. */
static inline uint32_t cluster_barrier(void) {
  __asm__ volatile("" ::: "memory");
  uint32_t v = *cluster_reg(EU_BARRIER);
  __asm__ volatile("" ::: "memory");
  return v;
}

/* Start parked hart `hart` (1..harts-1) running fn(arg) on the stack below stack_top (16-aligned).
 * gp, tp and the FPU state (mstatus.FS) are set as for hart 0. When fn returns the hart sleeps in wfi.
 * Starting a hart that is not parked is a store access fault (the event unit refuses the write). */
void cluster_start(uint32_t hart, void (*fn)(uint32_t arg), uint32_t arg, void *stack_top);

#endif

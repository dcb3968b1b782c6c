/* Machine timer interrupts through the CLINT: a handler re-arms mtimecmp = mtime + 100 on each
 * interrupt; main sleeps with wfi until three have arrived, prints "timer irq 3" and exits 0.
 * Any other trap ends the run with exit code 100 + mcause (low bits) through sim-control. */
#include <stdint.h>
#include <stdio.h>

#include "mcucim/clint.h"
#include "mcucim/simctrl.h"

#define TICKS 100u
#define WANTED 3u
#define MCAUSE_MTI 0x80000007u /* interrupt bit | machine timer interrupt (7) */
#define MIE_MTIE (1u << 7)
#define MSTATUS_MIE (1u << 3)

static volatile uint32_t *const clint = (volatile uint32_t *)(uintptr_t)MCUCIM_CLINT_BASE;
static volatile uint32_t irq_count;

static uint64_t mtime_read(void) {
  uint32_t hi, lo;
  do { /* re-read if the low word wrapped between the two high-word reads */
    hi = clint[(CLINT_MTIME + 4) / 4];
    lo = clint[CLINT_MTIME / 4];
  } while (hi != clint[(CLINT_MTIME + 4) / 4]);
  return ((uint64_t)hi << 32) | lo;
}

static void mtimecmp_write(uint64_t t) {
  /* high word to the maximum first, so no intermediate value causes a spurious interrupt */
  clint[(CLINT_MTIMECMP + 4) / 4] = 0xFFFFFFFFu;
  clint[CLINT_MTIMECMP / 4] = (uint32_t)t;
  clint[(CLINT_MTIMECMP + 4) / 4] = (uint32_t)(t >> 32);
}

__attribute__((interrupt("machine"), aligned(4))) static void trap_handler(void) {
  uint32_t cause;
  __asm__ volatile("csrr %0, mcause" : "=r"(cause));
  if (cause != MCAUSE_MTI)
    sim_exit(100 + (int)(cause & 0xFFu));
  if (irq_count < WANTED)
    irq_count = irq_count + 1;
  /* keep the timer running, so main never waits for an interrupt that cannot come */
  mtimecmp_write(mtime_read() + TICKS);
}

int main(void) {
  __asm__ volatile("csrw mtvec, %0" ::"r"((uintptr_t)&trap_handler)); /* direct mode */
  mtimecmp_write(mtime_read() + TICKS);
  __asm__ volatile("csrs mie, %0" ::"r"(MIE_MTIE));
  __asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MIE));
  while (irq_count < WANTED)
    __asm__ volatile("wfi");
  __asm__ volatile("csrc mstatus, %0" ::"r"(MSTATUS_MIE));
  __asm__ volatile("csrc mie, %0" ::"r"(MIE_MTIE));
  printf("timer irq %u\n", (unsigned)irq_count);
  return irq_count == WANTED ? 0 : 1;
}

/* Sleeps in wfi for 1000 timer ticks (1 ms at mcu-base's 1 MHz timebase) inside region "sleep" (1).
 * The timer interrupt is enabled in mie but not globally (mstatus.MIE stays 0): wfi wakes when it is
 * pending and no handler runs. tests/energy/idle_test.cpp checks that the idle time costs leakage only. */
#include <stdint.h>

#include "mcucim/clint.h"
#include "mcucim/simctrl.h"

#define SLEEP_TICKS 1000u
#define MIE_MTIE (1u << 7)

static volatile uint32_t *const clint = (volatile uint32_t *)(uintptr_t)MCUCIM_CLINT_BASE;

int main(void) {
  sim_region_name(1, "sleep");
  const uint32_t now = clint[CLINT_MTIME / 4];  /* low word: a short test never wraps it */
  const uint32_t target = now + SLEEP_TICKS;
  clint[(CLINT_MTIMECMP + 4) / 4] = 0xFFFFFFFFu;
  clint[CLINT_MTIMECMP / 4] = target;
  clint[(CLINT_MTIMECMP + 4) / 4] = clint[(CLINT_MTIME + 4) / 4];
  __asm__ volatile("csrs mie, %0" ::"r"(MIE_MTIE));
  sim_region_begin(1);
  while ((int32_t)(clint[CLINT_MTIME / 4] - target) < 0) __asm__ volatile("wfi");
  sim_region_end(1);
  __asm__ volatile("csrc mie, %0" ::"r"(MIE_MTIE));
  return 0;
}

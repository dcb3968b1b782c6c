/* Loads from 0x0F000000, where mcu-base maps nothing, with no trap handler installed: the
 * simulator must report an unhandled load access fault (mcause 5, mtval 0x0F000000).
 * picolibc's crt0-semihost points mtvec at its own _trap handler, so mtvec is cleared first. */
#include <stdint.h>
#include <stdio.h>

#define UNMAPPED_ADDR 0x0F000000u

int main(void) {
  __asm__ volatile("csrw mtvec, zero");
  uint32_t v = *(volatile uint32_t *)(uintptr_t)UNMAPPED_ADDR;
  printf("FAIL: load from 0x%08x returned 0x%08x instead of faulting\n", (unsigned)UNMAPPED_ADDR,
         (unsigned)v);
  return 1;
}

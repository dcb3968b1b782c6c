/* Device interrupts: a DMA copy with its completion interrupt enabled; main sleeps in wfi and the
 * machine external interrupt (mip.MEIP) handler acknowledges the DMA. Prints the cycles slept and
 * "dma irq ok". Any other trap ends the run with exit code 100 + mcause (low bits). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mcucim/dma.h"
#include "mcucim/simctrl.h"

#define MCAUSE_MEI 0x8000000Bu
#define MIE_MEIE (1u << 11)
#define MSTATUS_MIE (1u << 3)

static const uint32_t table[2048] = {[0] = 7, [2047] = 9};
static uint32_t dst[2048];
static volatile uint32_t irqs;

__attribute__((interrupt("machine"), aligned(4))) static void trap_handler(void) {
  uint32_t cause;
  __asm__ volatile("csrr %0, mcause" : "=r"(cause));
  if (cause != MCAUSE_MEI) sim_exit(100 + (int)(cause & 0xFFu));
  dma_reg_write(DMA_STATUS, 2); /* acknowledge: clears DONE and the interrupt line */
  irqs = irqs + 1;
}

int main(void) {
  __asm__ volatile("csrw mtvec, %0" ::"r"((uintptr_t)&trap_handler));
  __asm__ volatile("csrs mie, %0" ::"r"(MIE_MEIE));
  __asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MIE));
  uint32_t t0, t1, idle0, idle1;
  __asm__ volatile("csrr %0, mcycle" : "=r"(t0));
  __asm__ volatile("csrr %0, mhpmcounter10" : "=r"(idle0));
  dma_reg_write(DMA_SRC, (uint32_t)(uintptr_t)table);
  dma_reg_write(DMA_DST, (uint32_t)(uintptr_t)dst);
  dma_reg_write(DMA_LEN, sizeof dst);
  dma_reg_write(DMA_CTRL, 3); /* start, interrupt enabled */
  while (irqs == 0) __asm__ volatile("wfi");
  __asm__ volatile("csrr %0, mcycle" : "=r"(t1));
  __asm__ volatile("csrr %0, mhpmcounter10" : "=r"(idle1));
  __asm__ volatile("csrc mstatus, %0" ::"r"(MSTATUS_MIE));
  int ok = irqs == 1 && memcmp(dst, table, sizeof dst) == 0 && !(dma_reg_read(DMA_STATUS) & 3u);
  printf("dma irq: %lu cycles, %lu idle\n", (unsigned long)(t1 - t0), (unsigned long)(idle1 - idle0));
  printf("%s\n", ok ? "dma irq ok" : "dma irq FAIL");
  return ok ? 0 : 1;
}

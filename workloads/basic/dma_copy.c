/* DMA: copy 4 KiB from flash to SRAM with the DMA engine and with memcpy; check both, print cycles,
 * and check the error codes of a bad length and an unmapped source. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mcucim/dma.h"

static uint32_t src_table[1024] = {1};  /* .data: its load image sits in flash */
static const uint32_t flash_table[1024] = {[0] = 0x12345678u, [1023] = 0x9abcdef0u};
static uint32_t dst[1024];

static uint32_t mcycle(void) {
  uint32_t v;
  __asm__ volatile("csrr %0, mcycle" : "=r"(v));
  return v;
}

int main(void) {
  (void)src_table;
  if (dma_reg_read(DMA_ID) != 0x444D4131u) { printf("no DMA\n"); return 1; }
  uint32_t t0 = mcycle();
  dma_start(flash_table, dst, sizeof dst);
  uint32_t err = dma_wait();
  uint32_t t1 = mcycle();
  int ok = err == 0 && memcmp(dst, flash_table, sizeof dst) == 0;
  memset(dst, 0, sizeof dst);
  uint32_t t2 = mcycle();
  memcpy(dst, flash_table, sizeof dst);
  uint32_t t3 = mcycle();
  ok &= memcmp(dst, flash_table, sizeof dst) == 0;
  printf("dma %lu cycles, memcpy %lu cycles\n", (unsigned long)(t1 - t0), (unsigned long)(t3 - t2));
  dma_start(flash_table, dst, 6);
  uint32_t e_len = dma_wait();
  dma_start((const void *)0x0F000000u, dst, 64);
  uint32_t e_bus = dma_wait();
  dma_start(dst, (void *)flash_table, 64);  /* flash is read-only */
  uint32_t e_ro = dma_wait();
  printf("errors: len %lu bus %lu readonly %lu\n", (unsigned long)e_len, (unsigned long)e_bus, (unsigned long)e_ro);
  ok &= e_len == DMA_ERR_LEN && e_bus == DMA_ERR_BUS && e_ro == DMA_ERR_BUS;
  printf("%s\n", ok ? "DMA PASS" : "DMA FAIL");
  return ok ? 0 : 1;
}

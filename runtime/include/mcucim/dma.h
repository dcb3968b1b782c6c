/* DMA engine register map (one channel, memory to memory). Offsets from the device base (config:
 * soc.devices.<name>: {kind: dma, base, burst_bytes, setup_cycles}). The copy's data is visible when
 * STATUS.busy reads 0; the time it takes follows the source's and destination's latencies per burst. */
#ifndef MCUCIM_DMA_H
#define MCUCIM_DMA_H
#include <stdint.h>

#ifndef MCUCIM_DMA_BASE
#define MCUCIM_DMA_BASE 0x12000000u
#endif
#define DMA_SRC    0x00u /* RW: source address */
#define DMA_DST    0x04u /* RW: destination address */
#define DMA_LEN    0x08u /* RW: bytes to copy (multiple of 4, > 0) */
#define DMA_CTRL   0x0Cu /* W: bit 0 = start; bit 1 = interrupt enable (mip.MEIP while STATUS.done) */
#define DMA_STATUS 0x10u /* R: bit 0 = busy; bit 1 = done (sticky; W1C); bits 15:8 = error of the last start */
#define DMA_ID     0x14u /* R: 0x444D4131 ("DMA1") */

#define DMA_ERR_NONE 0u
#define DMA_ERR_BUSY 1u   /* start while a copy is in flight: ignored */
#define DMA_ERR_BUS 2u    /* source or destination not mapped, or destination read-only */
#define DMA_ERR_LEN 3u    /* length 0 or not a multiple of 4, or addresses not word-aligned */

#if defined(__riscv)
static inline void dma_reg_write(uint32_t off, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(MCUCIM_DMA_BASE + off) = v; }
static inline uint32_t dma_reg_read(uint32_t off) { return *(volatile uint32_t *)(uintptr_t)(MCUCIM_DMA_BASE + off); }
/* Start a copy; returns immediately. */
static inline void dma_start(const void *src, void *dst, uint32_t len) {
  dma_reg_write(DMA_SRC, (uint32_t)(uintptr_t)src);
  dma_reg_write(DMA_DST, (uint32_t)(uintptr_t)dst);
  dma_reg_write(DMA_LEN, len);
  dma_reg_write(DMA_CTRL, 1);
}
/* Wait for the copy to finish; returns its error code (0 = ok). */
static inline uint32_t dma_wait(void) {
  uint32_t s;
  while ((s = dma_reg_read(DMA_STATUS)) & 1u) {
  }
  return (s >> 8) & 0xffu;
}
#endif
#endif

/* Data blobs placed in simulated memory by the simulator (`mcucim run --load FILE@ADDR`, in --load
 * order: index 0 is the first). Sim-control registers (offsets from MCUCIM_SIMCTRL_BASE):
 *   BLOB_INDEX 0x28 (W) selects a blob; BLOB_ADDR 0x2C (R) its address; BLOB_SIZE 0x30 (R) its size
 *   in bytes, 0 when there is no such blob.
 * C11 and C++ compatible; freestanding. On the host sim_blob() always reports "no blob". */
#ifndef MCUCIM_BLOB_H
#define MCUCIM_BLOB_H
#include <stdint.h>

#include "mcucim/simctrl.h"

#define SIMCTRL_BLOB_INDEX 0x28u
#define SIMCTRL_BLOB_ADDR 0x2Cu
#define SIMCTRL_BLOB_SIZE 0x30u

#ifdef __cplusplus
extern "C" {
#endif

/* Returns 1 and the blob's address and size if blob `index` exists, else 0 (addr, size set to 0). */
static inline int sim_blob(uint32_t index, uint32_t *addr, uint32_t *size) {
#if defined(__riscv)
  volatile uint32_t *r = (volatile uint32_t *)(uintptr_t)MCUCIM_SIMCTRL_BASE;
  r[SIMCTRL_BLOB_INDEX / 4u] = index;
  uint32_t s = r[SIMCTRL_BLOB_SIZE / 4u];
  uint32_t a = r[SIMCTRL_BLOB_ADDR / 4u];
  *size = s;
  *addr = s ? a : 0u;
  return s != 0u;
#else
  (void)index;
  *addr = 0u;
  *size = 0u;
  return 0;
#endif
}

#ifdef __cplusplus
}
#endif
#endif

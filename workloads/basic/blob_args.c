/* Prints its command line (semihosting) and the size and a checksum of data blob 0 (--load). */
#include <stdint.h>
#include <stdio.h>

#include "mcucim/simctrl.h"

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  simctrl_write(SIMCTRL_BLOB_INDEX, 0);
  uint32_t addr = *(volatile uint32_t *)(MCUCIM_SIMCTRL_BASE + SIMCTRL_BLOB_ADDR);
  uint32_t size = *(volatile uint32_t *)(MCUCIM_SIMCTRL_BASE + SIMCTRL_BLOB_SIZE);
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < size; i++) h = (h ^ ((const volatile uint8_t *)(uintptr_t)addr)[i]) * 16777619u;
  printf("blob 0: %lu bytes, fnv %08lx\n", (unsigned long)size, (unsigned long)h);
  simctrl_write(SIMCTRL_BLOB_INDEX, 1);
  printf("blob 1: %lu bytes\n", (unsigned long)*(volatile uint32_t *)(MCUCIM_SIMCTRL_BASE + SIMCTRL_BLOB_SIZE));
  return 0;
}

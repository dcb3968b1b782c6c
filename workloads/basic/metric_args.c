/* Test firmware for sweeps: prints `METRIC name=value` for every argument of the form name=value
 * (so a sweep's param axis sets a metric), and for an argument spin=N runs N loop iterations inside
 * a region named "spin" (so a point takes a chosen time). Exits 0. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mcucim/simctrl.h"

int main(int argc, char **argv) {
  uint32_t spin = 0;
  for (int i = 1; i < argc; i++) {
    if (!strchr(argv[i], '=')) continue;
    printf("METRIC %s\n", argv[i]);
    if (strncmp(argv[i], "spin=", 5) == 0)
      for (const char *p = argv[i] + 5; *p >= '0' && *p <= '9'; p++) spin = spin * 10u + (uint32_t)(*p - '0');
  }
  sim_region_name(1, "spin");
  sim_region_begin(1);
  volatile uint32_t x = 0;
  for (uint32_t i = 0; i < spin; i++) x += i;
  sim_region_end(1);
  return 0;
}

/* Unbalanced region marks: each must become a warning in the report, never a crash, and the exit
 * code stays the program's (0):
 *   1. end of region 7, never begun
 *   2. end of region 1 while region 2 (nested in it) is still open -> region 2 closed there
 *   3. region 3 begun and never ended -> closed at the end of the run */
#include <stdint.h>

#include "mcucim/simctrl.h"

static volatile uint32_t sink;

int main(void) {
  sim_region_end(7);
  sim_region_begin(1);
  for (unsigned i = 0; i < 10; i++) sink += i;
  sim_region_begin(2);
  for (unsigned i = 0; i < 10; i++) sink += i;
  sim_region_end(1);
  sim_region_begin(3);
  for (unsigned i = 0; i < 10; i++) sink += i;
  return 0;
}

/* Known nested regions, tokens and declared work (tests/energy/regions_test.cpp relies on this shape):
 *   main (1)
 *     generate (2)
 *       4 x layer (3)            token t marked after each layer, t = 0..3
 *             matmul (4)         declares 1000 MACs per call
 * layer t does 50*(t+1) loop iterations before its matmul, so later tokens take longer. */
#include <stdint.h>

#include "mcucim/simctrl.h"

enum { R_MAIN = 1, R_GENERATE = 2, R_LAYER = 3, R_MATMUL = 4 };
#define TOKENS 4u
#define MACS_PER_MATMUL 1000u

static volatile uint32_t sink;

static void work(unsigned n) {
  for (unsigned i = 0; i < n; i++) sink += i;
}

int main(void) {
  sim_region_name(R_MAIN, "main");
  sim_region_name(R_GENERATE, "generate");
  sim_region_name(R_LAYER, "layer");
  sim_region_name(R_MATMUL, "matmul");
  sim_region_begin(R_MAIN);
  work(100);
  sim_region_begin(R_GENERATE);
  for (unsigned t = 0; t < TOKENS; t++) {
    sim_region_begin(R_LAYER);
    work(50 * (t + 1));
    sim_region_begin(R_MATMUL);
    work(200);
    sim_work_macs(MACS_PER_MATMUL);
    sim_region_end(R_MATMUL);
    sim_region_end(R_LAYER);
    sim_token(t);
  }
  sim_region_end(R_GENERATE);
  work(100);
  sim_region_end(R_MAIN);
  return 0;
}

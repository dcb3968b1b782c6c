/* Every hart waits (tests/e2e/cluster_test.cpp): hart 0 enters a 2-hart barrier that hart 1 (never
 * started) cannot join; the run must end as a deadlock (exit 126), not hang. */
#include "mcucim/cluster.h"

int main(void) {
  cluster_barrier_size(2);
  cluster_barrier();
  return 0;
}

/* Splitting the forward pass across the harts of a cluster (issue 14, docs/CLUSTER.md). A job is a
 * sequence of steps; every part (hart) runs each step on its share of the work, and no part starts step
 * i + 1 before all have finished step i (a barrier). The firmware runs the parts on the cluster's harts
 * (workloads/tinyllm/tinyllm_fw.c, -T N); tllm_cluster_serial runs them one after the other (host builds,
 * tests). Each part computes whole outputs (matrix rows, heads, quantization groups) with the same code
 * and the same sums in the same order as one hart, so the result has the same bits for any number of
 * parts. */
#ifndef TLLM_CLUSTER_H
#define TLLM_CLUSTER_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tllm_step_fn)(void *ctx, uint32_t step, uint32_t part, uint32_t parts);

typedef struct tllm_cluster {
  uint32_t parts; /* 1: no split */
  /* run steps 0..nsteps-1 of fn on every part, a barrier after each; returns when all parts are done.
   * The forward pass's job writes the logits only in its last step (the classifier). */
  void (*run)(const struct tllm_cluster *c, tllm_step_fn fn, void *ctx, uint32_t nsteps);
} tllm_cluster;

/* The parts of each step one after the other on the calling thread. */
void tllm_cluster_serial(const tllm_cluster *c, tllm_step_fn fn, void *ctx, uint32_t nsteps);

/* [lo, hi) of part `part` of n items split into `parts` contiguous ranges of whole blocks of `gran`
 * items (the last block may be short). 32-bit arithmetic (a 64-bit division is a library call on RV32):
 * blocks * parts must stay below 2^32 (n < 2^24 items and parts <= 256 do). */
static inline void tllm_part_range(uint32_t n, uint32_t gran, uint32_t part, uint32_t parts, uint32_t *lo,
                                   uint32_t *hi) {
  const uint32_t blocks = (n + gran - 1u) / gran;
  const uint32_t b0 = blocks * part / parts, b1 = blocks * (part + 1u) / parts;
  *lo = b0 * gran < n ? b0 * gran : n;
  *hi = b1 * gran < n ? b1 * gran : n;
}

#ifdef __cplusplus
}
#endif
#endif

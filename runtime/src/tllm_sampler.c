/* llama2.c's sampler: greedy, temperature, top-p, with its xorshift* generator. */
#include "tinyllm/tinyllm.h"
#include "tinyllm/tllm_math.h"

typedef struct { float prob; int32_t index; } probidx;

uint32_t tllm_random_u32(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (uint32_t)((*state * 0x2545F4914F6CDD1Dull) >> 32);
}
float tllm_random_f32(uint64_t *state) { return (float)(tllm_random_u32(state) >> 8) / 16777216.0f; }

void tllm_sampler_init(tllm_sampler *sp, uint32_t vocab, float temperature, float topp, uint64_t seed,
                       void *scratch) {
  sp->vocab_size = vocab;
  sp->temperature = temperature;
  sp->topp = topp;
  sp->rng_state = seed;
  sp->probidx = scratch;
}

uint32_t tllm_argmax(const float *v, uint32_t n) {
  uint32_t best = 0;
  float mx = v[0];
  for (uint32_t i = 1; i < n; i++) if (v[i] > mx) { mx = v[i]; best = i; }
  return best;
}

static uint32_t sample_mult(const float *p, uint32_t n, float coin) {
  float cdf = 0.0f;
  for (uint32_t i = 0; i < n; i++) { cdf += p[i]; if (coin < cdf) return i; }
  return n - 1u;
}

/* llama2.c sorts candidates with qsort (unstable); here a stable insertion sort by descending
 * probability, so equal probabilities keep index order on every platform. */
static uint32_t sample_topp(const float *p, uint32_t n, float topp, probidx *pi, float coin) {
  uint32_t n0 = 0;
  const float cutoff = (1.0f - topp) / (float)(n - 1u);
  for (uint32_t i = 0; i < n; i++) {
    if (p[i] >= cutoff) {
      probidx e = {p[i], (int32_t)i};
      uint32_t j = n0++;
      while (j > 0 && pi[j - 1].prob < e.prob) { pi[j] = pi[j - 1]; j--; }
      pi[j] = e;
    }
  }
  float cum = 0.0f;
  uint32_t last = n0 - 1u;
  for (uint32_t i = 0; i < n0; i++) {
    cum += pi[i].prob;
    if (cum > topp) { last = i; break; }
  }
  float r = coin * cum;
  float cdf = 0.0f;
  for (uint32_t i = 0; i <= last; i++) { cdf += pi[i].prob; if (r < cdf) return (uint32_t)pi[i].index; }
  return (uint32_t)pi[last].index;
}

uint32_t tllm_sample(tllm_sampler *sp, float *logits) {
  uint32_t n = sp->vocab_size;
  if (sp->temperature == 0.0f) return tllm_argmax(logits, n);
  for (uint32_t q = 0; q < n; q++) logits[q] /= sp->temperature;
  tllm_softmax(logits, n);
  float coin = tllm_random_f32(&sp->rng_state);
  if (sp->topp <= 0.0f || sp->topp >= 1.0f) return sample_mult(logits, n, coin);
  return sample_topp(logits, n, sp->topp, (probidx *)sp->probidx, coin);
}

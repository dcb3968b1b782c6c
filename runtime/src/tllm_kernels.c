/* Kernels: fp32 matvec, INT8 activation quantization, and the integer matvec backends (scalar C and
 * Xmac). Every backend computes each group's integer dot product exactly and combines groups with
 * tllm_combine_group() in row order, so all backends give identical bits. */
#include <string.h>

#include "tinyllm/tinyllm.h"
#include "xmac.h"

void tllm_matvec_f32(float *out, const tllm_tensor *w, const float *x) {
  const float *W = (const float *)w->data;
  uint32_t n = w->cols;
  for (uint32_t i = 0; i < w->rows; i++) {
    const float *row = W + (size_t)i * n;
    float val = 0.0f;
    for (uint32_t j = 0; j < n; j++) val += row[j] * x[j];
    out[i] = val;
  }
}

/* q = nearest(x / scale) with ties away from zero, computed exactly (no roundf dependency). */
static inline int32_t round_q(float v) {
  int32_t t = (int32_t)v;
  float f = v - (float)t;
  if (f >= 0.5f) t += 1;
  else if (f <= -0.5f) t -= 1;
  return t;
}

void tllm_quantize_act(int8_t *q, float *scale, int32_t *sum, const float *x, uint32_t n,
                       uint32_t group) {
  uint32_t ng = (n + group - 1u) / group;
  for (uint32_t g = 0; g < ng; g++) {
    uint32_t lo = g * group, hi = lo + group < n ? lo + group : n;
    float amax = 0.0f;
    for (uint32_t j = lo; j < hi; j++) {
      float a = x[j] < 0.0f ? -x[j] : x[j];
      if (a > amax) amax = a;
    }
    float s = amax / 127.0f;
    int32_t acc = 0;
    for (uint32_t j = lo; j < hi; j++) {
      int32_t v = 0;
      if (s > 0.0f) {
        v = round_q(x[j] / s);
        if (v > 127) v = 127;
        if (v < -127) v = -127;
      }
      q[j] = (int8_t)v;
      acc += v;
    }
    scale[g] = s;
    sum[g] = acc;
  }
  uint32_t npad = tllm_round_up(n, TLLM_ROW_ALIGN_ELEMS);
  for (uint32_t j = n; j < npad; j++) q[j] = 0;
}

/* element j of a packed quantized row (sign-extended) */
static inline int32_t qelem(const uint8_t *row, uint32_t prec, uint32_t j) {
  switch (prec) {
    case TLLM_INT8: return (int32_t)(int8_t)row[j];
    case TLLM_INT4: return xmac_sext4((uint32_t)row[j >> 1] >> (4u * (j & 1u)));
    default: return xmac_sext2((uint32_t)row[j >> 2] >> (2u * (j & 3u)));
  }
}

void tllm_dequant_row(float *out, const tllm_tensor *w, uint32_t r) {
  if (w->prec == TLLM_FP32) {
    memcpy(out, (const float *)w->data + (size_t)r * w->cols, w->cols * sizeof(float));
    return;
  }
  const uint8_t *row = (const uint8_t *)w->data + (size_t)r * w->row_bytes;
  const float *sc = w->scales + (size_t)r * w->ngroups;
  const float *of = w->offsets ? w->offsets + (size_t)r * w->ngroups : 0;
  for (uint32_t j = 0; j < w->cols; j++) {
    uint32_t g = j / w->group;
    float v = (float)qelem(row, w->prec, j) * sc[g];
    if (of) v = v + of[g];
    out[j] = v;
  }
}

/* ---- scalar backend ---------------------------------------------------------------------------- */
static void matvec_q_scalar(float *out, const tllm_tensor *w, const tllm_qact *a) {
  uint32_t n = w->cols, G = w->group, ng = w->ngroups;
  for (uint32_t r = 0; r < w->rows; r++) {
    const uint8_t *row = (const uint8_t *)w->data + (size_t)r * w->row_bytes;
    const float *sc = w->scales + (size_t)r * ng;
    const float *of = w->offsets ? w->offsets + (size_t)r * ng : 0;
    float val = 0.0f;
    for (uint32_t g = 0; g < ng; g++) {
      uint32_t lo = g * G, hi = lo + G < n ? lo + G : n;
      int32_t acc = 0;
      switch (w->prec) {
        case TLLM_INT8: {
          const int8_t *wr = (const int8_t *)row;
          for (uint32_t j = lo; j < hi; j++) acc += (int32_t)wr[j] * a->q[j];
          break;
        }
        case TLLM_INT4:
          for (uint32_t j = lo; j < hi; j++) acc += xmac_sext4((uint32_t)row[j >> 1] >> (4u * (j & 1u))) * a->q[j];
          break;
        default:
          for (uint32_t j = lo; j < hi; j++) acc += xmac_sext2((uint32_t)row[j >> 2] >> (2u * (j & 3u))) * a->q[j];
          break;
      }
      val = tllm_combine_group(val, acc, a->sum[g], sc[g], of ? &of[g] : 0, a->scale[g]);
    }
    out[r] = val;
  }
}

const tllm_kernels tllm_kernels_scalar = {"scalar", matvec_q_scalar};

/* ---- Xmac backend ------------------------------------------------------------------------------ */
static inline uint32_t load_act_word(const int8_t *q, uint32_t j) {
  uint32_t w;
  memcpy(&w, q + j, 4);
  return w;
}

/* activation word for elements [j, j+4) with bytes outside [lo, hi) zeroed */
static inline uint32_t masked_act_word(const int8_t *q, uint32_t j, uint32_t lo, uint32_t hi) {
  uint32_t w = 0;
  for (uint32_t b = 0; b < 4; b++) {
    uint32_t e = j + b;
    if (e >= lo && e < hi) w |= (uint32_t)(uint8_t)q[e] << (8u * b);
  }
  return w;
}

static void matvec_q_xmac(float *out, const tllm_tensor *w, const tllm_qact *a) {
  uint32_t n = w->cols, G = w->group, ng = w->ngroups;
  uint32_t epw = w->prec == TLLM_INT8 ? 4u : w->prec == TLLM_INT4 ? 8u : 16u; /* elements per word */
  uint32_t npad = tllm_round_up(n, TLLM_ROW_ALIGN_ELEMS);
  int fast = (G % epw) == 0u;
  for (uint32_t r = 0; r < w->rows; r++) {
    const uint32_t *row = (const uint32_t *)(const void *)((const uint8_t *)w->data + (size_t)r * w->row_bytes);
    const float *sc = w->scales + (size_t)r * ng;
    const float *of = w->offsets ? w->offsets + (size_t)r * ng : 0;
    float val = 0.0f;
    if (fast) {
      const uint32_t *wp = row;
      for (uint32_t g = 0; g < ng; g++) {
        uint32_t lo = g * G, hi = lo + G < npad ? lo + G : npad; /* zero padding up to npad */
        const int8_t *aq = a->q + lo;
        uint32_t words = (hi - lo) / epw;
        int32_t acc = 0;
        switch (w->prec) {
          case TLLM_INT8:
            for (uint32_t k = 0; k < words; k++) acc = xmac_ldot8(acc, &wp, load_act_word(aq, 4u * k));
            break;
          case TLLM_INT4:
            for (uint32_t k = 0; k < words; k++)
              acc = xmac_ldot4(acc, &wp, load_act_word(aq, 8u * k), load_act_word(aq, 8u * k + 4u));
            break;
          default:
            for (uint32_t k = 0; k < words; k++)
              acc = xmac_ldot2(acc, &wp, load_act_word(aq, 16u * k), load_act_word(aq, 16u * k + 4u),
                               load_act_word(aq, 16u * k + 8u), load_act_word(aq, 16u * k + 12u));
            break;
        }
        val = tllm_combine_group(val, acc, a->sum[g], sc[g], of ? &of[g] : 0, a->scale[g]);
      }
    } else {
      /* group boundaries fall inside weight words: mask the activations outside the group */
      for (uint32_t g = 0; g < ng; g++) {
        uint32_t lo = g * G, hi = lo + G < n ? lo + G : n;
        int32_t acc = 0;
        for (uint32_t wi = lo / epw; wi * epw < hi; wi++) {
          uint32_t wword = row[wi], j = wi * epw;
          switch (w->prec) {
            case TLLM_INT8: acc = xmac_dot8(acc, wword, masked_act_word(a->q, j, lo, hi)); break;
            case TLLM_INT4:
              acc = xmac_dot4(acc, wword, masked_act_word(a->q, j, lo, hi), masked_act_word(a->q, j + 4u, lo, hi));
              break;
            default:
              acc = xmac_dot2(acc, wword, masked_act_word(a->q, j, lo, hi), masked_act_word(a->q, j + 4u, lo, hi),
                              masked_act_word(a->q, j + 8u, lo, hi), masked_act_word(a->q, j + 12u, lo, hi));
              break;
          }
        }
        val = tllm_combine_group(val, acc, a->sum[g], sc[g], of ? &of[g] : 0, a->scale[g]);
      }
    }
    out[r] = val;
  }
}

const tllm_kernels tllm_kernels_xmac = {"xmac", matvec_q_xmac};

/* ---- registry ---------------------------------------------------------------------------------- */
static const tllm_kernels *backends[TLLM_BACKEND_COUNT] = {&tllm_kernels_scalar, &tllm_kernels_xmac, 0};

void tllm_register_backend(tllm_backend b, const tllm_kernels *k) {
  if ((unsigned)b < TLLM_BACKEND_COUNT) backends[b] = k;
}
const tllm_kernels *tllm_get_backend(tllm_backend b) {
  return (unsigned)b < TLLM_BACKEND_COUNT ? backends[b] : 0;
}
const char *tllm_backend_name(tllm_backend b) {
  static const char *const names[TLLM_BACKEND_COUNT] = {"scalar", "xmac", "cim"};
  return (unsigned)b < TLLM_BACKEND_COUNT ? names[b] : "?";
}

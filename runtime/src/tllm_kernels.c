/* Kernels: fp32 matvec, INT8 activation quantization, and the integer matvec backends (scalar C and
 * Xmac). Every backend computes each group's integer dot product exactly and combines groups with
 * tllm_combine_group() in row order, so all backends give identical bits. */
#include <string.h>

#include "tinyllm/tinyllm.h"
#include "tinyllm/tllm_math.h"
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

void tllm_matmul_f32(float *out, uint32_t out_stride, const tllm_tensor *w, const float *x, uint32_t x_stride,
                     uint32_t nb) {
  const float *W = (const float *)w->data;
  uint32_t n = w->cols;
  for (uint32_t i = 0; i < w->rows; i++) {
    const float *row = W + (size_t)i * n;
    for (uint32_t b0 = 0; b0 < nb; b0 += 4u) { /* 4 vectors per pass over the row: each sum in j order */
      uint32_t k = nb - b0 < 4u ? nb - b0 : 4u;
      const float *x0 = x + (size_t)b0 * x_stride;
      float v0 = 0.0f, v1 = 0.0f, v2 = 0.0f, v3 = 0.0f;
      for (uint32_t j = 0; j < n; j++) {
        float r = row[j];
        v0 += r * x0[j];
        if (k > 1u) v1 += r * x0[x_stride + j];
        if (k > 2u) v2 += r * x0[2u * x_stride + j];
        if (k > 3u) v3 += r * x0[3u * x_stride + j];
      }
      float *o = out + (size_t)b0 * out_stride + i;
      o[0] = v0;
      if (k > 1u) o[out_stride] = v1;
      if (k > 2u) o[2u * out_stride] = v2;
      if (k > 3u) o[3u * out_stride] = v3;
    }
  }
}

static inline uint32_t f_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static inline float bits_f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* One group [lo, hi) of x quantized into q (element j at q[qi(j)]). The group's max |x| is found on
 * the bit patterns (|x| orders like its bits): a NaN or infinity in the group gives q = 0 and the
 * scale NaN/inf (deterministic everywhere: no float-to-int conversion of a NaN). Otherwise
 * v = x * (127 / max) satisfies |v| <= 127 * (1 + 2^-22) and rounds into [-127, 127]. */
#define QUANT_GROUP(QIDX)                                                                         \
  do {                                                                                           \
    uint32_t mb = 0;                                                                             \
    _Pragma("GCC unroll 4")                                                                      \
    for (uint32_t j = lo; j < hi; j++) { uint32_t a = f_bits(x[j]) & 0x7FFFFFFFu; mb = a > mb ? a : mb; } \
    float amax = bits_f(mb);                                                                     \
    int32_t acc = 0;                                                                             \
    if (mb < 0x03000000u || mb >= 0x7F800000u) { /* ~0 (127/max would overflow), inf, NaN */      \
      for (uint32_t j = lo; j < hi; j++) q[QIDX(j)] = 0;                                         \
    } else {                                                                                     \
      const float inv = 127.0f / amax;                                                           \
      _Pragma("GCC unroll 4")                                                                    \
      for (uint32_t j = lo; j < hi; j++) {                                                       \
        int32_t v = tllm_round_i32(x[j] * inv);                                                  \
        q[QIDX(j)] = (int8_t)v;                                                                  \
        acc += v;                                                                                \
      }                                                                                          \
    }                                                                                            \
    scale[g] = amax / 127.0f;                                                                    \
    sum[g] = acc;                                                                                \
  } while (0)

#define QIDX_PLAIN(j) (j)
/* element j of vector b among nb word-interleaved vectors */
#define QIDX_IL(j) ((((j) >> 2) * nb + b) * 4u + ((j) & 3u))

void tllm_quantize_act(int8_t *q, float *scale, int32_t *sum, const float *x, uint32_t n,
                       uint32_t group) {
  uint32_t ng = (n + group - 1u) / group;
  for (uint32_t g = 0; g < ng; g++) {
    uint32_t lo = g * group, hi = lo + group < n ? lo + group : n;
    QUANT_GROUP(QIDX_PLAIN);
  }
  uint32_t npad = tllm_round_up(n, TLLM_ROW_ALIGN_ELEMS);
  for (uint32_t j = n; j < npad; j++) q[j] = 0;
}

void tllm_quantize_act_nb(int8_t *q, float *scale, int32_t *sum, const float *x, uint32_t n,
                          uint32_t group, uint32_t nb, uint32_t b) {
  if (nb <= 1u) { tllm_quantize_act(q, scale, sum, x, n, group); return; }
  tllm_quantize_act_groups(q, scale, sum, x, n, group, nb, b, 0u, (n + group - 1u) / group);
}

void tllm_quantize_act_groups(int8_t *q, float *scale, int32_t *sum, const float *x, uint32_t n,
                              uint32_t group, uint32_t nb, uint32_t b, uint32_t g0, uint32_t g1) {
  if (nb < 1u) nb = 1u;
  uint32_t ng = (n + group - 1u) / group;
  scale += (size_t)b * ng;
  sum += (size_t)b * ng;
  for (uint32_t g = g0; g < g1; g++) {
    uint32_t lo = g * group, hi = lo + group < n ? lo + group : n;
    QUANT_GROUP(QIDX_IL);
  }
  if (g1 < ng) return;
  uint32_t npad = tllm_round_up(n, TLLM_ROW_ALIGN_ELEMS);
  for (uint32_t j = n; j < npad; j++) q[QIDX_IL(j)] = 0;
}

float tllm_quantize_vec(int8_t *q, uint32_t stride, const float *x, uint32_t n) {
  float scale[1];
  int32_t sum[1];
  const uint32_t lo = 0, hi = n, g = 0;
#define QIDX_STRIDE(j) ((size_t)(j) * stride)
  QUANT_GROUP(QIDX_STRIDE);
#undef QIDX_STRIDE
  (void)sum;
  return scale[0] <= 3.4e38f ? scale[0] : 0.0f; /* a non-finite vector: zeros with scale 0 */
}

void tllm_rmsnorm(float *o, const float *x, const float *w, uint32_t n, float eps) {
  tllm_rmsnorm_range(o, x, w, n, eps, 0u, n);
}

void tllm_rmsnorm_range(float *o, const float *x, const float *w, uint32_t n, float eps, uint32_t lo, uint32_t hi) {
  float ss = 0.0f;
#pragma GCC unroll 4
  for (uint32_t j = 0; j < n; j++) ss += x[j] * x[j];
  ss /= (float)n;
  ss += eps;
  ss = 1.0f / tllm_sqrtf(ss);
#pragma GCC unroll 4
  for (uint32_t j = lo; j < hi; j++) o[j] = w[j] * (ss * x[j]);
}

/* One pass per group: normalize (into o, for consumers with another group size or fp32), track the
 * max on the bits, then quantize the group while it is in the cache. */
void tllm_rmsnorm_quant(float *o, int8_t *q, float *scale, int32_t *sum, const float *x,
                        const float *w, uint32_t n, float eps, uint32_t group, uint32_t nb, uint32_t b) {
  tllm_rmsnorm_quant_groups(o, q, scale, sum, x, w, n, eps, group, nb, b, 0u, (n + group - 1u) / group);
}

void tllm_rmsnorm_quant_groups(float *o, int8_t *q, float *scale, int32_t *sum, const float *x, const float *w,
                               uint32_t n, float eps, uint32_t group, uint32_t nb, uint32_t b, uint32_t g0,
                               uint32_t g1) {
  float ss = 0.0f;
#pragma GCC unroll 4
  for (uint32_t j = 0; j < n; j++) ss += x[j] * x[j];
  ss /= (float)n;
  ss += eps;
  ss = 1.0f / tllm_sqrtf(ss);
  if (nb < 1u) nb = 1u;
  uint32_t ng = (n + group - 1u) / group;
  scale += (size_t)b * ng;
  sum += (size_t)b * ng;
  for (uint32_t g = g0; g < g1; g++) {
    uint32_t lo = g * group, hi = lo + group < n ? lo + group : n;
#pragma GCC unroll 4
    for (uint32_t j = lo; j < hi; j++) o[j] = w[j] * (ss * x[j]);
    const float *xs = x;
    x = o; /* QUANT_GROUP reads x */
    QUANT_GROUP(QIDX_IL);
    x = xs;
  }
  if (g1 < ng) return;
  uint32_t npad = tllm_round_up(n, TLLM_ROW_ALIGN_ELEMS);
  for (uint32_t j = n; j < npad; j++) q[QIDX_IL(j)] = 0;
}

/* element j of a packed quantized row (sign-extended) */
static inline int32_t qelem(const uint8_t *row, uint32_t prec, uint32_t j) {
  switch (prec) {
    case TLLM_INT8: return (int32_t)(int8_t)row[j];
    case TLLM_INT4: return xmac_sext4((uint32_t)row[j >> 1] >> (4u * (j & 1u)));
    default: return xmac_sext2((uint32_t)row[j >> 2] >> (2u * (j & 3u)));
  }
}

void tllm_dequant_row(float *out, const tllm_tensor *w, uint32_t r) { tllm_dequant_row_range(out, w, r, 0u, w->cols); }

void tllm_dequant_row_range(float *out, const tllm_tensor *w, uint32_t r, uint32_t lo, uint32_t hi) {
  if (w->prec == TLLM_FP32) {
    memcpy(out + lo, (const float *)w->data + (size_t)r * w->cols + lo, (hi - lo) * sizeof(float));
    return;
  }
  const uint8_t *row = (const uint8_t *)w->data + (size_t)r * w->row_bytes;
  const float *sc = w->scales + (size_t)r * w->ngroups;
  const float *of = w->offsets ? w->offsets + (size_t)r * w->ngroups : 0;
  for (uint32_t j = lo; j < hi; j++) {
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

/* nb interleaved vectors: each output exactly as matvec_q_scalar computes it for vector b */
static void matmul_q_scalar(float *out, uint32_t out_stride, const tllm_tensor *w, const tllm_qact *a) {
  uint32_t n = w->cols, G = w->group, ng = w->ngroups, nb = a->nb ? a->nb : 1u;
  for (uint32_t r = 0; r < w->rows; r++) {
    const uint8_t *row = (const uint8_t *)w->data + (size_t)r * w->row_bytes;
    const float *sc = w->scales + (size_t)r * ng;
    const float *of = w->offsets ? w->offsets + (size_t)r * ng : 0;
    for (uint32_t b = 0; b < nb; b++) {
      const int32_t *asum = a->sum + (size_t)b * ng;
      const float *asc = a->scale + (size_t)b * ng;
      float val = 0.0f;
      for (uint32_t g = 0; g < ng; g++) {
        uint32_t lo = g * G, hi = lo + G < n ? lo + G : n;
        int32_t acc = 0;
        for (uint32_t j = lo; j < hi; j++) acc += qelem(row, w->prec, j) * a->q[QIDX_IL(j)];
        val = tllm_combine_group(val, acc, asum[g], sc[g], of ? &of[g] : 0, asc[g]);
      }
      out[(size_t)b * out_stride + r] = val;
    }
  }
}

static void dot_i8_scalar(int32_t *out, const int8_t *rows, uint32_t stride, uint32_t nrows, const int8_t *x,
                          uint32_t len) {
  for (uint32_t r = 0; r < nrows; r++) {
    const int8_t *row = rows + (size_t)r * stride;
    int32_t acc = 0;
    for (uint32_t i = 0; i < len; i++) acc += (int32_t)row[i] * x[i];
    out[r] = acc;
  }
}

const tllm_kernels tllm_kernels_scalar = {"scalar", matvec_q_scalar, matmul_q_scalar, dot_i8_scalar};

/* ---- Xmac backend ------------------------------------------------------------------------------ */
/* Fast path (group size a multiple of the elements per weight word, activation vector 4-byte
 * aligned): blocks of 8 rows (then 4, then 1) share every activation word, which is loaded once with
 * an aligned 32-bit load; each row has its own weight pointer, advanced by xmac.ldotN, so every weight
 * word costs one instruction and one memory read. Rows are consumed group by group (the image's rows
 * are contiguous, row_bytes apart) and each row's groups are combined in order 0..ng-1 with
 * tllm_combine_group(), exactly as the scalar backend does: the integer group sums are exact and the
 * float operations are the same ones in the same order, so the bits are identical. */
#define XK_INLINE static inline __attribute__((always_inline))
#define XK_MAX_ROWS 8
typedef uint32_t __attribute__((may_alias)) xk_word; /* activation words read from the int8 buffer */

/* one weight word per row of the block against the activation word(s) at ap: INT8 1, INT4 2, INT2 4 */
#define XK_STEP(prec, R, ap)                                                                    \
  do {                                                                                         \
    if ((prec) == TLLM_INT8) {                                                                 \
      uint32_t x0_ = (ap)[0];                                                                  \
      _Pragma("GCC unroll 8") for (int i_ = 0; i_ < (R); i_++) acc[i_] = xmac_ldot8(acc[i_], &p[i_], x0_); \
    } else if ((prec) == TLLM_INT4) {                                                          \
      uint32_t x0_ = (ap)[0], x1_ = (ap)[1];                                                   \
      _Pragma("GCC unroll 8") for (int i_ = 0; i_ < (R); i_++) acc[i_] = xmac_ldot4(acc[i_], &p[i_], x0_, x1_); \
    } else {                                                                                   \
      uint32_t x0_ = (ap)[0], x1_ = (ap)[1], x2_ = (ap)[2], x3_ = (ap)[3];                     \
      _Pragma("GCC unroll 8") for (int i_ = 0; i_ < (R); i_++)                                 \
        acc[i_] = xmac_ldot2(acc[i_], &p[i_], x0_, x1_, x2_, x3_);                             \
    }                                                                                          \
  } while (0)

/* Hides a value from the optimizer, so that pointers walked by a stride stay one register (GCC would
 * otherwise precompute every row's offset and spill them). */
#define XK_OPAQUE(v) __asm__("" : "+r"(v))

/* rows [r0, r0+R) of the fast path; R, prec and affine are compile-time constants after inlining */
XK_INLINE void xmac_rows(float *out, const tllm_tensor *w, const tllm_qact *a, uint32_t r0, const int R,
                         const uint32_t prec, const int affine) {
  const uint32_t ng = w->ngroups;
  const uint32_t gw = w->group / 4u;                                                /* activation words per group */
  const xk_word *ap = (const xk_word *)(const void *)a->q;
  const xk_word *aend = ap + tllm_round_up(w->cols, TLLM_ROW_ALIGN_ELEMS) / 4u;   /* with the zero padding */
  const float *s = w->scales + (size_t)r0 * ng, *send = s + ng;                      /* row r0's scale of group g */
  const float *o = affine ? w->offsets + (size_t)r0 * ng : 0;
  const float *asc = a->scale;
  const int32_t *asum = a->sum;
  const uint32_t *p[XK_MAX_ROWS];
  float val[XK_MAX_ROWS];
  const uint8_t *rp = (const uint8_t *)w->data + (size_t)r0 * w->row_bytes;
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) {
    p[i] = (const uint32_t *)(const void *)rp;
    rp += w->row_bytes; XK_OPAQUE(rp);
    val[i] = 0.0f;
  }
  do {
    const xk_word *ae = (uint32_t)(aend - ap) > gw ? ap + gw : aend; /* the last group ends at the row's padding */
    int32_t acc[XK_MAX_ROWS];
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) acc[i] = 0;
    if (prec == TLLM_INT8 && R == 8 && ae - ap == 8) { /* a whole group of 32: straight-line, no loop */
      XK_STEP(prec, R, ap); XK_STEP(prec, R, ap + 1); XK_STEP(prec, R, ap + 2); XK_STEP(prec, R, ap + 3);
      XK_STEP(prec, R, ap + 4); XK_STEP(prec, R, ap + 5); XK_STEP(prec, R, ap + 6); XK_STEP(prec, R, ap + 7);
      ap += 8;
    } else if (prec == TLLM_INT8) { /* 4 weight words per row and iteration; the remainder first */
      uint32_t steps = (uint32_t)(ae - ap);
      if (steps & 1u) { XK_STEP(prec, R, ap); ap += 1; }
      if (steps & 2u) { XK_STEP(prec, R, ap); XK_STEP(prec, R, ap + 1); ap += 2; }
      for (; ap != ae; ap += 4) {
        XK_STEP(prec, R, ap);
        XK_STEP(prec, R, ap + 1);
        XK_STEP(prec, R, ap + 2);
        XK_STEP(prec, R, ap + 3);
      }
    } else if (prec == TLLM_INT4) { /* 2 weight words per row and iteration */
      if (((uint32_t)(ae - ap) / 2u) & 1u) { XK_STEP(prec, R, ap); ap += 2; }
      for (; ap != ae; ap += 4) {
        XK_STEP(prec, R, ap);
        XK_STEP(prec, R, ap + 2);
      }
    } else {
      for (; ap != ae; ap += 4) XK_STEP(prec, R, ap);
    }
    const float as = *asc++;
    const float *t = s;
    if (affine) {
      const int32_t sum = *asum++;
      const float *u = o;
#pragma GCC unroll 8
      for (int i = 0; i < R; i++) {
        val[i] = tllm_combine_group(val[i], acc[i], sum, *t, u, as);
        t += ng; XK_OPAQUE(t);
        u += ng; XK_OPAQUE(u);
      }
      o++;
    } else {
#pragma GCC unroll 8
      for (int i = 0; i < R; i++) {
        val[i] = tllm_combine_group(val[i], acc[i], 0, *t, 0, as);
        t += ng; XK_OPAQUE(t);
      }
    }
  } while (++s != send);
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) out[r0 + (uint32_t)i] = val[i];
}

/* activation word for elements [j, j+4) with bytes outside [lo, hi) zeroed; aligned: q is 4-byte
 * aligned (j always is a multiple of 4), so the word is one load and a byte mask */
static inline uint32_t masked_act_word(const int8_t *q, uint32_t j, uint32_t lo, uint32_t hi, int aligned) {
  if (aligned) {
    uint32_t m = ~0u;
    if (lo > j) m = lo - j >= 4u ? 0u : m << (8u * (lo - j));
    if (hi < j + 4u) m &= hi <= j ? 0u : ~(~0u << (8u * (hi - j)));
    return *(const xk_word *)(const void *)(q + j) & m;
  }
  uint32_t w = 0;
  for (uint32_t b = 0; b < 4; b++) {
    uint32_t e = j + b;
    if (e >= lo && e < hi) w |= (uint32_t)(uint8_t)q[e] << (8u * b);
  }
  return w;
}

/* General path: group boundaries may fall inside weight words (or the activations are not 4-byte
 * aligned): one row at a time, the activations outside the group masked to zero. */
static void __attribute__((noinline)) matvec_q_xmac_masked(float *out, const tllm_tensor *w, const tllm_qact *a) {
  uint32_t n = w->cols, G = w->group, ng = w->ngroups;
  uint32_t epw = w->prec == TLLM_INT8 ? 4u : w->prec == TLLM_INT4 ? 8u : 16u; /* elements per word */
  const int8_t *q = a->q;
  const int al = ((uintptr_t)q & 3u) == 0u;
  for (uint32_t r = 0; r < w->rows; r++) {
    const uint32_t *row = (const uint32_t *)(const void *)((const uint8_t *)w->data + (size_t)r * w->row_bytes);
    const float *sc = w->scales + (size_t)r * ng;
    const float *of = w->offsets ? w->offsets + (size_t)r * ng : 0;
    float val = 0.0f;
    for (uint32_t g = 0; g < ng; g++) {
      uint32_t lo = g * G, hi = lo + G < n ? lo + G : n;
      int32_t acc = 0;
      for (uint32_t wi = lo / epw; wi * epw < hi; wi++) {
        uint32_t wword = row[wi], j = wi * epw;
        switch (w->prec) {
          case TLLM_INT8: acc = xmac_dot8(acc, wword, masked_act_word(q, j, lo, hi, al)); break;
          case TLLM_INT4:
            acc = xmac_dot4(acc, wword, masked_act_word(q, j, lo, hi, al), masked_act_word(q, j + 4u, lo, hi, al));
            break;
          default:
            acc = xmac_dot2(acc, wword, masked_act_word(q, j, lo, hi, al), masked_act_word(q, j + 4u, lo, hi, al),
                            masked_act_word(q, j + 8u, lo, hi, al), masked_act_word(q, j + 12u, lo, hi, al));
            break;
        }
      }
      val = tllm_combine_group(val, acc, a->sum[g], sc[g], of ? &of[g] : 0, a->scale[g]);
    }
    out[r] = val;
  }
}

/* One function per weight width and form (symmetric/affine), each with its 8-, 4- and 1-row blocks,
 * so only the code in use occupies the instruction cache. */
#define XK_ROWS_FN(name, prec, affine)                                                           \
  static void __attribute__((noinline)) name(float *out, const tllm_tensor *w, const tllm_qact *a) { \
    uint32_t r = 0, rows = w->rows;                                                              \
    for (; r + 8u <= rows; r += 8u) xmac_rows(out, w, a, r, 8, prec, affine);                    \
    if (r + 4u <= rows) { xmac_rows(out, w, a, r, 4, prec, affine); r += 4u; }                  \
    for (; r < rows; r++) xmac_rows(out, w, a, r, 1, prec, affine);                              \
  }
XK_ROWS_FN(matvec_xmac_i8, TLLM_INT8, 0)
XK_ROWS_FN(matvec_xmac_i4, TLLM_INT4, 0)
XK_ROWS_FN(matvec_xmac_i2, TLLM_INT2, 0)
XK_ROWS_FN(matvec_xmac_i8_affine, TLLM_INT8, 1)
XK_ROWS_FN(matvec_xmac_i4_affine, TLLM_INT4, 1)
XK_ROWS_FN(matvec_xmac_i2_affine, TLLM_INT2, 1)

static void matvec_q_xmac(float *out, const tllm_tensor *w, const tllm_qact *a) {
  uint32_t epw = w->prec == TLLM_INT8 ? 4u : w->prec == TLLM_INT4 ? 8u : 16u; /* elements per word */
  if ((w->group & (epw - 1u)) != 0u || ((uintptr_t)a->q & 3u) != 0u) matvec_q_xmac_masked(out, w, a);
  else if (w->prec == TLLM_INT8) (w->offsets ? matvec_xmac_i8_affine : matvec_xmac_i8)(out, w, a);
  else if (w->prec == TLLM_INT4) (w->offsets ? matvec_xmac_i4_affine : matvec_xmac_i4)(out, w, a);
  else (w->offsets ? matvec_xmac_i2_affine : matvec_xmac_i2)(out, w, a);
}

/* ---- Xmac batched matmul (prefill chunks) ------------------------------------------------------- */
#define XK_MM_ROWS 3 /* rows x 4 vectors per block: 12 accumulators, 3 weight and 4 activation registers */
/* Rows [r0, r0+R) against vectors [b0, b0+NB) of the nb interleaved ones: each weight word is loaded
 * once (lw) and multiplied with the NB vectors' activation words by the register form xmac.dotN, so a
 * chunk reads every weight once. Each (row, vector) keeps its own integer group sum and combines the
 * groups in order with tllm_combine_group(): the bits of matvec_q for that vector. */
XK_INLINE void xmac_rows_nb(float *out, uint32_t ostride, const tllm_tensor *w, const tllm_qact *a, uint32_t r0,
                            const int R, uint32_t b0, const int NB, const uint32_t prec, const int affine) {
  const uint32_t ng = w->ngroups, nb = a->nb;
  const uint32_t epw = prec == TLLM_INT8 ? 4u : prec == TLLM_INT4 ? 8u : 16u;
  const uint32_t apw = epw / 4u;                /* activation words per weight word */
  const uint32_t wpg = w->group / epw;          /* weight words per group */
  const uint32_t rwords = w->row_bytes / 4u;    /* weight words per row, padding included */
  const xk_word *ap = (const xk_word *)(const void *)a->q + b0;
  const uint32_t astep = apw * nb;
  const uint32_t *p[XK_MM_ROWS];
  float val[XK_MM_ROWS][4];
#pragma GCC unroll 4
  for (int i = 0; i < R; i++) {
    p[i] = (const uint32_t *)(const void *)((const uint8_t *)w->data + (size_t)(r0 + (uint32_t)i) * w->row_bytes);
#pragma GCC unroll 4
    for (int j = 0; j < NB; j++) val[i][j] = 0.0f;
  }
  uint32_t left = rwords;
  for (uint32_t g = 0; g < ng; g++) {
    int32_t acc[XK_MM_ROWS][4];
#pragma GCC unroll 4
    for (int i = 0; i < R; i++)
#pragma GCC unroll 4
      for (int j = 0; j < NB; j++) acc[i][j] = 0;
    uint32_t nwd = left < wpg ? left : wpg;
    left -= nwd;
    for (; nwd; nwd--) {
      uint32_t wv[XK_MM_ROWS];
#pragma GCC unroll 4
      for (int i = 0; i < R; i++) wv[i] = *p[i]++;
#pragma GCC unroll 4
      for (int j = 0; j < NB; j++) {
        if (prec == TLLM_INT8) {
          const uint32_t x0 = ap[j];
#pragma GCC unroll 4
          for (int i = 0; i < R; i++) acc[i][j] = xmac_dot8(acc[i][j], wv[i], x0);
        } else if (prec == TLLM_INT4) {
          const uint32_t x0 = ap[j], x1 = ap[nb + (uint32_t)j];
#pragma GCC unroll 4
          for (int i = 0; i < R; i++) acc[i][j] = xmac_dot4(acc[i][j], wv[i], x0, x1);
        } else {
          const uint32_t x0 = ap[j], x1 = ap[nb + (uint32_t)j], x2 = ap[2u * nb + (uint32_t)j], x3 = ap[3u * nb + (uint32_t)j];
#pragma GCC unroll 4
          for (int i = 0; i < R; i++) acc[i][j] = xmac_dot2(acc[i][j], wv[i], x0, x1, x2, x3);
        }
      }
      ap += astep;
    }
#pragma GCC unroll 4
    for (int i = 0; i < R; i++) {
      const size_t wi = (size_t)(r0 + (uint32_t)i) * ng + g;
      const float ws = w->scales[wi];
#pragma GCC unroll 4
      for (int j = 0; j < NB; j++) {
        const size_t ai = (size_t)(b0 + (uint32_t)j) * ng + g;
        val[i][j] = tllm_combine_group(val[i][j], acc[i][j], a->sum[ai], ws, affine ? &w->offsets[wi] : 0, a->scale[ai]);
      }
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < R; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NB; j++) out[(size_t)(b0 + (uint32_t)j) * ostride + r0 + (uint32_t)i] = val[i][j];
}

#define XK_MM_FN(name, prec, affine)                                                             \
  static void __attribute__((noinline)) name(float *out, uint32_t ostride, const tllm_tensor *w, const tllm_qact *a) { \
    const uint32_t rows = w->rows, nb = a->nb;                                                   \
    uint32_t b = 0;                                                                              \
    for (; b + 4u <= nb; b += 4u) {                                                              \
      uint32_t r = 0;                                                                            \
      for (; r + XK_MM_ROWS <= rows; r += XK_MM_ROWS) xmac_rows_nb(out, ostride, w, a, r, XK_MM_ROWS, b, 4, prec, affine); \
      for (; r < rows; r++) xmac_rows_nb(out, ostride, w, a, r, 1, b, 4, prec, affine);          \
    }                                                                                            \
    for (; b < nb; b++) {                                                                        \
      uint32_t r = 0;                                                                            \
      for (; r + XK_MM_ROWS <= rows; r += XK_MM_ROWS) xmac_rows_nb(out, ostride, w, a, r, XK_MM_ROWS, b, 1, prec, affine); \
      for (; r < rows; r++) xmac_rows_nb(out, ostride, w, a, r, 1, b, 1, prec, affine);          \
    }                                                                                            \
  }
XK_MM_FN(matmul_xmac_i4, TLLM_INT4, 0)
XK_MM_FN(matmul_xmac_i2, TLLM_INT2, 0)
XK_MM_FN(matmul_xmac_i4_affine, TLLM_INT4, 1)
XK_MM_FN(matmul_xmac_i2_affine, TLLM_INT2, 1)

/* INT8 weights, one row against vectors [b0, b0+NB): INT8 x INT8 is symmetric, so the roles of
 * xmac.ldot8's operands are swapped: the weight word is loaded once (lw) and stays in a register while
 * ldot8 loads the NB vectors' activation words, which the interleaved layout puts next to each other
 * (word i of vectors b0.. at i * nb + b0..), and advances over them: 1 + NB instructions per weight word
 * (matvec: 1 + 1/8 per weight word and vector), each weight read once. */
XK_INLINE void xmac_row_i8_nb(float *out, uint32_t ostride, const tllm_tensor *w, const tllm_qact *a, uint32_t r,
                              uint32_t b0, const int NB, const int affine) {
  const uint32_t ng = w->ngroups, nb = a->nb, wpg = w->group / 4u, skip = nb - (uint32_t)NB;
  const uint32_t *wp = (const uint32_t *)(const void *)((const uint8_t *)w->data + (size_t)r * w->row_bytes);
  const uint32_t *ap = (const uint32_t *)(const void *)a->q + b0;
  const float *ws = w->scales + (size_t)r * ng;
  const float *wo = affine ? w->offsets + (size_t)r * ng : 0;
  float val[8];
#pragma GCC unroll 8
  for (int j = 0; j < NB; j++) val[j] = 0.0f;
  uint32_t left = w->row_bytes / 4u;
  for (uint32_t g = 0; g < ng; g++) {
    int32_t acc[8];
#pragma GCC unroll 8
    for (int j = 0; j < NB; j++) acc[j] = 0;
    uint32_t nwd = left < wpg ? left : wpg;
    left -= nwd;
    for (; nwd; nwd--) {
      const uint32_t wv = *wp++;
#pragma GCC unroll 8
      for (int j = 0; j < NB; j++) acc[j] = xmac_ldot8(acc[j], &ap, wv);
      ap += skip;
    }
    const float sw = ws[g];
#pragma GCC unroll 8
    for (int j = 0; j < NB; j++) {
      const size_t ai = (size_t)(b0 + (uint32_t)j) * ng + g;
      val[j] = tllm_combine_group(val[j], acc[j], a->sum[ai], sw, affine ? &wo[g] : 0, a->scale[ai]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < NB; j++) out[(size_t)(b0 + (uint32_t)j) * ostride + r] = val[j];
}

#define XK_MM8_FN(name, affine)                                                                   \
  static void __attribute__((noinline)) name(float *out, uint32_t ostride, const tllm_tensor *w, const tllm_qact *a) { \
    const uint32_t nb = a->nb;                                                                    \
    for (uint32_t r = 0; r < w->rows; r++) {                                                      \
      uint32_t b = 0;                                                                             \
      for (; b + 8u <= nb; b += 8u) xmac_row_i8_nb(out, ostride, w, a, r, b, 8, affine);          \
      if (b + 4u <= nb) { xmac_row_i8_nb(out, ostride, w, a, r, b, 4, affine); b += 4u; }        \
      if (b + 2u <= nb) { xmac_row_i8_nb(out, ostride, w, a, r, b, 2, affine); b += 2u; }        \
      if (b < nb) xmac_row_i8_nb(out, ostride, w, a, r, b, 1, affine);                           \
    }                                                                                             \
  }
XK_MM8_FN(matmul_xmac_i8_ld, 0)
XK_MM8_FN(matmul_xmac_i8_ld_affine, 1)

static void matmul_q_xmac(float *out, uint32_t ostride, const tllm_tensor *w, const tllm_qact *a) {
  uint32_t epw = w->prec == TLLM_INT8 ? 4u : w->prec == TLLM_INT4 ? 8u : 16u;
  if (a->nb <= 1u) { matvec_q_xmac(out, w, a); return; }
  if ((w->group & (epw - 1u)) != 0u || ((uintptr_t)a->q & 3u) != 0u) { matmul_q_scalar(out, ostride, w, a); return; }
  if (w->prec == TLLM_INT8) (w->offsets ? matmul_xmac_i8_ld_affine : matmul_xmac_i8_ld)(out, ostride, w, a);
  else if (w->prec == TLLM_INT4) (w->offsets ? matmul_xmac_i4_affine : matmul_xmac_i4)(out, ostride, w, a);
  else (w->offsets ? matmul_xmac_i2_affine : matmul_xmac_i2)(out, ostride, w, a);
}

/* ---- Xmac integer dot products (quantized attention) ---------------------------------------------- */
/* Contiguous rows of NW words (K cache rows, stride == len): the NW words of x stay in registers and one
 * pointer walks every row with xmac.ldot8, four rows per iteration. */
XK_INLINE void dot_rows_contig(int32_t *out, const uint32_t *p, uint32_t nrows, const xk_word *xw, const int NW) {
  uint32_t x[4];
#pragma GCC unroll 4
  for (int k = 0; k < NW; k++) x[k] = xw[k];
  int32_t *end4 = out + (nrows & ~3u), *end = out + nrows;
  for (; out != end4; out += 4) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma GCC unroll 4
    for (int k = 0; k < NW; k++) a0 = xmac_ldot8(a0, &p, x[k]);
#pragma GCC unroll 4
    for (int k = 0; k < NW; k++) a1 = xmac_ldot8(a1, &p, x[k]);
#pragma GCC unroll 4
    for (int k = 0; k < NW; k++) a2 = xmac_ldot8(a2, &p, x[k]);
#pragma GCC unroll 4
    for (int k = 0; k < NW; k++) a3 = xmac_ldot8(a3, &p, x[k]);
    out[0] = a0; out[1] = a1; out[2] = a2; out[3] = a3;
  }
  for (; out != end; out++) {
    int32_t a0 = 0;
#pragma GCC unroll 4
    for (int k = 0; k < NW; k++) a0 = xmac_ldot8(a0, &p, x[k]);
    *out = a0;
  }
}

/* R rows (any stride) sharing each word of x, loaded once (V cache rows: few rows, long). */
XK_INLINE void dot_rows_block(int32_t *out, const int8_t *rows, uint32_t stride, const xk_word *xw, uint32_t nw, const int R) {
  const uint32_t *p[XK_MAX_ROWS];
  int32_t acc[XK_MAX_ROWS];
  const uint8_t *rp = (const uint8_t *)rows;
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) {
    p[i] = (const uint32_t *)(const void *)rp;
    rp += stride; XK_OPAQUE(rp);
    acc[i] = 0;
  }
  const xk_word *xe = xw + nw;
  for (; xw != xe; xw++) {
    const uint32_t xv = *xw;
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) acc[i] = xmac_ldot8(acc[i], &p[i], xv);
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; i++) out[i] = acc[i];
}

static void __attribute__((noinline)) dot_i8_xmac_contig(int32_t *out, const int8_t *rows, uint32_t nrows, const int8_t *x, uint32_t nw) {
  const xk_word *xw = (const xk_word *)(const void *)x;
  const uint32_t *p = (const uint32_t *)(const void *)rows;
  switch (nw) {
    case 1: dot_rows_contig(out, p, nrows, xw, 1); return;
    case 2: dot_rows_contig(out, p, nrows, xw, 2); return;
    case 3: dot_rows_contig(out, p, nrows, xw, 3); return;
    default: dot_rows_contig(out, p, nrows, xw, 4); return;
  }
}

static void __attribute__((noinline)) dot_i8_xmac_blocks(int32_t *out, const int8_t *rows, uint32_t stride, uint32_t nrows, const int8_t *x, uint32_t nw) {
  const xk_word *xw = (const xk_word *)(const void *)x;
  uint32_t r = 0;
  for (; r + 8u <= nrows; r += 8u) dot_rows_block(out + r, rows + (size_t)r * stride, stride, xw, nw, 8);
  if (r + 4u <= nrows) { dot_rows_block(out + r, rows + (size_t)r * stride, stride, xw, nw, 4); r += 4u; }
  for (; r < nrows; r++) dot_rows_block(out + r, rows + (size_t)r * stride, stride, xw, nw, 1);
}

/* K rows (contiguous, at most 16 bytes) keep q in registers; otherwise blocks of rows share x words */
static void dot_i8_xmac(int32_t *out, const int8_t *rows, uint32_t stride, uint32_t nrows, const int8_t *x, uint32_t len) {
  const uint32_t nw = len / 4u;
  if (stride == len && nw >= 1u && nw <= 4u) dot_i8_xmac_contig(out, rows, nrows, x, nw);
  else dot_i8_xmac_blocks(out, rows, stride, nrows, x, nw);
}

const tllm_kernels tllm_kernels_xmac = {"xmac", matvec_q_xmac, matmul_q_xmac, dot_i8_xmac};

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

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
    if (prec == TLLM_INT8) { /* 4 weight words per row and iteration; the remainder first */
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

/* The Llama forward pass, as llama2.c's run.c defines it (RMSNorm, RoPE on the fly, GQA with a KV
 * cache, SwiGLU, final norm, classifier), plus a DeepSeek-style MoE feed-forward (shared experts +
 * top-k routed experts with normalised softmax gates). */
#include <string.h>

#include "mcucim/simctrl.h"
#include "tinyllm/tinyllm.h"
#include "tinyllm/tllm_cluster.h"
#include "tinyllm/tllm_math.h"
#include "tinyllm/tllm_stream.h"

tllm_status tllm_state_init(tllm_state *s, const tllm_model *m, const tllm_plan *p, void *arena,
                            size_t arena_size, tllm_backend backend, tllm_error *err) {
  if (!s || !m || !p || !arena) { tllm_errorf(err, TLLM_E_ARG, "tllm_state_init: NULL argument"); return TLLM_E_ARG; }
  memset(s, 0, sizeof *s);
  if (((uintptr_t)arena & (TLLM_ALIGN - 1u)) != 0u) {
    tllm_errorf(err, TLLM_E_ARG, "arena at 0x%lx is not 16-byte aligned", (unsigned long)(uintptr_t)arena);
    return TLLM_E_ARG;
  }
  if (p->total > arena_size) {
    tllm_errorf(err, TLLM_E_NOMEM, "memory plan needs %lu bytes but the arena has %lu", (unsigned long)p->total, (unsigned long)arena_size);
    return TLLM_E_NOMEM;
  }
  const tllm_kernels *k = tllm_get_backend(backend);
  if (!k) {
    tllm_errorf(err, TLLM_E_BACKEND, "backend '%s' is not available in this build (no driver registered)", tllm_backend_name(backend));
    return TLLM_E_BACKEND;
  }
  uint8_t *a = (uint8_t *)arena;
  memset(a, 0, p->total);
  s->m = m; s->plan = *p; s->kern = k; s->arena = a;
  s->head0 = 0; s->head1 = m->n_heads; s->tp_rank = 0; s->tp_size = 1;
  s->max_seq = p->cfg.max_seq;
  s->chunk = p->cfg.chunk ? p->cfg.chunk : 1u;
  s->approx = m->min_group != 0u || p->cfg.kv_int8;
  s->x = (float *)(void *)(a + p->o_x);
  s->xb = (float *)(void *)(a + p->o_xb);
  s->xb2 = (float *)(void *)(a + p->o_xb2);
  s->q = (float *)(void *)(a + p->o_q);
  s->k = (float *)(void *)(a + p->o_k);
  s->v = (float *)(void *)(a + p->o_v);
  s->hb = (float *)(void *)(a + p->o_hb);
  s->hb2 = (float *)(void *)(a + p->o_hb2);
  s->moe = (float *)(void *)(a + p->o_moe);
  s->att = (float *)(void *)(a + p->o_att);
  s->logits = (float *)(void *)(a + p->o_logits);
  s->aq = (int8_t *)(void *)(a + p->o_aq);
  s->as = (float *)(void *)(a + p->o_as);
  s->asum = (int32_t *)(void *)(a + p->o_asum);
  s->router = (float *)(void *)(a + p->o_router);
  s->expert_sel = (uint32_t *)(void *)(s->router + m->n_experts + m->top_k);
  s->rope = (float *)(void *)(a + p->o_rope);
  s->expert_calls = (uint32_t *)(void *)(a + p->o_expert_calls);
  s->layers = (tllm_layer_views *)(void *)(a + p->o_layers);
  s->probidx = a + p->o_probidx;
  if (p->cfg.kv_int8) {
    s->kcq = (int8_t *)(void *)(a + p->o_kc);
    s->vcq = (int8_t *)(void *)(a + p->o_vc);
    s->kcs = (float *)(void *)(a + p->o_kcs);
    s->vcs = (float *)(void *)(a + p->o_vcs);
    s->qq = (int8_t *)(void *)(a + p->o_qq);
    s->qs = (float *)(void *)(a + p->o_qs);
    s->awq = (int8_t *)(void *)(a + p->o_awq);
    s->aws = (float *)(void *)(a + p->o_aws);
    s->idot = (int32_t *)(void *)(a + p->o_idot);
    s->idot_stride = s->max_seq > m->head_size ? s->max_seq : m->head_size;
  } else {
    s->kc = (float *)(void *)(a + p->o_kc);
    s->vc = (float *)(void *)(a + p->o_vc);
  }
  /* Everything position-independent, once: the RoPE table (llama2.c's values: theta 10000, the angle
   * pos * freq rounded to float), the tensor views, the attention scale. */
  const uint32_t hs = m->head_size;
  for (uint32_t i = 0; i < hs; i += 2) {
    float freq = 1.0f / tllm_expf(((float)i / (float)hs) * 9.21034037198f); /* 1 / theta^(i/hs) */
    for (uint32_t pos = 0; pos < s->max_seq; pos++) {
      float *r = s->rope + (size_t)pos * hs + i;
      tllm_cossinf((float)pos * freq, &r[0], &r[1]);
    }
  }
  for (uint32_t l = 0; l < m->n_layers; l++) {
    tllm_layer_views *L = &s->layers[l];
    L->rms_att = (const float *)tllm_model_tensor(m, TLLM_T_RMS_ATT, l, 0).data;
    L->rms_ffn = (const float *)tllm_model_tensor(m, TLLM_T_RMS_FFN, l, 0).data;
    L->wq = tllm_model_tensor(m, TLLM_T_WQ, l, 0);
    L->wk = tllm_model_tensor(m, TLLM_T_WK, l, 0);
    L->wv = tllm_model_tensor(m, TLLM_T_WV, l, 0);
    L->wo = tllm_model_tensor(m, TLLM_T_WO, l, 0);
    if (m->n_experts) {
      L->router = tllm_model_tensor(m, TLLM_T_ROUTER, l, 0);
    } else {
      L->w1 = tllm_model_tensor(m, TLLM_T_W1, l, 0);
      L->w2 = tllm_model_tensor(m, TLLM_T_W2, l, 0);
      L->w3 = tllm_model_tensor(m, TLLM_T_W3, l, 0);
    }
  }
  s->emb = tllm_model_tensor(m, TLLM_T_TOK_EMB, 0, 0);
  s->wcls = tllm_model_tensor(m, TLLM_T_WCLS, 0, 0);
  s->rms_final = (const float *)tllm_model_tensor(m, TLLM_T_RMS_FINAL, 0, 0).data;
  s->sqrt_hs = tllm_sqrtf((float)hs);
  s->att_scale = 1.0f / s->sqrt_hs;
  return TLLM_OK;
}

void tllm_regions_name(void) {
  sim_region_name(TLLM_REGION_TOKEN, "token");
  sim_region_name(TLLM_REGION_EMBED, "embed");
  sim_region_name(TLLM_REGION_ATTENTION, "attention");
  sim_region_name(TLLM_REGION_FFN, "ffn");
  sim_region_name(TLLM_REGION_CLASSIFIER, "classifier");
  sim_region_name(TLLM_REGION_DMA_WAIT, "dma_wait");
  sim_region_name(TLLM_REGION_QKV, "qkv");
  sim_region_name(TLLM_REGION_SCORES, "scores");
  sim_region_name(TLLM_REGION_SOFTMAX, "softmax");
  sim_region_name(TLLM_REGION_WEIGHTED_SUM, "weighted_sum");
  sim_region_name(TLLM_REGION_OUT_PROJ, "out_proj");
  sim_region_name(TLLM_REGION_CHUNK, "chunk");
}

void tllm_regions_name_model(const tllm_model *m) {
  tllm_regions_name();
  /* the simulator reads the name when NAME_PTR is written: one buffer serves every expert */
  static char name[16];
  for (uint32_t e = 0; m && e < m->n_experts; e++) {
    char digits[10];
    uint32_t n = 0, v = e;
    do { digits[n++] = (char)('0' + v % 10u); v /= 10u; } while (v && n < sizeof digits);
    memcpy(name, "expert", 6);
    for (uint32_t i = 0; i < n; i++) name[6 + i] = digits[n - 1u - i];
    name[6 + n] = '\0';
    sim_region_name(TLLM_REGION_EXPERT_BASE + e, name);
  }
}

static void count_read(tllm_state *s, const tllm_tensor *t, uint64_t rows) {
  if (!s->tensor_bytes_read || !tllm_stream_in_image(s->m, t->data)) return; /* cached experts: counted at the miss */
  uint64_t b = rows * t->row_bytes;
  if (t->prec != TLLM_FP32) b += rows * t->ngroups * 4u * (t->offsets ? 2u : 1u);
  s->tensor_bytes_read[t->index] += b;
}

static uint32_t entry_index(const tllm_model *m, uint32_t kind, uint32_t layer, uint32_t expert) {
  return (uint32_t)(tllm_model_entry(m, kind, layer, expert) - m->table);
}

/* out[b * ostride] = W x[b * xstride] for b < nb (x has W->cols elements). Quantized tensors use the
 * INT8-quantized x, cached while the same buffer is read with the same group size and vector count
 * (callers invalidate after rewriting a buffer). A chunk (nb > 1) reads every weight once. With weight
 * streaming, matrices of the image go through the double buffer; `next` (table index or
 * TLLM_NO_NEXT) is the matrix computed after this one, prefetched while this one's last block runs. */
static void matmul(tllm_state *s, float *out, uint32_t ostride, const tllm_tensor *w, const float *x, uint32_t xstride,
                   uint32_t nb, uint32_t next) {
  count_read(s, w, w->rows);
  s->macs += (uint64_t)nb * w->rows * w->cols;
  int streamed = s->stream && s->stream->streaming && tllm_stream_in_image(s->m, w->data);
  if (w->prec == TLLM_FP32) {
    if (streamed) tllm_stream_matvec(s, out, ostride, w, x, xstride, 0, nb, next);
    else if (nb > 1u) tllm_matmul_f32(out, ostride, w, x, xstride, nb);
    else tllm_matvec_f32(out, w, x);
    return;
  }
  if (!s->act_valid || s->act_src != x || s->act_group != w->group || s->act_n != w->cols || s->act_nb != nb) {
    for (uint32_t b = 0; b < nb; b++)
      tllm_quantize_act_nb(s->aq, s->as, s->asum, x + (size_t)b * xstride, w->cols, w->group, nb, b);
    s->act_src = x; s->act_group = w->group; s->act_n = w->cols; s->act_nb = nb; s->act_valid = 1;
  }
  tllm_qact a = {s->aq, s->as, s->asum, w->cols, w->group, w->ngroups, nb};
  if (streamed) tllm_stream_matvec(s, out, ostride, w, x, xstride, &a, nb, next);
  else if (nb > 1u) s->kern->matmul_q(out, ostride, w, &a);
  else s->kern->matvec_q(out, w, &a);
}

/* The first matrix after layer l's FFN: the next layer's wq, or the classifier. */
static uint32_t after_layer(const tllm_model *m, uint32_t l) {
  return l + 1u < m->n_layers ? entry_index(m, TLLM_T_WQ, l + 1u, 0) : entry_index(m, TLLM_T_WCLS, 0, 0);
}

/* o[b] = RMSNorm(x[b]) * weight for b < nb (dim each). On the quantized path, when the next matrix to
 * read o is quantized, fused with its INT8 activation quantization (the same bits as normalising and
 * then quantizing; the float o is kept for other readers). */
static void norm(tllm_state *s, float *o, const float *x, const float *weight, uint32_t nb, const tllm_tensor *consumer) {
  const uint32_t dim = s->m->dim;
  const float eps = s->m->hdr->norm_eps;
  if (s->approx && consumer && consumer->prec != TLLM_FP32) {
    for (uint32_t b = 0; b < nb; b++)
      tllm_rmsnorm_quant(o + (size_t)b * dim, s->aq, s->as, s->asum, x + (size_t)b * dim, weight, dim, eps, consumer->group, nb, b);
    s->act_src = o; s->act_group = consumer->group; s->act_n = dim; s->act_nb = nb; s->act_valid = 1;
  } else {
    for (uint32_t b = 0; b < nb; b++) tllm_rmsnorm(o + (size_t)b * dim, x + (size_t)b * dim, weight, dim, eps);
    s->act_valid = 0;
  }
}

/* SwiGLU FFN of one expert (or the dense FFN) for nb vectors: out = w2 (silu(w1 x) * (w3 x)) */
static void swiglu(tllm_state *s, float *out, const tllm_tensor *w1, const tllm_tensor *w2, const tllm_tensor *w3,
                   const float *x, uint32_t nb, uint32_t next) {
  const uint32_t dim = s->m->dim, hst = s->m->hidden_dim > s->m->expert_hidden ? s->m->hidden_dim : s->m->expert_hidden;
  matmul(s, s->hb, hst, w1, x, dim, nb, w3->index);
  matmul(s, s->hb2, hst, w3, x, dim, nb, w2->index);
  const uint32_t h = w1->rows;
  for (uint32_t b = 0; b < nb; b++) {
    float *hb = s->hb + (size_t)b * hst;
    const float *hb2 = s->hb2 + (size_t)b * hst;
    if (s->approx) {
#pragma GCC unroll 2
      for (uint32_t i = 0; i < h; i++) hb[i] = (hb[i] / (1.0f + tllm_expf_fast_inline(-hb[i]))) * hb2[i];
    } else { /* llama2.c */
      for (uint32_t i = 0; i < h; i++) {
        float val = hb[i];
        val *= (1.0f / (1.0f + tllm_expf(-val)));
        val *= hb2[i];
        hb[i] = val;
      }
    }
  }
  s->act_valid = 0; /* hb rewritten */
  matmul(s, out, dim, w2, s->hb, hst, nb, next);
}

/* the INT8 KV cache of position pos from k and v (kv_dim floats each) */
static void kv_store_heads(tllm_state *s, uint32_t l, uint32_t pos, const float *k, const float *v, uint32_t g0,
                           uint32_t g1) {
  const tllm_model *m = s->m;
  const uint32_t hs = m->head_size, hs4 = s->plan.hs4, s16 = s->plan.s16, S = s->max_seq;
  for (uint32_t h = g0; h < g1; h++) { /* kv heads [g0, g1) */
    const size_t lh = (size_t)l * m->n_kv_heads + h;
    int8_t *kq = s->kcq + (lh * S + pos) * hs4;
    s->kcs[lh * S + pos] = tllm_quantize_vec(kq, 1u, k + h * hs, hs);
    for (uint32_t i = hs; i < hs4; i++) kq[i] = 0;
    s->vcs[lh * S + pos] = tllm_quantize_vec(s->vcq + lh * hs * s16 + pos, s16, v + h * hs, hs);
  }
}

static void kv_store_int8(tllm_state *s, uint32_t l, uint32_t pos, const float *k, const float *v) {
  const uint32_t kv_mul = s->m->n_heads / s->m->n_kv_heads;
  kv_store_heads(s, l, pos, k, v, s->head0 / kv_mul, s->head1 / kv_mul); /* this state's kv heads (all by default) */
}

#define TLLM_ATT_DROP_LOG2 20.0f /* quantized attention: exponents below -20 (weights < 2^-20) are dropped */

/* att[t] = (float)idot[t] * ks[t] for t < T (T >= 1); returns their max (order-independent: fmax). */
static inline float att_scores(float *att, const int32_t *idot, const float *ks, uint32_t T) {
  float mx = (float)idot[0] * ks[0];
  att[0] = mx;
  float *a = att + 1;
  const int32_t *ip = idot + 1;
  const float *kp = ks + 1;
  float *const end4 = a + ((T - 1u) & ~3u), *const end = att + T;
  for (; a != end4; a += 4, ip += 4, kp += 4) {
    const float u0 = (float)ip[0] * kp[0], u1 = (float)ip[1] * kp[1], u2 = (float)ip[2] * kp[2], u3 = (float)ip[3] * kp[3];
    a[0] = u0; a[1] = u1; a[2] = u2; a[3] = u3;
    mx = tllm_fmaxf(mx, tllm_fmaxf(tllm_fmaxf(u0, u1), tllm_fmaxf(u2, u3)));
  }
  for (; a != end; a++, ip++, kp++) {
    const float u = (float)*ip * *kp;
    *a = u;
    mx = tllm_fmaxf(mx, u);
  }
  return mx;
}

/* The softmax of one head and its INT8 weights (see attend): u = att[t], max mx, scale cl (log2 units
 * per u unit, >= 0 and finite); e_t = 2^((u_t - mx) cl), dropped (0) where u_t < mx - 20 / cl;
 * a_t = e_t * vs_t (finite, >= 0) quantized into aq[0..T) (zero-padded to a multiple of 4). Returns the
 * output scale (max a / 127) / sum e. */
static inline float att_softmax_q(float *att, int8_t *aq, const float *vs, uint32_t T, float mx, float cl) {
  if (!(mx - mx == 0.0f)) {
    /* A score overflowed to +-infinity (a forged image: idot * ks beyond FLT_MAX; issue 18's image
     * fuzzer, fuzz/corpus/tllm_image/regress_att_score_inf.tllm): u - mx would be NaN. The positions
     * with the largest score share the weight, the others are dropped (once per head, only then). */
    for (uint32_t t = 0; t < T; t++) att[t] = att[t] == mx ? 0.0f : -3.4028235e38f;
    mx = 0.0f;
  }
  const float ulim = mx - TLLM_ATT_DROP_LOG2 / cl; /* cl = 0 (q all zero): -inf, nothing dropped */
  float sum = 0.0f, amax = 0.0f;
  float *a = att;
  const float *vp = vs;
  float *const end = att + T;
#pragma GCC unroll 2
  for (; a != end; a++, vp++) {
    const float u = *a;
    float w = 0.0f;
    if (u >= ulim) {
      const float e = tllm_exp2f_fast_core((u - mx) * cl); /* argument in [-20 - rounding, 0] */
      sum += e;
      w = e * *vp;
      amax = tllm_fmaxf(amax, w);
    }
    *a = w;
  }
  /* 127 / amax must stay finite: amax >= 127 / FLT_MAX = 3.7322e-37 (3.7e-37 let 127 / 3.7223e-37 round to
   * infinity, an undefined float-to-int conversion on the host and a saturated one on RV32F: issue 18's
   * image fuzzer, fuzz/corpus/tllm_image/regress_att_scale_inf.tllm). */
  const float inv = amax >= 3.75e-37f ? 127.0f / amax : 0.0f; /* a_t * inv in [0, 127] */
  const float *ap = att;
  int8_t *q = aq, *const qend4 = aq + (T & ~3u), *const qend = aq + T;
  for (; q != qend4; q += 4, ap += 4) {
    q[0] = (int8_t)tllm_round_i32(ap[0] * inv);
    q[1] = (int8_t)tllm_round_i32(ap[1] * inv);
    q[2] = (int8_t)tllm_round_i32(ap[2] * inv);
    q[3] = (int8_t)tllm_round_i32(ap[3] * inv);
  }
  for (; q != qend; q++, ap++) *q = (int8_t)tllm_round_i32(*ap * inv);
  for (uint32_t t = T; t & 3u; t++) aq[t] = 0;
  return (amax / 127.0f) / sum;
}

/* Attention of one position, heads [h0, h1), over the cached positions 0..pos, output in out (dim);
 * idot: integer scratch (max(max_seq, head_size)); marks: region marks (one hart; a cluster's parts
 * run without them). Heads are independent: a part computing some heads gives them the bits of the
 * whole call. */
static void attend_heads(tllm_state *s, uint32_t l, uint32_t pos, const float *q, float *out, uint32_t h0, uint32_t h1,
                         int32_t *idot, int marks) {
  const tllm_model *m = s->m;
  const uint32_t hs = m->head_size, S = s->max_seq, T = pos + 1u, kv_mul = m->n_heads / m->n_kv_heads;
  const uint64_t head_macs = (uint64_t)(h1 - h0) * T * hs;
  if (s->kc) { /* fp32 KV cache: llama2.c's attention */
    const size_t loff = (size_t)l * S * m->kv_dim;
    if (marks) sim_region_begin(TLLM_REGION_SCORES);
    for (uint32_t h = h0; h < h1; h++) {
      const float *qh = q + h * hs;
      float *att = s->att + (size_t)h * S;
      const float *kk = s->kc + loff + (h / kv_mul) * hs;
      for (uint32_t t = 0; t < T; t++, kk += m->kv_dim) {
        float score = 0.0f;
        for (uint32_t i = 0; i < hs; i++) score += qh[i] * kk[i];
        score /= s->sqrt_hs;
        att[t] = score;
      }
    }
    if (marks) sim_work_macs(head_macs);
    if (marks) sim_region_end(TLLM_REGION_SCORES);
    if (marks) sim_region_begin(TLLM_REGION_SOFTMAX);
    for (uint32_t h = h0; h < h1; h++) {
      float *att = s->att + (size_t)h * S;
      if (s->approx) {
        float mx = att[0], sum = 0.0f;
        for (uint32_t t = 1; t < T; t++) if (att[t] > mx) mx = att[t];
        for (uint32_t t = 0; t < T; t++) { att[t] = tllm_expf_fast_inline(att[t] - mx); sum += att[t]; }
        for (uint32_t t = 0; t < T; t++) att[t] /= sum;
      } else {
        tllm_softmax(att, T);
      }
    }
    if (marks) sim_region_end(TLLM_REGION_SOFTMAX);
    if (marks) sim_region_begin(TLLM_REGION_WEIGHTED_SUM);
    for (uint32_t h = h0; h < h1; h++) {
      const float *att = s->att + (size_t)h * S;
      float *xb = out + h * hs;
      memset(xb, 0, hs * sizeof(float));
      const float *vv = s->vc + loff + (h / kv_mul) * hs;
      for (uint32_t t = 0; t < T; t++, vv += m->kv_dim) {
        float aw = att[t];
        for (uint32_t i = 0; i < hs; i++) xb[i] += aw * vv[i];
      }
    }
    if (marks) sim_work_macs(head_macs);
    if (marks) sim_region_end(TLLM_REGION_WEIGHTED_SUM);
    return;
  }
  /* INT8 KV cache: quantized attention. Per head h (kv head g): q_h is quantized to INT8 (scale sq);
   * u_t = (float)(q_h . k_t) * sk_t with the exact integer dot product on the backend's dot_i8;
   * score_t = u_t * sq / sqrt(hs); e_t = 2^((u_t - max u) * sq / sqrt(hs) * log2 e) (tllm_exp2f_fast:
   * the same softmax, log2 e folded into the scale), and e_t = 0 where that exponent is below
   * -TLLM_ATT_DROP_LOG2 (u_t < max u - 20 / scale: e_t < 2^-20; its INT8 weight would be 0 unless that position's V scale
   * were 2^12 times the largest weight's; the normalising sum then misses less than T * 2^-20 of
   * itself, 2.4e-4 at 256 positions); the weights a_t = e_t * sv_t (sv_t: V scale of
   * position t) are quantized to INT8 with one scale per head (max a / 127; a_t >= 0, so 0..127); the
   * output is out_i = (float)(sum_t qa_t v_t[i]) * (max a / 127) / sum_t e_t, the integer sum again on
   * dot_i8, against the transposed V cache (a row per element i, positions along it). Non-finite
   * vectors are cached as zeros with scale 0 (tllm_quantize_vec), so no NaN or infinity reaches a
   * float-to-int conversion. */
  const uint32_t hs4 = s->plan.hs4, s16 = s->plan.s16, T4 = tllm_round_up(T, 4u);
  const tllm_kernels *kern = s->kern;
  if (marks) sim_region_begin(TLLM_REGION_SCORES);
  for (uint32_t h = h0; h < h1; h++) {
    int8_t *qq = s->qq + h * hs4;
    s->qs[h] = tllm_quantize_vec(qq, 1u, q + h * hs, hs);
    for (uint32_t i = hs; i < hs4; i++) qq[i] = 0;
  }
  for (uint32_t h = h0; h < h1; h++) {
    const size_t lh = (size_t)l * m->n_kv_heads + h / kv_mul;
    kern->dot_i8(idot, s->kcq + lh * S * hs4, hs4, T, s->qq + h * hs4, hs4);
    s->aws[h] = att_scores(s->att + (size_t)h * S, idot, s->kcs + lh * S, T);
  }
  if (marks) sim_work_macs(head_macs);
  if (marks) sim_region_end(TLLM_REGION_SCORES);
  if (marks) sim_region_begin(TLLM_REGION_SOFTMAX);
  for (uint32_t h = h0; h < h1; h++) {
    const size_t lh = (size_t)l * m->n_kv_heads + h / kv_mul;
    float cl = (s->qs[h] * s->att_scale) * 1.44269502f; /* score scale x log2 e (finite: q's scale is) */
    s->aws[h] = att_softmax_q(s->att + (size_t)h * S, s->awq + h * s16, s->vcs + lh * S, T, s->aws[h], cl);
  }
  if (marks) sim_region_end(TLLM_REGION_SOFTMAX);
  if (marks) sim_region_begin(TLLM_REGION_WEIGHTED_SUM);
  for (uint32_t h = h0; h < h1; h++) {
    const size_t lh = (size_t)l * m->n_kv_heads + h / kv_mul;
    kern->dot_i8(idot, s->vcq + lh * hs * s16, s16, hs, s->awq + h * s16, T4);
    const float sc = s->aws[h];
    float *o = out + h * hs;
    for (uint32_t i = 0; i < hs; i++) o[i] = (float)idot[i] * sc;
  }
  if (marks) sim_work_macs(head_macs);
  if (marks) sim_region_end(TLLM_REGION_WEIGHTED_SUM);
}

/* Attention of one position (this state's heads: all by default), with its region marks. */
static void attend(tllm_state *s, uint32_t l, uint32_t pos, const float *q, float *out) {
  attend_heads(s, l, pos, q, out, s->head0, s->head1, s->idot, 1);
}

/* The MoE feed-forward of one position: router (softmax over all experts, top_k, first index wins
 * ties, renormalised gates), shared experts, routed experts; out += the mixture. Returns the MACs
 * the expert regions declared. */
static uint64_t moe_ffn(tllm_state *s, uint32_t l, float *x, const float *xb) {
  const tllm_model *m = s->m;
  const uint32_t dim = m->dim;
  uint64_t child_macs = 0;
  /* the routed experts are not known yet: prefetch a shared expert, or with the expert cache (routed
   * experts not streamed) the next layer */
  int cached = s->stream && s->stream->n_slots;
  uint32_t after_router = m->n_shared ? entry_index(m, TLLM_T_SHX_W1, l, 0) : cached ? after_layer(m, l) : TLLM_NO_NEXT;
  matmul(s, s->router, m->n_experts, &s->layers[l].router, xb, dim, 1u, after_router);
  tllm_softmax(s->router, m->n_experts);
  float *gate = s->router + m->n_experts;
  float gsum = 0.0f;
  for (uint32_t k = 0; k < m->top_k; k++) {
    uint32_t best = 0;
    float bv = -1.0f;
    for (uint32_t e = 0; e < m->n_experts; e++) {
      int taken = 0;
      for (uint32_t j = 0; j < k; j++) taken |= s->expert_sel[j] == e;
      if (!taken && s->router[e] > bv) { bv = s->router[e]; best = e; }
    }
    s->expert_sel[k] = best;
    gate[k] = bv;
    gsum += bv;
  }
  memset(s->moe, 0, dim * sizeof(float));
  for (uint32_t e = 0; e < m->n_shared; e++) {
    tllm_tensor w1 = tllm_model_tensor(m, TLLM_T_SHX_W1, l, e);
    tllm_tensor w2 = tllm_model_tensor(m, TLLM_T_SHX_W2, l, e);
    tllm_tensor w3 = tllm_model_tensor(m, TLLM_T_SHX_W3, l, e);
    uint32_t nx = e + 1u < m->n_shared ? entry_index(m, TLLM_T_SHX_W1, l, e + 1u)
                  : cached ? after_layer(m, l) : entry_index(m, TLLM_T_EXP_W1, l, s->expert_sel[0]);
    swiglu(s, s->xb2, &w1, &w2, &w3, xb, 1u, nx);
    for (uint32_t i = 0; i < dim; i++) s->moe[i] += s->xb2[i];
  }
  for (uint32_t k = 0; k < m->top_k; k++) {
    uint32_t e = s->expert_sel[k];
    float g = gate[k] / gsum;
    uint64_t emacs0 = s->macs;
    sim_region_begin(TLLM_REGION_EXPERT_BASE + e);
    s->expert_calls[e]++;
    s->expert_uses++;
    if (s->route_log && s->route_n < s->route_cap) s->route_log[s->route_n++] = (l << 16) | e;
    tllm_tensor w1 = tllm_model_tensor(m, TLLM_T_EXP_W1, l, e);
    tllm_tensor w2 = tllm_model_tensor(m, TLLM_T_EXP_W2, l, e);
    tllm_tensor w3 = tllm_model_tensor(m, TLLM_T_EXP_W3, l, e);
    if (cached) tllm_stream_expert(s, l, e, &w1, &w2, &w3); /* views of the SRAM slot */
    else s->expert_bytes_read += tllm_expert_bytes(m, l, e);
    uint32_t nx = k + 1u < m->top_k ? entry_index(m, TLLM_T_EXP_W1, l, s->expert_sel[k + 1u]) : after_layer(m, l);
    swiglu(s, s->xb2, &w1, &w2, &w3, xb, 1u, nx);
    for (uint32_t i = 0; i < dim; i++) s->moe[i] += g * s->xb2[i];
    sim_work_macs(s->macs - emacs0);
    child_macs += s->macs - emacs0;
    sim_region_end(TLLM_REGION_EXPERT_BASE + e);
  }
  for (uint32_t i = 0; i < dim; i++) x[i] += s->moe[i];
  return child_macs;
}

/* rows [r0, r1) of w as a tensor of its own (a view: the same bytes) */
static tllm_tensor rows_of(const tllm_tensor *w, uint32_t r0, uint32_t r1) {
  tllm_tensor t = *w;
  if (w->prec == TLLM_FP32) t.data = (const float *)w->data + (size_t)r0 * w->cols;
  else t.data = (const uint8_t *)w->data + (size_t)r0 * w->row_bytes;
  if (w->scales) t.scales = w->scales + (size_t)r0 * w->ngroups;
  if (w->offsets) t.offsets = w->offsets + (size_t)r0 * w->ngroups;
  t.rows = r1 - r0;
  return t;
}

/* ---- the forward pass split across the harts of a cluster (tllm_cluster.h, docs/CLUSTER.md) ----
 * One job per forward call; its steps (a barrier after each) per layer: RMSNorm (+ INT8 quantization)
 * by quantization groups, wq/wk/wv by rows (+ RoPE of those rows), attention by heads (+ the INT8 KV
 * store of their kv heads), quantization of the attention output by groups, wo by rows (+ the residual
 * of those rows), RMSNorm by groups, w1/w3 by rows (+ SwiGLU of those elements), quantization of the
 * hidden vector by groups, w2 by rows (+ residual); then the final RMSNorm and the classifier by rows.
 * Every element is computed by the serial path's code in the serial path's order: the same bits. */
enum {
  PS_NORM_ATT, PS_QUANT_ATT, PS_QKV, PS_ATT, PS_QUANT_O, PS_WO, PS_NORM_FFN, PS_QUANT_FFN, PS_W13, PS_QUANT_HB, PS_W2,
  PS_NORM_FINAL, PS_QUANT_FINAL, PS_CLS, PS_EMBED
};
#define TLLM_PAR_MAX_LAYERS 64u /* the step list lives on hart 0's stack (1.4 KiB) */
#define TLLM_PAR_MAX_STEPS (11u * TLLM_PAR_MAX_LAYERS + 3u)

typedef struct {
  tllm_state *s;
  const int32_t *tokens;
  uint32_t n, pos0;
  uint16_t step[TLLM_PAR_MAX_STEPS]; /* layer << 4 | kind */
} par_job;

static int par_usable(const tllm_state *s, uint32_t l0, uint32_t l1) {
  const tllm_cluster *c = s->cluster;
  return c && c->parts > 1u && c->parts <= (s->plan.cfg.parts ? s->plan.cfg.parts : 1u) &&
         c->parts <= TLLM_CLUSTER_MAX_PARTS && !s->m->n_experts && !s->m->share_size &&
         s->tp_size == 1u && l1 - l0 <= TLLM_PAR_MAX_LAYERS && !(s->stream && s->stream->streaming) &&
         (s->kern == &tllm_kernels_scalar || s->kern == &tllm_kernels_xmac);
}

/* one activation quantization serves both (both fp32, or both quantized with one group size) */
static int par_same_act(const tllm_tensor *a, const tllm_tensor *b) {
  return (a->prec == TLLM_FP32) == (b->prec == TLLM_FP32) && (a->prec == TLLM_FP32 || a->group == b->group);
}

/* the split handles these layers' activation layout */
static int par_layout_ok(const tllm_state *s, uint32_t l0, uint32_t l1) {
  for (uint32_t l = l0; l < l1; l++) {
    const tllm_layer_views *L = &s->layers[l];
    if (!par_same_act(&L->wq, &L->wk) || !par_same_act(&L->wq, &L->wv) || !par_same_act(&L->w1, &L->w3)) return 0;
  }
  return 1;
}

int tllm_forward_splits(const tllm_state *s) {
  return par_usable(s, 0, s->m->n_layers) && par_layout_ok(s, 0, s->m->n_layers);
}

/* the norm is fused with the consumer's quantization exactly where the serial norm() fuses it */
static int par_fused(const tllm_state *s, const tllm_tensor *consumer) {
  return s->approx && consumer->prec != TLLM_FP32;
}

/* rows [lo, hi) of out = W x for this part (blocks of 4 rows: the kernels' own blocking) */
static void par_matmul(tllm_state *s, float *out, uint32_t ostride, const tllm_tensor *w, const float *x,
                       uint32_t xstride, uint32_t nb, uint32_t part, uint32_t parts, uint32_t *lo, uint32_t *hi) {
  tllm_part_range(w->rows, 4u, part, parts, lo, hi);
  if (*lo >= *hi) return;
  const tllm_tensor v = rows_of(w, *lo, *hi);
  if (w->prec == TLLM_FP32) {
    if (nb > 1u) tllm_matmul_f32(out + *lo, ostride, &v, x, xstride, nb);
    else tllm_matvec_f32(out + *lo, &v, x);
    return;
  }
  const tllm_qact a = {s->aq, s->as, s->asum, w->cols, w->group, w->ngroups, nb};
  if (nb > 1u) s->kern->matmul_q(out + *lo, ostride, &v, &a);
  else s->kern->matvec_q(out + *lo, &v, &a);
}

/* this part's groups of the INT8 activations of x (nb vectors, xstride apart, n elements) */
static void par_quant(tllm_state *s, const float *x, uint32_t xstride, uint32_t n, uint32_t group, uint32_t nb,
                      uint32_t part, uint32_t parts) {
  uint32_t g0, g1;
  tllm_part_range((n + group - 1u) / group, 1u, part, parts, &g0, &g1);
  if (g0 < g1)
    for (uint32_t b = 0; b < nb; b++)
      tllm_quantize_act_groups(s->aq, s->as, s->asum, x + (size_t)b * xstride, n, group, nb, b, g0, g1);
}

/* this part's share of o = RMSNorm(x) * weight (and its quantization for `consumer` where fused) */
static void par_norm(tllm_state *s, float *o, const float *x, const float *weight, uint32_t nb,
                     const tllm_tensor *consumer, uint32_t part, uint32_t parts) {
  const uint32_t dim = s->m->dim;
  const float eps = s->m->hdr->norm_eps;
  uint32_t lo, hi;
  if (par_fused(s, consumer)) {
    const uint32_t group = consumer->group;
    tllm_part_range((dim + group - 1u) / group, 1u, part, parts, &lo, &hi);
    if (lo < hi)
      for (uint32_t b = 0; b < nb; b++)
        tllm_rmsnorm_quant_groups(o + (size_t)b * dim, s->aq, s->as, s->asum, x + (size_t)b * dim, weight, dim, eps,
                                  group, nb, b, lo, hi);
  } else {
    tllm_part_range(dim, 4u, part, parts, &lo, &hi);
    if (lo < hi)
      for (uint32_t b = 0; b < nb; b++) tllm_rmsnorm_range(o + (size_t)b * dim, x + (size_t)b * dim, weight, dim, eps, lo, hi);
  }
}

/* x[b][i] += d[b][i] for the rows [lo, hi) */
static void par_residual(float *x, const float *d, uint32_t dim, uint32_t nb, uint32_t lo, uint32_t hi) {
  for (uint32_t b = 0; b < nb; b++)
    for (uint32_t i = lo; i < hi; i++) x[(size_t)b * dim + i] += d[(size_t)b * dim + i];
}

/* RoPE of the elements [lo, hi) (lo even) of nb vectors (stride apart) at positions pos0.. */
static void par_rope(const tllm_state *s, float *v, uint32_t stride, uint32_t nb, uint32_t pos0, uint32_t lo,
                     uint32_t hi) {
  const uint32_t hs = s->m->head_size;
  for (uint32_t b = 0; b < nb; b++) {
    const float *rope = s->rope + (size_t)(pos0 + b) * hs; /* [i/2][cos, sin] */
    float *vb = v + (size_t)b * stride;
    for (uint32_t i = lo; i < hi; i += 2) {
      const uint32_t hd = i % hs;
      const float fcr = rope[hd], fci = rope[hd + 1u], v0 = vb[i], v1 = vb[i + 1];
      vb[i] = v0 * fcr - v1 * fci;
      vb[i + 1] = v0 * fci + v1 * fcr;
    }
  }
}

/* tllm_argmax's choice among v[lo, hi): the first maximum; the part that starts at 0 starts as
 * tllm_argmax does (v[0], even a NaN), the others at their first non-NaN element (a NaN never wins a
 * comparison, so tllm_argmax skips it). NONE: no candidate. */
#define PAR_NONE 0xFFFFFFFFu
static uint32_t par_argmax(const float *v, uint32_t lo, uint32_t hi) {
  uint32_t i = lo, best = PAR_NONE;
  float mx = 0.0f;
  if (lo == 0u && hi > 0u) {
    best = 0u;
    mx = v[0];
    i = 1u;
  } else {
    while (i < hi && !(v[i] == v[i])) i++;
    if (i < hi) {
      best = i;
      mx = v[i];
      i++;
    }
  }
  for (; i < hi; i++) if (v[i] > mx) { mx = v[i]; best = i; }
  return best;
}

uint32_t tllm_logits_argmax(const tllm_state *s, const float *logits) {
  if (!s->part_best_n || logits != s->logits) return tllm_argmax(logits, s->m->vocab_size);
  uint32_t best = PAR_NONE;
  float mx = 0.0f;
  for (uint32_t p = 0; p < s->part_best_n; p++) { /* in index order: the first maximum wins */
    const uint32_t c = s->part_best[p];
    if (c == PAR_NONE) continue;
    if (best == PAR_NONE || logits[c] > mx) { best = c; mx = logits[c]; }
  }
  return best == PAR_NONE ? 0u : best;
}

/* One step of the job on one part. Part 0 marks the regions (its own view of the phases). */
static void par_step(void *ctx, uint32_t step, uint32_t part, uint32_t parts) {
  const par_job *j = (const par_job *)ctx;
  tllm_state *s = j->s;
  const tllm_model *m = s->m;
  const uint32_t l = j->step[step] >> 4, kind = j->step[step] & 15u, n = j->n, pos0 = j->pos0;
  const uint32_t dim = m->dim, kv_dim = m->kv_dim, S = s->max_seq;
  const uint32_t hst = m->hidden_dim > m->expert_hidden ? m->hidden_dim : m->expert_hidden;
  const tllm_layer_views *L = &s->layers[kind < PS_NORM_FINAL ? l : 0];
  const int marks = part == 0u;
  float *x = s->x;
  uint32_t lo, hi;
  switch (kind) {
    case PS_NORM_ATT:
      if (marks) { sim_region_begin(TLLM_REGION_ATTENTION); sim_region_begin(TLLM_REGION_QKV); }
      par_norm(s, s->xb, x, L->rms_att, n, &L->wq, part, parts);
      break;
    case PS_QUANT_ATT: par_quant(s, s->xb, dim, dim, L->wq.group, n, part, parts); break;
    case PS_QKV: {
      const size_t loff = (size_t)l * S * kv_dim;
      float *kdst = s->kc ? s->kc + loff + (size_t)pos0 * kv_dim : s->k;
      float *vdst = s->vc ? s->vc + loff + (size_t)pos0 * kv_dim : s->v;
      par_matmul(s, s->q, dim, &L->wq, s->xb, dim, n, part, parts, &lo, &hi);
      par_rope(s, s->q, dim, n, pos0, lo, hi);
      par_matmul(s, kdst, kv_dim, &L->wk, s->xb, dim, n, part, parts, &lo, &hi);
      par_rope(s, kdst, kv_dim, n, pos0, lo, hi);
      par_matmul(s, vdst, kv_dim, &L->wv, s->xb, dim, n, part, parts, &lo, &hi);
      if (marks) {
        sim_work_macs((uint64_t)n * (L->wq.rows + L->wk.rows + L->wv.rows) * dim);
        sim_region_end(TLLM_REGION_QKV);
      }
      break;
    }
    case PS_ATT: {
      const uint32_t kv_mul = m->n_heads / m->n_kv_heads;
      tllm_part_range(m->n_heads, 1u, part, parts, &lo, &hi);
      if (lo >= hi) break;
      /* the INT8 KV cache of this part's kv heads (a kv head shared with another part's heads is
       * stored by both: the same bytes) */
      if (!s->kc)
        for (uint32_t b = 0; b < n; b++)
          kv_store_heads(s, l, pos0 + b, s->k + (size_t)b * kv_dim, s->v + (size_t)b * kv_dim, lo / kv_mul,
                         (hi - 1u) / kv_mul + 1u);
      int32_t *idot = s->idot ? s->idot + (size_t)part * s->idot_stride : 0;
      for (uint32_t b = 0; b < n; b++)
        attend_heads(s, l, pos0 + b, s->q + (size_t)b * dim, s->xb + (size_t)b * dim, lo, hi, idot, 0);
      break;
    }
    case PS_QUANT_O:
      if (marks) sim_region_begin(TLLM_REGION_OUT_PROJ);
      par_quant(s, s->xb, dim, dim, L->wo.group, n, part, parts);
      break;
    case PS_WO:
      if (marks && L->wo.prec == TLLM_FP32) sim_region_begin(TLLM_REGION_OUT_PROJ);
      par_matmul(s, s->xb2, dim, &L->wo, s->xb, dim, n, part, parts, &lo, &hi);
      par_residual(x, s->xb2, dim, n, lo, hi);
      if (marks) {
        sim_work_macs((uint64_t)n * L->wo.rows * L->wo.cols);
        sim_region_end(TLLM_REGION_OUT_PROJ);
        sim_region_end(TLLM_REGION_ATTENTION);
      }
      break;
    case PS_NORM_FFN:
      if (marks) sim_region_begin(TLLM_REGION_FFN);
      par_norm(s, s->xb, x, L->rms_ffn, n, &L->w1, part, parts);
      break;
    case PS_QUANT_FFN: par_quant(s, s->xb, dim, dim, L->w1.group, n, part, parts); break;
    case PS_W13:
      par_matmul(s, s->hb, hst, &L->w1, s->xb, dim, n, part, parts, &lo, &hi);
      par_matmul(s, s->hb2, hst, &L->w3, s->xb, dim, n, part, parts, &lo, &hi);
      for (uint32_t b = 0; b < n; b++) {
        float *hb = s->hb + (size_t)b * hst;
        const float *hb2 = s->hb2 + (size_t)b * hst;
        if (s->approx) {
#pragma GCC unroll 2
          for (uint32_t i = lo; i < hi; i++) hb[i] = (hb[i] / (1.0f + tllm_expf_fast_inline(-hb[i]))) * hb2[i];
        } else { /* llama2.c */
          for (uint32_t i = lo; i < hi; i++) {
            float val = hb[i];
            val *= (1.0f / (1.0f + tllm_expf(-val)));
            val *= hb2[i];
            hb[i] = val;
          }
        }
      }
      break;
    case PS_QUANT_HB: par_quant(s, s->hb, hst, L->w2.cols, L->w2.group, n, part, parts); break;
    case PS_W2:
      par_matmul(s, s->xb2, dim, &L->w2, s->hb, hst, n, part, parts, &lo, &hi);
      par_residual(x, s->xb2, dim, n, lo, hi);
      if (marks) {
        sim_work_macs((uint64_t)n * (L->w1.rows * L->w1.cols + L->w3.rows * L->w3.cols + L->w2.rows * L->w2.cols));
        sim_region_end(TLLM_REGION_FFN);
      }
      break;
    case PS_NORM_FINAL: /* into xb (the serial path normalises x in place: copied back after the job) */
      if (marks) sim_region_begin(TLLM_REGION_CLASSIFIER);
      par_norm(s, s->xb, x, s->rms_final, n, &s->wcls, part, parts);
      break;
    case PS_QUANT_FINAL: par_quant(s, s->xb, dim, dim, s->wcls.group, n, part, parts); break;
    case PS_EMBED:
      if (marks) sim_region_begin(TLLM_REGION_EMBED);
      tllm_part_range(dim, 4u, part, parts, &lo, &hi);
      for (uint32_t b = 0; b < n; b++) tllm_dequant_row_range(x + (size_t)b * dim, &s->emb, (uint32_t)j->tokens[b], lo, hi);
      if (marks) sim_region_end(TLLM_REGION_EMBED);
      break;
    default: /* PS_CLS */
      par_matmul(s, s->logits, m->vocab_size, &s->wcls, s->xb, dim, n, part, parts, &lo, &hi);
      if (n == 1u) s->part_best[part] = par_argmax(s->logits, lo, hi); /* the sampler's greedy choice, in parts */
      tllm_part_range(n * dim, 4u, part, parts, &lo, &hi); /* x normalised, as the serial path leaves it */
      if (lo < hi) memcpy(x + lo, s->xb + lo, (hi - lo) * sizeof(float));
      if (marks) {
        sim_work_macs((uint64_t)n * s->wcls.rows * s->wcls.cols);
        sim_region_end(TLLM_REGION_CLASSIFIER);
      }
      break;
  }
}

/* forward_layers on the cluster (par_usable): the same results, MAC counts and bytes read. */
static float *forward_layers_par(tllm_state *s, const int32_t *tokens, uint32_t n, uint32_t pos0, uint32_t l0,
                                 uint32_t l1, unsigned flags) {
  const tllm_model *m = s->m;
  const uint32_t hs = m->head_size;
  const uint32_t region = n > 1u ? TLLM_REGION_CHUNK : TLLM_REGION_TOKEN;
  if (!par_layout_ok(s, l0, l1)) return 0;
  par_job job;
  job.s = s;
  job.tokens = tokens;
  job.n = n;
  job.pos0 = pos0;
  uint32_t k = 0;
  sim_region_begin(region);
  if (flags & TLLM_LAYERS_EMBED) {
    job.step[k++] = PS_EMBED;
    for (uint32_t b = 0; b < n; b++) count_read(s, &s->emb, 1);
  }
#define PAR_ACCOUNT(w) (count_read(s, (w), (w)->rows), s->macs += (uint64_t)n * (w)->rows * (w)->cols)
  for (uint32_t l = l0; l < l1; l++) {
    const tllm_layer_views *L = &s->layers[l];
    const uint16_t base = (uint16_t)(l << 4);
    job.step[k++] = base | PS_NORM_ATT;
    if (L->wq.prec != TLLM_FP32 && !par_fused(s, &L->wq)) job.step[k++] = base | PS_QUANT_ATT;
    job.step[k++] = base | PS_QKV;
    job.step[k++] = base | PS_ATT;
    job.step[k++] = base | (L->wo.prec != TLLM_FP32 ? PS_QUANT_O : PS_WO);
    if (L->wo.prec != TLLM_FP32) job.step[k++] = base | PS_WO;
    job.step[k++] = base | PS_NORM_FFN;
    if (L->w1.prec != TLLM_FP32 && !par_fused(s, &L->w1)) job.step[k++] = base | PS_QUANT_FFN;
    job.step[k++] = base | PS_W13;
    if (L->w2.prec != TLLM_FP32) job.step[k++] = base | PS_QUANT_HB;
    job.step[k++] = base | PS_W2;
    PAR_ACCOUNT(&L->wq); PAR_ACCOUNT(&L->wk); PAR_ACCOUNT(&L->wv);
    for (uint32_t b = 0; b < n; b++) s->macs += 2ull * m->n_heads * (pos0 + b + 1u) * hs;
    PAR_ACCOUNT(&L->wo); PAR_ACCOUNT(&L->w1); PAR_ACCOUNT(&L->w3); PAR_ACCOUNT(&L->w2);
  }
  if (flags & TLLM_LAYERS_CLASSIFY) {
    job.step[k++] = PS_NORM_FINAL;
    if (s->wcls.prec != TLLM_FP32 && !par_fused(s, &s->wcls)) job.step[k++] = PS_QUANT_FINAL;
    job.step[k++] = PS_CLS;
    PAR_ACCOUNT(&s->wcls);
  }
#undef PAR_ACCOUNT
  s->cluster->run(s->cluster, par_step, &job, k);
  s->act_valid = 0;
  s->part_best_n = n == 1u && (flags & TLLM_LAYERS_CLASSIFY) ? s->cluster->parts : 0u;
  if (!(flags & TLLM_LAYERS_CLASSIFY)) {
    sim_region_end(region);
    return s->x;
  }
  sim_region_end(region);
  return s->logits;
}

void tllm_cluster_serial(const tllm_cluster *c, tllm_step_fn fn, void *ctx, uint32_t nsteps) {
  for (uint32_t i = 0; i < nsteps; i++)
    for (uint32_t p = 0; p < c->parts; p++) fn(ctx, i, p, c->parts);
}

/* n positions pos0..pos0+n-1 (n = 1: one token). Every per-position computation is the same
 * arithmetic in the same order whatever n is, so a chunk gives the bits of n single calls. */
static float *forward_layers(tllm_state *s, const int32_t *tokens, uint32_t n, uint32_t pos0, uint32_t l0, uint32_t l1,
                             unsigned flags) {
  const tllm_model *m = s->m;
  const uint32_t dim = m->dim, kv_dim = m->kv_dim, hs = m->head_size, S = s->max_seq;
  const uint32_t region = n > 1u ? TLLM_REGION_CHUNK : TLLM_REGION_TOKEN;
  float *x = s->x;
  s->part_best_n = 0;
  if (par_usable(s, l0, l1)) {
    float *r = forward_layers_par(s, tokens, n, pos0, l0, l1, flags);
    if (r) return r; /* else a layout the split does not handle (mixed activation groups): serial */
  }

  sim_region_begin(region);
  if (flags & TLLM_LAYERS_EMBED) {
    sim_region_begin(TLLM_REGION_EMBED);
    for (uint32_t b = 0; b < n; b++) {
      tllm_dequant_row(x + (size_t)b * dim, &s->emb, (uint32_t)tokens[b]);
      count_read(s, &s->emb, 1);
    }
    sim_region_end(TLLM_REGION_EMBED);
  } else {
    s->act_valid = 0; /* the caller wrote x */
  }

  for (uint32_t l = l0; l < l1; l++) {
    const tllm_layer_views *L = &s->layers[l];
    sim_region_begin(TLLM_REGION_ATTENTION);
    sim_region_begin(TLLM_REGION_QKV);
    uint64_t macs0 = s->macs;
    norm(s, s->xb, x, L->rms_att, n, &L->wq);
    const size_t loff = (size_t)l * S * kv_dim;
    float *kdst = s->kc ? s->kc + loff + (size_t)pos0 * kv_dim : s->k; /* fp32: straight into the cache */
    float *vdst = s->vc ? s->vc + loff + (size_t)pos0 * kv_dim : s->v;
    matmul(s, s->q, dim, &L->wq, s->xb, dim, n, L->wk.index);
    matmul(s, kdst, kv_dim, &L->wk, s->xb, dim, n, L->wv.index);
    matmul(s, vdst, kv_dim, &L->wv, s->xb, dim, n, L->wo.index);
    for (uint32_t b = 0; b < n; b++) {
      const float *rope = s->rope + (size_t)(pos0 + b) * hs; /* [i/2][cos, sin] */
      float *qb = s->q + (size_t)b * dim, *kb = kdst + (size_t)b * kv_dim;
      for (uint32_t i = 0; i < dim; i += 2) {
        const uint32_t hd = i % hs;
        const float fcr = rope[hd], fci = rope[hd + 1u];
        float v0 = qb[i], v1 = qb[i + 1];
        qb[i] = v0 * fcr - v1 * fci;
        qb[i + 1] = v0 * fci + v1 * fcr;
        if (i < kv_dim) {
          v0 = kb[i]; v1 = kb[i + 1];
          kb[i] = v0 * fcr - v1 * fci;
          kb[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      if (!s->kc) kv_store_int8(s, l, pos0 + b, kb, vdst + (size_t)b * kv_dim);
    }
    sim_work_macs(s->macs - macs0);
    sim_region_end(TLLM_REGION_QKV);
    for (uint32_t b = 0; b < n; b++) {
      attend(s, l, pos0 + b, s->q + (size_t)b * dim, s->xb + (size_t)b * dim);
      s->macs += 2ull * m->n_heads * (pos0 + b + 1u) * hs;
    }
    s->act_valid = 0; /* xb rewritten */
    sim_region_begin(TLLM_REGION_OUT_PROJ);
    macs0 = s->macs;
    matmul(s, s->xb2, dim, &L->wo, s->xb, dim, n, entry_index(m, m->n_experts ? TLLM_T_ROUTER : TLLM_T_W1, l, 0));
#pragma GCC unroll 4
    for (uint32_t i = 0; i < n * dim; i++) x[i] += s->xb2[i];
    sim_work_macs(s->macs - macs0);
    sim_region_end(TLLM_REGION_OUT_PROJ);
    sim_region_end(TLLM_REGION_ATTENTION);

    macs0 = s->macs;
    uint64_t child_macs = 0; /* declared by the expert regions (they add to this region when they close) */
    sim_region_begin(TLLM_REGION_FFN);
    if (!m->n_experts) {
      norm(s, s->xb, x, L->rms_ffn, n, &L->w1);
      swiglu(s, s->xb2, &L->w1, &L->w2, &L->w3, s->xb, n, after_layer(m, l));
  #pragma GCC unroll 4
    for (uint32_t i = 0; i < n * dim; i++) x[i] += s->xb2[i];
    } else {
      norm(s, s->xb, x, L->rms_ffn, n, 0);
      for (uint32_t b = 0; b < n; b++) { /* routing differs per position */
        s->act_valid = 0;
        child_macs += moe_ffn(s, l, x + (size_t)b * dim, s->xb + (size_t)b * dim);
      }
    }
    sim_work_macs(s->macs - macs0 - child_macs);
    sim_region_end(TLLM_REGION_FFN);
  }

  if (!(flags & TLLM_LAYERS_CLASSIFY)) {
    sim_region_end(region);
    return x;
  }
  uint64_t macs0 = s->macs;
  sim_region_begin(TLLM_REGION_CLASSIFIER);
  norm(s, x, x, s->rms_final, n, &s->wcls);
  matmul(s, s->logits, m->vocab_size, &s->wcls, x, dim, n, entry_index(m, TLLM_T_WQ, 0, 0)); /* the next token starts with layer 0 */
  s->act_valid = 0;
  sim_work_macs(s->macs - macs0);
  sim_region_end(TLLM_REGION_CLASSIFIER);
  sim_region_end(region);
  return s->logits;
}

void tllm_kv_store(tllm_state *s, uint32_t layer, uint32_t pos, const float *k, const float *v) {
  const tllm_model *m = s->m;
  if (layer >= m->n_layers || pos >= s->max_seq) return;
  if (s->kc) {
    const size_t o = ((size_t)layer * s->max_seq + pos) * m->kv_dim;
    memcpy(s->kc + o, k, m->kv_dim * sizeof(float));
    memcpy(s->vc + o, v, m->kv_dim * sizeof(float));
  } else {
    kv_store_int8(s, layer, pos, k, v);
  }
}

void tllm_attention(tllm_state *s, uint32_t layer, uint32_t pos, const float *q, float *out) {
  if (layer >= s->m->n_layers || pos >= s->max_seq) return;
  attend(s, layer, pos, q, out);
}

static float *forward(tllm_state *s, const int32_t *tokens, uint32_t n, uint32_t pos0) {
  return forward_layers(s, tokens, n, pos0, 0, s->m->n_layers, TLLM_LAYERS_EMBED | TLLM_LAYERS_CLASSIFY);
}

float *tllm_forward(tllm_state *s, uint32_t token, uint32_t pos) {
  if (token >= s->m->vocab_size || pos >= s->max_seq || s->m->share_size) return 0; /* a share: tllm_forward_tp only */
  int32_t t = (int32_t)token;
  return forward(s, &t, 1u, pos);
}

float *tllm_forward_layers(tllm_state *s, uint32_t token, uint32_t pos, uint32_t l0, uint32_t l1, unsigned flags) {
  if (!s || pos >= s->max_seq || l0 > l1 || l1 > s->m->n_layers || s->m->share_size) return 0;
  if ((flags & TLLM_LAYERS_EMBED) && token >= s->m->vocab_size) return 0;
  int32_t t = (int32_t)token;
  return forward_layers(s, &t, 1u, pos, l0, l1, flags);
}

float *tllm_forward_chunk(tllm_state *s, const int32_t *tokens, uint32_t n, uint32_t pos) {
  if (!s || !tokens || n == 0u || n > s->chunk || pos >= s->max_seq || n > s->max_seq - pos || s->m->share_size) return 0;
  for (uint32_t b = 0; b < n; b++)
    if (tokens[b] < 0 || (uint32_t)tokens[b] >= s->m->vocab_size) return 0;
  return forward(s, tokens, n, pos);
}

/* ---- tensor parallelism (tinyllm.h) ---- */
tllm_status tllm_tp_setup(tllm_state *s, uint32_t rank, uint32_t size, tllm_gather_fn gather, void *ctx,
                          tllm_error *err) {
  const tllm_model *m = s->m;
  if (size == 0 || size > TLLM_TP_MAX || rank >= size || (size > 1u && !gather)) {
    tllm_errorf(err, TLLM_E_ARG, "tensor parallelism: rank %u of %u (at most %u ranks)", rank, size, TLLM_TP_MAX);
    return TLLM_E_ARG;
  }
  if (m->n_experts) { tllm_errorf(err, TLLM_E_UNSUPPORTED, "tensor parallelism: MoE models are not supported"); return TLLM_E_UNSUPPORTED; }
  if (m->n_kv_heads % size) {
    tllm_errorf(err, TLLM_E_ARG, "tensor parallelism over %u MCUs: the model's %u kv heads (%u heads) do not divide among them",
                size, m->n_kv_heads, m->n_heads);
    return TLLM_E_ARG;
  }
  if (m->share_size && (m->share_rank != rank || m->share_size != size)) {
    tllm_errorf(err, TLLM_E_ARG, "tensor parallelism: this image is the share of rank %u of %u, run as rank %u of %u "
                "(mcucim-pack --share %u/%u makes rank %u's)", m->share_rank, m->share_size, rank, size, rank, size, rank);
    return TLLM_E_ARG;
  }
  const uint32_t kv_mul = m->n_heads / m->n_kv_heads;
  s->head0 = rank * m->n_kv_heads / size * kv_mul;
  s->head1 = (rank + 1u) * m->n_kv_heads / size * kv_mul;
  s->tp_rank = rank; s->tp_size = size; s->tp_gather = gather; s->tp_ctx = ctx;
  return TLLM_OK;
}

tllm_status tllm_tp_argmax(tllm_state *s, int on, tllm_error *err) {
  if (on && s->tp_size > TLLM_CLUSTER_MAX_PARTS) {
    tllm_errorf(err, TLLM_E_ARG, "tensor parallelism with the argmax exchange: %u ranks, at most %u", s->tp_size,
                TLLM_CLUSTER_MAX_PARTS);
    return TLLM_E_ARG;
  }
  s->tp_argmax = on != 0;
  return TLLM_OK;
}

static void bounds_of(uint32_t *b, uint32_t n, uint32_t size, uint32_t unit) {
  for (uint32_t r = 0; r <= size; r++) b[r] = r * (n / unit) / size * unit;
}

float *tllm_forward_tp(tllm_state *s, uint32_t token, uint32_t pos) {
  if (!s || token >= s->m->vocab_size || pos >= s->max_seq) return 0;
  if (s->m->share_size && s->tp_size != s->m->share_size) return 0; /* tllm_tp_setup checks the rank */
  s->part_best_n = 0;
  const tllm_model *m = s->m;
  const uint32_t dim = m->dim, kv_dim = m->kv_dim, hs = m->head_size, S = s->max_seq, N = s->tp_size, R = s->tp_rank;
  const uint32_t kv_mul = m->n_heads / m->n_kv_heads;
  uint32_t bq[TLLM_TP_MAX + 1u], bd[TLLM_TP_MAX + 1u], bf[TLLM_TP_MAX + 1u], bv[TLLM_TP_MAX + 1u];
  bounds_of(bq, dim, N, hs * kv_mul); /* q heads by kv-head group: rank r's attention output */
  bounds_of(bd, dim, N, 1u);
  bounds_of(bf, m->hidden_dim, N, 1u);
  bounds_of(bv, m->vocab_size, N, 1u);
  const uint32_t q0 = s->head0 * hs, q1 = s->head1 * hs, k0 = q0 / kv_mul, k1 = q1 / kv_mul;
  float *x = s->x;
  sim_region_begin(TLLM_REGION_TOKEN);
  sim_region_begin(TLLM_REGION_EMBED);
  if (m->share_size) {
    /* A share holds the embedding rows of its vocabulary slice: the rank that holds the token's row
     * sends it to every other (an all-gather in which only that rank's slice is not empty). */
    uint32_t owner = 0, be[TLLM_TP_MAX + 1u];
    while (owner + 1u < N && token >= bv[owner + 1u]) owner++;
    for (uint32_t r = 0; r <= N; r++) be[r] = r <= owner ? 0u : dim;
    if (owner == R) {
      tllm_dequant_row(x, &s->emb, token);
      count_read(s, &s->emb, 1);
    }
    s->tp_gather(s->tp_ctx, x, be);
  } else {
    tllm_dequant_row(x, &s->emb, token);
    count_read(s, &s->emb, 1);
  }
  sim_region_end(TLLM_REGION_EMBED);
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const tllm_layer_views *L = &s->layers[l];
    sim_region_begin(TLLM_REGION_ATTENTION);
    sim_region_begin(TLLM_REGION_QKV);
    uint64_t macs0 = s->macs;
    norm(s, s->xb, x, L->rms_att, 1u, &L->wq);
    const size_t loff = (size_t)l * S * kv_dim;
    float *kdst = s->kc ? s->kc + loff + (size_t)pos * kv_dim : s->k;
    float *vdst = s->vc ? s->vc + loff + (size_t)pos * kv_dim : s->v;
    tllm_tensor wq = rows_of(&L->wq, q0, q1), wk = rows_of(&L->wk, k0, k1), wv = rows_of(&L->wv, k0, k1);
    matmul(s, s->q + q0, dim, &wq, s->xb, dim, 1u, L->wk.index);
    matmul(s, kdst + k0, kv_dim, &wk, s->xb, dim, 1u, L->wv.index);
    matmul(s, vdst + k0, kv_dim, &wv, s->xb, dim, 1u, L->wo.index);
    const float *rope = s->rope + (size_t)pos * hs; /* [i/2][cos, sin] */
    for (uint32_t i = q0; i < q1; i += 2) {
      const uint32_t hd = i % hs;
      const float fcr = rope[hd], fci = rope[hd + 1u], v0 = s->q[i], v1 = s->q[i + 1];
      s->q[i] = v0 * fcr - v1 * fci;
      s->q[i + 1] = v0 * fci + v1 * fcr;
    }
    for (uint32_t i = k0; i < k1; i += 2) {
      const uint32_t hd = i % hs;
      const float fcr = rope[hd], fci = rope[hd + 1u], v0 = kdst[i], v1 = kdst[i + 1];
      kdst[i] = v0 * fcr - v1 * fci;
      kdst[i + 1] = v0 * fci + v1 * fcr;
    }
    if (!s->kc) kv_store_int8(s, l, pos, kdst, vdst);
    sim_work_macs(s->macs - macs0);
    sim_region_end(TLLM_REGION_QKV);
    attend(s, l, pos, s->q, s->xb);
    s->macs += 2ull * (s->head1 - s->head0) * (pos + 1u) * hs;
    if (N > 1u) s->tp_gather(s->tp_ctx, s->xb, bq);
    s->act_valid = 0; /* xb rewritten */
    sim_region_begin(TLLM_REGION_OUT_PROJ);
    macs0 = s->macs;
    tllm_tensor wo = rows_of(&L->wo, bd[R], bd[R + 1u]);
    matmul(s, s->xb2 + bd[R], dim, &wo, s->xb, dim, 1u, L->w1.index);
    if (N > 1u) s->tp_gather(s->tp_ctx, s->xb2, bd);
    for (uint32_t i = 0; i < dim; i++) x[i] += s->xb2[i];
    sim_work_macs(s->macs - macs0);
    sim_region_end(TLLM_REGION_OUT_PROJ);
    sim_region_end(TLLM_REGION_ATTENTION);

    macs0 = s->macs;
    sim_region_begin(TLLM_REGION_FFN);
    norm(s, s->xb, x, L->rms_ffn, 1u, &L->w1);
    const uint32_t f0 = bf[R], f1 = bf[R + 1u];
    tllm_tensor w1 = rows_of(&L->w1, f0, f1), w3 = rows_of(&L->w3, f0, f1), w2 = rows_of(&L->w2, bd[R], bd[R + 1u]);
    matmul(s, s->hb + f0, m->hidden_dim, &w1, s->xb, dim, 1u, L->w3.index);
    matmul(s, s->hb2 + f0, m->hidden_dim, &w3, s->xb, dim, 1u, L->w2.index);
    float *hb = s->hb;
    const float *hb2 = s->hb2;
    if (s->approx) {
      for (uint32_t i = f0; i < f1; i++) hb[i] = (hb[i] / (1.0f + tllm_expf_fast_inline(-hb[i]))) * hb2[i];
    } else { /* llama2.c */
      for (uint32_t i = f0; i < f1; i++) {
        float val = hb[i];
        val *= (1.0f / (1.0f + tllm_expf(-val)));
        val *= hb2[i];
        hb[i] = val;
      }
    }
    if (N > 1u) s->tp_gather(s->tp_ctx, s->hb, bf);
    s->act_valid = 0; /* hb rewritten */
    matmul(s, s->xb2 + bd[R], dim, &w2, s->hb, m->hidden_dim, 1u, after_layer(m, l));
    if (N > 1u) s->tp_gather(s->tp_ctx, s->xb2, bd);
    for (uint32_t i = 0; i < dim; i++) x[i] += s->xb2[i];
    sim_work_macs(s->macs - macs0);
    sim_region_end(TLLM_REGION_FFN);
  }
  uint64_t macs0 = s->macs;
  sim_region_begin(TLLM_REGION_CLASSIFIER);
  norm(s, x, x, s->rms_final, 1u, &s->wcls);
  tllm_tensor wc = rows_of(&s->wcls, bv[R], bv[R + 1u]);
  matmul(s, s->logits + bv[R], m->vocab_size, &wc, x, dim, 1u, entry_index(m, TLLM_T_WQ, 0, 0));
  if (N > 1u && s->tp_argmax) { /* tllm_tp_argmax: one (max, index) pair per rank */
    uint32_t bp[TLLM_CLUSTER_MAX_PARTS + 1u];
    for (uint32_t r = 0; r <= N; r++) bp[r] = 2u * r;
    const uint32_t c = par_argmax(s->logits, bv[R], bv[R + 1u]);
    s->tp_pair[2u * R] = c == PAR_NONE ? 0.0f : s->logits[c];
    memcpy(&s->tp_pair[2u * R + 1u], &c, 4);
    s->tp_gather(s->tp_ctx, s->tp_pair, bp);
    for (uint32_t r = 0; r < N; r++) {
      uint32_t cr;
      memcpy(&cr, &s->tp_pair[2u * r + 1u], 4);
      if (cr != PAR_NONE && cr < m->vocab_size) s->logits[cr] = s->tp_pair[2u * r];
      s->part_best[r] = cr < m->vocab_size ? cr : PAR_NONE;
    }
    s->part_best_n = N;
  } else if (N > 1u) {
    s->tp_gather(s->tp_ctx, s->logits, bv);
  }
  s->act_valid = 0;
  sim_work_macs(s->macs - macs0);
  sim_region_end(TLLM_REGION_CLASSIFIER);
  sim_region_end(TLLM_REGION_TOKEN);
  return s->logits;
}

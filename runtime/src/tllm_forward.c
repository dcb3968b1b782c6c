/* The Llama forward pass, as llama2.c's run.c defines it (RMSNorm, RoPE on the fly, GQA with a KV
 * cache, SwiGLU, final norm, classifier), plus a DeepSeek-style MoE feed-forward (shared experts +
 * top-k routed experts with normalised softmax gates). */
#include <string.h>

#include "mcucim/simctrl.h"
#include "tinyllm/tinyllm.h"
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
  s->m = m; s->plan = *p; s->kern = k; s->arena = a;
  s->max_seq = p->cfg.max_seq;
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
  s->rope_cos = (float *)(void *)(a + p->o_rope);
  s->rope_sin = s->rope_cos + m->head_size / 2u;
  s->expert_calls = (uint32_t *)(void *)(a + p->o_expert_calls);
  s->probidx = a + p->o_probidx;
  if (p->cfg.kv_int8) {
    s->kcq = (int8_t *)(void *)(a + p->o_kc);
    s->vcq = (int8_t *)(void *)(a + p->o_vc);
    s->kcs = (float *)(void *)(a + p->o_kcs);
    s->vcs = (float *)(void *)(a + p->o_vcs);
  } else {
    s->kc = (float *)(void *)(a + p->o_kc);
    s->vc = (float *)(void *)(a + p->o_vc);
  }
  memset(a, 0, p->total);
  return TLLM_OK;
}

void tllm_regions_name(void) {
  sim_region_name(TLLM_REGION_TOKEN, "token");
  sim_region_name(TLLM_REGION_EMBED, "embed");
  sim_region_name(TLLM_REGION_ATTENTION, "attention");
  sim_region_name(TLLM_REGION_FFN, "ffn");
  sim_region_name(TLLM_REGION_CLASSIFIER, "classifier");
  sim_region_name(TLLM_REGION_DMA_WAIT, "dma_wait");
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

/* out = W x (x has W->cols elements). Quantized tensors use the INT8-quantized x, cached while the
 * same buffer is read with the same group size (callers invalidate after rewriting a buffer).
 * With weight streaming, matrices of the image go through the double buffer; `next` (table index or
 * TLLM_NO_NEXT) is the matrix computed after this one, prefetched while this one's last block runs. */
static void matvec(tllm_state *s, float *out, const tllm_tensor *w, const float *x, uint32_t next) {
  count_read(s, w, w->rows);
  s->macs += (uint64_t)w->rows * w->cols;
  int streamed = s->stream && s->stream->streaming && tllm_stream_in_image(s->m, w->data);
  if (w->prec == TLLM_FP32) {
    if (streamed) tllm_stream_matvec(s, out, w, x, 0, next);
    else tllm_matvec_f32(out, w, x);
    return;
  }
  if (!s->act_valid || s->act_src != x || s->act_group != w->group || s->act_n != w->cols) {
    tllm_quantize_act(s->aq, s->as, s->asum, x, w->cols, w->group);
    s->act_src = x; s->act_group = w->group; s->act_n = w->cols; s->act_valid = 1;
  }
  tllm_qact a = {s->aq, s->as, s->asum, w->cols, w->group, w->ngroups};
  if (streamed) tllm_stream_matvec(s, out, w, x, &a, next);
  else s->kern->matvec_q(out, w, &a);
}

/* The first matrix after layer l's FFN: the next layer's wq, or the classifier. */
static uint32_t after_layer(const tllm_model *m, uint32_t l) {
  return l + 1u < m->n_layers ? entry_index(m, TLLM_T_WQ, l + 1u, 0) : entry_index(m, TLLM_T_WCLS, 0, 0);
}

static void rmsnorm(float *o, const float *x, const float *weight, uint32_t n, float eps) {
  float ss = 0.0f;
  for (uint32_t j = 0; j < n; j++) ss += x[j] * x[j];
  ss /= (float)n;
  ss += eps;
  ss = 1.0f / tllm_sqrtf(ss);
  for (uint32_t j = 0; j < n; j++) o[j] = weight[j] * (ss * x[j]);
}

/* SwiGLU FFN of one expert (or the dense FFN): out = w2 (silu(w1 x) * (w3 x)) */
static void swiglu(tllm_state *s, float *out, const tllm_tensor *w1, const tllm_tensor *w2,
                   const tllm_tensor *w3, const float *x, uint32_t next) {
  matvec(s, s->hb, w1, x, w3->index);
  matvec(s, s->hb2, w3, x, w2->index);
  uint32_t h = w1->rows;
  for (uint32_t i = 0; i < h; i++) {
    float val = s->hb[i];
    val *= (1.0f / (1.0f + tllm_expf(-val)));
    val *= s->hb2[i];
    s->hb[i] = val;
  }
  s->act_valid = 0; /* hb rewritten */
  matvec(s, out, w2, s->hb, next);
}

static void kv_store_int8(int8_t *dst, float *scale, const float *src, uint32_t n_heads, uint32_t hs) {
  for (uint32_t h = 0; h < n_heads; h++) {
    const float *x = src + h * hs;
    float amax = 0.0f;
    for (uint32_t i = 0; i < hs; i++) { float a = x[i] < 0.0f ? -x[i] : x[i]; if (a > amax) amax = a; }
    float sc = amax / 127.0f;
    for (uint32_t i = 0; i < hs; i++) {
      int32_t q = 0;
      if (sc > 0.0f) {
        float v = x[i] / sc;
        q = (int32_t)v;
        float fr = v - (float)q;
        if (fr >= 0.5f) q++; else if (fr <= -0.5f) q--;
        if (q > 127) q = 127;
        if (q < -127) q = -127;
      }
      dst[h * hs + i] = (int8_t)q;
    }
    scale[h] = sc;
  }
}

float *tllm_forward(tllm_state *s, uint32_t token, uint32_t pos) {
  const tllm_model *m = s->m;
  const uint32_t dim = m->dim, kv_dim = m->kv_dim, hs = m->head_size, S = s->max_seq;
  const uint32_t kv_mul = m->n_heads / m->n_kv_heads;
  const float eps = m->hdr->norm_eps;
  float *x = s->x;
  if (token >= m->vocab_size || pos >= S) return 0;

  sim_region_begin(TLLM_REGION_TOKEN);
  sim_region_begin(TLLM_REGION_EMBED);
  tllm_tensor emb = tllm_model_tensor(m, TLLM_T_TOK_EMB, 0, 0);
  tllm_dequant_row(x, &emb, token);
  count_read(s, &emb, 1);
  /* RoPE: one cos/sin per frequency of this position (llama2.c recomputes the same values per i) */
  for (uint32_t i = 0; i < hs; i += 2) {
    float freq = 1.0f / tllm_expf(((float)i / (float)hs) * 9.21034037198f); /* 1 / theta^(i/hs), theta 10000 */
    float val = (float)pos * freq;
    tllm_cossinf(val, &s->rope_cos[i / 2], &s->rope_sin[i / 2]);
  }
  sim_region_end(TLLM_REGION_EMBED);

  for (uint32_t l = 0; l < m->n_layers; l++) {
    uint64_t macs0 = s->macs;
    sim_region_begin(TLLM_REGION_ATTENTION);
    tllm_tensor t_rms = tllm_model_tensor(m, TLLM_T_RMS_ATT, l, 0);
    rmsnorm(s->xb, x, (const float *)t_rms.data, dim, eps);
    s->act_valid = 0;
    tllm_tensor wq = tllm_model_tensor(m, TLLM_T_WQ, l, 0);
    tllm_tensor wk = tllm_model_tensor(m, TLLM_T_WK, l, 0);
    tllm_tensor wv = tllm_model_tensor(m, TLLM_T_WV, l, 0);
    tllm_tensor wo = tllm_model_tensor(m, TLLM_T_WO, l, 0);
    size_t loff = (size_t)l * S * kv_dim;
    float *kdst = s->kc ? s->kc + loff + (size_t)pos * kv_dim : s->k;
    float *vdst = s->vc ? s->vc + loff + (size_t)pos * kv_dim : s->v;
    matvec(s, s->q, &wq, s->xb, wk.index);
    matvec(s, kdst, &wk, s->xb, wv.index);
    matvec(s, vdst, &wv, s->xb, wo.index);
    for (uint32_t i = 0; i < dim; i += 2) {
      uint32_t hd = i % hs;
      float fcr = s->rope_cos[hd / 2], fci = s->rope_sin[hd / 2];
      uint32_t rotn = i < kv_dim ? 2u : 1u;
      for (uint32_t vi = 0; vi < rotn; vi++) {
        float *vec = vi == 0 ? s->q : kdst;
        float v0 = vec[i], v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }
    if (!s->kc) { /* INT8 KV cache */
      size_t so = ((size_t)l * S + pos) * m->n_kv_heads;
      kv_store_int8(s->kcq + loff + (size_t)pos * kv_dim, s->kcs + so, s->k, m->n_kv_heads, hs);
      kv_store_int8(s->vcq + loff + (size_t)pos * kv_dim, s->vcs + so, s->v, m->n_kv_heads, hs);
    }
    const float inv_sqrt_hs = tllm_sqrtf((float)hs);
    for (uint32_t h = 0; h < m->n_heads; h++) {
      const float *qh = s->q + h * hs;
      float *att = s->att + (size_t)h * S;
      uint32_t kvh = h / kv_mul;
      for (uint32_t t = 0; t <= pos; t++) {
        float score = 0.0f;
        if (s->kc) {
          const float *kk = s->kc + loff + (size_t)t * kv_dim + kvh * hs;
          for (uint32_t i = 0; i < hs; i++) score += qh[i] * kk[i];
        } else {
          const int8_t *kk = s->kcq + loff + (size_t)t * kv_dim + kvh * hs;
          float sc = s->kcs[((size_t)l * S + t) * m->n_kv_heads + kvh];
          for (uint32_t i = 0; i < hs; i++) score += qh[i] * ((float)kk[i] * sc);
        }
        score /= inv_sqrt_hs;
        att[t] = score;
      }
      tllm_softmax(att, pos + 1);
      float *xb = s->xb + h * hs;
      memset(xb, 0, hs * sizeof(float));
      for (uint32_t t = 0; t <= pos; t++) {
        float aw = att[t];
        if (s->vc) {
          const float *vv = s->vc + loff + (size_t)t * kv_dim + kvh * hs;
          for (uint32_t i = 0; i < hs; i++) xb[i] += aw * vv[i];
        } else {
          const int8_t *vv = s->vcq + loff + (size_t)t * kv_dim + kvh * hs;
          float sc = s->vcs[((size_t)l * S + t) * m->n_kv_heads + kvh];
          for (uint32_t i = 0; i < hs; i++) xb[i] += aw * ((float)vv[i] * sc);
        }
      }
    }
    s->macs += 2ull * m->n_heads * (pos + 1u) * hs;
    s->act_valid = 0; /* xb rewritten */
    matvec(s, s->xb2, &wo, s->xb, entry_index(m, m->n_experts ? TLLM_T_ROUTER : TLLM_T_W1, l, 0));
    for (uint32_t i = 0; i < dim; i++) x[i] += s->xb2[i];
    sim_work_macs(s->macs - macs0);
    sim_region_end(TLLM_REGION_ATTENTION);

    macs0 = s->macs;
    uint64_t child_macs = 0; /* declared by the expert regions (they add to this region when they close) */
    sim_region_begin(TLLM_REGION_FFN);
    tllm_tensor t_rf = tllm_model_tensor(m, TLLM_T_RMS_FFN, l, 0);
    rmsnorm(s->xb, x, (const float *)t_rf.data, dim, eps);
    s->act_valid = 0;
    if (!m->n_experts) {
      tllm_tensor w1 = tllm_model_tensor(m, TLLM_T_W1, l, 0);
      tllm_tensor w2 = tllm_model_tensor(m, TLLM_T_W2, l, 0);
      tllm_tensor w3 = tllm_model_tensor(m, TLLM_T_W3, l, 0);
      swiglu(s, s->xb2, &w1, &w2, &w3, s->xb, after_layer(m, l));
      for (uint32_t i = 0; i < dim; i++) x[i] += s->xb2[i];
    } else {
      /* router: softmax over all experts, pick top_k (first index wins ties), renormalise */
      tllm_tensor wr = tllm_model_tensor(m, TLLM_T_ROUTER, l, 0);
      /* the routed experts are not known yet: prefetch a shared expert, or with the expert cache (routed
       * experts not streamed) the next layer */
      int cached = s->stream && s->stream->n_slots;
      uint32_t after_router = m->n_shared ? entry_index(m, TLLM_T_SHX_W1, l, 0) : cached ? after_layer(m, l) : TLLM_NO_NEXT;
      matvec(s, s->router, &wr, s->xb, after_router);
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
        swiglu(s, s->xb2, &w1, &w2, &w3, s->xb, nx);
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
        swiglu(s, s->xb2, &w1, &w2, &w3, s->xb, nx);
        for (uint32_t i = 0; i < dim; i++) s->moe[i] += g * s->xb2[i];
        sim_work_macs(s->macs - emacs0);
        child_macs += s->macs - emacs0;
        sim_region_end(TLLM_REGION_EXPERT_BASE + e);
      }
      for (uint32_t i = 0; i < dim; i++) x[i] += s->moe[i];
    }
    sim_work_macs(s->macs - macs0 - child_macs);
    sim_region_end(TLLM_REGION_FFN);
  }

  uint64_t macs0 = s->macs;
  sim_region_begin(TLLM_REGION_CLASSIFIER);
  tllm_tensor t_fin = tllm_model_tensor(m, TLLM_T_RMS_FINAL, 0, 0);
  rmsnorm(x, x, (const float *)t_fin.data, dim, eps);
  s->act_valid = 0;
  tllm_tensor wcls = tllm_model_tensor(m, TLLM_T_WCLS, 0, 0);
  matvec(s, s->logits, &wcls, x, entry_index(m, TLLM_T_WQ, 0, 0)); /* the next token starts with layer 0 */
  s->act_valid = 0;
  sim_work_macs(s->macs - macs0);
  sim_region_end(TLLM_REGION_CLASSIFIER);
  sim_region_end(TLLM_REGION_TOKEN);
  return s->logits;
}

/* Weight streaming (double-buffered DMA from the image into SRAM) and the MoE expert cache.
 * Interface and design: runtime/include/tinyllm/tllm_stream.h, runtime/STREAMING.md. */
#include <string.h>

#include "mcucim/dma.h"
#include "mcucim/simctrl.h"
#include "tinyllm/tllm_stream.h"

#define DMA_ID_VALUE 0x444D4131u /* "DMA1" (mcucim/dma.h) */
#define NSLICES 4u               /* a block is computed in slices; the DMA queue is served between them */

static uint32_t a16(uint32_t x) { return (x + 15u) & ~15u; }
static uint64_t a16l(uint64_t x) { return (x + 15u) & ~(uint64_t)15u; }

/* bytes of data, scales and offsets of `rows` rows of t */
static void part_bytes(const tllm_tensor *t, uint64_t rows, uint64_t *db, uint64_t *sb, uint64_t *ob) {
  *db = rows * t->row_bytes;
  *sb = t->prec == TLLM_FP32 ? 0u : rows * t->ngroups * 4u;
  *ob = t->offsets ? *sb : 0u;
}
static uint64_t block_bytes(const tllm_tensor *t, uint64_t rows) {
  uint64_t db, sb, ob;
  part_bytes(t, rows, &db, &sb, &ob);
  return a16l(db) + a16l(sb) + a16l(ob);
}
uint64_t tllm_stream_tensor_bytes(const tllm_tensor *t) { return block_bytes(t, t->rows); }

static uint64_t read_bytes(const tllm_tensor *t) {
  uint64_t db, sb, ob;
  part_bytes(t, t->rows, &db, &sb, &ob);
  return db + sb + ob;
}
uint64_t tllm_expert_bytes(const tllm_model *m, uint32_t layer, uint32_t expert) {
  uint64_t b = 0;
  for (uint32_t k = TLLM_T_EXP_W1; k <= TLLM_T_EXP_W3; k++) {
    tllm_tensor t = tllm_model_tensor(m, k, layer, expert);
    b += read_bytes(&t);
  }
  return b;
}
static uint64_t expert_slot_bytes(const tllm_model *m, uint32_t layer, uint32_t expert) {
  uint64_t b = 0;
  for (uint32_t k = TLLM_T_EXP_W1; k <= TLLM_T_EXP_W3; k++) {
    tllm_tensor t = tllm_model_tensor(m, k, layer, expert);
    b += tllm_stream_tensor_bytes(&t);
  }
  return b;
}

int tllm_stream_in_image(const tllm_model *m, const void *p) {
  const uint8_t *q = (const uint8_t *)p;
  return q >= m->image && q < m->image + m->size;
}

/* Is table entry i a matrix the double buffer streams? (routed experts not when they are cached) */
static int streamed_entry(const tllm_model *m, uint32_t i, int cached_experts) {
  uint32_t k = m->table[i].kind;
  if (k == TLLM_T_TOK_EMB) return m->shared_classifier; /* as the classifier */
  if (k == TLLM_T_RMS_ATT || k == TLLM_T_RMS_FFN || k == TLLM_T_RMS_FINAL) return 0;
  if (k >= TLLM_T_EXP_W1 && k <= TLLM_T_EXP_W3) return !cached_experts;
  return 1;
}

static tllm_tensor entry_view(const tllm_model *m, uint32_t i) {
  const tllm_tensor_entry *e = &m->table[i];
  return tllm_model_tensor(m, e->kind, e->layer, e->expert);
}

static const char *kind_str(uint32_t k) {
  static const char *const n[TLLM_T_KIND_COUNT] = {"tok_embedding", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3",
                                                   "rms_final", "wcls", "router", "expert.w1", "expert.w2", "expert.w3",
                                                   "shared_expert.w1", "shared_expert.w2", "shared_expert.w3"};
  return k < TLLM_T_KIND_COUNT ? n[k] : "?";
}

typedef struct layout {
  uint32_t buf_bytes, n_slots, slot_bytes;
  size_t total;
} layout;

static tllm_status plan_layout(const tllm_model *m, const tllm_stream_config *c, layout *L, tllm_error *err) {
  memset(L, 0, sizeof *L);
  int cached = c->expert_slots != 0;
  if (cached && !m->n_experts) {
    tllm_errorf(err, TLLM_E_ARG, "expert cache (%u slots) asked for, but the model is dense (no routed experts)", c->expert_slots);
    return TLLM_E_ARG;
  }
  if (c->buffer_bytes) {
    uint64_t big = 0, big_row = 0;
    uint32_t big_i = 0, row_i = 0;
    for (uint32_t i = 0; i < m->hdr->n_tensors; i++) {
      if (!streamed_entry(m, i, cached)) continue;
      tllm_tensor t = entry_view(m, i);
      uint64_t b = tllm_stream_tensor_bytes(&t), r = block_bytes(&t, 1);
      if (b > big) { big = b; big_i = i; }
      if (r > big_row) { big_row = r; row_i = i; }
    }
    const tllm_tensor_entry *be = &m->table[big_i], *re = &m->table[row_i];
    uint64_t per;
    if (c->buffer_bytes == TLLM_STREAM_AUTO) {
      per = big;
    } else {
      per = (uint64_t)(c->buffer_bytes / 2u) & ~(uint64_t)15u;
      if (per > big) per = big; /* never more than the largest matrix */
      if (per < big_row) {
        tllm_errorf(err, TLLM_E_ARG,
                    "weight buffers of %u bytes (two of %lu) cannot hold one row of tensor %u (%s, layer %u, %ux%u): each buffer needs at least %lu bytes, i.e. at least %lu in total",
                    c->buffer_bytes, (unsigned long)per, row_i, kind_str(re->kind), re->layer, re->rows, re->cols,
                    (unsigned long)big_row, (unsigned long)(2u * big_row));
        return TLLM_E_ARG;
      }
    }
    if (per > 0x7FFFFFF0u) {
      tllm_errorf(err, TLLM_E_NOMEM, "the largest streamed matrix (tensor %u, %s, %ux%u) is %lu bytes: give the buffer size in bytes",
                  big_i, kind_str(be->kind), be->rows, be->cols, (unsigned long)big);
      return TLLM_E_NOMEM;
    }
    L->buf_bytes = (uint32_t)per;
    L->total += 2u * (size_t)per;
  }
  if (cached) {
    uint64_t sb = 0;
    for (uint32_t l = 0; l < m->n_layers; l++)
      for (uint32_t e = 0; e < m->n_experts; e++) {
        uint64_t b = expert_slot_bytes(m, l, e);
        if (b > sb) sb = b;
      }
    uint32_t n = c->expert_slots;
    if (n > m->n_experts * m->n_layers) n = m->n_experts * m->n_layers; /* more slots than experts: all fit */
    L->n_slots = n;
    L->slot_bytes = (uint32_t)sb;
    L->total += (size_t)n * sb + a16(n * 8u);
  }
  return TLLM_OK;
}

tllm_status tllm_stream_size(const tllm_model *m, const tllm_stream_config *c, size_t avail, size_t *need,
                             tllm_error *err) {
  if (!m || !c || !need) { tllm_errorf(err, TLLM_E_ARG, "tllm_stream_size: NULL argument"); return TLLM_E_ARG; }
  layout L;
  tllm_status st = plan_layout(m, c, &L, err);
  if (st != TLLM_OK) return st;
  *need = L.total;
  if (L.total > avail) {
    if (c->buffer_bytes == TLLM_STREAM_AUTO)
      tllm_errorf(err, TLLM_E_NOMEM,
                  "streaming needs %lu bytes of RAM (2 buffers of %u = the largest matrix, %u expert slots of %u) but %lu are left after the memory plan: SRAM cannot hold two; -S BYTES streams row blocks",
                  (unsigned long)L.total, L.buf_bytes, L.n_slots, L.slot_bytes, (unsigned long)avail);
    else
      tllm_errorf(err, TLLM_E_NOMEM,
                  "streaming needs %lu bytes of RAM (2 buffers of %u, %u expert slots of %u) but %lu are left after the memory plan",
                  (unsigned long)L.total, L.buf_bytes, L.n_slots, L.slot_bytes, (unsigned long)avail);
    return TLLM_E_NOMEM;
  }
  return TLLM_OK;
}

tllm_status tllm_stream_attach(tllm_state *s, tllm_stream *st, const tllm_stream_config *c, void *mem,
                               size_t bytes, tllm_error *err) {
  if (!s || !st || !c || (!mem && bytes)) { tllm_errorf(err, TLLM_E_ARG, "tllm_stream_attach: NULL argument"); return TLLM_E_ARG; }
  memset(st, 0, sizeof *st);
  layout L;
  tllm_status rs = plan_layout(s->m, c, &L, err);
  if (rs != TLLM_OK) return rs;
  if (L.total > bytes) {
    tllm_errorf(err, TLLM_E_NOMEM, "weight streaming needs %lu bytes, %lu given", (unsigned long)L.total, (unsigned long)bytes);
    return TLLM_E_NOMEM;
  }
  if (L.total && ((uintptr_t)mem & 15u)) { tllm_errorf(err, TLLM_E_ARG, "weight streaming memory is not 16-byte aligned"); return TLLM_E_ARG; }
#if defined(__riscv)
  if (L.total && dma_reg_read(DMA_ID) != DMA_ID_VALUE) {
    tllm_errorf(err, TLLM_E_BACKEND, "no DMA engine at 0x%x (ID register reads 0x%x, expected 0x%x): use a config with soc.devices.dma0",
                MCUCIM_DMA_BASE, dma_reg_read(DMA_ID), DMA_ID_VALUE);
    return TLLM_E_BACKEND;
  }
#endif
  uint8_t *p = (uint8_t *)mem;
  st->m = s->m;
  st->streaming = L.buf_bytes != 0;
  st->buf_bytes = L.buf_bytes;
  if (st->streaming) {
    st->buf[0] = p;
    st->buf[1] = p + L.buf_bytes;
    p += 2u * (size_t)L.buf_bytes;
  }
  st->n_slots = L.n_slots;
  st->slot_bytes = L.slot_bytes;
  if (L.n_slots) {
    st->slot_key = (uint32_t *)(void *)p;
    st->slot_used = st->slot_key + L.n_slots;
    p += a16(L.n_slots * 8u);
    st->slots = p;
    for (uint32_t i = 0; i < L.n_slots; i++) { st->slot_key[i] = 0xFFFFFFFFu; st->slot_used[i] = 0; }
  }
  s->stream = st;
  return TLLM_OK;
}


/* ---- the DMA queue (one channel; served whenever the runtime polls) ---------------------------- */
static void kick(tllm_stream *st);
static void enqueue(tllm_stream *st, const void *src, void *dst, uint32_t len) {
  if (!len) return;
  while (st->qn == TLLM_STREAM_QUEUE) kick(st); /* not reached: at most 2 blocks x 3 + 9 expert parts */
  tllm_xfer *x = &st->q[(st->qhead + st->qn) % TLLM_STREAM_QUEUE];
  x->src = (const uint8_t *)src;
  x->dst = (uint8_t *)dst;
  x->len = len;
  st->qn++;
}

/* Serve the queue: retire a finished transfer, start the next. Host: copy everything now. */
static void kick(tllm_stream *st) {
#if defined(__riscv)
  if (st->dma_busy) {
    uint32_t s = dma_reg_read(DMA_STATUS);
    if (s & 1u) return;
    uint32_t e = (s >> 8) & 0xffu;
    if (e && !st->error) st->error = (int)e;
    dma_reg_write(DMA_STATUS, 2u); /* clear DONE */
    st->dma_busy = 0;
  }
  if (st->qn) {
    tllm_xfer *x = &st->q[st->qhead];
    dma_start(x->src, x->dst, x->len);
    st->qhead = (st->qhead + 1u) % TLLM_STREAM_QUEUE;
    st->qn--;
    st->dma_busy = 1;
  }
#else
  while (st->qn) {
    tllm_xfer *x = &st->q[st->qhead];
    memcpy(x->dst, x->src, x->len);
    st->qhead = (st->qhead + 1u) % TLLM_STREAM_QUEUE;
    st->qn--;
  }
#endif
}

static int idle(const tllm_stream *st) { return !st->qn && !st->dma_busy; }

/* Wait until every queued transfer has landed (region dma_wait when the CPU actually waits). */
static void drain(tllm_stream *st) {
  kick(st);
  if (idle(st)) return;
  st->waits++;
  sim_region_begin(TLLM_REGION_DMA_WAIT);
  while (!idle(st)) kick(st);
  sim_region_end(TLLM_REGION_DMA_WAIT);
}

/* ---- the double buffer -------------------------------------------------------------------------- */
static uint32_t rows_per_block(const tllm_stream *st, const tllm_tensor *t) {
  uint64_t db, sb, ob;
  part_bytes(t, 1, &db, &sb, &ob);
  uint64_t k = st->buf_bytes / (db + sb + ob); /* ignores the alignment slack: shrink until it fits */
  if (k > t->rows) k = t->rows;
  while (k > 1 && block_bytes(t, k) > st->buf_bytes) k--;
  return (uint32_t)k;
}

/* the view of rows [r0, r0+k) of t laid out in buffer b (data, scales, offsets) */
static tllm_tensor block_view(const tllm_tensor *t, uint8_t *b, uint32_t k) {
  uint64_t db, sb, ob;
  part_bytes(t, k, &db, &sb, &ob);
  tllm_tensor v = *t;
  v.rows = k;
  v.data = b;
  v.scales = sb ? (const float *)(const void *)(b + a16l(db)) : 0;
  v.offsets = ob ? (const float *)(const void *)(b + a16l(db) + a16l(sb)) : 0;
  return v;
}

/* queue the transfers of rows [r0, r0+k) of t into buffer bi */
static void issue(tllm_stream *st, const tllm_tensor *t, uint32_t r0, uint32_t k, uint32_t bi) {
  uint64_t db, sb, ob;
  part_bytes(t, k, &db, &sb, &ob);
  tllm_tensor v = block_view(t, st->buf[bi], k);
  enqueue(st, (const uint8_t *)t->data + (size_t)r0 * t->row_bytes, (void *)(uintptr_t)v.data, (uint32_t)db);
  if (sb) enqueue(st, t->scales + (size_t)r0 * t->ngroups, (void *)(uintptr_t)v.scales, (uint32_t)sb);
  if (ob) enqueue(st, t->offsets + (size_t)r0 * t->ngroups, (void *)(uintptr_t)v.offsets, (uint32_t)ob);
  st->blk[bi].index = t->index;
  st->blk[bi].r0 = r0;
  st->blk[bi].rows = k;
  st->blk[bi].valid = 1;
  st->bytes_streamed += db + sb + ob;
  kick(st);
}

static void compute_rows(tllm_state *s, float *out, uint32_t out_stride, const tllm_tensor *v, const float *x,
                         uint32_t x_stride, const tllm_qact *a, uint32_t nb) {
  if (a) {
    if (nb > 1u) s->kern->matmul_q(out, out_stride, v, a);
    else s->kern->matvec_q(out, v, a);
  } else {
    if (nb > 1u) tllm_matmul_f32(out, out_stride, v, x, x_stride, nb);
    else tllm_matvec_f32(out, v, x);
  }
}

void tllm_stream_matvec(tllm_state *s, float *out, uint32_t out_stride, const tllm_tensor *w, const float *x,
                        uint32_t x_stride, const tllm_qact *a, uint32_t nb, uint32_t next) {
  tllm_stream *st = s->stream;
  const uint32_t K = rows_per_block(st, w);
  for (uint32_t r0 = 0; r0 < w->rows; r0 += K) {
    uint32_t k = w->rows - r0 < K ? w->rows - r0 : K;
    /* the block should be in flight in the other buffer (prefetched); if not, fetch it now */
    uint32_t bi = st->cur ^ 1u;
    tllm_stream_block *b = &st->blk[bi];
    if (b->valid && b->index == w->index && b->r0 == r0 && b->rows == k) {
      st->prefetch_hits++;
    } else {
      drain(st); /* whatever was prefetched is not needed now: let it land, then reuse the buffer */
      issue(st, w, r0, k, bi);
    }
    drain(st);
    st->cur = bi;
    st->blk[bi].valid = 0; /* consumed: the next prefetch goes to the other buffer */
    st->blocks++;
    /* prefetch the following block into the other buffer (free: its block was computed) */
    uint32_t ob = bi ^ 1u;
    if (r0 + k < w->rows) {
      uint32_t k2 = w->rows - (r0 + k) < K ? w->rows - (r0 + k) : K;
      issue(st, w, r0 + k, k2, ob);
    } else if (next != TLLM_NO_NEXT) {
      tllm_tensor nt = entry_view(s->m, next);
      uint32_t k2 = rows_per_block(st, &nt);
      issue(st, &nt, 0, k2 < nt.rows ? k2 : nt.rows, ob);
    }
    /* compute in slices, serving the DMA queue between them (a prefetch has up to 3 transfers) */
    tllm_tensor v = block_view(w, st->buf[bi], k);
    uint32_t step = k >= NSLICES ? (k + NSLICES - 1u) / NSLICES : k;
    for (uint32_t r = 0; r < k; r += step) {
      uint32_t n = k - r < step ? k - r : step;
      tllm_tensor sv = v;
      sv.rows = n;
      sv.data = (const uint8_t *)v.data + (size_t)r * v.row_bytes;
      if (v.scales) sv.scales = v.scales + (size_t)r * v.ngroups;
      if (v.offsets) sv.offsets = v.offsets + (size_t)r * v.ngroups;
      compute_rows(s, out + r0 + r, out_stride, &sv, x, x_stride, a, nb);
      kick(st);
    }
  }
}

/* ---- the expert cache ---------------------------------------------------------------------------- */
void tllm_stream_expert(tllm_state *s, uint32_t layer, uint32_t e, tllm_tensor *w1, tllm_tensor *w2,
                        tllm_tensor *w3) {
  tllm_stream *st = s->stream;
  const tllm_model *m = s->m;
  uint32_t key = layer * m->n_experts + e, slot = 0, found = 0;
  for (uint32_t i = 0; i < st->n_slots; i++)
    if (st->slot_key[i] == key) { slot = i; found = 1; break; }
  tllm_tensor *ws[3] = {w1, w2, w3};
  if (!found) {
    /* least recently used (empty slots have stamp 0 and come first) */
    for (uint32_t i = 1; i < st->n_slots; i++)
      if (st->slot_used[i] < st->slot_used[slot]) slot = i;
  }
  uint8_t *p = st->slots + (size_t)slot * st->slot_bytes;
  for (uint32_t j = 0; j < 3; j++) {
    tllm_tensor src = *ws[j];
    *ws[j] = block_view(&src, p, src.rows);
    if (!found) {
      uint64_t db, sb, ob;
      part_bytes(&src, src.rows, &db, &sb, &ob);
      enqueue(st, src.data, (void *)(uintptr_t)ws[j]->data, (uint32_t)db);
      if (sb) enqueue(st, src.scales, (void *)(uintptr_t)ws[j]->scales, (uint32_t)sb);
      if (ob) enqueue(st, src.offsets, (void *)(uintptr_t)ws[j]->offsets, (uint32_t)ob);
      kick(st);
      if (s->tensor_bytes_read) s->tensor_bytes_read[src.index] += db + sb + ob;
    }
    p += tllm_stream_tensor_bytes(&src);
  }
  if (found) {
    s->expert_hits++;
  } else {
    s->expert_misses++;
    s->expert_bytes_read += tllm_expert_bytes(m, layer, e);
    st->slot_key[slot] = key;
    drain(st);
  }
  st->slot_used[slot] = ++st->clock;
}

void tllm_stream_finish(tllm_stream *st) {
  if (st) drain(st);
}

int tllm_stream_error(const tllm_stream *st) { return st ? st->error : 0; }

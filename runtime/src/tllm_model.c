/* Model image parser and memory plan (format: runtime/MODEL_FORMAT.md). */
#include <stdarg.h>
#include <string.h>

#include "tinyllm/tinyllm.h"

const char *tllm_status_name(tllm_status s) {
  switch (s) {
    case TLLM_OK: return "ok";
    case TLLM_E_ARG: return "bad argument";
    case TLLM_E_TRUNCATED: return "truncated image";
    case TLLM_E_MAGIC: return "not a tinyllm image";
    case TLLM_E_VERSION: return "unsupported version";
    case TLLM_E_CHECKSUM: return "bad checksum";
    case TLLM_E_CORRUPT: return "corrupt image";
    case TLLM_E_NOMEM: return "does not fit the RAM budget";
    case TLLM_E_PROMPT_TOO_LONG: return "prompt too long";
    case TLLM_E_BACKEND: return "backend not available";
    case TLLM_E_UNSUPPORTED: return "unsupported";
    case TLLM_E_CIM_CAPACITY: return "not enough CIM macros";
    case TLLM_E_CIM_WINDOWS: return "CIM windows missing";
  }
  return "unknown status";
}

/* ---- tiny formatter: %s %c %d %u %x %lu %llu (l/ll with u/d/x), %% ----------------------------- */
static void put_ch(char *buf, size_t cap, size_t *n, char c) {
  if (*n + 1 < cap) buf[*n] = c;
  (*n)++;
}
static void put_u64(char *buf, size_t cap, size_t *n, unsigned long long v, unsigned base) {
  char tmp[24];
  int k = 0;
  do {
    unsigned d = (unsigned)(v % base);
    tmp[k++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (k) put_ch(buf, cap, n, tmp[--k]);
}
void tllm_errorf(tllm_error *err, tllm_status code, const char *fmt, ...) {
  if (!err) return;
  err->code = code;
  size_t cap = sizeof err->msg, n = 0;
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') { put_ch(err->msg, cap, &n, *p); continue; }
    p++;
    int lng = 0;
    while (*p == 'l') { lng++; p++; }
    switch (*p) {
      case 's': { const char *s = va_arg(ap, const char *); if (!s) s = "(null)"; while (*s) put_ch(err->msg, cap, &n, *s++); break; }
      case 'c': put_ch(err->msg, cap, &n, (char)va_arg(ap, int)); break;
      case 'd': {
        long long v = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
        if (v < 0) { put_ch(err->msg, cap, &n, '-'); put_u64(err->msg, cap, &n, (unsigned long long)(-(v + 1)) + 1u, 10); }
        else put_u64(err->msg, cap, &n, (unsigned long long)v, 10);
        break;
      }
      case 'u': case 'x': {
        unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long) : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
        put_u64(err->msg, cap, &n, v, *p == 'x' ? 16 : 10);
        break;
      }
      case '%': put_ch(err->msg, cap, &n, '%'); break;
      default: put_ch(err->msg, cap, &n, '?'); if (!*p) p--; break;
    }
  }
  va_end(ap);
  err->msg[n < cap ? n : cap - 1] = '\0';
}

static const char *const kind_names[TLLM_T_KIND_COUNT] = {
    "tok_embedding", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final",
    "wcls", "router", "expert.w1", "expert.w2", "expert.w3", "shared_expert.w1", "shared_expert.w2",
    "shared_expert.w3"};

/* Canonical order: tok_emb; per layer: rms_att wq wk wv wo rms_ffn, then dense w1 w2 w3 or
 * MoE router, shared experts (w1 w2 w3 each), routed experts (w1 w2 w3 each); rms_final; [wcls]. */
static uint32_t ffn_tensors(const tllm_model *m) {
  return m->n_experts ? 1u + 3u * (m->n_shared + m->n_experts) : 3u;
}

static void expected_entry(const tllm_model *m, uint32_t idx, uint32_t *kind, uint32_t *layer,
                           uint32_t *expert, uint32_t *rows, uint32_t *cols) {
  uint32_t per = m->tensors_per_layer, dim = m->dim;
  *layer = 0; *expert = 0;
  if (idx == 0) { *kind = TLLM_T_TOK_EMB; *rows = m->vocab_size; *cols = dim; return; }
  uint32_t i = idx - 1;
  if (i >= per * m->n_layers) {
    i -= per * m->n_layers;
    if (i == 0) { *kind = TLLM_T_RMS_FINAL; *rows = 1; *cols = dim; }
    else { *kind = TLLM_T_WCLS; *rows = m->vocab_size; *cols = dim; }
    return;
  }
  *layer = i / per;
  uint32_t j = i % per;
  static const uint8_t attn[6] = {TLLM_T_RMS_ATT, TLLM_T_WQ, TLLM_T_WK, TLLM_T_WV, TLLM_T_WO, TLLM_T_RMS_FFN};
  if (j < 6) {
    *kind = attn[j];
    switch (j) {
      case 0: case 5: *rows = 1; *cols = dim; break;
      case 1: case 4: *rows = dim; *cols = dim; break;
      default: *rows = m->kv_dim; *cols = dim; break;
    }
    return;
  }
  j -= 6;
  if (!m->n_experts) {
    *kind = TLLM_T_W1 + j;
    *rows = j == 1 ? dim : m->hidden_dim;
    *cols = j == 1 ? m->hidden_dim : dim;
    return;
  }
  if (j == 0) { *kind = TLLM_T_ROUTER; *rows = m->n_experts; *cols = dim; return; }
  j -= 1;
  uint32_t e = j / 3, w = j % 3;
  if (e < m->n_shared) { *kind = TLLM_T_SHX_W1 + w; *expert = e; }
  else { *kind = TLLM_T_EXP_W1 + w; *expert = e - m->n_shared; }
  *rows = w == 1 ? dim : m->expert_hidden;
  *cols = w == 1 ? m->expert_hidden : dim;
}

const tllm_tensor_entry *tllm_model_entry(const tllm_model *m, uint32_t kind, uint32_t layer,
                                          uint32_t expert) {
  uint32_t per = m->tensors_per_layer, base = 1u + layer * per, idx;
  switch (kind) {
    case TLLM_T_TOK_EMB: idx = 0; break;
    case TLLM_T_RMS_FINAL: idx = 1u + per * m->n_layers; break;
    case TLLM_T_WCLS: idx = m->shared_classifier ? 0u : 2u + per * m->n_layers; break;
    case TLLM_T_RMS_ATT: case TLLM_T_WQ: case TLLM_T_WK: case TLLM_T_WV: case TLLM_T_WO:
    case TLLM_T_RMS_FFN: idx = base + (kind - TLLM_T_RMS_ATT); break;
    case TLLM_T_W1: case TLLM_T_W2: case TLLM_T_W3: idx = base + 6u + (kind - TLLM_T_W1); break;
    case TLLM_T_ROUTER: idx = base + 6u; break;
    case TLLM_T_SHX_W1: case TLLM_T_SHX_W2: case TLLM_T_SHX_W3:
      idx = base + 7u + expert * 3u + (kind - TLLM_T_SHX_W1); break;
    default: /* routed experts */
      idx = base + 7u + (m->n_shared + expert) * 3u + (kind - TLLM_T_EXP_W1); break;
  }
  return &m->table[idx];
}

static uint32_t share_bound(uint32_t n, uint32_t unit, uint32_t r, uint32_t size) {
  return r * (n / unit) / size * unit; /* as tllm_forward_tp's bounds */
}

void tllm_share_rows(const tllm_model *m, uint32_t index, uint32_t rank, uint32_t size, uint32_t *r0, uint32_t *r1) {
  uint32_t kind, layer, expert, rows, cols;
  expected_entry(m, index, &kind, &layer, &expert, &rows, &cols);
  *r0 = 0; *r1 = rows;
  if (size <= 1u || m->n_experts) return;
  const uint32_t kv_mul = m->n_heads / m->n_kv_heads, hs = m->head_size;
  const uint32_t q0 = rank * m->n_kv_heads / size * kv_mul * hs, q1 = (rank + 1u) * m->n_kv_heads / size * kv_mul * hs;
  switch (kind) {
    case TLLM_T_WQ: *r0 = q0; *r1 = q1; break;
    case TLLM_T_WK: case TLLM_T_WV: *r0 = q0 / kv_mul; *r1 = q1 / kv_mul; break;
    case TLLM_T_WO: case TLLM_T_W2:
      *r0 = share_bound(m->dim, 1u, rank, size); *r1 = share_bound(m->dim, 1u, rank + 1u, size); break;
    case TLLM_T_W1: case TLLM_T_W3:
      *r0 = share_bound(m->hidden_dim, 1u, rank, size); *r1 = share_bound(m->hidden_dim, 1u, rank + 1u, size); break;
    case TLLM_T_TOK_EMB: case TLLM_T_WCLS:
      *r0 = share_bound(m->vocab_size, 1u, rank, size); *r1 = share_bound(m->vocab_size, 1u, rank + 1u, size); break;
    default: break; /* norms: whole */
  }
}

static tllm_tensor view_of(const tllm_model *m, const tllm_tensor_entry *e) {
  tllm_tensor t;
  /* A share holds rows [r0, r1) only: the view's pointers are based so that row r (of the whole
   * tensor) is at data + r * row_bytes, and only the held rows are ever read (tllm_forward_tp). */
  uint32_t r0 = 0, r1 = e->rows;
  if (m->share_size) tllm_share_rows(m, (uint32_t)(e - m->table), m->share_rank, m->share_size, &r0, &r1);
  t.data = (const uint8_t *)(uintptr_t)((uintptr_t)(m->image + e->data_offset) -
                                        (uintptr_t)r0 * (e->precision == TLLM_FP32 ? e->cols * 4u : tllm_row_bytes(e->precision, e->cols)));
  t.rows = e->rows;
  t.cols = e->cols;
  t.prec = e->precision;
  t.group = e->group_size;
  t.ngroups = tllm_groups_per_row(e->cols, e->group_size);
  t.row_bytes = tllm_row_bytes(e->precision, e->cols);
  t.index = (uint32_t)(e - m->table);
  if (e->precision == TLLM_FP32) { t.scales = 0; t.offsets = 0; }
  else {
    const float *sc = (const float *)(const void *)(m->image + e->scales_offset);
    t.scales = (const float *)(uintptr_t)((uintptr_t)sc - (uintptr_t)r0 * t.ngroups * 4u);
    t.offsets = (e->flags & TLLM_TFLAG_AFFINE) ? (const float *)(uintptr_t)((uintptr_t)(sc + (size_t)(r1 - r0) * t.ngroups) -
                                                                          (uintptr_t)r0 * t.ngroups * 4u)
                                               : 0;
  }
  return t;
}

tllm_tensor tllm_model_tensor(const tllm_model *m, uint32_t kind, uint32_t layer, uint32_t expert) {
  return view_of(m, tllm_model_entry(m, kind, layer, expert));
}

static int range_ok(uint32_t off, uint64_t len, uint32_t size) {
  return (uint64_t)off + len <= size;
}

tllm_status tllm_model_open(tllm_model *m, const void *image, size_t size, unsigned flags,
                            tllm_error *err) {
  if (!m || !image) { tllm_errorf(err, TLLM_E_ARG, "model image: NULL pointer"); return TLLM_E_ARG; }
  memset(m, 0, sizeof *m);
  if (((uintptr_t)image & (TLLM_ALIGN - 1u)) != 0u) {
    tllm_errorf(err, TLLM_E_ARG, "model image at address 0x%lx is not 16-byte aligned", (unsigned long)(uintptr_t)image);
    return TLLM_E_ARG;
  }
  if (size < TLLM_HEADER_SIZE) {
    tllm_errorf(err, TLLM_E_TRUNCATED, "model image is %lu bytes, shorter than the %u-byte header", (unsigned long)size, TLLM_HEADER_SIZE);
    return TLLM_E_TRUNCATED;
  }
  const uint8_t *img = (const uint8_t *)image;
  const tllm_header *h = (const tllm_header *)image;
  if (h->magic != TLLM_MAGIC) {
    tllm_errorf(err, TLLM_E_MAGIC, "model image: magic is 0x%x, expected 0x%x (\"TLLM\"): not a tinyllm image", h->magic, TLLM_MAGIC);
    return TLLM_E_MAGIC;
  }
  if (h->version < TLLM_VERSION_MIN || h->version > TLLM_VERSION) {
    tllm_errorf(err, TLLM_E_VERSION, "model image: format version %u, this runtime reads versions %u..%u (repack the model with this mcucim-pack)", h->version, TLLM_VERSION_MIN, TLLM_VERSION);
    return TLLM_E_VERSION;
  }
  if (h->header_size != TLLM_HEADER_SIZE) {
    tllm_errorf(err, TLLM_E_CORRUPT, "model image: header_size is %u, expected %u", h->header_size, TLLM_HEADER_SIZE);
    return TLLM_E_CORRUPT;
  }
  if (h->image_size > size) {
    tllm_errorf(err, TLLM_E_TRUNCATED, "model image truncated: header says %u bytes, only %lu available", h->image_size, (unsigned long)size);
    return TLLM_E_TRUNCATED;
  }
  if (h->image_size < TLLM_HEADER_SIZE) {
    tllm_errorf(err, TLLM_E_CORRUPT, "model image: image_size %u is smaller than the header", h->image_size);
    return TLLM_E_CORRUPT;
  }
  uint32_t isz = h->image_size;
  if (!(flags & TLLM_OPEN_SKIP_CHECKSUM)) {
    uint32_t c = tllm_fnv1a(TLLM_FNV_OFFSET, img + TLLM_CHECKSUM_START, isz - TLLM_CHECKSUM_START);
    if (c != h->checksum) {
      tllm_errorf(err, TLLM_E_CHECKSUM, "model image: checksum of bytes 20..%u is 0x%x, header says 0x%x (corrupted or modified)", isz, c, h->checksum);
      return TLLM_E_CHECKSUM;
    }
  }
#define BAD(...) do { tllm_errorf(err, TLLM_E_CORRUPT, __VA_ARGS__); return TLLM_E_CORRUPT; } while (0)
  if (!h->dim || !h->n_layers || !h->n_heads || !h->n_kv_heads || !h->vocab_size || !h->seq_len)
    BAD("model header: dim %u, n_layers %u, n_heads %u, n_kv_heads %u, vocab_size %u, seq_len %u must all be > 0",
        h->dim, h->n_layers, h->n_heads, h->n_kv_heads, h->vocab_size, h->seq_len);
  if (h->dim % h->n_heads) BAD("model header: dim %u is not a multiple of n_heads %u", h->dim, h->n_heads);
  if ((h->dim / h->n_heads) % 2u) BAD("model header: head size %u is odd (RoPE rotates pairs)", h->dim / h->n_heads);
  if (h->n_kv_heads > h->n_heads || h->n_heads % h->n_kv_heads)
    BAD("model header: n_heads %u is not a multiple of n_kv_heads %u", h->n_heads, h->n_kv_heads);
  if (h->dim > 65536u || h->hidden_dim > 1048576u || h->n_layers > 1024u || h->vocab_size > 1048576u || h->seq_len > 1048576u)
    BAD("model header: implausible dims (dim %u, hidden %u, layers %u, vocab %u, seq_len %u)", h->dim, h->hidden_dim, h->n_layers, h->vocab_size, h->seq_len);
  if (h->n_experts) {
    if (!h->top_k || h->top_k > h->n_experts) BAD("model header: top_k %u must be in 1..n_experts (%u)", h->top_k, h->n_experts);
    if (!h->expert_hidden_dim) BAD("model header: MoE model with expert_hidden_dim 0");
    if (h->n_experts > 1024u || h->n_shared_experts > 64u) BAD("model header: implausible expert counts (%u routed, %u shared)", h->n_experts, h->n_shared_experts);
    if (h->expert_hidden_dim > 1048576u) BAD("model header: implausible expert_hidden_dim %u", h->expert_hidden_dim);
  } else {
    if (!h->hidden_dim) BAD("model header: dense model with hidden_dim 0");
    if (h->n_shared_experts || h->top_k) BAD("model header: n_shared_experts %u / top_k %u set but n_experts is 0", h->n_shared_experts, h->top_k);
    if (h->expert_hidden_dim) BAD("model header: expert_hidden_dim %u set but n_experts is 0", h->expert_hidden_dim);
  }
  /* the CIM window section (version 2): present exactly when the header flag says so */
  if (h->flags & TLLM_FLAG_CIM_WINDOWS) {
    if (h->version < 2u) BAD("model header: flag CIM_WINDOWS in a version %u image (needs version 2)", h->version);
    if (!h->cim_offset || !h->cim_size)
      BAD("model header: flag CIM_WINDOWS is set but the CIM window section is missing (cim_offset %u, cim_size %u): the image asks for calibration data it does not have", h->cim_offset, h->cim_size);
    if (h->cim_offset % TLLM_ALIGN || h->cim_offset < TLLM_HEADER_SIZE || !range_ok(h->cim_offset, h->cim_size, isz) || h->cim_size < 16u)
      BAD("model header: CIM window section at %u (%u bytes) is misaligned or outside the %u-byte image", h->cim_offset, h->cim_size, isz);
    if (*(const uint32_t *)(const void *)(img + h->cim_offset) != TLLM_CIMW_MAGIC)
      BAD("CIM window section at %u: magic 0x%x, expected 0x%x (\"CIMW\")", h->cim_offset, *(const uint32_t *)(const void *)(img + h->cim_offset), TLLM_CIMW_MAGIC);
  } else if (h->cim_offset || h->cim_size) {
    BAD("model header: cim_offset %u / cim_size %u set without the CIM_WINDOWS flag", h->cim_offset, h->cim_size);
  }
  if (h->version == 2u && !(h->flags & TLLM_FLAG_CIM_WINDOWS))
    BAD("model header: version 2 without the CIM_WINDOWS flag (images without CIM windows are version 1)");
  if (h->bos_id >= h->vocab_size || h->eos_id >= h->vocab_size) BAD("model header: bos %u / eos %u outside the vocabulary (%u)", h->bos_id, h->eos_id, h->vocab_size);
  m->image = img;
  m->size = isz;
  m->hdr = h;
  m->dim = h->dim; m->hidden_dim = h->hidden_dim; m->n_layers = h->n_layers; m->n_heads = h->n_heads;
  m->n_kv_heads = h->n_kv_heads; m->head_size = h->dim / h->n_heads;
  m->kv_dim = m->head_size * h->n_kv_heads; m->vocab_size = h->vocab_size; m->seq_len = h->seq_len;
  m->n_experts = h->n_experts; m->n_shared = h->n_shared_experts; m->top_k = h->top_k;
  m->expert_hidden = h->expert_hidden_dim;
  m->shared_classifier = (h->flags & TLLM_FLAG_SHARED_CLASSIFIER) != 0;
  m->tensors_per_layer = 6u + ffn_tensors(m);
  if (h->flags & TLLM_FLAG_SHARE) {
    if (h->share_size < 2u || h->share_size > TLLM_TP_MAX || h->share_rank >= h->share_size)
      BAD("model header: share of rank %u of %u (expected 2..%u ranks)", h->share_rank, h->share_size, TLLM_TP_MAX);
    if (m->n_experts) BAD("model header: a share of an MoE model (shares are for dense models)");
    if (m->n_kv_heads % h->share_size)
      BAD("model header: share of %u ranks does not divide the %u kv heads", h->share_size, m->n_kv_heads);
    if (h->flags & TLLM_FLAG_CIM_WINDOWS) BAD("model header: a share with CIM windows (not supported)");
    m->share_rank = h->share_rank;
    m->share_size = h->share_size;
  } else if (h->share_rank || h->share_size) {
    BAD("model header: share_rank %u / share_size %u without the SHARE flag (must be 0)", h->share_rank, h->share_size);
  }
  uint64_t expect_n = 2ull + (uint64_t)m->tensors_per_layer * m->n_layers + (m->shared_classifier ? 0u : 1u);
  if (h->n_tensors != expect_n)
    BAD("model header: n_tensors is %u, expected %lu for %u layers (%s, %s classifier)", h->n_tensors, (unsigned long)expect_n,
        m->n_layers, m->n_experts ? "MoE" : "dense", m->shared_classifier ? "shared" : "separate");
  if (h->tensor_table_offset % TLLM_ALIGN || !range_ok(h->tensor_table_offset, (uint64_t)h->n_tensors * TLLM_TENSOR_ENTRY_SIZE, isz) || h->tensor_table_offset < TLLM_HEADER_SIZE)
    BAD("model header: tensor table at %u (%u entries) is misaligned or outside the %u-byte image", h->tensor_table_offset, h->n_tensors, isz);
  m->table = (const tllm_tensor_entry *)(const void *)(img + h->tensor_table_offset);
  m->max_in = m->dim;
  if (m->hidden_dim > m->max_in) m->max_in = m->hidden_dim;
  if (m->expert_hidden > m->max_in) m->max_in = m->expert_hidden;
  for (uint32_t i = 0; i < h->n_tensors; i++) {
    const tllm_tensor_entry *e = &m->table[i];
    uint32_t kind, layer, expert, rows, cols;
    expected_entry(m, i, &kind, &layer, &expert, &rows, &cols);
    const char *kn = kind_names[kind];
    if (e->kind != kind || e->layer != layer || e->expert != expert)
      BAD("tensor %u: is kind %u layer %u expert %u, expected %s of layer %u expert %u (canonical order)", i, e->kind, e->layer, e->expert, kn, layer, expert);
    if (e->rows != rows || e->cols != cols)
      BAD("tensor %u (%s, layer %u): shape %ux%u, expected %ux%u from the header", i, kn, layer, e->rows, e->cols, rows, cols);
    if (e->precision > TLLM_INT2) BAD("tensor %u (%s, layer %u): precision code %u unknown (0 fp32, 1 int8, 2 int4, 3 int2)", i, kn, layer, e->precision);
    int must_fp32 = kind == TLLM_T_RMS_ATT || kind == TLLM_T_RMS_FFN || kind == TLLM_T_RMS_FINAL || kind == TLLM_T_ROUTER;
    if (must_fp32 && e->precision != TLLM_FP32) BAD("tensor %u (%s, layer %u): must be fp32", i, kn, layer);
    if (e->precision == TLLM_FP32) {
      if (e->group_size || e->flags) BAD("tensor %u (%s, layer %u): fp32 tensor with group_size %u / flags %u (fp32 tensors are never affine or on CIM)", i, kn, layer, e->group_size, e->flags);
    } else {
      if (!e->group_size || e->group_size > 65536u) BAD("tensor %u (%s, layer %u): group_size %u must be 1..65536", i, kn, layer, e->group_size);
      if (e->flags & ~(TLLM_TFLAG_AFFINE | TLLM_TFLAG_CIM)) BAD("tensor %u (%s, layer %u): unknown flags 0x%x", i, kn, layer, e->flags);
      if (!m->min_group || e->group_size < m->min_group) m->min_group = e->group_size;
    }
    uint32_t held0 = 0, held1 = rows; /* a share holds rows [held0, held1) */
    if (m->share_size) tllm_share_rows(m, i, m->share_rank, m->share_size, &held0, &held1);
    const uint32_t held = held1 - held0;
    uint64_t dbytes = (uint64_t)tllm_row_bytes(e->precision, cols) * held;
    if (e->data_bytes != dbytes) BAD("tensor %u (%s, layer %u): data_bytes %u, expected %lu%s", i, kn, layer, e->data_bytes, (unsigned long)dbytes, m->share_size ? " (the rows of this share)" : "");
    if (e->data_offset % TLLM_ALIGN || e->data_offset < h->data_offset || !range_ok(e->data_offset, dbytes, isz))
      BAD("tensor %u (%s, layer %u): data [%u, +%u) misaligned or outside the image (data starts at %u, image %u bytes)", i, kn, layer, e->data_offset, e->data_bytes, h->data_offset, isz);
    uint64_t sbytes = 0;
    if (e->precision != TLLM_FP32) {
      sbytes = (uint64_t)held * tllm_groups_per_row(cols, e->group_size) * 4u * ((e->flags & TLLM_TFLAG_AFFINE) ? 2u : 1u);
      if (e->scales_offset % TLLM_ALIGN || e->scales_offset < h->data_offset || !range_ok(e->scales_offset, sbytes, isz))
        BAD("tensor %u (%s, layer %u): scales at %u (%lu bytes) misaligned or outside the image", i, kn, layer, e->scales_offset, (unsigned long)sbytes);
    } else if (e->scales_offset) {
      BAD("tensor %u (%s, layer %u): fp32 tensor with scales_offset %u", i, kn, layer, e->scales_offset);
    }
    m->weight_bytes += dbytes + sbytes;
    m->n_params += (uint64_t)rows * cols;
  }
  /* tokenizer */
  uint32_t to = h->tokenizer_offset, ts = h->tokenizer_size, V = m->vocab_size;
  if (to % TLLM_ALIGN || to < TLLM_HEADER_SIZE || !range_ok(to, ts, isz) || ts < TLLM_TOK_HEADER_SIZE)
    BAD("model header: tokenizer [%u, +%u) misaligned or outside the %u-byte image", to, ts, isz);
  const uint32_t *th = (const uint32_t *)(const void *)(img + to);
  if (th[0] != V) BAD("tokenizer: vocab_size %u differs from the model's %u", th[0], V);
  m->max_token_length = th[1];
  if (!th[1] || th[1] > TLLM_MAX_TOKEN_LENGTH_LIMIT) BAD("tokenizer: max_token_length %u must be 1..%u", th[1], TLLM_MAX_TOKEN_LENGTH_LIMIT);
  uint64_t tables = TLLM_TOK_HEADER_SIZE + 12ull * V;
  if (th[2] < tables || th[2] > ts) BAD("tokenizer: strings_offset %u outside [%lu, %u]", th[2], (unsigned long)tables, ts);
  m->tok_offsets = th + 4;
  m->tok_scores = (const float *)(const void *)(th + 4 + V);
  m->tok_sorted = th + 4 + 2u * V;
  m->tok_strings = (const char *)img + to + th[2];
  uint32_t slen = ts - th[2];
  /* Every string first (offset inside the area, NUL-terminated there), then the sorted index, whose
   * entries name tokens in any order: comparing strings before all are checked would read outside. */
  for (uint32_t i = 0; i < V; i++) {
    uint32_t o = m->tok_offsets[i];
    if (o >= slen) BAD("tokenizer: token %u string offset %u outside the %u-byte string area", i, o, slen);
    const char *s = m->tok_strings + o;
    uint32_t L = 0;
    while (o + L < slen && s[L]) L++;
    if (o + L >= slen) BAD("tokenizer: token %u is not NUL-terminated inside the section", i);
    if (L > m->max_token_length) BAD("tokenizer: token %u is %u bytes, longer than max_token_length %u", i, L, m->max_token_length);
  }
  for (uint32_t i = 0; i < V; i++) {
    uint32_t id = m->tok_sorted[i];
    if (id >= V) BAD("tokenizer: sorted[%u] = %u outside the vocabulary", i, id);
    if (i > 0 && strcmp(m->tok_strings + m->tok_offsets[m->tok_sorted[i - 1]], m->tok_strings + m->tok_offsets[id]) > 0)
      BAD("tokenizer: sorted index not in byte order at entry %u", i);
  }
#undef BAD
  return TLLM_OK;
}

/* ---- memory plan ------------------------------------------------------------------------- */
/* Offsets are computed in 64 bits: on the MCU size_t has 32, and a large (or forged) header would wrap
 * them into a small plan whose regions overlap or run past the arena. Every factor is bounded by
 * tllm_model_open (at most 2^20, dim 2^16, layers 2^10), so no product below overflows 64 bits. */
static size_t take(uint64_t *off, uint64_t bytes) {
  uint64_t o = *off;
  *off += (bytes + TLLM_ALIGN - 1u) / TLLM_ALIGN * TLLM_ALIGN;
  return (uint64_t)o; /* truncated only in a plan that is refused below */
}

tllm_status tllm_plan_memory(tllm_plan *p, const tllm_model *m, const tllm_config *cfg,
                             size_t ram_budget, tllm_error *err) {
  if (!p || !m || !cfg) { tllm_errorf(err, TLLM_E_ARG, "tllm_plan_memory: NULL argument"); return TLLM_E_ARG; }
  memset(p, 0, sizeof *p);
  p->cfg = *cfg;
  uint32_t S = cfg->max_seq ? cfg->max_seq : m->seq_len;
  if (S > m->seq_len) {
    tllm_errorf(err, TLLM_E_ARG, "max_seq %u exceeds the model's seq_len %u", S, m->seq_len);
    return TLLM_E_ARG;
  }
  p->cfg.max_seq = S;
  uint32_t C = cfg->chunk ? cfg->chunk : 1u;
  if (C > S) C = S;
  p->cfg.chunk = C;
  uint64_t off = 0, f = sizeof(float);
  uint64_t hid = m->hidden_dim > m->expert_hidden ? m->hidden_dim : m->expert_hidden;
  /* per-position buffers, one per position of a prefill chunk */
  p->o_x = take(&off, (uint64_t)C * m->dim * f);
  p->o_xb = take(&off, (uint64_t)C * m->dim * f);
  p->o_xb2 = take(&off, (uint64_t)C * m->dim * f);
  p->o_q = take(&off, (uint64_t)C * m->dim * f);
  p->o_k = take(&off, (uint64_t)C * m->kv_dim * f);
  p->o_v = take(&off, (uint64_t)C * m->kv_dim * f);
  p->o_hb = take(&off, (uint64_t)C * hid * f);
  p->o_hb2 = take(&off, (uint64_t)C * hid * f);
  p->o_moe = take(&off, m->dim * f);
  p->o_att = take(&off, (uint64_t)m->n_heads * S * f);
  p->o_logits = take(&off, (uint64_t)C * m->vocab_size * f);
  uint32_t npad = tllm_round_up(m->max_in, TLLM_ROW_ALIGN_ELEMS);
  uint32_t ng = m->min_group ? (m->max_in + m->min_group - 1u) / m->min_group : 1u;
  p->aq_stride = npad;
  p->ag_stride = ng;
  p->o_aq = take(&off, (uint64_t)C * npad);
  p->o_as = take(&off, (uint64_t)C * ng * f);
  p->o_asum = take(&off, (uint64_t)C * ng * 4u);
  p->o_router = take(&off, ((uint64_t)m->n_experts + m->top_k) * f + (uint64_t)m->top_k * 4u);
  p->o_rope = take(&off, (uint64_t)S * m->head_size * f); /* [pos][head_size/2][cos, sin] */
  p->o_expert_calls = take(&off, (m->n_experts ? m->n_experts : 1u) * 4ull);
  p->o_layers = take(&off, (uint64_t)m->n_layers * sizeof(tllm_layer_views));
  p->hs4 = tllm_round_up(m->head_size, 4u);
  p->s16 = tllm_round_up(S, 16u);
  if (cfg->kv_int8) {
    p->o_qq = take(&off, (uint64_t)m->n_heads * p->hs4);
    p->o_qs = take(&off, m->n_heads * f);
    p->o_awq = take(&off, (uint64_t)m->n_heads * p->s16);
    p->o_aws = take(&off, m->n_heads * f);
    p->o_idot = take(&off, (uint64_t)(S > m->head_size ? S : m->head_size) * 4u * (cfg->parts ? cfg->parts : 1u)); /* one per part */
  }
  uint64_t act = off;
  uint64_t kv_elems = (uint64_t)m->n_layers * S * m->kv_dim;
  uint64_t kv0 = off;
  if (cfg->kv_int8) {
    uint64_t ns = (uint64_t)m->n_layers * S * m->n_kv_heads;
    p->o_kc = take(&off, (uint64_t)m->n_layers * m->n_kv_heads * S * p->hs4);     /* [l][kvh][pos][hs4] */
    p->o_vc = take(&off, (uint64_t)m->n_layers * m->n_kv_heads * m->head_size * p->s16); /* [l][kvh][i][s16] */
    p->o_kcs = take(&off, ns * f);
    p->o_vcs = take(&off, ns * f);
  } else {
    p->o_kc = take(&off, kv_elems * f);
    p->o_vc = take(&off, kv_elems * f);
  }
  uint64_t kv = off - kv0;
  uint64_t s0 = off;
  p->o_probidx = take(&off, cfg->greedy ? 0u : (uint64_t)m->vocab_size * 8u);
  uint64_t sampler = off - s0;
  if (off > ram_budget || off > (uint64_t)(size_t)-1) {
    tllm_errorf(err, TLLM_E_NOMEM,
                "memory plan needs %llu bytes of RAM (KV cache %llu for %u positions x %u layers x %u kv dims, %s; activations %llu; sampler %llu) but the budget is %llu bytes: reduce max_seq or use the INT8 KV cache",
                (unsigned long long)off, (unsigned long long)kv, S, m->n_layers, m->kv_dim,
                cfg->kv_int8 ? "int8" : "fp32", (unsigned long long)act,
                (unsigned long long)sampler, (unsigned long long)ram_budget);
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    return TLLM_E_NOMEM;
  }
  p->act_bytes = (size_t)act;
  p->kv_bytes = (size_t)kv;
  p->sampler_bytes = (size_t)sampler;
  p->total = (size_t)off;
  return TLLM_OK;
}

uint32_t tllm_logits_hash(uint32_t h, const float *logits, uint32_t n) {
  /* One step per float (not per byte). A NaN is hashed as the canonical quiet NaN 0x7fc00000: its sign
   * and payload differ between targets (x86 makes 0xffc00000, RISC-V always 0x7fc00000) while every
   * comparison treats them alike. */
  const uint32_t *w = (const uint32_t *)(const void *)logits;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v = w[i];
    if ((v & 0x7fffffffu) > 0x7f800000u) v = 0x7fc00000u;
    h = (h ^ v) * TLLM_FNV_PRIME;
  }
  return h;
}

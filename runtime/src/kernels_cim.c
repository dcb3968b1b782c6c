/* CIM backend of the tinyllm kernels (runtime/include/tinyllm/tllm_cim.h): placed tensors are
 * programmed into the MRAM CIM macros once, their matvecs run as cim_mvm() on the INT8 activations
 * and are combined per group with tllm_combine_group() exactly like the scalar/Xmac backends. */
#include <string.h>

#include "tinyllm/tllm_cim.h"

/* the kernels interface carries no context: the CIM context in use */
static tllm_cim *g_cim;

/* ---- placement --------------------------------------------------------------------------------- */
#define WCLS_BIT (1u << TLLM_T_WCLS)

static int word_eq(const char *s, size_t n, const char *w) { return strlen(w) == n && !strncmp(s, w, n); }

static int parse_uint(const char *s, size_t n, uint32_t *v) {
  uint32_t x = 0;
  if (!n || n > 9) return 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    x = x * 10u + (uint32_t)(s[i] - '0');
  }
  *v = x;
  return 1;
}

tllm_status tllm_cim_parse_place(const char *spec, tllm_cim_place *p, tllm_error *err) {
  if (!spec || !p) { tllm_errorf(err, TLLM_E_ARG, "CIM placement: NULL argument"); return TLLM_E_ARG; }
  memset(p, 0, sizeof *p);
  p->layer_hi = 0xFFFFFFFFu;
  size_t len = strlen(spec);
  const char *colon = strchr(spec, ':');
  if (colon) {
    const char *l = colon + 1, *dash = strchr(l, '-');
    size_t ln = strlen(l);
    int ok = dash ? parse_uint(l, (size_t)(dash - l), &p->layer_lo) && parse_uint(dash + 1, ln - (size_t)(dash - l) - 1u, &p->layer_hi)
                  : parse_uint(l, ln, &p->layer_lo);
    if (!dash) p->layer_hi = p->layer_lo;
    if (!ok || p->layer_lo > p->layer_hi) {
      tllm_errorf(err, TLLM_E_ARG, "CIM placement '%s': layers '%s' should be N or A-B with A <= B", spec, l);
      return TLLM_E_ARG;
    }
    len = (size_t)(colon - spec);
  }
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && spec[j] != ',') j++;
    const char *w = spec + i;
    size_t n = j - i;
    if (word_eq(w, n, "wq")) p->kinds |= 1u << TLLM_T_WQ;
    else if (word_eq(w, n, "wk")) p->kinds |= 1u << TLLM_T_WK;
    else if (word_eq(w, n, "wv")) p->kinds |= 1u << TLLM_T_WV;
    else if (word_eq(w, n, "wo")) p->kinds |= 1u << TLLM_T_WO;
    else if (word_eq(w, n, "w1")) p->kinds |= (1u << TLLM_T_W1) | (1u << TLLM_T_EXP_W1) | (1u << TLLM_T_SHX_W1);
    else if (word_eq(w, n, "w2")) p->kinds |= (1u << TLLM_T_W2) | (1u << TLLM_T_EXP_W2) | (1u << TLLM_T_SHX_W2);
    else if (word_eq(w, n, "w3")) p->kinds |= (1u << TLLM_T_W3) | (1u << TLLM_T_EXP_W3) | (1u << TLLM_T_SHX_W3);
    else if (word_eq(w, n, "wcls")) p->kinds |= WCLS_BIT;
    else if (word_eq(w, n, "attn")) p->kinds |= TLLM_CIM_KINDS_ATTN;
    else if (word_eq(w, n, "ffn")) p->kinds |= TLLM_CIM_KINDS_FFN;
    else if (word_eq(w, n, "all")) p->kinds |= TLLM_CIM_KINDS_ATTN | TLLM_CIM_KINDS_FFN | WCLS_BIT;
    else if (word_eq(w, n, "none")) { /* nothing */ }
    else if (word_eq(w, n, "image")) p->from_image = 1;
    else {
      char word[24];
      size_t k = n < sizeof word - 1u ? n : sizeof word - 1u;
      memcpy(word, w, k);
      word[k] = '\0';
      tllm_errorf(err, TLLM_E_ARG, "CIM placement '%s': unknown tensor '%s' (expected wq wk wv wo w1 w2 w3 wcls attn ffn all none image, comma-separated, optionally :LAYERS)", spec, word);
      return TLLM_E_ARG;
    }
    i = j + 1u;
  }
  return TLLM_OK;
}

int tllm_cim_placed(const tllm_model *m, const tllm_cim_place *p, uint32_t index, int is_classifier) {
  if (index >= m->hdr->n_tensors) return 0;
  const tllm_tensor_entry *e = &m->table[index];
  if (e->precision == TLLM_FP32) return 0;
  if (p->from_image) return (e->flags & TLLM_TFLAG_CIM) != 0;
  if (e->kind == TLLM_T_TOK_EMB) return is_classifier && m->shared_classifier && (p->kinds & WCLS_BIT);
  if (e->kind == TLLM_T_WCLS) return (p->kinds & WCLS_BIT) != 0;
  return (p->kinds >> e->kind & 1u) && e->layer >= p->layer_lo && e->layer <= p->layer_hi;
}

static int is_matrix_entry(const tllm_model *m, uint32_t i) {
  uint32_t k = m->table[i].kind;
  return k != TLLM_T_RMS_ATT && k != TLLM_T_RMS_FFN && k != TLLM_T_RMS_FINAL && k != TLLM_T_ROUTER &&
         (k != TLLM_T_TOK_EMB || m->shared_classifier);
}

uint32_t tllm_cim_macros_needed(const tllm_model *m, const tllm_cim_place *p, const cim_macro *geometry,
                                tllm_error *err) {
  uint32_t need = 0;
  for (uint32_t i = 0; i < m->hdr->n_tensors; i++) {
    if (!is_matrix_entry(m, i) || !tllm_cim_placed(m, p, i, 1)) continue;
    const tllm_tensor_entry *e = &m->table[i];
    uint32_t wbits = tllm_prec_bits(e->precision);
    if (!cim_ref_valid_wbits(&geometry->arr, wbits)) {
      tllm_errorf(err, TLLM_E_UNSUPPORTED, "tensor %u (kind %u, layer %u) is INT%u, which the CIM macro (%u-bit cells) cannot hold", i, e->kind, e->layer, wbits, geometry->arr.cell_bits);
      return 0;
    }
    need += cim_tiles_needed(geometry, e->rows, e->cols, wbits);
  }
  return need;
}

static size_t up16(size_t x) { return (x + 15u) & ~(size_t)15u; }

size_t tllm_cim_mem_bytes(const tllm_model *m, const tllm_cim_place *p) {
  size_t scratch = 0, rows = 1;
  uint32_t n = m->hdr->n_tensors;
  for (uint32_t i = 0; i < n; i++) {
    if (!is_matrix_entry(m, i) || !tllm_cim_placed(m, p, i, 1)) continue;
    const tllm_tensor_entry *e = &m->table[i];
    if ((size_t)e->rows * e->cols > scratch) scratch = (size_t)e->rows * e->cols;
    if (e->rows > rows) rows = e->rows;
  }
  return up16(n * sizeof(cim_matrix)) + up16(n) + up16(rows * sizeof(int32_t)) +
         2u * up16(tllm_round_up(m->max_in, TLLM_ROW_ALIGN_ELEMS)) + up16(scratch);
}

/* signed element j of a packed quantized row */
static int8_t qelem(const uint8_t *row, uint32_t prec, uint32_t j) {
  switch (prec) {
    case TLLM_INT8: return (int8_t)row[j];
    case TLLM_INT4: { int32_t v = (row[j >> 1] >> (4u * (j & 1u))) & 0xF; return (int8_t)(v >= 8 ? v - 16 : v); }
    default: { int32_t v = (row[j >> 2] >> (2u * (j & 3u))) & 0x3; return (int8_t)(v >= 2 ? v - 4 : v); }
  }
}

static const char *kind_short(uint32_t k) {
  static const char *const n[TLLM_T_KIND_COUNT] = {"wcls", "", "wq", "wk", "wv", "wo", "", "w1", "w2", "w3", "", "wcls", "", "expert.w1", "expert.w2", "expert.w3", "shared.w1", "shared.w2", "shared.w3"};
  return k < TLLM_T_KIND_COUNT ? n[k] : "?";
}

tllm_status tllm_cim_attach(tllm_state *s, tllm_cim *c, const tllm_cim_options *o, void *mem,
                            size_t mem_bytes, tllm_error *err) {
  if (!s || !c || !o || !mem || (!o->macros && o->n_macros)) { tllm_errorf(err, TLLM_E_ARG, "tllm_cim_attach: NULL argument"); return TLLM_E_ARG; }
  const tllm_model *m = s->m;
  memset(c, 0, sizeof *c);
  c->macros = o->macros;
  c->n_macros = o->n_macros;
  c->abits = 8;
  c->fallback = tllm_get_backend(o->fallback);
  if (!c->fallback || o->fallback == TLLM_BACKEND_CIM) {
    tllm_errorf(err, TLLM_E_BACKEND, "CIM fallback backend '%s' is not available (use scalar or xmac)", tllm_backend_name(o->fallback));
    return TLLM_E_BACKEND;
  }
  size_t need_mem = tllm_cim_mem_bytes(m, &o->place);
  if (((uintptr_t)mem & 15u) || mem_bytes < need_mem) {
    tllm_errorf(err, TLLM_E_NOMEM, "CIM context needs %lu bytes (16-aligned), got %lu", (unsigned long)need_mem, (unsigned long)mem_bytes);
    return TLLM_E_NOMEM;
  }
  uint32_t n = m->hdr->n_tensors;
  uint8_t *a = (uint8_t *)mem;
  c->n_entries = n;
  c->mats = (cim_matrix *)(void *)a; a += up16(n * sizeof(cim_matrix));
  c->placed = a; a += up16(n);
  memset(c->placed, 0, n);

  /* capacity first: one clear message, nothing programmed */
  uint32_t need = 0, per_kind[TLLM_T_KIND_COUNT] = {0};
  size_t max_rows = 1;
  for (uint32_t i = 0; i < n; i++) {
    if (!is_matrix_entry(m, i) || !tllm_cim_placed(m, &o->place, i, 1)) continue;
    if (!o->n_macros) break;
    const tllm_tensor_entry *e = &m->table[i];
    uint32_t wbits = tllm_prec_bits(e->precision);
    if (!cim_ref_valid_wbits(&o->macros[0].arr, wbits)) {
      tllm_errorf(err, TLLM_E_UNSUPPORTED, "tensor %u (%s, layer %u) is INT%u, which the CIM macro (%u-bit cells) cannot hold", i, kind_short(e->kind), e->layer, wbits, o->macros[0].arr.cell_bits);
      return TLLM_E_UNSUPPORTED;
    }
    uint32_t t = cim_tiles_needed(&o->macros[0], e->rows, e->cols, wbits);
    need += t;
    per_kind[e->kind] += t;
    c->placed[i] = 1;
    c->n_placed++;
    if (e->rows > max_rows) max_rows = e->rows;
  }
  if (!o->n_macros || need > o->n_macros) {
    if (!o->n_macros) need = 0;
    tllm_error tmp;
    char list[120];
    size_t L = 0;
    list[0] = '\0';
    for (uint32_t k = 0; k < TLLM_T_KIND_COUNT; k++) {
      if (!per_kind[k]) continue;
      tllm_errorf(&tmp, TLLM_E_ARG, "%s%s %u", L ? ", " : "", kind_short(k), per_kind[k]);
      size_t l2 = strlen(tmp.msg);
      if (L + l2 + 1u < sizeof list) { memcpy(list + L, tmp.msg, l2 + 1u); L += l2; }
    }
    const cim_ref_array *ar = o->n_macros ? &o->macros[0].arr : 0;
    tllm_errorf(err, TLLM_E_CIM_CAPACITY, "the tensors placed on CIM need %u macros (%s) but %u are available (%ux%u arrays)", need, list, o->n_macros, ar ? ar->rows : 0u, ar ? ar->cols : 0u);
    return TLLM_E_CIM_CAPACITY;
  }
  c->y = (int32_t *)(void *)a; a += up16(max_rows * sizeof(int32_t));
  c->x = (int8_t *)(void *)a; a += up16(tllm_round_up(m->max_in, TLLM_ROW_ALIGN_ELEMS));
  c->xd = (int8_t *)(void *)a; a += up16(tllm_round_up(m->max_in, TLLM_ROW_ALIGN_ELEMS));
  int8_t *scratch = (int8_t *)(void *)a;
  uint32_t first = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!c->placed[i]) continue;
    const tllm_tensor_entry *e = &m->table[i];
    uint32_t rb = tllm_row_bytes(e->precision, e->cols);
    const uint8_t *data = m->image + e->data_offset;
    for (uint32_t r = 0; r < e->rows; r++)
      for (uint32_t j = 0; j < e->cols; j++) scratch[(size_t)r * e->cols + j] = qelem(data + (size_t)r * rb, e->precision, j);
    int rc = cim_load(o->macros, o->n_macros, first, scratch, e->rows, e->cols, tllm_prec_bits(e->precision), &c->mats[i]);
    if (rc != CIM_OK) {
      tllm_errorf(err, TLLM_E_BACKEND, "programming tensor %u (%s, layer %u) into CIM macros %u.. failed: driver error %d", i, kind_short(e->kind), e->layer, first, rc);
      return TLLM_E_BACKEND;
    }
    first += c->mats[i].tiles_in * c->mats[i].tiles_out;
  }
  c->used_macros = first;
  if (o->windows) {
    const tllm_cimw_set *set = tllm_cim_find_windows(m, &o->macros[0], c->abits, err);
    if (!set) return TLLM_E_CIM_WINDOWS;
    const uint8_t *sec = m->image + m->hdr->cim_offset;
    const uint32_t *dir = (const uint32_t *)(const void *)(sec + set->dir_offset);
    const uint32_t words = set->n_groups * set->n_passes;
    for (uint32_t i = 0; i < n; i++) {
      if (!c->placed[i]) continue;
      const tllm_tensor_entry *e = &m->table[i];
      const cim_matrix *mat = &c->mats[i];
      const uint32_t tiles = mat->tiles_in * mat->tiles_out;
      if (!dir[i]) {
        tllm_errorf(err, TLLM_E_CIM_WINDOWS, "CIM windows: the image has none for tensor %u (%s, layer %u) at rows_per_pass %u (pack it with --cim for this tensor)", i, kind_short(e->kind), e->layer, set->rows_per_pass);
        return TLLM_E_CIM_WINDOWS;
      }
      if (dir[i] % 4u || (uint64_t)dir[i] + (uint64_t)tiles * words * 4u > m->hdr->cim_size) {
        tllm_errorf(err, TLLM_E_CIM_WINDOWS, "CIM windows of tensor %u: block at %u (%u tiles x %u words) outside the %u-byte section", i, dir[i], tiles, words, m->hdr->cim_size);
        return TLLM_E_CIM_WINDOWS;
      }
      const uint32_t *blk = (const uint32_t *)(const void *)(sec + dir[i]);
      for (uint32_t t = 0; t < tiles; t++) {
        int rc = cim_set_windows(&o->macros[mat->first + t], blk + (size_t)t * words, set->n_groups, set->n_passes);
        if (rc != CIM_OK) {
          tllm_errorf(err, TLLM_E_CIM_WINDOWS, "CIM windows of tensor %u (%s, layer %u), tile %u: driver error %d (%s)", i, kind_short(e->kind), e->layer, t, rc,
                      rc == CIM_ERR_WINDOW ? "a window outside the ADC range" : "see cim_ref.h");
          return TLLM_E_CIM_WINDOWS;
        }
      }
    }
    c->windows_set = 1;
  }
  c->power_gate = o->power_gate;
  if (c->power_gate)
    for (uint32_t i = 0; i < first; i++) {
      int rc = cim_power(&o->macros[i], CIM_POWER_OFF);
      if (rc != CIM_OK) {
        tllm_errorf(err, TLLM_E_BACKEND, "CIM macro %u: power-off request failed: driver error %d", i, rc);
        return TLLM_E_BACKEND;
      }
    }
  g_cim = c;
  tllm_register_backend(TLLM_BACKEND_CIM, &tllm_kernels_cim);
  s->kern = &tllm_kernels_cim;
  return TLLM_OK;
}

int tllm_cim_error(const tllm_cim *c) { return c ? c->error : 0; }

const tllm_cimw_set *tllm_cim_find_windows(const tllm_model *m, const cim_macro *g, uint32_t abits, tllm_error *err) {
  const tllm_header *h = m->hdr;
  if (!(h->flags & TLLM_FLAG_CIM_WINDOWS)) {
    tllm_errorf(err, TLLM_E_CIM_WINDOWS, "CIM windows: the image has no CIM window section (pack it with mcucim-pack --cim ... --cim-windows)");
    return 0;
  }
  const uint8_t *sec = m->image + h->cim_offset;
  const uint32_t *w = (const uint32_t *)(const void *)sec;
  const uint32_t n_sets = w[1];
  if (w[2] != h->n_tensors || (uint64_t)16u + (uint64_t)n_sets * TLLM_CIMW_SET_SIZE > h->cim_size) {
    tllm_errorf(err, TLLM_E_CIM_WINDOWS, "CIM window section: %u sets for %u tensors does not fit its %u bytes (image has %u tensors)", n_sets, w[2], h->cim_size, h->n_tensors);
    return 0;
  }
  char have[96];
  size_t L = 0;
  have[0] = '\0';
  const uint32_t passes = cim_ref_passes(abits, g->arr.dac_bits);
  for (uint32_t i = 0; i < n_sets; i++) {
    const tllm_cimw_set *s = (const tllm_cimw_set *)(const void *)(sec + 16u + i * TLLM_CIMW_SET_SIZE);
    if (s->rows == g->arr.rows && s->cols == g->arr.cols && s->cell_bits == g->arr.cell_bits &&
        s->dac_bits == g->arr.dac_bits && s->rows_per_pass == g->arr.rows_per_pass && s->win_cols == g->arr.win_cols &&
        s->abits == abits && s->n_passes == passes && s->n_groups == g->arr.cols / g->arr.win_cols) {
      if (s->dir_offset % 4u || (uint64_t)s->dir_offset + (uint64_t)h->n_tensors * 4u > h->cim_size) {
        tllm_errorf(err, TLLM_E_CIM_WINDOWS, "CIM window set %u: tensor directory at %u outside the %u-byte section", i, s->dir_offset, h->cim_size);
        return 0;
      }
      return s;
    }
    tllm_error tmp;
    tllm_errorf(&tmp, TLLM_E_ARG, "%s%ux%u/%u", L ? ", " : "", s->rows, s->cols, s->rows_per_pass);
    size_t l2 = strlen(tmp.msg);
    if (L + l2 + 1u < sizeof have) { memcpy(have + L, tmp.msg, l2 + 1u); L += l2; }
  }
  tllm_errorf(err, TLLM_E_CIM_WINDOWS, "CIM windows: none for these macros (%ux%u, %u-bit cells, rows_per_pass %u, %u columns per window group); the image has rows x cols/rows_per_pass: %s",
              g->arr.rows, g->arr.cols, g->arr.cell_bits, g->arr.rows_per_pass, g->arr.win_cols, L ? have : "none");
  return 0;
}

/* ---- matvec ------------------------------------------------------------------------------------ */
static void matvec_q_cim(float *out, const tllm_tensor *w, const tllm_qact *a) {
  tllm_cim *c = g_cim;
  if (!c || w->index >= c->n_entries || !c->placed[w->index]) {
    (c ? c->fallback : &tllm_kernels_scalar)->matvec_q(out, w, a);
    return;
  }
  const cim_matrix *mat = &c->mats[w->index];
  uint32_t n = w->cols, G = w->group, ng = w->ngroups;
  for (uint32_t r = 0; r < w->rows; r++) out[r] = 0.0f;
  for (uint32_t g = 0; g < ng; g++) {
    uint32_t lo = g * G, hi = lo + G < n ? lo + G : n;
    const int8_t *x = a->q;
    int any = 0;
    for (uint32_t j = lo; j < hi && !any; j++) any = a->q[j] != 0;
    if (!any) {
      for (uint32_t r = 0; r < w->rows; r++) c->y[r] = 0;
    } else {
      if (ng > 1) { /* one MVM per group: the inputs outside the group are zero */
        memset(c->x, 0, n);
        memcpy(c->x + lo, a->q + lo, hi - lo);
        x = c->x;
      }
      int rc = c->error ? c->error : cim_mvm(c->macros, mat, x, c->abits, c->y);
      c->mvms++;
      if (rc != CIM_OK) {
        if (!c->error) c->error = rc;
        for (uint32_t r = 0; r < w->rows; r++) c->y[r] = 0;
      }
    }
    for (uint32_t r = 0; r < w->rows; r++) {
      const float *sc = w->scales + (size_t)r * ng;
      const float *of = w->offsets ? w->offsets + (size_t)r * ng : 0;
      out[r] = tllm_combine_group(out[r], c->y[r], a->sum[g], sc[g], of ? &of[g] : 0, a->scale[g]);
    }
  }
  if (c->power_gate && !c->error) {
    int rc = cim_matrix_power(c->macros, mat, CIM_POWER_OFF);
    if (rc != CIM_OK) c->error = rc;
  }
}

/* Batched (prefill chunk): the weights stay in the macros, so one MVM per vector; each vector is
 * de-interleaved into c->xd first (tllm_qact layout). Tensors not on CIM use the fallback's matmul. */
static void matmul_q_cim(float *out, uint32_t out_stride, const tllm_tensor *w, const tllm_qact *a) {
  tllm_cim *c = g_cim;
  if (!c || w->index >= c->n_entries || !c->placed[w->index]) {
    (c ? c->fallback : &tllm_kernels_scalar)->matmul_q(out, out_stride, w, a);
    return;
  }
  uint32_t nb = a->nb ? a->nb : 1u, npad = tllm_round_up(w->cols, TLLM_ROW_ALIGN_ELEMS);
  for (uint32_t b = 0; b < nb; b++) {
    for (uint32_t j = 0; j < npad; j++) c->xd[j] = a->q[((j >> 2) * nb + b) * 4u + (j & 3u)];
    tllm_qact one = {c->xd, a->scale + (size_t)b * w->ngroups, a->sum + (size_t)b * w->ngroups, a->n, a->group, w->ngroups, 1u};
    matvec_q_cim(out + (size_t)b * out_stride, w, &one);
  }
}

/* Attention (K and V change every position, so they are not programmed into the macros): the
 * fallback's integer dot products. */
static void dot_i8_cim(int32_t *out, const int8_t *rows, uint32_t stride, uint32_t nrows, const int8_t *x, uint32_t len) {
  tllm_cim *c = g_cim;
  (c ? c->fallback : &tllm_kernels_scalar)->dot_i8(out, rows, stride, nrows, x, len);
}

const tllm_kernels tllm_kernels_cim = {"cim", matvec_q_cim, matmul_q_cim, dot_i8_cim};

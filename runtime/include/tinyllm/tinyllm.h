/* tinyllm: a freestanding Llama-architecture inference runtime (C11).
 *
 * Flow:  tllm_model_open(image)  -> tllm_plan_memory(model, config, RAM budget)
 *        -> tllm_state_init(arena) -> tllm_forward(token, pos) per position -> logits
 *        (or tllm_forward_chunk(tokens, n, pos) for n prompt positions at once: batched prefill)
 * plus the tokenizer (tllm_encode / tllm_decode) and sampler (tllm_sampler_*), all reading the image in
 * place (no copies, no malloc: every buffer comes from the caller's arena, sized by the plan).
 * The only library functions used are memcpy/memset/strlen/strcmp; exp/sin/cos/sqrt are the runtime's
 * own (tllm_math.h). Build with -ffp-contract=off on host and target so both round identically.
 *
 * Two arithmetic paths: a model whose tensors are all fp32, with the fp32 KV cache, runs llama2.c's
 * arithmetic (the reference path: exact expf, RMSNorm then matvec, fp32 attention). Any quantized tensor
 * or the INT8 KV cache selects the quantized path: RMSNorm fused with the INT8 activation quantization,
 * tllm_expf_fast in softmax and SiLU, and with the INT8 KV cache quantized attention (q per head INT8,
 * q.k and the attention-weighted sum of V as integer dot products on the backend's dot_i8 kernel). */
#ifndef TINYLLM_TINYLLM_H
#define TINYLLM_TINYLLM_H
#include <stddef.h>
#include <stdint.h>

#include "tinyllm/format.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tllm_status {
  TLLM_OK = 0,
  TLLM_E_ARG,            /* bad argument (NULL, out of range) */
  TLLM_E_TRUNCATED,      /* image shorter than its header or its size field says */
  TLLM_E_MAGIC,          /* not a tinyllm image */
  TLLM_E_VERSION,        /* unsupported format version */
  TLLM_E_CHECKSUM,       /* payload checksum mismatch */
  TLLM_E_CORRUPT,        /* inconsistent header, tensor table or tokenizer */
  TLLM_E_NOMEM,          /* memory plan exceeds the RAM budget / arena */
  TLLM_E_PROMPT_TOO_LONG,/* prompt needs more positions than max_seq */
  TLLM_E_BACKEND,        /* backend not available */
  TLLM_E_UNSUPPORTED,    /* valid image using something this runtime does not implement */
  TLLM_E_CIM_CAPACITY,   /* the tensors placed on CIM need more macros than available */
  TLLM_E_CIM_WINDOWS     /* CIM ADC windows asked for but missing from the image (or not for these macros) */
} tllm_status;

typedef struct tllm_error {
  tllm_status code;
  char msg[224];
} tllm_error;

const char *tllm_status_name(tllm_status s);

/* A view of one tensor of the image (pointers into the image). */
typedef struct tllm_tensor {
  const void *data;      /* fp32: rows*cols floats; quantized: rows * row_bytes packed */
  const float *scales;   /* rows * ngroups (NULL for fp32) */
  const float *offsets;  /* rows * ngroups when affine, else NULL */
  uint32_t rows, cols, group, ngroups, row_bytes;
  uint32_t prec;         /* enum tllm_precision */
  uint32_t index;        /* position in the tensor table */
} tllm_tensor;

typedef struct tllm_model {
  const uint8_t *image;
  uint32_t size;
  const tllm_header *hdr;
  const tllm_tensor_entry *table;
  uint32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, head_size, kv_dim, vocab_size, seq_len;
  uint32_t n_experts, n_shared, top_k, expert_hidden;
  int shared_classifier;
  uint32_t share_rank, share_size; /* TLLM_FLAG_SHARE: a tensor-parallel share (size 0: the whole model) */
  uint32_t tensors_per_layer;
  uint32_t min_group;    /* smallest group size of any quantized tensor (0 if all fp32) */
  uint32_t max_in;       /* longest matvec input (max of dim, hidden, expert_hidden) */
  uint64_t weight_bytes; /* bytes of tensor data + scales */
  uint64_t n_params;
  /* tokenizer view */
  uint32_t max_token_length;
  const uint32_t *tok_offsets;
  const float *tok_scores;
  const uint32_t *tok_sorted;
  const char *tok_strings;
} tllm_model;

#define TLLM_OPEN_SKIP_CHECKSUM 1u /* e.g. firmware that trusts its flash and wants a fast start */

/* Validates everything (magic, version, sizes, checksum, every tensor's shape/offsets/alignment,
 * canonical order, tokenizer). image must be 16-byte aligned. */
tllm_status tllm_model_open(tllm_model *m, const void *image, size_t size, unsigned flags,
                            tllm_error *err);
/* Canonical table index of a tensor; the returned view is valid while the image is. */
tllm_tensor tllm_model_tensor(const tllm_model *m, uint32_t kind, uint32_t layer, uint32_t expert);
/* The rows [*r0, *r1) of tensor table entry `index` that rank `rank` of `size` computes in
 * tllm_forward_tp (a share image, TLLM_FLAG_SHARE, holds exactly these): wq by the rank's kv-head group,
 * wk/wv its kv heads, wo/w2 a slice of dim, w1/w3 of hidden_dim, the embedding and classifier of the
 * vocabulary; norms whole. Needs m's dimensions only (dense models). */
void tllm_share_rows(const tllm_model *m, uint32_t index, uint32_t rank, uint32_t size, uint32_t *r0, uint32_t *r1);
const tllm_tensor_entry *tllm_model_entry(const tllm_model *m, uint32_t kind, uint32_t layer,
                                          uint32_t expert);

/* ---- memory plan -------------------------------------------------------------------------- */
typedef struct tllm_config {
  uint32_t max_seq;  /* positions to plan for (0 = model seq_len; must be <= seq_len) */
  int kv_int8;       /* 1: KV cache as INT8 with a scale per (position, kv head), quantized attention */
  uint32_t chunk;    /* most positions per tllm_forward_chunk call (batched prefill); 0 = 1 */
  int greedy;        /* 1: only temperature 0 (argmax) will be sampled: no top-p buffer (vocab x 8 bytes) */
  uint32_t parts;    /* harts the forward pass may be split across (tllm_cluster.h): scratch per part; 0 = 1 */
} tllm_config;

typedef struct tllm_plan {
  tllm_config cfg;
  size_t total;        /* bytes of the arena needed (all regions, 16-aligned) */
  size_t kv_bytes, act_bytes, sampler_bytes;
  /* offsets into the arena */
  size_t o_x, o_xb, o_xb2, o_q, o_k, o_v, o_hb, o_hb2, o_moe, o_att, o_logits, o_kc, o_vc, o_kcs,
      o_vcs, o_aq, o_as, o_asum, o_router, o_rope, o_probidx, o_expert_calls;
  /* quantized attention (kv_int8): q per head, attention weights per head, their scales, dot products */
  size_t o_qq, o_qs, o_awq, o_aws, o_idot;
  size_t o_layers;     /* per-layer tensor views (tllm_layer_views), resolved once */
  uint32_t hs4;        /* head_size rounded up to 4: the INT8 K cache row (and q) in bytes */
  uint32_t s16;        /* max_seq rounded up to 16: the INT8 V cache row (V transposed) in bytes */
  uint32_t aq_stride;  /* bytes of one quantized activation vector (longest input, padded to 16) */
  uint32_t ag_stride;  /* groups of one quantized activation vector (scales/sums per vector) */
} tllm_plan;

tllm_status tllm_plan_memory(tllm_plan *p, const tllm_model *m, const tllm_config *cfg,
                             size_t ram_budget, tllm_error *err);

/* ---- kernels ------------------------------------------------------------------------------- */
typedef enum tllm_backend { TLLM_BACKEND_SCALAR = 0, TLLM_BACKEND_XMAC = 1, TLLM_BACKEND_CIM = 2,
                            TLLM_BACKEND_COUNT = 3 } tllm_backend;

/* Activation vectors quantized per group to INT8 for one group size: scale = max|x|/127 over the
 * group, q = nearest(x * 127/max|x|) (ties away from zero), sum = the group's sum of q. Each vector is
 * padded with zeros to a multiple of 16 elements. One vector (nb = 0 or 1): q, scale[g], sum[g]. nb
 * vectors of a prompt chunk (matmul_q): their 32-bit words interleaved, word i of vector b at
 * ((const uint32_t *)q)[i * nb + b]; scale[b * ngroups + g], sum[b * ngroups + g]. */
typedef struct tllm_qact {
  const int8_t *q;
  const float *scale;
  const int32_t *sum;
  uint32_t n, group, ngroups;
  uint32_t nb;
} tllm_qact;

/* One backend (scalar C, Xmac, CIM). Every backend must produce the same bits: integer dot products
 * are exact, and the float combination is tllm_combine_group() in group order.
 *   matvec_q: out[r] = sum_g combine(intdot(row r, group g), scales), r < w->rows (one vector);
 *   matmul_q: the same for a->nb vectors, out[b * out_stride + r], each output the bits matvec_q gives
 *             for vector b; every weight word is read once for all nb vectors (batched prefill);
 *   dot_i8:   out[r] = sum_{i < len} rows[r * stride + i] * x[i] for r < nrows, exact int32 (quantized
 *             attention: q.k against the INT8 K cache, attention weights against the transposed INT8 V
 *             cache); len and stride multiples of 4, rows and x 4-byte aligned. */
typedef struct tllm_kernels {
  const char *name;
  void (*matvec_q)(float *out, const tllm_tensor *w, const tllm_qact *a);
  void (*matmul_q)(float *out, uint32_t out_stride, const tllm_tensor *w, const tllm_qact *a);
  void (*dot_i8)(int32_t *out, const int8_t *rows, uint32_t stride, uint32_t nrows, const int8_t *x,
                 uint32_t len);
} tllm_kernels;

extern const tllm_kernels tllm_kernels_scalar;
extern const tllm_kernels tllm_kernels_xmac;
/* Slot for the CIM driver (runtime/include/cim.h, added later): register it at start-up. */
void tllm_register_backend(tllm_backend b, const tllm_kernels *k);
const tllm_kernels *tllm_get_backend(tllm_backend b); /* NULL if not available */
const char *tllm_backend_name(tllm_backend b);

/* The float combination shared by every backend (order matters for bit-exactness). */
static inline float tllm_combine_group(float acc, int32_t idot, int32_t asum, float wscale,
                                       const float *woffset, float ascale) {
  float v = ((float)idot * wscale) * ascale;
  if (woffset) v = v + ((float)asum * *woffset) * ascale;
  return acc + v;
}

void tllm_quantize_act(int8_t *q, float *scale, int32_t *sum, const float *x, uint32_t n,
                       uint32_t group);
/* The same for vector b of nb interleaved vectors (tllm_qact): scale/sum at [b * ngroups]. */
void tllm_quantize_act_nb(int8_t *q, float *scale, int32_t *sum, const float *x, uint32_t n,
                          uint32_t group, uint32_t nb, uint32_t b);
/* Fused RMSNorm + quantization: o[j] = w[j] * (x[j] / sqrt(mean(x^2) + eps)) (llama2.c's rmsnorm, o
 * may be x) and o quantized as tllm_quantize_act_nb would (the same bits as the two calls). */
void tllm_rmsnorm_quant(float *o, int8_t *q, float *scale, int32_t *sum, const float *x,
                        const float *w, uint32_t n, float eps, uint32_t group, uint32_t nb, uint32_t b);
void tllm_rmsnorm(float *o, const float *x, const float *w, uint32_t n, float eps);
/* Parts of the three above for a cluster's harts (tllm_cluster.h): only the groups [g0, g1) (elements
 * [lo, hi)) are written, each with the bits the whole call gives it (the sum of squares is over all of
 * x, in the same order); the zero padding after the last element comes with the last group. */
void tllm_quantize_act_groups(int8_t *q, float *scale, int32_t *sum, const float *x, uint32_t n,
                              uint32_t group, uint32_t nb, uint32_t b, uint32_t g0, uint32_t g1);
void tllm_rmsnorm_quant_groups(float *o, int8_t *q, float *scale, int32_t *sum, const float *x, const float *w,
                               uint32_t n, float eps, uint32_t group, uint32_t nb, uint32_t b, uint32_t g0,
                               uint32_t g1);
void tllm_rmsnorm_range(float *o, const float *x, const float *w, uint32_t n, float eps, uint32_t lo, uint32_t hi);
/* One vector quantized with one scale: q[i * stride] = nearest(x[i] * 127/max|x|) for i < n; returns
 * the scale max|x|/127 (q all zero when max|x| is ~0; q all zero and scale 0 when x holds an infinity or
 * a NaN). The INT8 KV cache and q of the quantized attention. */
float tllm_quantize_vec(int8_t *q, uint32_t stride, const float *x, uint32_t n);
void tllm_matvec_f32(float *out, const tllm_tensor *w, const float *x);
/* nb vectors x[b * x_stride], out[b * out_stride]: each row read once, the same bits as tllm_matvec_f32 */
void tllm_matmul_f32(float *out, uint32_t out_stride, const tllm_tensor *w, const float *x,
                     uint32_t x_stride, uint32_t nb);
/* element j of row r of a tensor, dequantized (for embeddings and tests) */
void tllm_dequant_row(float *out, const tllm_tensor *w, uint32_t r);
/* Elements [lo, hi) of the same (the bits of the whole call). */
void tllm_dequant_row_range(float *out, const tllm_tensor *w, uint32_t r, uint32_t lo, uint32_t hi);

/* ---- run state ----------------------------------------------------------------------------- */
/* Regions (simctrl marks): token (one tllm_forward call) or chunk (one tllm_forward_chunk call of more
 * than one position) > embed, attention > {qkv, scores, softmax, weighted_sum, out_proj}, ffn >
 * expert<e>, classifier; dma_wait anywhere. MACs are declared by the innermost region doing them. */
enum { TLLM_REGION_TOKEN = 0x101, TLLM_REGION_ATTENTION = 0x102, TLLM_REGION_FFN = 0x103,
       TLLM_REGION_CLASSIFIER = 0x104, TLLM_REGION_EMBED = 0x105,
       TLLM_REGION_DMA_WAIT = 0x106,     /* the CPU waits for a weight DMA (tllm_stream.h) */
       TLLM_REGION_QKV = 0x110,          /* attention: RMSNorm, q/k/v projections, RoPE, KV cache store */
       TLLM_REGION_SCORES = 0x111,       /* q.k for every cached position (and head) */
       TLLM_REGION_SOFTMAX = 0x112,      /* softmax of the scores (and, quantized, the INT8 weights) */
       TLLM_REGION_WEIGHTED_SUM = 0x113, /* attention-weighted sum of V */
       TLLM_REGION_OUT_PROJ = 0x114,     /* wo and the residual */
       TLLM_REGION_CHUNK = 0x115,        /* one batched-prefill forward call (several positions) */
       TLLM_REGION_EXPERT_BASE = 0x200   /* + e: routed expert e ("expert<e>") of any layer, MACs declared */
};

/* The tensors of one layer, resolved once at tllm_state_init (views into the image). */
typedef struct tllm_layer_views {
  tllm_tensor wq, wk, wv, wo, w1, w2, w3, router; /* w1..w3 (dense) or router (MoE) */
  const float *rms_att, *rms_ffn;
} tllm_layer_views;

struct tllm_stream;
struct tllm_cluster;
#define TLLM_CLUSTER_MAX_PARTS 32u /* harts of a cluster (soc.core.count <= 32) */

typedef struct tllm_state {
  const tllm_model *m;
  tllm_plan plan;
  const tllm_kernels *kern;
  uint8_t *arena;
  float *x, *xb, *xb2, *q, *k, *v, *hb, *hb2, *moe, *att, *logits;
  float *kc, *vc;            /* fp32 KV cache [layer][pos][kv_dim] (NULL when INT8) */
  /* INT8 KV cache, per (layer, kv head): K rows [pos][hs4], V transposed [i][s16] (a row per element
   * of the head, positions along it); scales [layer][kv head][pos] */
  int8_t *kcq, *vcq;
  float *kcs, *vcs;
  int8_t *aq; float *as; int32_t *asum;
  const float *act_src; uint32_t act_group, act_n, act_nb; int act_valid;
  float *router;
  float *rope;               /* RoPE table [max_seq][head_size/2][cos, sin], computed once */
  int approx;                /* 0: llama2.c's fp32 arithmetic; 1: the quantized path (see above) */
  uint32_t chunk;            /* most positions per tllm_forward_chunk call */
  int8_t *qq; float *qs;     /* quantized attention: q per head (hs4 bytes each), scale per head */
  int8_t *awq; float *aws;   /* attention weights per head (s16 bytes each), output scale per head */
  int32_t *idot;             /* integer dot products of one head (max(max_seq, head_size)) */
  float sqrt_hs, att_scale;  /* sqrt(head_size) (llama2.c divides by it), 1 / sqrt(head_size) */
  tllm_layer_views *layers;
  tllm_tensor emb, wcls;
  const float *rms_final;
  void *probidx;             /* sampler scratch: vocab entries */
  uint32_t max_seq;
  /* instrumentation (optional, host): when non-NULL, bytes of weight data+scales read per tensor
   * table entry are added here (array of model->hdr->n_tensors counters). */
  uint64_t *tensor_bytes_read;
  uint64_t macs;             /* MACs declared so far */
  uint32_t *expert_sel;      /* top_k selected experts of the last MoE layer evaluated */
  /* MoE accounting (always kept): per routed expert id the times it ran (any layer); uses = their
   * sum; bytes of routed experts' weights read from the image (every use, or every cache miss). */
  uint32_t *expert_calls;
  uint64_t expert_uses, expert_hits, expert_misses, expert_bytes_read;
  struct tllm_stream *stream; /* weight streaming / expert cache (tllm_stream_attach), or NULL */
  uint32_t *route_log;       /* optional (caller's memory): layer << 16 | expert of each routed use */
  uint32_t route_cap, route_n;
  /* tensor parallelism (tllm_tp_setup): the attention heads [head0, head1) this state computes (all by
   * default), its rank of tp_size, and the all-gather that joins the slices */
  uint32_t head0, head1, tp_rank, tp_size;
  void (*tp_gather)(void *ctx, float *v, const uint32_t *bounds);
  void *tp_ctx;
  int tp_argmax;             /* tllm_tp_argmax: exchange each rank's (max, index) instead of the logits */
  float tp_pair[2u * TLLM_CLUSTER_MAX_PARTS]; /* per rank: its maximum logit, its index (bits) */
  /* the harts of a cluster (tllm_cluster.h, set by the caller; NULL: one hart): at most plan.cfg.parts
   * parts; idot_stride: int32 elements of one part's idot scratch */
  const struct tllm_cluster *cluster;
  uint32_t idot_stride;
  /* the last split forward's classifier: each part's argmax of its logits rows (tllm_logits_argmax) */
  uint32_t part_best[TLLM_CLUSTER_MAX_PARTS];
  uint32_t part_best_n;      /* parts that stored one (0: not available) */
} tllm_state;

tllm_status tllm_state_init(tllm_state *s, const tllm_model *m, const tllm_plan *p, void *arena,
                            size_t arena_size, tllm_backend backend, tllm_error *err);
/* Name the region ids in the simulator (no-op on the host). */
void tllm_regions_name(void);
/* The same plus "expert<e>" for each routed expert of the model. */
void tllm_regions_name_model(const tllm_model *m);
/* One position: returns the vocab logits (valid until the next call). 0 <= pos < max_seq. */
float *tllm_forward(tllm_state *s, uint32_t token, uint32_t pos);
/* Pipeline parallelism (several MCUs, each a contiguous range of layers; workloads/tinyllm/tinyllm_par.c):
 * layers [l0, l1) of position pos. With TLLM_LAYERS_EMBED the input is the token's embedding, else the
 * caller has put the input activation (dim floats, the previous stage's output) in s->x. With
 * TLLM_LAYERS_CLASSIFY the final RMSNorm and classifier follow and the logits are returned, else s->x
 * (the activation after layer l1 - 1). The same arithmetic as tllm_forward: the stages of a pipeline give
 * its bits exactly. NULL on bad arguments. */
#define TLLM_LAYERS_EMBED 1u
#define TLLM_LAYERS_CLASSIFY 2u
float *tllm_forward_layers(tllm_state *s, uint32_t token, uint32_t pos, uint32_t l0, uint32_t l1, unsigned flags);
/* Tensor parallelism (several MCUs, each a slice of every layer; workloads/tinyllm/tinyllm_par.c -M tp):
 * rank `rank` of `size` computes the attention heads of kv heads [rank K / size, (rank + 1) K / size)
 * (K = n_kv_heads, which size must divide), and rows [rank n / size, (rank + 1) n / size) of wo, w1 and
 * w3, w2 and the classifier (n: their output rows); after each it joins the slices with
 * gather(ctx, v, bounds): on return v[bounds[r] .. bounds[r + 1]) holds rank r's slice for every
 * r < size (an all-gather). Every value is computed whole on one rank, as tllm_forward computes it, so
 * the logits (returned in full on every rank) are bit-identical. Dense models, one position per call. */
#define TLLM_TP_MAX 64u
typedef void (*tllm_gather_fn)(void *ctx, float *v, const uint32_t *bounds);
tllm_status tllm_tp_setup(tllm_state *s, uint32_t rank, uint32_t size, tllm_gather_fn gather, void *ctx,
                          tllm_error *err);
float *tllm_forward_tp(tllm_state *s, uint32_t token, uint32_t pos);
/* Greedy decoding only needs the argmax of the logits: after tllm_tp_argmax(s, 1, err) tllm_forward_tp
 * does not gather the logits; each rank finds the first maximum of its slice (as tllm_argmax would,
 * NaNs included) and the ranks all-gather one (value, index) pair each (2 floats per rank instead of
 * vocab_size / size). The returned logits then hold only this rank's slice and every rank's maximum at
 * its index: tllm_logits_argmax(s, logits) gives tllm_argmax's choice over the whole vector, bit for bit
 * (the first maximum wins: ranks in index order); the full logits (for sampling or a checksum) are not
 * available. At most TLLM_CLUSTER_MAX_PARTS ranks. */
tllm_status tllm_tp_argmax(tllm_state *s, int on, tllm_error *err);
/* The pieces of the forward pass's attention (for tests and tools): store position pos of layer l in the
 * KV cache from k (after RoPE) and v (kv_dim floats each); the attention of position pos of layer l
 * over the cached positions 0..pos, from the query q (dim floats, after RoPE) into out (dim floats):
 * llama2.c's fp32 attention, or the quantized attention with the INT8 KV cache. */
void tllm_kv_store(tllm_state *s, uint32_t layer, uint32_t pos, const float *k, const float *v);
void tllm_attention(tllm_state *s, uint32_t layer, uint32_t pos, const float *q, float *out);
/* n positions pos..pos+n-1 with tokens[0..n) at once (batched prefill; 1 <= n <= the plan's chunk,
 * pos + n <= max_seq): every weight matrix is read once for the n positions. Returns n rows of vocab
 * logits (row b for position pos+b), bit-identical to n tllm_forward calls; NULL on bad arguments. */
float *tllm_forward_chunk(tllm_state *s, const int32_t *tokens, uint32_t n, uint32_t pos);

/* ---- tokenizer (llama2.c BPE) -------------------------------------------------------------- */
/* Encodes text into tokens (bos: prepend BOS, eos: append EOS). cap: capacity of tokens; text of
 * length L needs at most L + 3. Returns TLLM_OK and *n, or TLLM_E_ARG if cap is too small. */
tllm_status tllm_encode(const tllm_model *m, const char *text, int bos, int eos, int32_t *tokens,
                        uint32_t cap, uint32_t *n, tllm_error *err);
/* The text of `token` following `prev` (leading space stripped after BOS; <0xXX> -> that byte).
 * Returns a pointer into the image or into `byte_buf` (2 bytes, owned by the caller). */
const char *tllm_decode(const tllm_model *m, int32_t prev, int32_t token, char byte_buf[2]);
const char *tllm_token_str(const tllm_model *m, uint32_t token);

/* ---- sampler (llama2.c) ---------------------------------------------------------------------- */
typedef struct tllm_sampler {
  uint32_t vocab_size;
  float temperature, topp;
  uint64_t rng_state;
  void *probidx;  /* vocab entries of scratch (from the state's arena) */
} tllm_sampler;
void tllm_sampler_init(tllm_sampler *sp, uint32_t vocab, float temperature, float topp,
                       uint64_t seed, void *scratch);
/* Samples from logits (modified in place like llama2.c). */
uint32_t tllm_sample(tllm_sampler *sp, float *logits);
uint32_t tllm_argmax(const float *v, uint32_t n);
uint32_t tllm_random_u32(uint64_t *state);
float tllm_random_f32(uint64_t *state);

/* ---- small helpers ------------------------------------------------------------------------- */
/* A tiny formatter (%s %u %d %x %lu %llu %f-less): no stdio in the core library. */
void tllm_errorf(tllm_error *err, tllm_status code, const char *fmt, ...);
/* FNV-1a (32-bit prime) over the logits' float bit patterns, one step per 32-bit word */
uint32_t tllm_logits_hash(uint32_t h, const float *logits, uint32_t n);
/* tllm_argmax(logits, vocab) of the last forward call: from the parts' own argmaxes when a cluster split
 * it (one position; the same index: first maximum, NaNs as tllm_argmax treats them), else computed. */
uint32_t tllm_logits_argmax(const tllm_state *s, const float *logits);
/* 1 if tllm_forward runs as one job split across s->cluster's parts (tllm_cluster.h), 0 if serially. */
int tllm_forward_splits(const tllm_state *s);

#ifdef __cplusplus
}
#endif
#endif

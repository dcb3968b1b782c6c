/* tinyllm model image: binary layout (specification: runtime/MODEL_FORMAT.md).
 * Shared by the runtime (parser) and the host tools (writers). C11 and C++, freestanding. */
#ifndef TINYLLM_FORMAT_H
#define TINYLLM_FORMAT_H
#include <stdint.h>

#define TLLM_MAGIC 0x4D4C4C54u /* bytes "TLLM" read as a little-endian u32 */
#define TLLM_VERSION 2u     /* written when the image has a CIM window section; otherwise version 1 */
#define TLLM_VERSION_MIN 1u /* this runtime reads versions 1 and 2 */
#define TLLM_HEADER_SIZE 128u
#define TLLM_TENSOR_ENTRY_SIZE 32u
#define TLLM_ALIGN 16u
#define TLLM_ROW_ALIGN_ELEMS 16u /* quantized rows are padded with zeros to a multiple of 16 elements */
#define TLLM_CHECKSUM_START 20u  /* FNV-1a 32 covers bytes [20, image_size) */
#define TLLM_MAX_TOKEN_LENGTH_LIMIT 120u

/* header.flags */
#define TLLM_FLAG_SHARED_CLASSIFIER 1u /* no WCLS tensor: the classifier is the token embedding */
#define TLLM_FLAG_CIM_WINDOWS 2u       /* version 2: a CIM ADC-window section (cim_offset, cim_size) */
#define TLLM_FLAG_SHARE 4u             /* one rank's share for tensor parallelism (share_rank, share_size):
                                        * each tensor holds only the rows that rank computes (tllm_share_rows) */

/* Tensor precisions (tensor entry .precision) */
enum tllm_precision { TLLM_FP32 = 0, TLLM_INT8 = 1, TLLM_INT4 = 2, TLLM_INT2 = 3 };
/* tensor entry .flags */
#define TLLM_TFLAG_AFFINE 1u /* per-group float offsets follow the scales: w = scale*q + offset */
#define TLLM_TFLAG_CIM 2u    /* placement hint: run this tensor on the CIM macros (quantized only) */

/* Tensor kinds, in the canonical table order (see MODEL_FORMAT.md) */
enum tllm_kind {
  TLLM_T_TOK_EMB = 0, /* (vocab, dim) */
  TLLM_T_RMS_ATT = 1, /* (1, dim) per layer */
  TLLM_T_WQ = 2,      /* (dim, dim) */
  TLLM_T_WK = 3,      /* (kv_dim, dim) */
  TLLM_T_WV = 4,      /* (kv_dim, dim) */
  TLLM_T_WO = 5,      /* (dim, dim) */
  TLLM_T_RMS_FFN = 6, /* (1, dim) */
  TLLM_T_W1 = 7,      /* (hidden, dim)  dense FFN */
  TLLM_T_W2 = 8,      /* (dim, hidden) */
  TLLM_T_W3 = 9,      /* (hidden, dim) */
  TLLM_T_RMS_FINAL = 10,
  TLLM_T_WCLS = 11,   /* (vocab, dim), absent when shared */
  TLLM_T_ROUTER = 12, /* (n_experts, dim), fp32 */
  TLLM_T_EXP_W1 = 13, /* routed expert e: (expert_hidden, dim) */
  TLLM_T_EXP_W2 = 14, /* (dim, expert_hidden) */
  TLLM_T_EXP_W3 = 15,
  TLLM_T_SHX_W1 = 16, /* shared expert s */
  TLLM_T_SHX_W2 = 17,
  TLLM_T_SHX_W3 = 18,
  TLLM_T_KIND_COUNT = 19
};

/* All fields little-endian. 128 bytes. */
typedef struct tllm_header {
  uint32_t magic;            /* 0  TLLM_MAGIC */
  uint32_t version;          /* 4  TLLM_VERSION */
  uint32_t header_size;      /* 8  128 */
  uint32_t image_size;       /* 12 total bytes of the image */
  uint32_t checksum;         /* 16 FNV-1a 32 of bytes [20, image_size) */
  uint32_t flags;            /* 20 TLLM_FLAG_* */
  uint32_t dim;              /* 24 */
  uint32_t hidden_dim;       /* 28 dense FFN hidden size (0 if every layer is MoE) */
  uint32_t n_layers;         /* 32 */
  uint32_t n_heads;          /* 36 */
  uint32_t n_kv_heads;       /* 40 */
  uint32_t vocab_size;       /* 44 */
  uint32_t seq_len;          /* 48 */
  uint32_t n_experts;        /* 52 routed experts per layer; 0 = dense model */
  uint32_t n_shared_experts; /* 56 */
  uint32_t top_k;            /* 60 routed experts used per token */
  uint32_t expert_hidden_dim;/* 64 */
  uint32_t n_tensors;        /* 68 */
  uint32_t tensor_table_offset; /* 72 */
  uint32_t tokenizer_offset; /* 76 */
  uint32_t tokenizer_size;   /* 80 */
  uint32_t data_offset;      /* 84 first tensor data byte */
  float rope_theta;          /* 88 10000 */
  float norm_eps;            /* 92 1e-5 */
  uint32_t bos_id;           /* 96 1 */
  uint32_t eos_id;           /* 100 2 */
  uint32_t cim_offset;       /* 104 version 2: CIM window section (TLLM_FLAG_CIM_WINDOWS), else 0 */
  uint32_t cim_size;         /* 108 */
  uint32_t share_rank;       /* 112 TLLM_FLAG_SHARE: the rank whose rows this image holds, else 0 */
  uint32_t share_size;       /* 116 TLLM_FLAG_SHARE: of this many ranks (2..TLLM_TP_MAX), else 0 */
  uint32_t reserved[2];      /* 120..127 zero */
} tllm_header;

/* CIM ADC-window section (runtime/MODEL_FORMAT.md "CIM windows"), at header.cim_offset (16-aligned):
 *   u32 magic TLLM_CIMW_MAGIC, u32 n_sets, u32 n_tensors (= header), u32 0
 *   n_sets x tllm_cimw_set (48 bytes)
 *   per set at dir_offset: n_tensors x u32 block offsets (from the section start; 0 = no windows)
 *   blocks: per tile (driver order: output tile to, input tile ti -> to * tiles_in + ti) n_groups x
 *   n_passes u32 window words (offset | full scale << 16, runtime/include/cim_ref.h) */
#define TLLM_CIMW_MAGIC 0x574D4943u /* "CIMW" */
#define TLLM_CIMW_SET_SIZE 48u
typedef struct tllm_cimw_set {
  uint32_t rows, cols, cell_bits, dac_bits; /* macro geometry the windows were computed for */
  uint32_t rows_per_pass, win_cols;         /* rows per conversion, columns per window group */
  uint32_t abits, n_groups, n_passes;       /* input width (8), cols / win_cols, passes at abits */
  uint32_t percentile_ppm;                  /* informational: the percentile used (999000 = 99.9 %) */
  uint32_t dir_offset;                      /* tensor directory, from the section start */
  uint32_t reserved;
} tllm_cimw_set;

typedef struct tllm_tensor_entry {
  uint8_t kind;          /* enum tllm_kind */
  uint8_t precision;     /* enum tllm_precision */
  uint8_t flags;         /* TLLM_TFLAG_* */
  uint8_t reserved;      /* 0 */
  uint16_t layer;        /* layer index (0 for global tensors) */
  uint16_t expert;       /* expert index (0 if none) */
  uint32_t rows;
  uint32_t cols;
  uint32_t group_size;   /* quantization group (elements along a row); 0 for fp32 */
  uint32_t data_offset;  /* 16-aligned */
  uint32_t data_bytes;   /* rows * row_bytes */
  uint32_t scales_offset;/* 16-aligned; rows*ceil(cols/group) floats [+ as many offsets if AFFINE]; 0 for fp32 */
} tllm_tensor_entry;

/* Tokenizer section (at tokenizer_offset, tokenizer_size bytes, offsets relative to its start):
 *   u32 vocab_size, u32 max_token_length, u32 strings_offset, u32 reserved
 *   u32 str_offset[vocab]   offset of token i's NUL-terminated bytes from strings_offset
 *   f32 score[vocab]
 *   u32 sorted[vocab]       token ids sorted by their bytes (strcmp order)
 *   strings                 NUL-terminated token bytes */
#define TLLM_TOK_HEADER_SIZE 16u

static inline uint32_t tllm_prec_bits(uint32_t prec) {
  return prec == TLLM_FP32 ? 32u : prec == TLLM_INT8 ? 8u : prec == TLLM_INT4 ? 4u : prec == TLLM_INT2 ? 2u : 0u;
}
static inline uint32_t tllm_round_up(uint32_t x, uint32_t a) { return (x + a - 1u) / a * a; }
/* Bytes per stored row: fp32 rows are cols*4; quantized rows are padded to 16 elements. */
static inline uint32_t tllm_row_bytes(uint32_t prec, uint32_t cols) {
  return prec == TLLM_FP32 ? cols * 4u : tllm_round_up(cols, TLLM_ROW_ALIGN_ELEMS) * tllm_prec_bits(prec) / 8u;
}
static inline uint32_t tllm_groups_per_row(uint32_t cols, uint32_t group) {
  return group ? (cols + group - 1u) / group : 0u;
}
/* Largest magnitude of a symmetric level of each width (int8 127, int4 7, int2 1; the negative
 * extreme -128/-8/-2 is only used by affine groups). */
static inline int32_t tllm_qmax(uint32_t prec) {
  return prec == TLLM_INT8 ? 127 : prec == TLLM_INT4 ? 7 : 1;
}

/* FNV-1a 32 */
#define TLLM_FNV_OFFSET 0x811C9DC5u
#define TLLM_FNV_PRIME 0x01000193u
static inline uint32_t tllm_fnv1a(uint32_t h, const void *data, uint32_t n) {
  const uint8_t *p = (const uint8_t *)data;
  for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * TLLM_FNV_PRIME;
  return h;
}

#endif

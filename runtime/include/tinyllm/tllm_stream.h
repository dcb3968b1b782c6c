/* tinyllm weight streaming and MoE expert cache (design and figures: runtime/STREAMING.md).
 *
 * Weight streaming: for images in memory that is slow to read word by word (an external QSPI flash),
 * every weight matrix is copied by the DMA engine (runtime/include/mcucim/dma.h) into one of two SRAM
 * buffers before the kernels read it, double-buffered: while block i is computed from buffer A, the
 * DMA fills buffer B with block i+1 (the next rows of the same matrix, or the first rows of the matrix
 * the forward pass computes next). A block is a whole matrix when it fits the buffer, else as many
 * whole rows (with their scales and offsets) as fit: rows are independent in every kernel, so the
 * numerics do not change. Vectors (norm weights, the embedding row of the token) are read in place.
 * On the host the same code runs with memcpy in place of the DMA engine.
 *
 * Expert cache: for MoE images, the K most recently used routed experts (all three matrices of one
 * (layer, expert)) are kept in SRAM slots; on a miss the least recently used slot is refilled by DMA.
 *
 *   tllm_stream_config sc = {TLLM_STREAM_AUTO or bytes, K};
 *   size_t need; tllm_stream_size(&model, &sc, ram_left, &need, &err);   // after tllm_plan_memory
 *   tllm_state_init(&st, ...);  tllm_stream_attach(&st, &stream, &sc, mem, need, &err);
 *   tllm_forward(...) ...;  tllm_stream_error(&stream) after each position (0 = fine)
 *
 * Not combined with the CIM backend (the CIM kernels look tensors up in the image). C11, freestanding. */
#ifndef TINYLLM_TLLM_STREAM_H
#define TINYLLM_TLLM_STREAM_H
#include <stddef.h>
#include <stdint.h>

#include "tinyllm/tinyllm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TLLM_STREAM_AUTO 0xFFFFFFFFu /* buffer_bytes: two buffers, each the size of the largest streamed matrix */
#define TLLM_NO_NEXT 0xFFFFFFFFu     /* "next tensor unknown" hint */

typedef struct tllm_stream_config {
  uint32_t buffer_bytes; /* both weight buffers together; 0 = no streaming; TLLM_STREAM_AUTO */
  uint32_t expert_slots; /* MoE: routed experts kept in SRAM (LRU); 0 = no cache */
} tllm_stream_config;

typedef struct tllm_xfer {
  const uint8_t *src;
  uint8_t *dst;
  uint32_t len;
} tllm_xfer;

#define TLLM_STREAM_QUEUE 16u

typedef struct tllm_stream_block {
  uint32_t index, r0, rows; /* table entry, first row, rows */
  int valid;                /* 1: transfers issued for this block */
} tllm_stream_block;

typedef struct tllm_stream {
  const tllm_model *m;
  /* double buffer (streaming = 0: only the expert cache, if any) */
  int streaming;
  uint8_t *buf[2];
  uint32_t buf_bytes;       /* each buffer */
  tllm_stream_block blk[2]; /* what each buffer holds (or is being filled with) */
  uint32_t cur;             /* buffer of the block being computed */
  /* DMA transfers waiting for the single channel, and the one in flight */
  tllm_xfer q[TLLM_STREAM_QUEUE];
  uint32_t qhead, qn;
  int dma_busy;
  /* expert cache */
  uint8_t *slots;
  uint32_t n_slots, slot_bytes;
  uint32_t *slot_key;       /* layer * n_experts + expert, 0xFFFFFFFF = empty */
  uint32_t *slot_used;      /* LRU stamp */
  uint32_t clock;
  /* statistics */
  uint64_t bytes_streamed;  /* bytes copied into the double buffer */
  uint64_t blocks;          /* blocks computed from the double buffer */
  uint64_t prefetch_hits;   /* blocks that were already requested (prefetched) when needed */
  uint64_t waits;           /* times the CPU had to wait for the DMA (region dma_wait) */
  int error;                /* first DMA error (DMA_ERR_*), 0 = none */
} tllm_stream;

/* Bytes of the whole (all rows) data+scales+offsets footprint of a tensor, each part 16-aligned. */
uint64_t tllm_stream_tensor_bytes(const tllm_tensor *t);
/* Bytes of data+scales+offsets of routed expert e of layer l (w1, w2, w3; unaligned: what is read). */
uint64_t tllm_expert_bytes(const tllm_model *m, uint32_t layer, uint32_t expert);

/* Sizes the double buffer and the expert cache for `avail` bytes of RAM. TLLM_OK and *need, or
 * TLLM_E_NOMEM (does not fit: names the largest unit and what is free) / TLLM_E_ARG (buffers too small
 * for one row of the largest-row matrix, cache on a dense model). */
tllm_status tllm_stream_size(const tllm_model *m, const tllm_stream_config *c, size_t avail, size_t *need,
                             tllm_error *err);
/* Sets up the buffers/cache in mem (16-aligned, >= the size from tllm_stream_size) and makes `s` use
 * them. TLLM_E_BACKEND when the build's target has no DMA engine. */
tllm_status tllm_stream_attach(tllm_state *s, tllm_stream *st, const tllm_stream_config *c, void *mem,
                               size_t bytes, tllm_error *err);
int tllm_stream_error(const tllm_stream *st);
/* Waits for every transfer still queued or in flight (the prefetch of the next token's first block):
 * call before the program ends or reuses the buffers' memory. */
void tllm_stream_finish(tllm_stream *st);

/* Used by the forward pass (tllm_forward.c). */
/* out = W x for a matrix in the image, through the double buffer; `a` is the quantized x (quantized
 * tensors) or NULL with `x` (fp32). nb > 1: a prefill chunk of nb vectors (x[b * x_stride] or a->nb
 * interleaved ones), out[b * out_stride + r]; every block is streamed once for all of them. next:
 * table index of the matrix computed after this one (prefetched when this one's last block starts), or
 * TLLM_NO_NEXT. */
void tllm_stream_matvec(tllm_state *s, float *out, uint32_t out_stride, const tllm_tensor *w, const float *x,
                        uint32_t x_stride, const tllm_qact *a, uint32_t nb, uint32_t next);
/* Routed expert (layer, e) through the cache: on return w1/w2/w3 view the SRAM slot (fetched by DMA on
 * a miss). Counts hits/misses and expert_bytes_read in the state. */
void tllm_stream_expert(tllm_state *s, uint32_t layer, uint32_t e, tllm_tensor *w1, tllm_tensor *w2,
                        tllm_tensor *w3);
/* Is the pointer inside the model image (i.e. streamed rather than already in SRAM)? */
int tllm_stream_in_image(const tllm_model *m, const void *p);

#ifdef __cplusplus
}
#endif
#endif

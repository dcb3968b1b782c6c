/* tinyllm CIM backend: the integer matvecs of chosen tensors run on the MRAM compute-in-memory macros
 * through the CIM driver (runtime/include/cim.h); every other tensor uses a fallback backend (scalar or
 * Xmac). Implementation: runtime/src/kernels_cim.c.
 *
 *   tllm_cim_place pl;  tllm_cim_parse_place("ffn", &pl, &err);       // or from the image's flags
 *   uint32_t need = tllm_cim_macros_needed(&model, &pl, &macro0, &err);   // geometry of macro 0
 *   ... open `need` macros (cim_open / cim_open_host), same geometry ...
 *   size_t bytes = tllm_cim_mem_bytes(&model, &pl);                   // scratch + tables, from the arena
 *   tllm_state_init(&st, ..., TLLM_BACKEND_SCALAR or XMAC (the fallback), &err);
 *   tllm_cim_attach(&st, &ctx, &opts, mem, bytes, &err);              // programs the weights once
 *   tllm_forward(&st, ...) ...;  tllm_cim_error(&ctx) after each position (0 = fine)
 *
 * Programming: each placed tensor's quantized rows are unpacked to signed int8 (row-major rows x cols,
 * the row padding dropped) in a scratch buffer and written with cim_load() into its own macros
 * (weights stay; inference never writes).
 * Matvec: the INT8 activations go to cim_mvm(); each output's integer dot product of a group is then
 * combined with the scales by tllm_combine_group(), groups in row order, exactly like the scalar and
 * Xmac backends, so with an exact ADC (2^B - 1 >= rows, step 1) the results are bit-identical to them.
 * Group-wise quantization: when a tensor's group is shorter than its row, one MVM per group runs with
 * the inputs outside the group set to zero (exact, but ngroups times the MVMs): pack tensors placed
 * on CIM with group = row length (mcucim-pack --tensor w1=int8:64 ..., or --cim which does it).
 * Groups whose activations are all zero skip the MVM (their dot product is 0).
 * Prefill chunks: one MVM per position (the weights are programmed once); attention's integer dot products
 * (K and V change every position) run on the fallback backend.
 * ADC windows (opts->windows): each placed tensor's tiles get the windows the image's CIM window
 * section holds for the macros' geometry and rows per pass (runtime/MODEL_FORMAT.md "CIM windows");
 * an image without them, or without a set for these macros, is an error naming what is missing.
 * Power gating (opts->power_gate): every used macro is turned off after programming and a placed
 * tensor's macros are turned off again right after its matvec, so only the macros of the matrix in
 * use leak; an MVM wakes its macros itself (the wake-up latency, e.g. 100 ns, is on the critical
 * path once per matvec: about 0.1 % of a stories260K token; waking ahead of use would keep macros on
 * through the non-CIM work in between, which costs more leakage than the latency it hides).
 * One CIM context is active at a time (the kernels interface carries no context pointer). C11,
 * freestanding. */
#ifndef TINYLLM_TLLM_CIM_H
#define TINYLLM_TLLM_CIM_H
#include <stddef.h>
#include <stdint.h>

#include "cim.h"
#include "tinyllm/tinyllm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which tensors run on CIM: kind bit k (enum tllm_kind) and layers lo..hi (inclusive). from_image:
 * use the image's per-tensor TLLM_TFLAG_CIM flags instead. wcls selects the classifier (also when it
 * is shared with the token embedding: only the classifier matvec then runs on CIM). */
typedef struct tllm_cim_place {
  uint32_t kinds;
  uint32_t layer_lo, layer_hi;
  int from_image;
} tllm_cim_place;

#define TLLM_CIM_KINDS_ATTN ((1u << TLLM_T_WQ) | (1u << TLLM_T_WK) | (1u << TLLM_T_WV) | (1u << TLLM_T_WO))
#define TLLM_CIM_KINDS_FFN                                                                           \
  ((1u << TLLM_T_W1) | (1u << TLLM_T_W2) | (1u << TLLM_T_W3) | (1u << TLLM_T_EXP_W1) |               \
   (1u << TLLM_T_EXP_W2) | (1u << TLLM_T_EXP_W3) | (1u << TLLM_T_SHX_W1) | (1u << TLLM_T_SHX_W2) |  \
   (1u << TLLM_T_SHX_W3))

/* Parse a placement: comma-separated names wq wk wv wo w1 w2 w3 wcls (w1/w2/w3 include the MoE
 * experts' and shared experts' matrices), groups attn ffn all (= attn + ffn + wcls), none, or image
 * (the image's flags); optionally ':L' or ':A-B' at the end restricts to those layers.
 * e.g. "ffn", "wq,wk,wv,wo", "all", "w1,w3:0-2". TLLM_E_ARG with a message naming the bad word. */
tllm_status tllm_cim_parse_place(const char *spec, tllm_cim_place *p, tllm_error *err);
/* Is table entry `index` (a kind in a layer) placed? (the classifier: index of wcls, or 0 if shared
 * and is_classifier) */
int tllm_cim_placed(const tllm_model *m, const tllm_cim_place *p, uint32_t index, int is_classifier);

/* Macros needed by the placed tensors on macros shaped like `geometry` (one macro per tile of
 * rows inputs x outputs-at-that-width; fp32 tensors are not placed). Returns 0 and sets err
 * (TLLM_E_UNSUPPORTED) when a placed tensor's width is not supported by the macro. */
uint32_t tllm_cim_macros_needed(const tllm_model *m, const tllm_cim_place *p, const cim_macro *geometry,
                                tllm_error *err);
/* Bytes of memory tllm_cim_attach needs (16-aligned; programming scratch, tile tables, buffers). */
size_t tllm_cim_mem_bytes(const tllm_model *m, const tllm_cim_place *p);

typedef struct tllm_cim_options {
  cim_macro *macros;     /* opened macros, all with the same geometry */
  uint32_t n_macros;
  tllm_cim_place place;
  tllm_backend fallback; /* TLLM_BACKEND_SCALAR or TLLM_BACKEND_XMAC for the tensors not on CIM */
  int windows;           /* program the image's ADC windows (analog macros) */
  int power_gate;        /* gate each tensor's macros while other tensors run */
} tllm_cim_options;

/* The image's window set for macros shaped like `geometry` at `abits`-bit inputs (NULL + err if the
 * image has no CIM window section, or no set with this geometry and rows per pass: the message lists
 * the sets it has). */
const tllm_cimw_set *tllm_cim_find_windows(const tllm_model *m, const cim_macro *geometry, uint32_t abits,
                                           tllm_error *err);

typedef struct tllm_cim {
  cim_macro *macros;
  uint32_t n_macros, used_macros, n_placed, abits;
  const tllm_kernels *fallback;
  cim_matrix *mats;      /* per tensor table entry (plus one for a shared classifier) */
  uint8_t *placed;       /* per entry: 1 = on CIM */
  int32_t *y;            /* MVM outputs (longest placed row count) */
  int8_t *x;             /* group-masked inputs (longest input, padded) */
  int8_t *xd;            /* one input vector of a prefill chunk, de-interleaved (longest input, padded) */
  uint32_t n_entries;
  int error;             /* first CIM_ERR_* of an MVM (0 = none); outputs are 0 from then on */
  uint64_t mvms;         /* cim_mvm calls */
  int power_gate;        /* turn each tensor's macros off after its matvec */
  uint32_t windows_set;  /* 1 when windows were programmed */
} tllm_cim;

/* Programs the placed tensors into the macros and makes `s` use the CIM kernels (the state's current
 * kernels become the fallback unless opts->fallback says otherwise). Errors: TLLM_E_CIM_CAPACITY
 * (needed vs available macros, per kind), TLLM_E_NOMEM (mem too small), TLLM_E_UNSUPPORTED (a
 * width the macro does not take), TLLM_E_BACKEND (a driver error while programming). */
tllm_status tllm_cim_attach(tllm_state *s, tllm_cim *c, const tllm_cim_options *opts, void *mem,
                            size_t mem_bytes, tllm_error *err);
/* 0 while every MVM succeeded, else the first driver error code (CIM_ERR_*). */
int tllm_cim_error(const tllm_cim *c);

extern const tllm_kernels tllm_kernels_cim;

#ifdef __cplusplus
}
#endif
#endif

/* Xmac reference semantics: the single source of truth for what the custom multiply-accumulate
 * instructions compute (specification: isa/XMAC.md).
 *
 * Included by the simulator's ISS (which calls these per executed instruction), by the runtime's host
 * build (through xmac.h) and by the tests. C11 and C++ compatible, header-only, freestanding (only
 * <stdint.h>). Every function is branch-free straight-line integer code with no undefined behaviour:
 * the accumulation wraps modulo 2^32 (computed in uint32_t).
 *
 * Encoding summary (custom-0, R-type):
 *   31:25 funct7 | 24:20 rs2 | 19:15 rs1 | 14:12 funct3 | 11:7 rd | 6:0 opcode = 0x0B
 *   funct3: 0 = INT8 weights (4 MACs), 1 = INT4 (8 MACs), 2 = INT2 (16 MACs); 3..7 illegal
 *   funct7: 0 = xmac.dotN, 1 = xmac.ldotN (weight word loaded from [rs1], rs1 += 4); others illegal
 */
#ifndef MCUCIM_XMAC_REF_H
#define MCUCIM_XMAC_REF_H
#include <stdint.h>

/* ---- Encoding ------------------------------------------------------------------------------- */
#define XMAC_OPCODE 0x0Bu      /* custom-0 major opcode (bits 6:0) */
#define XMAC_FUNCT3_INT8 0u    /* 4 x INT8 weights per word, activations x[rs2] */
#define XMAC_FUNCT3_INT4 1u    /* 8 x INT4 weights per word, activations x[rs2], x[rs2+1] */
#define XMAC_FUNCT3_INT2 2u    /* 16 x INT2 weights per word, activations x[rs2..rs2+3] */
#define XMAC_FUNCT7_DOT 0u     /* rd += dot(x[rs1], act) */
#define XMAC_FUNCT7_LDOT 1u    /* w = mem32[x[rs1]]; x[rs1] += 4; rd += dot(w, act) */

/* MACs performed by one instruction of each width, and activation registers it reads. */
#define XMAC_MACS_INT8 4u
#define XMAC_MACS_INT4 8u
#define XMAC_MACS_INT2 16u
#define XMAC_GROUP_INT8 1u
#define XMAC_GROUP_INT4 2u
#define XMAC_GROUP_INT2 4u

/* Field extraction from a raw 32-bit instruction word. */
#define XMAC_INSN_OPCODE(raw) ((uint32_t)(raw)&0x7Fu)
#define XMAC_INSN_RD(raw) (((uint32_t)(raw) >> 7) & 0x1Fu)
#define XMAC_INSN_FUNCT3(raw) (((uint32_t)(raw) >> 12) & 0x7u)
#define XMAC_INSN_RS1(raw) (((uint32_t)(raw) >> 15) & 0x1Fu)
#define XMAC_INSN_RS2(raw) (((uint32_t)(raw) >> 20) & 0x1Fu)
#define XMAC_INSN_FUNCT7(raw) (((uint32_t)(raw) >> 25) & 0x7Fu)

/* Assemble an Xmac instruction word (for tests, assemblers, trace tools). */
#define XMAC_ENCODE(funct7, funct3, rd, rs1, rs2)                                             \
  ((((uint32_t)(funct7)&0x7Fu) << 25) | (((uint32_t)(rs2)&0x1Fu) << 20) |                     \
   (((uint32_t)(rs1)&0x1Fu) << 15) | (((uint32_t)(funct3)&0x7u) << 12) |                      \
   (((uint32_t)(rd)&0x1Fu) << 7) | XMAC_OPCODE)

/* ---- Discovery -------------------------------------------------------------------------------- */
#define XMAC_MISA_BIT 23u                     /* misa.X: non-standard extension present */
#define XMAC_CSR_XMACCFG 0xFC0                /* read-only; illegal-instruction when Xmac is off */
#define XMAC_VERSION 1u                       /* value of xmaccfg.version defined by this header */
#define XMAC_CFG_VERSION_SHIFT 0u
#define XMAC_CFG_VERSION_MASK 0xFFu           /* bits 7:0 */
#define XMAC_CFG_LANES_SHIFT 8u
#define XMAC_CFG_LANES_MASK 0xFFu             /* bits 15:8: MACs per cycle */
#define XMAC_CFG_LATENCY_SHIFT 16u
#define XMAC_CFG_LATENCY_MASK 0xFFu           /* bits 23:16: cycles until a non-Xmac reader sees rd */
#define XMAC_CFG_VERSION(cfg) (((uint32_t)(cfg) >> XMAC_CFG_VERSION_SHIFT) & XMAC_CFG_VERSION_MASK)
#define XMAC_CFG_LANES(cfg) (((uint32_t)(cfg) >> XMAC_CFG_LANES_SHIFT) & XMAC_CFG_LANES_MASK)
#define XMAC_CFG_LATENCY(cfg) (((uint32_t)(cfg) >> XMAC_CFG_LATENCY_SHIFT) & XMAC_CFG_LATENCY_MASK)
/* The xmaccfg value a core with the given parameters reports (fields truncated to 8 bits). */
#define XMAC_CFG_MAKE(version, lanes, latency)                                                \
  (((((uint32_t)(version)) & XMAC_CFG_VERSION_MASK) << XMAC_CFG_VERSION_SHIFT) |              \
   ((((uint32_t)(lanes)) & XMAC_CFG_LANES_MASK) << XMAC_CFG_LANES_SHIFT) |                    \
   ((((uint32_t)(latency)) & XMAC_CFG_LATENCY_MASK) << XMAC_CFG_LATENCY_SHIFT))

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Legality ---------------------------------------------------------------------------------
 * 1 if `raw` is a legal Xmac instruction, 0 otherwise (including when the opcode is not custom-0).
 * Illegal: funct3 >= 3; funct7 >= 2; INT4 with odd rs2; INT2 with rs2 not a multiple of 4;
 * an ldot form with rd == rs1. */
static inline int xmac_insn_legal(uint32_t raw) {
  uint32_t f3 = XMAC_INSN_FUNCT3(raw), f7 = XMAC_INSN_FUNCT7(raw);
  uint32_t rs2 = XMAC_INSN_RS2(raw);
  /* group size - 1 is 0, 1, 3 for funct3 0, 1, 2: rs2 must have those low bits clear */
  uint32_t align_mask = (f3 == XMAC_FUNCT3_INT8) ? 0u : (f3 == XMAC_FUNCT3_INT4) ? 1u : 3u;
  return XMAC_INSN_OPCODE(raw) == XMAC_OPCODE && f3 <= XMAC_FUNCT3_INT2 && f7 <= XMAC_FUNCT7_LDOT &&
         (rs2 & align_mask) == 0u &&
         !(f7 == XMAC_FUNCT7_LDOT && XMAC_INSN_RD(raw) == XMAC_INSN_RS1(raw));
}

/* ---- Sign extension (branch-free, defined for every input) ------------------------------------
 * Take the low N bits of x as an N-bit two's-complement number: flip the sign bit, then subtract its
 * weight. Only the low N bits of x are used. */
static inline int32_t xmac_sext8(uint32_t x) { return (int32_t)((x & 0xFFu) ^ 0x80u) - 0x80; }
static inline int32_t xmac_sext4(uint32_t x) { return (int32_t)((x & 0xFu) ^ 0x8u) - 0x8; }
static inline int32_t xmac_sext2(uint32_t x) { return (int32_t)((x & 0x3u) ^ 0x2u) - 0x2; }

/* Lane extraction: element i of a packed word. */
static inline int32_t xmac_lane8(uint32_t word, unsigned i) { return xmac_sext8(word >> (8u * i)); }
static inline int32_t xmac_lane4(uint32_t word, unsigned i) { return xmac_sext4(word >> (4u * i)); }
static inline int32_t xmac_lane2(uint32_t word, unsigned i) { return xmac_sext2(word >> (2u * i)); }

/* acc + sum modulo 2^32, as int32_t, without undefined or implementation-defined behaviour.
 * Compilers reduce the conversion to a plain add. */
static inline int32_t xmac_wrap_add(int32_t acc, int32_t sum) {
  uint32_t u = (uint32_t)acc + (uint32_t)sum;
  return (u <= 0x7FFFFFFFu) ? (int32_t)u : (int32_t)(u - 0x80000000u) - 0x7FFFFFFF - 1;
}

/* ---- Dot products ------------------------------------------------------------------------------
 * Partial sums cannot overflow int32: |product| <= 128*128 (INT8), 8*128 (INT4), 2*128 (INT2), and at
 * most 16 of them are added before the wrapping accumulation. */

/* Sum of four INT8 x INT8 products of one weight word and one activation word. */
static inline int32_t xmac_sum8x4(uint32_t w, uint32_t a) {
  return xmac_sext8(w) * xmac_sext8(a) + xmac_sext8(w >> 8) * xmac_sext8(a >> 8) +
         xmac_sext8(w >> 16) * xmac_sext8(a >> 16) + xmac_sext8(w >> 24) * xmac_sext8(a >> 24);
}

/* Sum of four INT4 x INT8 products: weight nibbles 0..3 of w4 (bits 15:0) times activation bytes of a. */
static inline int32_t xmac_sum4x4(uint32_t w4, uint32_t a) {
  return xmac_sext4(w4) * xmac_sext8(a) + xmac_sext4(w4 >> 4) * xmac_sext8(a >> 8) +
         xmac_sext4(w4 >> 8) * xmac_sext8(a >> 16) + xmac_sext4(w4 >> 12) * xmac_sext8(a >> 24);
}

/* Sum of four INT2 x INT8 products: weight crumbs 0..3 of w2 (bits 7:0) times activation bytes of a. */
static inline int32_t xmac_sum2x4(uint32_t w2, uint32_t a) {
  return xmac_sext2(w2) * xmac_sext8(a) + xmac_sext2(w2 >> 2) * xmac_sext8(a >> 8) +
         xmac_sext2(w2 >> 4) * xmac_sext8(a >> 16) + xmac_sext2(w2 >> 6) * xmac_sext8(a >> 24);
}

/* xmac.dot8 / xmac.ldot8: acc + sum_{i<4} int8(w[i]) * int8(a[i]), wrapping. */
static inline int32_t xmac_dot8_ref(int32_t acc, uint32_t w, uint32_t a) {
  return xmac_wrap_add(acc, xmac_sum8x4(w, a));
}

/* xmac.dot4 / xmac.ldot4: acc + sum_{i<8} int4(w[i]) * int8(act[i]), act = a_lo (elements 0..3),
 * a_hi (elements 4..7), i.e. x[rs2] and x[rs2+1]. */
static inline int32_t xmac_dot4_ref(int32_t acc, uint32_t w, uint32_t a_lo, uint32_t a_hi) {
  return xmac_wrap_add(acc, xmac_sum4x4(w, a_lo) + xmac_sum4x4(w >> 16, a_hi));
}

/* xmac.dot2 / xmac.ldot2: acc + sum_{i<16} int2(w[i]) * int8(act[i]), act = a0 (elements 0..3),
 * a1 (4..7), a2 (8..11), a3 (12..15), i.e. x[rs2] .. x[rs2+3]. */
static inline int32_t xmac_dot2_ref(int32_t acc, uint32_t w, uint32_t a0, uint32_t a1, uint32_t a2,
                                    uint32_t a3) {
  return xmac_wrap_add(acc, xmac_sum2x4(w, a0) + xmac_sum2x4(w >> 8, a1) +
                                xmac_sum2x4(w >> 16, a2) + xmac_sum2x4(w >> 24, a3));
}

/* One entry point for an interpreter: funct3 selects the width; act points at the activation group
 * (act[0] = x[rs2], act[1] = x[rs2+1], ...; only the words the width reads are accessed).
 * funct3 must be legal (0..2); anything else returns acc unchanged. */
static inline int32_t xmac_dot_ref(uint32_t funct3, int32_t acc, uint32_t w, const uint32_t *act) {
  return funct3 == XMAC_FUNCT3_INT8   ? xmac_dot8_ref(acc, w, act[0])
         : funct3 == XMAC_FUNCT3_INT4 ? xmac_dot4_ref(acc, w, act[0], act[1])
         : funct3 == XMAC_FUNCT3_INT2 ? xmac_dot2_ref(acc, w, act[0], act[1], act[2], act[3])
                                      : acc;
}

/* MACs one instruction of width funct3 performs (0 for an illegal funct3). */
static inline uint32_t xmac_macs(uint32_t funct3) {
  return funct3 <= XMAC_FUNCT3_INT2 ? (XMAC_MACS_INT8 << funct3) : 0u;
}

/* Issue cycles for n MACs on a unit with `lanes` MACs per cycle: ceil(n / lanes); lanes >= 1. */
static inline uint32_t xmac_issue_cycles(uint32_t macs, uint32_t lanes) {
  return (macs + lanes - 1u) / lanes;
}

#ifdef __cplusplus
}
#endif
#endif /* MCUCIM_XMAC_REF_H */

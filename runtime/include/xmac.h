/* Xmac intrinsics for firmware and host code (specification: isa/XMAC.md).
 *
 * On RISC-V targets these emit the custom-0 instructions through GNU as `.insn r`; everywhere else (or
 * with XMAC_USE_REF defined, e.g. to run Xmac code on a core without the extension) they call the
 * reference semantics of xmac_ref.h, so host and target compute the same bits.
 *
 *   int32_t xmac_dot8 (int32_t acc, uint32_t w, uint32_t a);
 *   int32_t xmac_dot4 (int32_t acc, uint32_t w, uint32_t a_lo, uint32_t a_hi);
 *   int32_t xmac_dot2 (int32_t acc, uint32_t w, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3);
 *   int32_t xmac_ldot8(int32_t acc, const uint32_t **pw, uint32_t a);
 *   int32_t xmac_ldot4(int32_t acc, const uint32_t **pw, uint32_t a_lo, uint32_t a_hi);
 *   int32_t xmac_ldot2(int32_t acc, const uint32_t **pw, uint32_t a0, uint32_t a1, uint32_t a2,
 *                      uint32_t a3);
 *       ldot: w = **pw; *pw += 1 (one 32-bit word); return acc + dot(w, activations).
 *   int      xmac_present(void);   1 if the core implements Xmac version >= 1, else 0 (host: 1)
 *   uint32_t xmac_config(void);    the xmaccfg CSR; only call when xmac_present() (host: version 1,
 *                                  lanes 0, latency 0: the host has no MAC unit timing)
 *
 * Activation groups: the INT4 forms read a register pair and the INT2 forms a quad. The intrinsics
 * bind the group to explicit registers, XMAC_GROUP_REG0..3 (default a2..a5 = x12..x15, which is both
 * pair- and quad-aligned). To pick another group, define all four before including this header; the
 * first must be an even register (INT4) and a multiple of 4 (INT2), the rest consecutive.
 *
 * Weight words are little-endian packed two's complement: INT8 element i in bits 8i+7:8i, INT4 in
 * bits 4i+3:4i, INT2 in bits 2i+1:2i. Activations are INT8, four per word, byte i = element i.
 * Element i of the weights multiplies activation element i. Accumulation wraps modulo 2^32.
 */
#ifndef MCUCIM_XMAC_H
#define MCUCIM_XMAC_H
#include <stdint.h>

#include "xmac_ref.h"

#ifndef XMAC_GROUP_REG0
#define XMAC_GROUP_REG0 "a2"
#define XMAC_GROUP_REG1 "a3"
#define XMAC_GROUP_REG2 "a4"
#define XMAC_GROUP_REG3 "a5"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__riscv) && !defined(XMAC_USE_REF)

#if XMAC_CSR_XMACCFG != 0xFC0
#error "xmac.h: the xmaccfg read below hard-codes CSR 0xFC0 (as -64); update it with XMAC_CSR_XMACCFG"
#endif

/* The instructions: .insn r CUSTOM_0, funct3, funct7, rd, rs1, rs2. The dot forms are pure (no
 * volatile: the compiler may drop or combine them like arithmetic). The ldot forms read the word at
 * the pointer (the "m" operand tells the compiler which memory) and advance the pointer. */
#define XMAC__STR2(x) #x
#define XMAC__STR(x) XMAC__STR2(x)
#define XMAC__INSN(f3, f7) ".insn r CUSTOM_0, " XMAC__STR(f3) ", " XMAC__STR(f7) ", %0, %1, %2"

static inline int32_t xmac_dot8(int32_t acc, uint32_t w, uint32_t a) {
  __asm__(XMAC__INSN(0, 0) : "+r"(acc) : "r"(w), "r"(a));
  return acc;
}

static inline int32_t xmac_dot4(int32_t acc, uint32_t w, uint32_t a_lo, uint32_t a_hi) {
  register uint32_t g0 __asm__(XMAC_GROUP_REG0) = a_lo;
  register uint32_t g1 __asm__(XMAC_GROUP_REG1) = a_hi;
  __asm__(XMAC__INSN(1, 0) : "+r"(acc) : "r"(w), "r"(g0), "r"(g1));
  return acc;
}

static inline int32_t xmac_dot2(int32_t acc, uint32_t w, uint32_t a0, uint32_t a1, uint32_t a2,
                                uint32_t a3) {
  register uint32_t g0 __asm__(XMAC_GROUP_REG0) = a0;
  register uint32_t g1 __asm__(XMAC_GROUP_REG1) = a1;
  register uint32_t g2 __asm__(XMAC_GROUP_REG2) = a2;
  register uint32_t g3 __asm__(XMAC_GROUP_REG3) = a3;
  __asm__(XMAC__INSN(2, 0) : "+r"(acc) : "r"(w), "r"(g0), "r"(g1), "r"(g2), "r"(g3));
  return acc;
}

/* In the ldot forms the pointer is operand %1 and an in/out operand distinct from acc, so rd != rs1
 * (required by the encoding) holds by construction. */
static inline int32_t xmac_ldot8(int32_t acc, const uint32_t **pw, uint32_t a) {
  const uint32_t *p = *pw;
  __asm__(XMAC__INSN(0, 1) : "+r"(acc), "+r"(p) : "r"(a), "m"(*p));
  *pw = p;
  return acc;
}

static inline int32_t xmac_ldot4(int32_t acc, const uint32_t **pw, uint32_t a_lo, uint32_t a_hi) {
  const uint32_t *p = *pw;
  register uint32_t g0 __asm__(XMAC_GROUP_REG0) = a_lo;
  register uint32_t g1 __asm__(XMAC_GROUP_REG1) = a_hi;
  __asm__(XMAC__INSN(1, 1) : "+r"(acc), "+r"(p) : "r"(g0), "r"(g1), "m"(*p));
  *pw = p;
  return acc;
}

static inline int32_t xmac_ldot2(int32_t acc, const uint32_t **pw, uint32_t a0, uint32_t a1,
                                 uint32_t a2, uint32_t a3) {
  const uint32_t *p = *pw;
  register uint32_t g0 __asm__(XMAC_GROUP_REG0) = a0;
  register uint32_t g1 __asm__(XMAC_GROUP_REG1) = a1;
  register uint32_t g2 __asm__(XMAC_GROUP_REG2) = a2;
  register uint32_t g3 __asm__(XMAC_GROUP_REG3) = a3;
  __asm__(XMAC__INSN(2, 1) : "+r"(acc), "+r"(p) : "r"(g0), "r"(g1), "r"(g2), "r"(g3), "m"(*p));
  *pw = p;
  return acc;
}

/* misa is always readable in M-mode (it may read 0 when not implemented); xmaccfg is only read once
 * misa.X says a non-standard extension is present, and raises illegal-instruction when Xmac is off. */
static inline uint32_t xmac_config(void) {
  uint32_t cfg;
  /* csrrs cfg, 0xFC0, x0 (the .insn form assembles without Zicsr in -march; CSR numbers above 0x7FF
   * are written as the signed 12-bit immediate: 0xFC0 - 0x1000 = -64) */
  __asm__ volatile(".insn i SYSTEM, 2, %0, x0, -64" : "=r"(cfg));
  return cfg;
}

static inline int xmac_present(void) {
  uint32_t misa;
  __asm__ volatile(".insn i SYSTEM, 2, %0, x0, 0x301" : "=r"(misa)); /* csrrs misa, 0x301, x0 */
  if (((misa >> XMAC_MISA_BIT) & 1u) == 0u) return 0;
  return XMAC_CFG_VERSION(xmac_config()) >= XMAC_VERSION;
}

#else /* host, or XMAC_USE_REF: the reference semantics */

static inline int32_t xmac_dot8(int32_t acc, uint32_t w, uint32_t a) {
  return xmac_dot8_ref(acc, w, a);
}
static inline int32_t xmac_dot4(int32_t acc, uint32_t w, uint32_t a_lo, uint32_t a_hi) {
  return xmac_dot4_ref(acc, w, a_lo, a_hi);
}
static inline int32_t xmac_dot2(int32_t acc, uint32_t w, uint32_t a0, uint32_t a1, uint32_t a2,
                                uint32_t a3) {
  return xmac_dot2_ref(acc, w, a0, a1, a2, a3);
}
static inline int32_t xmac_ldot8(int32_t acc, const uint32_t **pw, uint32_t a) {
  uint32_t w = **pw;
  *pw += 1;
  return xmac_dot8_ref(acc, w, a);
}
static inline int32_t xmac_ldot4(int32_t acc, const uint32_t **pw, uint32_t a_lo, uint32_t a_hi) {
  uint32_t w = **pw;
  *pw += 1;
  return xmac_dot4_ref(acc, w, a_lo, a_hi);
}
static inline int32_t xmac_ldot2(int32_t acc, const uint32_t **pw, uint32_t a0, uint32_t a1,
                                 uint32_t a2, uint32_t a3) {
  uint32_t w = **pw;
  *pw += 1;
  return xmac_dot2_ref(acc, w, a0, a1, a2, a3);
}
static inline uint32_t xmac_config(void) { return XMAC_CFG_MAKE(XMAC_VERSION, 0, 0); }
static inline int xmac_present(void) { return 1; }

#endif

#ifdef __cplusplus
}
#endif
#endif /* MCUCIM_XMAC_H */

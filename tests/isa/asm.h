// A tiny RISC-V assembler for the ISS tests: instruction words built from the bit layouts of the
// RISC-V Unprivileged ISA v20191213 (figure 2.3 "RISC-V base instruction formats" and figure 2.4
// "immediate variants" for R/I/S/B/U/J; chapter 16, tables 16.1-16.3 and the per-instruction
// figures, for RVC; chapter 9 for Zicsr; chapter 11 for F) and from isa/XMAC.md for the custom-0
// Xmac encoding. Written independently of isa/decode.cpp: it scatters immediate bits into position,
// the decoder under test gathers them.
//
// Usage:
//   using namespace isatest;
//   Asm a(0x80000000);
//   auto loop = a.label();
//   a(addi(t0, zero, 3));
//   a.bind(loop);
//   a(addi(t0, t0, -1));
//   a(c_nop());                 // 16-bit instructions are of type C16
//   a.bne(t0, zero, loop);      // branches/jumps to labels are patched in finish()
//   a.halt();                   // semihosting sequence: run() stops with Stop::Semihost
//   std::vector<uint8_t> image = a.finish();
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace isatest {

// Integer registers (x numbers and ABI names).
enum Reg : uint32_t {
  x0 = 0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,
  x16, x17, x18, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, x29, x30, x31,
  zero = 0, ra = 1, sp = 2, gp = 3, tp = 4, t0 = 5, t1 = 6, t2 = 7, s0 = 8, s1 = 9,
  a0 = 10, a1 = 11, a2 = 12, a3 = 13, a4 = 14, a5 = 15, a6 = 16, a7 = 17,
  s2 = 18, s3 = 19, s4 = 20, s5 = 21, s6 = 22, s7 = 23, s8 = 24, s9 = 25, s10 = 26, s11 = 27,
  t3 = 28, t4 = 29, t5 = 30, t6 = 31,
};

// A 16-bit (compressed) instruction; a plain uint32_t is a 32-bit instruction.
struct C16 {
  uint16_t bits;
};

// Bits hi..lo of v shifted down to bit 0.
constexpr uint32_t bits_of(uint32_t v, unsigned hi, unsigned lo) {
  return (v >> lo) & ((hi - lo == 31) ? 0xffffffffu : ((1u << (hi - lo + 1)) - 1u));
}
constexpr uint32_t bit_of(uint32_t v, unsigned pos) { return (v >> pos) & 1u; }

// ---- 32-bit formats (figure 2.3 / 2.4) ------------------------------------------------------------
constexpr uint32_t enc_r(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (f7 << 25) | ((rs2 & 31) << 20) | ((rs1 & 31) << 15) | (f3 << 12) | ((rd & 31) << 7) | op;
}
constexpr uint32_t enc_i(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (bits_of(uint32_t(imm), 11, 0) << 20) | ((rs1 & 31) << 15) | (f3 << 12) | ((rd & 31) << 7) | op;
}
constexpr uint32_t enc_s(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t op) {
  const uint32_t u = uint32_t(imm);
  return (bits_of(u, 11, 5) << 25) | ((rs2 & 31) << 20) | ((rs1 & 31) << 15) | (f3 << 12) |
         (bits_of(u, 4, 0) << 7) | op;
}
// Branch offset: imm[12|10:5] in 31:25, imm[4:1|11] in 11:7.
constexpr uint32_t enc_b(int32_t off, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  const uint32_t u = uint32_t(off);
  return (bit_of(u, 12) << 31) | (bits_of(u, 10, 5) << 25) | ((rs2 & 31) << 20) | ((rs1 & 31) << 15) |
         (f3 << 12) | (bits_of(u, 4, 1) << 8) | (bit_of(u, 11) << 7) | 0x63;
}
// U-type: `imm` is the 20-bit upper immediate (the value placed in bits 31:12).
constexpr uint32_t enc_u(uint32_t imm20, uint32_t rd, uint32_t op) {
  return ((imm20 & 0xfffff) << 12) | ((rd & 31) << 7) | op;
}
// Jump offset: imm[20|10:1|11|19:12] in 31:12.
constexpr uint32_t enc_j(int32_t off, uint32_t rd) {
  const uint32_t u = uint32_t(off);
  return (bit_of(u, 20) << 31) | (bits_of(u, 10, 1) << 21) | (bit_of(u, 11) << 20) |
         (bits_of(u, 19, 12) << 12) | ((rd & 31) << 7) | 0x6f;
}

// ---- RV32I ----------------------------------------------------------------------------------------
constexpr uint32_t lui(uint32_t rd, uint32_t imm20) { return enc_u(imm20, rd, 0x37); }
constexpr uint32_t auipc(uint32_t rd, uint32_t imm20) { return enc_u(imm20, rd, 0x17); }
constexpr uint32_t jal(uint32_t rd, int32_t off) { return enc_j(off, rd); }
constexpr uint32_t jalr(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 0, rd, 0x67); }
constexpr uint32_t beq(uint32_t rs1, uint32_t rs2, int32_t off) { return enc_b(off, rs2, rs1, 0); }
constexpr uint32_t bne(uint32_t rs1, uint32_t rs2, int32_t off) { return enc_b(off, rs2, rs1, 1); }
constexpr uint32_t blt(uint32_t rs1, uint32_t rs2, int32_t off) { return enc_b(off, rs2, rs1, 4); }
constexpr uint32_t bge(uint32_t rs1, uint32_t rs2, int32_t off) { return enc_b(off, rs2, rs1, 5); }
constexpr uint32_t bltu(uint32_t rs1, uint32_t rs2, int32_t off) { return enc_b(off, rs2, rs1, 6); }
constexpr uint32_t bgeu(uint32_t rs1, uint32_t rs2, int32_t off) { return enc_b(off, rs2, rs1, 7); }
constexpr uint32_t lb(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 0, rd, 0x03); }
constexpr uint32_t lh(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 1, rd, 0x03); }
constexpr uint32_t lw(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 2, rd, 0x03); }
constexpr uint32_t lbu(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 4, rd, 0x03); }
constexpr uint32_t lhu(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 5, rd, 0x03); }
constexpr uint32_t sb(uint32_t rs2, uint32_t rs1, int32_t imm) { return enc_s(imm, rs2, rs1, 0, 0x23); }
constexpr uint32_t sh(uint32_t rs2, uint32_t rs1, int32_t imm) { return enc_s(imm, rs2, rs1, 1, 0x23); }
constexpr uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm) { return enc_s(imm, rs2, rs1, 2, 0x23); }
// RV32A (chapter 8; table 24.2): AMO opcode 0x2f, funct3 = 2, funct7 = funct5 << 2 | aq << 1 | rl.
constexpr uint32_t enc_amo(uint32_t funct5, uint32_t rd, uint32_t rs1, uint32_t rs2, bool aq = false, bool rl = false) {
  return enc_r((funct5 << 2) | (uint32_t(aq) << 1) | uint32_t(rl), rs2, rs1, 2, rd, 0x2f);
}
constexpr uint32_t lr_w(uint32_t rd, uint32_t rs1) { return enc_amo(0x02, rd, rs1, 0); }
constexpr uint32_t sc_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x03, rd, rs1, rs2); }
constexpr uint32_t amoswap_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x01, rd, rs1, rs2); }
constexpr uint32_t amoadd_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x00, rd, rs1, rs2); }
constexpr uint32_t amoxor_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x04, rd, rs1, rs2); }
constexpr uint32_t amoand_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x0c, rd, rs1, rs2); }
constexpr uint32_t amoor_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x08, rd, rs1, rs2); }
constexpr uint32_t amomin_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x10, rd, rs1, rs2); }
constexpr uint32_t amomax_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x14, rd, rs1, rs2); }
constexpr uint32_t amominu_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x18, rd, rs1, rs2); }
constexpr uint32_t amomaxu_w(uint32_t rd, uint32_t rs2, uint32_t rs1) { return enc_amo(0x1c, rd, rs1, rs2); }
constexpr uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 0, rd, 0x13); }
constexpr uint32_t slti(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 2, rd, 0x13); }
constexpr uint32_t sltiu(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 3, rd, 0x13); }
constexpr uint32_t xori(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 4, rd, 0x13); }
constexpr uint32_t ori(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 6, rd, 0x13); }
constexpr uint32_t andi(uint32_t rd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 7, rd, 0x13); }
constexpr uint32_t slli(uint32_t rd, uint32_t rs1, uint32_t sh) { return enc_r(0x00, sh, rs1, 1, rd, 0x13); }
constexpr uint32_t srli(uint32_t rd, uint32_t rs1, uint32_t sh) { return enc_r(0x00, sh, rs1, 5, rd, 0x13); }
constexpr uint32_t srai(uint32_t rd, uint32_t rs1, uint32_t sh) { return enc_r(0x20, sh, rs1, 5, rd, 0x13); }
constexpr uint32_t add(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 0, rd, 0x33); }
constexpr uint32_t sub(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x20, rs2, rs1, 0, rd, 0x33); }
constexpr uint32_t sll(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 1, rd, 0x33); }
constexpr uint32_t slt(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 2, rd, 0x33); }
constexpr uint32_t sltu(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 3, rd, 0x33); }
constexpr uint32_t xor_(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 4, rd, 0x33); }
constexpr uint32_t srl(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 5, rd, 0x33); }
constexpr uint32_t sra(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x20, rs2, rs1, 5, rd, 0x33); }
constexpr uint32_t or_(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 6, rd, 0x33); }
constexpr uint32_t and_(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x00, rs2, rs1, 7, rd, 0x33); }
constexpr uint32_t fence() { return enc_i(0x0ff, 0, 0, 0, 0x0f); }  // fence iorw, iorw
constexpr uint32_t fence_i() { return enc_i(0, 0, 1, 0, 0x0f); }
constexpr uint32_t ecall() { return enc_i(0, 0, 0, 0, 0x73); }
constexpr uint32_t ebreak() { return enc_i(1, 0, 0, 0, 0x73); }
constexpr uint32_t mret() { return enc_i(0x302, 0, 0, 0, 0x73); }
constexpr uint32_t wfi() { return enc_i(0x105, 0, 0, 0, 0x73); }
constexpr uint32_t nop() { return addi(0, 0, 0); }

// ---- RV32M ----------------------------------------------------------------------------------------
constexpr uint32_t mul(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 0, rd, 0x33); }
constexpr uint32_t mulh(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 1, rd, 0x33); }
constexpr uint32_t mulhsu(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 2, rd, 0x33); }
constexpr uint32_t mulhu(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 3, rd, 0x33); }
constexpr uint32_t div(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 4, rd, 0x33); }
constexpr uint32_t divu(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 5, rd, 0x33); }
constexpr uint32_t rem(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 6, rd, 0x33); }
constexpr uint32_t remu(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0x01, rs2, rs1, 7, rd, 0x33); }

// ---- Zicsr / Zifencei -----------------------------------------------------------------------------
constexpr uint32_t csrrw(uint32_t rd, uint32_t csr, uint32_t rs1) { return enc_i(int32_t(csr), rs1, 1, rd, 0x73); }
constexpr uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1) { return enc_i(int32_t(csr), rs1, 2, rd, 0x73); }
constexpr uint32_t csrrc(uint32_t rd, uint32_t csr, uint32_t rs1) { return enc_i(int32_t(csr), rs1, 3, rd, 0x73); }
constexpr uint32_t csrrwi(uint32_t rd, uint32_t csr, uint32_t uimm) { return enc_i(int32_t(csr), uimm, 5, rd, 0x73); }
constexpr uint32_t csrrsi(uint32_t rd, uint32_t csr, uint32_t uimm) { return enc_i(int32_t(csr), uimm, 6, rd, 0x73); }
constexpr uint32_t csrrci(uint32_t rd, uint32_t csr, uint32_t uimm) { return enc_i(int32_t(csr), uimm, 7, rd, 0x73); }
constexpr uint32_t csrr(uint32_t rd, uint32_t csr) { return csrrs(rd, csr, 0); }
constexpr uint32_t csrw(uint32_t csr, uint32_t rs1) { return csrrw(0, csr, rs1); }

// CSR numbers (privileged spec v1.12, tables 2.2-2.5).
enum Csr : uint32_t {
  kFflags = 0x001, kFrm = 0x002, kFcsr = 0x003,
  kMstatus = 0x300, kMisa = 0x301, kMie = 0x304, kMtvec = 0x305, kMscratch = 0x340, kMepc = 0x341,
  kMcause = 0x342, kMtval = 0x343, kMip = 0x344,
  kMcycle = 0xB00, kMinstret = 0xB02, kMcycleh = 0xB80, kMinstreth = 0xB82,
  kCycle = 0xC00, kInstret = 0xC02, kMhartid = 0xF14, kXmaccfg = 0xFC0,
};

// ---- F (chapter 11): fs/fd are FP register numbers ------------------------------------------------
constexpr uint32_t flw(uint32_t fd, uint32_t rs1, int32_t imm) { return enc_i(imm, rs1, 2, fd, 0x07); }
constexpr uint32_t fsw(uint32_t fs2, uint32_t rs1, int32_t imm) { return enc_s(imm, fs2, rs1, 2, 0x27); }
constexpr uint32_t fadd_s(uint32_t fd, uint32_t fs1, uint32_t fs2, uint32_t rm = 7) { return enc_r(0x00, fs2, fs1, rm, fd, 0x53); }
constexpr uint32_t fmul_s(uint32_t fd, uint32_t fs1, uint32_t fs2, uint32_t rm = 7) { return enc_r(0x08, fs2, fs1, rm, fd, 0x53); }
constexpr uint32_t fdiv_s(uint32_t fd, uint32_t fs1, uint32_t fs2, uint32_t rm = 7) { return enc_r(0x0c, fs2, fs1, rm, fd, 0x53); }
constexpr uint32_t fmv_w_x(uint32_t fd, uint32_t rs1) { return enc_r(0x78, 0, rs1, 0, fd, 0x53); }
constexpr uint32_t fmv_x_w(uint32_t rd, uint32_t fs1) { return enc_r(0x70, 0, fs1, 0, rd, 0x53); }
constexpr uint32_t fcvt_w_s(uint32_t rd, uint32_t fs1, uint32_t rm = 7) { return enc_r(0x60, 0, fs1, rm, rd, 0x53); }
constexpr uint32_t fcvt_s_w(uint32_t fd, uint32_t rs1, uint32_t rm = 7) { return enc_r(0x68, 0, rs1, rm, fd, 0x53); }
constexpr uint32_t flt_s(uint32_t rd, uint32_t fs1, uint32_t fs2) { return enc_r(0x50, fs2, fs1, 1, rd, 0x53); }
constexpr uint32_t fmadd_s(uint32_t fd, uint32_t fs1, uint32_t fs2, uint32_t fs3, uint32_t rm = 7) {
  return ((fs3 & 31) << 27) | (0u << 25) | ((fs2 & 31) << 20) | ((fs1 & 31) << 15) | (rm << 12) | ((fd & 31) << 7) | 0x43;
}

// ---- Xmac (isa/XMAC.md section 2: custom-0, R-type, funct7 = 0 dot / 1 ldot, funct3 = width) -------
constexpr uint32_t xmac_dot8(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0, rs2, rs1, 0, rd, 0x0b); }
constexpr uint32_t xmac_dot4(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0, rs2, rs1, 1, rd, 0x0b); }
constexpr uint32_t xmac_dot2(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(0, rs2, rs1, 2, rd, 0x0b); }
constexpr uint32_t xmac_ldot8(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(1, rs2, rs1, 0, rd, 0x0b); }
constexpr uint32_t xmac_ldot4(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(1, rs2, rs1, 1, rd, 0x0b); }
constexpr uint32_t xmac_ldot2(uint32_t rd, uint32_t rs1, uint32_t rs2) { return enc_r(1, rs2, rs1, 2, rd, 0x0b); }

// ---- RVC (chapter 16). Primed registers (rd', rs1', rs2') must be x8..x15. -------------------------
constexpr uint32_t creg(uint32_t r) { return (r - 8) & 7; }
constexpr C16 c16(uint32_t v) { return C16{uint16_t(v)}; }
// CI: funct3 | imm[5] | rd | imm[4:0] | op
constexpr C16 enc_ci(uint32_t f3, int32_t imm6, uint32_t rd, uint32_t op) {
  const uint32_t u = uint32_t(imm6);
  return c16((f3 << 13) | (bit_of(u, 5) << 12) | ((rd & 31) << 7) | (bits_of(u, 4, 0) << 2) | op);
}
constexpr C16 c_nop() { return c16(0x0001); }
constexpr C16 c_addi(uint32_t rd, int32_t imm) { return enc_ci(0, imm, rd, 1); }
constexpr C16 c_li(uint32_t rd, int32_t imm) { return enc_ci(2, imm, rd, 1); }
// c.lui rd, nzimm: nzimm[17] in bit 12, nzimm[16:12] in 6:2; `imm6` is nzimm[17:12] (sign-extended).
constexpr C16 c_lui(uint32_t rd, int32_t imm6) { return enc_ci(3, imm6, rd, 1); }
constexpr C16 c_slli(uint32_t rd, uint32_t sh) { return enc_ci(0, int32_t(sh), rd, 2); }
// c.addi16sp: nzimm[9] in 12, nzimm[4|6|8:7|5] in 6:2.
constexpr C16 c_addi16sp(int32_t imm) {
  const uint32_t u = uint32_t(imm);
  return c16((3u << 13) | (bit_of(u, 9) << 12) | (2u << 7) | (bit_of(u, 4) << 6) | (bit_of(u, 6) << 5) |
             (bits_of(u, 8, 7) << 3) | (bit_of(u, 5) << 2) | 1);
}
// c.addi4spn rd', nzuimm: nzuimm[5:4|9:6|2|3] in 12:5.
constexpr C16 c_addi4spn(uint32_t rdp, uint32_t uimm) {
  return c16((0u << 13) | (bits_of(uimm, 5, 4) << 11) | (bits_of(uimm, 9, 6) << 7) | (bit_of(uimm, 2) << 6) |
             (bit_of(uimm, 3) << 5) | (creg(rdp) << 2) | 0);
}
// CB-format ALU: 100 | imm[5] | funct2 | rd' | imm[4:0] | 01
constexpr C16 c_srli(uint32_t rdp, uint32_t sh) {
  return c16((4u << 13) | (bit_of(sh, 5) << 12) | (0u << 10) | (creg(rdp) << 7) | (bits_of(sh, 4, 0) << 2) | 1);
}
constexpr C16 c_srai(uint32_t rdp, uint32_t sh) {
  return c16((4u << 13) | (bit_of(sh, 5) << 12) | (1u << 10) | (creg(rdp) << 7) | (bits_of(sh, 4, 0) << 2) | 1);
}
constexpr C16 c_andi(uint32_t rdp, int32_t imm) {
  const uint32_t u = uint32_t(imm);
  return c16((4u << 13) | (bit_of(u, 5) << 12) | (2u << 10) | (creg(rdp) << 7) | (bits_of(u, 4, 0) << 2) | 1);
}
// CA: 100011 | rd' | funct2 | rs2' | 01
constexpr C16 enc_ca(uint32_t f2, uint32_t rdp, uint32_t rs2p) {
  return c16((0x23u << 10) | (creg(rdp) << 7) | (f2 << 5) | (creg(rs2p) << 2) | 1);
}
constexpr C16 c_sub(uint32_t rdp, uint32_t rs2p) { return enc_ca(0, rdp, rs2p); }
constexpr C16 c_xor(uint32_t rdp, uint32_t rs2p) { return enc_ca(1, rdp, rs2p); }
constexpr C16 c_or(uint32_t rdp, uint32_t rs2p) { return enc_ca(2, rdp, rs2p); }
constexpr C16 c_and(uint32_t rdp, uint32_t rs2p) { return enc_ca(3, rdp, rs2p); }
// CR: funct4 | rd/rs1 | rs2 | 10
constexpr C16 c_mv(uint32_t rd, uint32_t rs2) { return c16((8u << 12) | ((rd & 31) << 7) | ((rs2 & 31) << 2) | 2); }
constexpr C16 c_add(uint32_t rd, uint32_t rs2) { return c16((9u << 12) | ((rd & 31) << 7) | ((rs2 & 31) << 2) | 2); }
constexpr C16 c_jr(uint32_t rs1) { return c16((8u << 12) | ((rs1 & 31) << 7) | 2); }
constexpr C16 c_jalr(uint32_t rs1) { return c16((9u << 12) | ((rs1 & 31) << 7) | 2); }
constexpr C16 c_ebreak() { return c16(0x9002); }
// CJ: funct3 | imm[11|4|9:8|10|6|7|3:1|5] | 01
constexpr C16 enc_cj(uint32_t f3, int32_t off) {
  const uint32_t u = uint32_t(off);
  return c16((f3 << 13) | (bit_of(u, 11) << 12) | (bit_of(u, 4) << 11) | (bits_of(u, 9, 8) << 9) |
             (bit_of(u, 10) << 8) | (bit_of(u, 6) << 7) | (bit_of(u, 7) << 6) | (bits_of(u, 3, 1) << 3) |
             (bit_of(u, 5) << 2) | 1);
}
constexpr C16 c_j(int32_t off) { return enc_cj(5, off); }
constexpr C16 c_jal(int32_t off) { return enc_cj(1, off); }
// CB branch: funct3 | off[8|4:3] | rs1' | off[7:6|2:1|5] | 01
constexpr C16 enc_cb(uint32_t f3, uint32_t rs1p, int32_t off) {
  const uint32_t u = uint32_t(off);
  return c16((f3 << 13) | (bit_of(u, 8) << 12) | (bits_of(u, 4, 3) << 10) | (creg(rs1p) << 7) |
             (bits_of(u, 7, 6) << 5) | (bits_of(u, 2, 1) << 3) | (bit_of(u, 5) << 2) | 1);
}
constexpr C16 c_beqz(uint32_t rs1p, int32_t off) { return enc_cb(6, rs1p, off); }
constexpr C16 c_bnez(uint32_t rs1p, int32_t off) { return enc_cb(7, rs1p, off); }
// CL/CS word: funct3 | uimm[5:3] | rs1' | uimm[2|6] | rd'/rs2' | 00
constexpr C16 c_lw(uint32_t rdp, uint32_t rs1p, uint32_t uimm) {
  return c16((2u << 13) | (bits_of(uimm, 5, 3) << 10) | (creg(rs1p) << 7) | (bit_of(uimm, 2) << 6) |
             (bit_of(uimm, 6) << 5) | (creg(rdp) << 2));
}
constexpr C16 c_sw(uint32_t rs2p, uint32_t rs1p, uint32_t uimm) {
  return c16((6u << 13) | (bits_of(uimm, 5, 3) << 10) | (creg(rs1p) << 7) | (bit_of(uimm, 2) << 6) |
             (bit_of(uimm, 6) << 5) | (creg(rs2p) << 2));
}
// c.lwsp rd, uimm(sp): uimm[5] in 12, uimm[4:2|7:6] in 6:2.
constexpr C16 c_lwsp(uint32_t rd, uint32_t uimm) {
  return c16((2u << 13) | (bit_of(uimm, 5) << 12) | ((rd & 31) << 7) | (bits_of(uimm, 4, 2) << 4) |
             (bits_of(uimm, 7, 6) << 2) | 2);
}
// c.swsp rs2, uimm(sp): uimm[5:2|7:6] in 12:7.
constexpr C16 c_swsp(uint32_t rs2, uint32_t uimm) {
  return c16((6u << 13) | (bits_of(uimm, 5, 2) << 9) | (bits_of(uimm, 7, 6) << 7) | ((rs2 & 31) << 2) | 2);
}

// Semihosting sequence (RISC-V semihosting spec): slli x0,x0,0x1f; ebreak; srai x0,x0,7.
constexpr uint32_t kSemihostPre = slli(0, 0, 0x1f);
constexpr uint32_t kSemihostPost = srai(0, 0, 7);

// ---- Program builder ------------------------------------------------------------------------------
class Asm {
 public:
  struct Label {
    int id = -1;
  };

  explicit Asm(uint32_t base) : base_(base) {}
  uint32_t base() const { return base_; }
  uint32_t here() const { return base_ + uint32_t(bytes_.size()); }

  Asm& operator()(uint32_t insn) { put(insn, 4); return *this; }
  Asm& operator()(C16 insn) { put(insn.bits, 2); return *this; }
  // Raw data word (e.g. a constant pool entry).
  Asm& word(uint32_t w) { put(w, 4); return *this; }
  // Pad with 32-bit nops (or c.nops for a halfword remainder) to an address multiple of `align`.
  Asm& align(uint32_t align) {
    while (here() % align) {
      if (here() % 4) (*this)(c_nop());
      else (*this)(nop());
    }
    return *this;
  }

  Label label() { addrs_.push_back(~0u); return Label{int(addrs_.size() - 1)}; }
  Label bind(Label l) { addrs_.at(l.id) = here(); return l; }
  Label here_label() { return bind(label()); }
  uint32_t addr(Label l) const {
    const uint32_t a = addrs_.at(l.id);
    if (a == ~0u) throw std::logic_error("asm.h: label " + std::to_string(l.id) + " used but never bound");
    return a;
  }

  // Control transfers to labels (patched in finish()).
  Asm& beq(uint32_t rs1, uint32_t rs2, Label l) { return fix32(l, [=](int32_t o) { return isatest::beq(rs1, rs2, o); }); }
  Asm& bne(uint32_t rs1, uint32_t rs2, Label l) { return fix32(l, [=](int32_t o) { return isatest::bne(rs1, rs2, o); }); }
  Asm& blt(uint32_t rs1, uint32_t rs2, Label l) { return fix32(l, [=](int32_t o) { return isatest::blt(rs1, rs2, o); }); }
  Asm& bge(uint32_t rs1, uint32_t rs2, Label l) { return fix32(l, [=](int32_t o) { return isatest::bge(rs1, rs2, o); }); }
  Asm& bltu(uint32_t rs1, uint32_t rs2, Label l) { return fix32(l, [=](int32_t o) { return isatest::bltu(rs1, rs2, o); }); }
  Asm& bgeu(uint32_t rs1, uint32_t rs2, Label l) { return fix32(l, [=](int32_t o) { return isatest::bgeu(rs1, rs2, o); }); }
  Asm& jal(uint32_t rd, Label l) { return fix32(l, [=](int32_t o) { return isatest::jal(rd, o); }); }
  Asm& c_j(Label l) { return fix16(l, [=](int32_t o) { return isatest::c_j(o); }); }
  Asm& c_jal(Label l) { return fix16(l, [=](int32_t o) { return isatest::c_jal(o); }); }
  Asm& c_beqz(uint32_t rs1p, Label l) { return fix16(l, [=](int32_t o) { return isatest::c_beqz(rs1p, o); }); }
  Asm& c_bnez(uint32_t rs1p, Label l) { return fix16(l, [=](int32_t o) { return isatest::c_bnez(rs1p, o); }); }

  // rd = value, always as lui + addi (two 32-bit instructions, so code size does not depend on value).
  Asm& li(uint32_t rd, uint32_t value) {
    const uint32_t lo = value & 0xfff;
    const int32_t lo_s = lo >= 0x800 ? int32_t(lo) - 0x1000 : int32_t(lo);
    const uint32_t hi = (value - uint32_t(lo_s)) >> 12;
    (*this)(lui(rd, hi));
    (*this)(addi(rd, rd, lo_s));
    return *this;
  }
  // The semihosting call sequence; the ISS stops with Stop::Semihost at the ebreak.
  Asm& halt() {
    (*this)(kSemihostPre);
    (*this)(ebreak());
    (*this)(kSemihostPost);
    return *this;
  }

  // The image with all label references resolved.
  std::vector<uint8_t> finish() const {
    std::vector<uint8_t> out = bytes_;
    for (const Fixup& f : fixups_) {
      const int32_t off = int32_t(addr(f.target) - (base_ + f.pos));
      const uint32_t w = f.encode(off);
      std::memcpy(out.data() + f.pos, &w, f.len);  // little-endian host
    }
    return out;
  }

 private:
  struct Fixup {
    size_t pos;
    unsigned len;
    Label target;
    std::function<uint32_t(int32_t)> encode;
  };
  void put(uint32_t v, unsigned len) {
    for (unsigned i = 0; i < len; ++i) bytes_.push_back(uint8_t(v >> (8 * i)));
  }
  Asm& fix32(Label l, std::function<uint32_t(int32_t)> enc) {
    fixups_.push_back(Fixup{bytes_.size(), 4, l, std::move(enc)});
    put(0, 4);
    return *this;
  }
  Asm& fix16(Label l, std::function<C16(int32_t)> enc) {
    fixups_.push_back(Fixup{bytes_.size(), 2, l, [enc](int32_t o) { return uint32_t(enc(o).bits); }});
    put(0, 2);
    return *this;
  }

  uint32_t base_;
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> addrs_;
  std::vector<Fixup> fixups_;
};

}  // namespace isatest

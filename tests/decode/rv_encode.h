// Test-side RISC-V encoders, written from the bit layouts of the unprivileged spec v20191213
// (figure 2.3/2.4 for the 32-bit formats, table 16.1-16.3 and the per-instruction figures of chapter 16
// for RVC). They scatter immediate bits into position; the decoder under test gathers them, so the
// two are written independently.
#pragma once
#include <cstdint>

namespace rvenc {

// Bits hi..lo of v, moved down to bit 0.
constexpr uint32_t field(uint32_t v, unsigned hi, unsigned lo) {
  return (v >> lo) & ((1u << (hi - lo + 1)) - 1u);
}
// Bits hi..lo of v placed so that bit lo lands at position `at`.
constexpr uint32_t put(uint32_t v, unsigned hi, unsigned lo, unsigned at) {
  return field(v, hi, lo) << at;
}

// ---- major opcodes ----
enum : uint32_t {
  LOAD = 0x03, LOAD_FP = 0x07, CUSTOM0 = 0x0b, MISC_MEM = 0x0f, OP_IMM = 0x13, AUIPC = 0x17,
  STORE = 0x23, STORE_FP = 0x27, OP = 0x33, LUI = 0x37, MADD = 0x43, MSUB = 0x47, NMSUB = 0x4b,
  NMADD = 0x4f, OP_FP = 0x53, BRANCH = 0x63, JALR = 0x67, JAL = 0x6f, SYSTEM = 0x73,
};

// ---- 32-bit formats ----
constexpr uint32_t r_type(uint32_t funct7, uint32_t rs2, uint32_t rs1, uint32_t funct3, uint32_t rd,
                          uint32_t opcode) {
  return (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}
constexpr uint32_t r4_type(uint32_t rs3, uint32_t fmt, uint32_t rs2, uint32_t rs1, uint32_t rm,
                           uint32_t rd, uint32_t opcode) {
  return (rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode;
}
constexpr uint32_t i_type(int32_t imm, uint32_t rs1, uint32_t funct3, uint32_t rd, uint32_t opcode) {
  return put(static_cast<uint32_t>(imm), 11, 0, 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}
constexpr uint32_t s_type(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t funct3, uint32_t opcode) {
  const auto u = static_cast<uint32_t>(imm);
  return put(u, 11, 5, 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | put(u, 4, 0, 7) | opcode;
}
constexpr uint32_t b_type(int32_t off, uint32_t rs2, uint32_t rs1, uint32_t funct3) {
  const auto u = static_cast<uint32_t>(off);
  return put(u, 12, 12, 31) | put(u, 10, 5, 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) |
         put(u, 4, 1, 8) | put(u, 11, 11, 7) | BRANCH;
}
// imm is the final 32-bit value (low 12 bits ignored), like the decoded form.
constexpr uint32_t u_type(uint32_t imm, uint32_t rd, uint32_t opcode) {
  return (imm & 0xfffff000u) | (rd << 7) | opcode;
}
constexpr uint32_t j_type(int32_t off, uint32_t rd) {
  const auto u = static_cast<uint32_t>(off);
  return put(u, 20, 20, 31) | put(u, 10, 1, 21) | put(u, 11, 11, 20) | put(u, 19, 12, 12) | (rd << 7) |
         JAL;
}

// Common instructions.
constexpr uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(imm, rs1, 0, rd, OP_IMM); }
constexpr uint32_t andi(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(imm, rs1, 7, rd, OP_IMM); }
constexpr uint32_t slli(uint32_t rd, uint32_t rs1, uint32_t sh) { return r_type(0, sh, rs1, 1, rd, OP_IMM); }
constexpr uint32_t srli(uint32_t rd, uint32_t rs1, uint32_t sh) { return r_type(0, sh, rs1, 5, rd, OP_IMM); }
constexpr uint32_t srai(uint32_t rd, uint32_t rs1, uint32_t sh) { return r_type(0x20, sh, rs1, 5, rd, OP_IMM); }
constexpr uint32_t add(uint32_t rd, uint32_t rs1, uint32_t rs2) { return r_type(0, rs2, rs1, 0, rd, OP); }
constexpr uint32_t sub(uint32_t rd, uint32_t rs1, uint32_t rs2) { return r_type(0x20, rs2, rs1, 0, rd, OP); }
constexpr uint32_t xor_(uint32_t rd, uint32_t rs1, uint32_t rs2) { return r_type(0, rs2, rs1, 4, rd, OP); }
constexpr uint32_t or_(uint32_t rd, uint32_t rs1, uint32_t rs2) { return r_type(0, rs2, rs1, 6, rd, OP); }
constexpr uint32_t and_(uint32_t rd, uint32_t rs1, uint32_t rs2) { return r_type(0, rs2, rs1, 7, rd, OP); }
constexpr uint32_t lw(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(imm, rs1, 2, rd, LOAD); }
constexpr uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm) { return s_type(imm, rs2, rs1, 2, STORE); }
constexpr uint32_t flw(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(imm, rs1, 2, rd, LOAD_FP); }
constexpr uint32_t fsw(uint32_t rs2, uint32_t rs1, int32_t imm) { return s_type(imm, rs2, rs1, 2, STORE_FP); }
constexpr uint32_t jal(uint32_t rd, int32_t off) { return j_type(off, rd); }
constexpr uint32_t jalr(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(imm, rs1, 0, rd, JALR); }
constexpr uint32_t beq(uint32_t rs1, uint32_t rs2, int32_t off) { return b_type(off, rs2, rs1, 0); }
constexpr uint32_t bne(uint32_t rs1, uint32_t rs2, int32_t off) { return b_type(off, rs2, rs1, 1); }
constexpr uint32_t lui(uint32_t rd, uint32_t imm) { return u_type(imm, rd, LUI); }
constexpr uint32_t kEbreak = 0x00100073u;
constexpr uint32_t xmac(uint32_t funct7, uint32_t funct3, uint32_t rd, uint32_t rs1, uint32_t rs2) {
  return r_type(funct7, rs2, rs1, funct3, rd, CUSTOM0);
}

// ---- RVC (16-bit) ----
// Compressed register x8..x15 -> 3-bit field.
constexpr uint32_t cr(uint32_t x) { return x - 8; }

// Quadrant 0
constexpr uint16_t c_addi4spn(uint32_t rdp, uint32_t nzuimm) {
  return static_cast<uint16_t>((0u << 13) | put(nzuimm, 5, 4, 11) | put(nzuimm, 9, 6, 7) |
                               put(nzuimm, 2, 2, 6) | put(nzuimm, 3, 3, 5) | (cr(rdp) << 2) | 0);
}
// CL/CS word layout: uimm[5:3] -> 12:10, uimm[2] -> 6, uimm[6] -> 5.
constexpr uint16_t c_clcs(uint32_t funct3, uint32_t r1p, uint32_t r2p, uint32_t uimm) {
  return static_cast<uint16_t>((funct3 << 13) | put(uimm, 5, 3, 10) | (cr(r1p) << 7) | put(uimm, 2, 2, 6) |
                               put(uimm, 6, 6, 5) | (cr(r2p) << 2) | 0);
}
constexpr uint16_t c_lw(uint32_t rdp, uint32_t rs1p, uint32_t uimm) { return c_clcs(2, rs1p, rdp, uimm); }
constexpr uint16_t c_flw(uint32_t rdp, uint32_t rs1p, uint32_t uimm) { return c_clcs(3, rs1p, rdp, uimm); }
constexpr uint16_t c_sw(uint32_t rs2p, uint32_t rs1p, uint32_t uimm) { return c_clcs(6, rs1p, rs2p, uimm); }
constexpr uint16_t c_fsw(uint32_t rs2p, uint32_t rs1p, uint32_t uimm) { return c_clcs(7, rs1p, rs2p, uimm); }
// C.FLD / C.FSD layout (uimm[5:3] -> 12:10, uimm[7:6] -> 6:5).
constexpr uint16_t c_fld_fsd(uint32_t funct3, uint32_t r1p, uint32_t r2p, uint32_t uimm) {
  return static_cast<uint16_t>((funct3 << 13) | put(uimm, 5, 3, 10) | (cr(r1p) << 7) | put(uimm, 7, 6, 5) |
                               (cr(r2p) << 2) | 0);
}

// Quadrant 1
constexpr uint16_t c_ci(uint32_t funct3, uint32_t rd, int32_t imm6, uint32_t quadrant) {
  const auto u = static_cast<uint32_t>(imm6);
  return static_cast<uint16_t>((funct3 << 13) | put(u, 5, 5, 12) | (rd << 7) | put(u, 4, 0, 2) | quadrant);
}
constexpr uint16_t c_addi(uint32_t rd, int32_t imm) { return c_ci(0, rd, imm, 1); }
constexpr uint16_t c_nop() { return c_addi(0, 0); }
constexpr uint16_t c_li(uint32_t rd, int32_t imm) { return c_ci(2, rd, imm, 1); }
// C.LUI: imm17_12 is the 6-bit signed value of nzimm[17:12].
constexpr uint16_t c_lui(uint32_t rd, int32_t imm17_12) { return c_ci(3, rd, imm17_12, 1); }
// C.ADDI16SP: nzimm[9] -> 12, nzimm[4|6|8:7|5] -> 6:2.
constexpr uint16_t c_addi16sp(int32_t nzimm) {
  const auto u = static_cast<uint32_t>(nzimm);
  return static_cast<uint16_t>((3u << 13) | put(u, 9, 9, 12) | (2u << 7) | put(u, 4, 4, 6) | put(u, 6, 6, 5) |
                               put(u, 8, 7, 3) | put(u, 5, 5, 2) | 1);
}
// CJ: offset[11|4|9:8|10|6|7|3:1|5] -> 12:2.
constexpr uint16_t c_cj(uint32_t funct3, int32_t off) {
  const auto u = static_cast<uint32_t>(off);
  return static_cast<uint16_t>((funct3 << 13) | put(u, 11, 11, 12) | put(u, 4, 4, 11) | put(u, 9, 8, 9) |
                               put(u, 10, 10, 8) | put(u, 6, 6, 7) | put(u, 7, 7, 6) | put(u, 3, 1, 3) |
                               put(u, 5, 5, 2) | 1);
}
constexpr uint16_t c_jal(int32_t off) { return c_cj(1, off); }
constexpr uint16_t c_j(int32_t off) { return c_cj(5, off); }
// C.SRLI/C.SRAI/C.ANDI: funct3 100, bits 11:10 = funct2, rd' in 9:7, imm[5] -> 12, imm[4:0] -> 6:2.
constexpr uint16_t c_cb_alu(uint32_t funct2, uint32_t rdp, uint32_t imm6) {
  return static_cast<uint16_t>((4u << 13) | put(imm6, 5, 5, 12) | (funct2 << 10) | (cr(rdp) << 7) |
                               put(imm6, 4, 0, 2) | 1);
}
constexpr uint16_t c_srli(uint32_t rdp, uint32_t shamt) { return c_cb_alu(0, rdp, shamt); }
constexpr uint16_t c_srai(uint32_t rdp, uint32_t shamt) { return c_cb_alu(1, rdp, shamt); }
constexpr uint16_t c_andi(uint32_t rdp, int32_t imm) { return c_cb_alu(2, rdp, static_cast<uint32_t>(imm)); }
// CA: 100 | bit12 | 11 | rd' | funct2 | rs2' | 01.
constexpr uint16_t c_ca(uint32_t bit12, uint32_t funct2, uint32_t rdp, uint32_t rs2p) {
  return static_cast<uint16_t>((4u << 13) | (bit12 << 12) | (3u << 10) | (cr(rdp) << 7) | (funct2 << 5) |
                               (cr(rs2p) << 2) | 1);
}
constexpr uint16_t c_sub(uint32_t rdp, uint32_t rs2p) { return c_ca(0, 0, rdp, rs2p); }
constexpr uint16_t c_xor(uint32_t rdp, uint32_t rs2p) { return c_ca(0, 1, rdp, rs2p); }
constexpr uint16_t c_or(uint32_t rdp, uint32_t rs2p) { return c_ca(0, 2, rdp, rs2p); }
constexpr uint16_t c_and(uint32_t rdp, uint32_t rs2p) { return c_ca(0, 3, rdp, rs2p); }
// CB branch: offset[8|4:3] -> 12:10, offset[7:6|2:1|5] -> 6:2.
constexpr uint16_t c_branch(uint32_t funct3, uint32_t rs1p, int32_t off) {
  const auto u = static_cast<uint32_t>(off);
  return static_cast<uint16_t>((funct3 << 13) | put(u, 8, 8, 12) | put(u, 4, 3, 10) | (cr(rs1p) << 7) |
                               put(u, 7, 6, 5) | put(u, 2, 1, 3) | put(u, 5, 5, 2) | 1);
}
constexpr uint16_t c_beqz(uint32_t rs1p, int32_t off) { return c_branch(6, rs1p, off); }
constexpr uint16_t c_bnez(uint32_t rs1p, int32_t off) { return c_branch(7, rs1p, off); }

// Quadrant 2
constexpr uint16_t c_slli(uint32_t rd, uint32_t shamt) { return c_ci(0, rd, static_cast<int32_t>(shamt), 2); }
// CI stack load: uimm[5] -> 12, uimm[4:2|7:6] -> 6:2.
constexpr uint16_t c_lwsp_like(uint32_t funct3, uint32_t rd, uint32_t uimm) {
  return static_cast<uint16_t>((funct3 << 13) | put(uimm, 5, 5, 12) | (rd << 7) | put(uimm, 4, 2, 4) |
                               put(uimm, 7, 6, 2) | 2);
}
constexpr uint16_t c_lwsp(uint32_t rd, uint32_t uimm) { return c_lwsp_like(2, rd, uimm); }
constexpr uint16_t c_flwsp(uint32_t rd, uint32_t uimm) { return c_lwsp_like(3, rd, uimm); }
// C.FLDSP: uimm[5] -> 12, uimm[4:3|8:6] -> 6:2.
constexpr uint16_t c_fldsp(uint32_t rd, uint32_t uimm) {
  return static_cast<uint16_t>((1u << 13) | put(uimm, 5, 5, 12) | (rd << 7) | put(uimm, 4, 3, 5) |
                               put(uimm, 8, 6, 2) | 2);
}
// CSS stack store: uimm[5:2|7:6] -> 12:7.
constexpr uint16_t c_swsp_like(uint32_t funct3, uint32_t rs2, uint32_t uimm) {
  return static_cast<uint16_t>((funct3 << 13) | put(uimm, 5, 2, 9) | put(uimm, 7, 6, 7) | (rs2 << 2) | 2);
}
constexpr uint16_t c_swsp(uint32_t rs2, uint32_t uimm) { return c_swsp_like(6, rs2, uimm); }
constexpr uint16_t c_fswsp(uint32_t rs2, uint32_t uimm) { return c_swsp_like(7, rs2, uimm); }
// C.FSDSP: uimm[5:3|8:6] -> 12:7.
constexpr uint16_t c_fsdsp(uint32_t rs2, uint32_t uimm) {
  return static_cast<uint16_t>((5u << 13) | put(uimm, 5, 3, 10) | put(uimm, 8, 6, 7) | (rs2 << 2) | 2);
}
// CR: funct4 | rd/rs1 | rs2 | 10.
constexpr uint16_t c_cr(uint32_t funct4, uint32_t rd, uint32_t rs2) {
  return static_cast<uint16_t>((funct4 << 12) | (rd << 7) | (rs2 << 2) | 2);
}
constexpr uint16_t c_jr(uint32_t rs1) { return c_cr(8, rs1, 0); }
constexpr uint16_t c_mv(uint32_t rd, uint32_t rs2) { return c_cr(8, rd, rs2); }
constexpr uint16_t c_ebreak() { return c_cr(9, 0, 0); }
constexpr uint16_t c_jalr(uint32_t rs1) { return c_cr(9, rs1, 0); }
constexpr uint16_t c_add(uint32_t rd, uint32_t rs2) { return c_cr(9, rd, rs2); }

}  // namespace rvenc

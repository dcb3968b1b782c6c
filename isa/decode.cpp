// RV32IMFC + Zicsr + Zifencei + Xmac instruction decoder (see isa/insn.h for the decoded form).
//
// References: RISC-V Unprivileged ISA v20191213 (chapters 2, 3, 7, 11, 16 and the opcode map in
// chapter 24), RISC-V Privileged ISA v1.12 (MRET, WFI), isa/XMAC.md (custom-0 Xmac encoding).
//
// Field conventions of the decoded form (the interpreter and the hazard logic rely on them):
//  * rd/rs1/rs2/rs3 hold plain register numbers; whether a number names an integer or an FP register
//    follows from the op (e.g. FLW: rd is FP, rs1 integer; FSW: rs1 integer, rs2 FP; FCVT.W.S: rd
//    integer, rs1 FP; FCVT.S.W / FMV.W.X: rd FP, rs1 integer).
//  * A source field the instruction does not read is 0, a destination it does not write is 0
//    (branches, stores, fences, ECALL...). Encoding bits that select a variant (e.g. the rs2 field of
//    FCVT.WU.S, which is 1) are not copied into the register fields.
//  * imm is the fully sign-extended immediate; for LUI/AUIPC it is already shifted (raw & 0xfffff000);
//    for shifts it is the shift amount; for Zicsr it is the CSR number (0..4095, zero-extended).
//  * CSRRWI/CSRRSI/CSRRCI: the 5-bit zero-extended immediate (uimm, encoded in the rs1 field) is
//    stored in rs3 and rs1 is set to 0, so that the uimm is never mistaken for a register read.
//    CSRRW/CSRRS/CSRRC keep the source register in rs1.
//  * rm is the static rounding-mode field (funct3) of the F operations that round (FADD/FSUB/FMUL/
//    FDIV/FSQRT, the fused ops and the FCVTs); it is kept as encoded, including the reserved values 5
//    and 6 and the dynamic mode 7: an invalid rounding mode is an execute-time illegal instruction.
//    For the other ops rm is 0.
//  * Compressed instructions decode to the op and fields of their 32-bit expansion, with len = 2 and
//    raw = the 16 instruction bits. HINT encodings (e.g. C.NOP with a non-zero immediate, C.LI with
//    rd = x0) decode to their expansion, which writes x0 and therefore has no effect.
//  * Invalid encodings give op = ILLEGAL, tclass = SYSTEM, len and raw set, all other fields 0.
#include "isa/insn.h"

namespace mcucim::isa {
namespace {

// ---- bit helpers ----------------------------------------------------------------------------------
constexpr uint32_t bits(uint32_t v, unsigned hi, unsigned lo) {
  return (v >> lo) & ((1u << (hi - lo + 1)) - 1u);
}
constexpr uint32_t bit(uint32_t v, unsigned pos) { return (v >> pos) & 1u; }
// Sign-extend the low `width` bits of v.
constexpr int32_t sext(uint32_t v, unsigned width) {
  const uint32_t m = 1u << (width - 1);
  v &= (width == 32) ? 0xffffffffu : ((1u << width) - 1u);
  return static_cast<int32_t>((v ^ m) - m);
}

// ---- 32-bit immediate formats (unprivileged spec, figure 2.4) -------------------------------------
int32_t imm_i(uint32_t r) { return sext(bits(r, 31, 20), 12); }
int32_t imm_s(uint32_t r) { return sext((bits(r, 31, 25) << 5) | bits(r, 11, 7), 12); }
int32_t imm_b(uint32_t r) {
  return sext((bit(r, 31) << 12) | (bit(r, 7) << 11) | (bits(r, 30, 25) << 5) | (bits(r, 11, 8) << 1),
              13);
}
int32_t imm_u(uint32_t r) { return static_cast<int32_t>(r & 0xfffff000u); }
int32_t imm_j(uint32_t r) {
  return sext((bit(r, 31) << 20) | (bits(r, 19, 12) << 12) | (bit(r, 20) << 11) |
                  (bits(r, 30, 21) << 1),
              21);
}

// ---- Insn builders --------------------------------------------------------------------------------
Insn make(Op op, TClass tc, unsigned rd, unsigned rs1, unsigned rs2, int32_t imm) {
  Insn i;
  i.op = op;
  i.tclass = tc;
  i.rd = static_cast<uint8_t>(rd);
  i.rs1 = static_cast<uint8_t>(rs1);
  i.rs2 = static_cast<uint8_t>(rs2);
  i.imm = imm;
  return i;
}
Insn illegal() { return make(Op::ILLEGAL, TClass::SYSTEM, 0, 0, 0, 0); }

// ---- 32-bit major opcodes (table 24.1) ------------------------------------------------------------
enum : uint32_t {
  kLoad = 0x03, kLoadFp = 0x07, kCustom0 = 0x0b, kMiscMem = 0x0f, kOpImm = 0x13, kAuipc = 0x17,
  kStore = 0x23, kStoreFp = 0x27, kOp = 0x33, kLui = 0x37, kMadd = 0x43, kMsub = 0x47,
  kNmsub = 0x4b, kNmadd = 0x4f, kOpFp = 0x53, kBranch = 0x63, kJalr = 0x67, kJal = 0x6f,
  kSystem = 0x73, kAmo = 0x2f,
};

Insn decode_op(uint32_t r, const IsaFeatures& f) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const uint32_t funct3 = bits(r, 14, 12), funct7 = bits(r, 31, 25);
  if (funct7 == 0x00) {
    static constexpr Op kOps[8] = {Op::ADD, Op::SLL, Op::SLT, Op::SLTU,
                                   Op::XOR, Op::SRL, Op::OR,  Op::AND};
    const bool shift = funct3 == 1 || funct3 == 5;
    return make(kOps[funct3], shift ? TClass::SHIFT : TClass::ALU, rd, rs1, rs2, 0);
  }
  if (funct7 == 0x20) {
    if (funct3 == 0) return make(Op::SUB, TClass::ALU, rd, rs1, rs2, 0);
    if (funct3 == 5) return make(Op::SRA, TClass::SHIFT, rd, rs1, rs2, 0);
    return illegal();
  }
  if (funct7 == 0x01 && f.m) {
    static constexpr Op kOps[8] = {Op::MUL, Op::MULH, Op::MULHSU, Op::MULHU,
                                   Op::DIV, Op::DIVU, Op::REM,    Op::REMU};
    const TClass tc = funct3 == 0 ? TClass::MUL : funct3 < 4 ? TClass::MULH : TClass::DIV;
    return make(kOps[funct3], tc, rd, rs1, rs2, 0);
  }
  return illegal();
}

Insn decode_op_imm(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
  const uint32_t funct3 = bits(r, 14, 12);
  switch (funct3) {
    case 0: return make(Op::ADDI, TClass::ALU, rd, rs1, 0, imm_i(r));
    case 2: return make(Op::SLTI, TClass::ALU, rd, rs1, 0, imm_i(r));
    case 3: return make(Op::SLTIU, TClass::ALU, rd, rs1, 0, imm_i(r));
    case 4: return make(Op::XORI, TClass::ALU, rd, rs1, 0, imm_i(r));
    case 6: return make(Op::ORI, TClass::ALU, rd, rs1, 0, imm_i(r));
    case 7: return make(Op::ANDI, TClass::ALU, rd, rs1, 0, imm_i(r));
    default: break;
  }
  // Shifts: imm[11:5] is funct7; on RV32 shamt[5] (bit 25) must be 0, which the funct7 check covers.
  const uint32_t funct7 = bits(r, 31, 25), shamt = bits(r, 24, 20);
  if (funct3 == 1 && funct7 == 0x00) return make(Op::SLLI, TClass::SHIFT, rd, rs1, 0, shamt);
  if (funct3 == 5 && funct7 == 0x00) return make(Op::SRLI, TClass::SHIFT, rd, rs1, 0, shamt);
  if (funct3 == 5 && funct7 == 0x20) return make(Op::SRAI, TClass::SHIFT, rd, rs1, 0, shamt);
  return illegal();
}

Insn decode_system(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
  const uint32_t funct3 = bits(r, 14, 12);
  const int32_t csr = static_cast<int32_t>(bits(r, 31, 20));
  switch (funct3) {
    case 0:
      // Only the exact encodings; everything else in PRIV (SRET, SFENCE.VMA, ...) is not implemented.
      if (r == 0x00000073u) return make(Op::ECALL, TClass::SYSTEM, 0, 0, 0, 0);
      if (r == 0x00100073u) return make(Op::EBREAK, TClass::SYSTEM, 0, 0, 0, 0);
      if (r == 0x30200073u) return make(Op::MRET, TClass::SYSTEM, 0, 0, 0, 0);
      if (r == 0x10500073u) return make(Op::WFI, TClass::SYSTEM, 0, 0, 0, 0);
      return illegal();
    case 1: return make(Op::CSRRW, TClass::CSR, rd, rs1, 0, csr);
    case 2: return make(Op::CSRRS, TClass::CSR, rd, rs1, 0, csr);
    case 3: return make(Op::CSRRC, TClass::CSR, rd, rs1, 0, csr);
    case 5: case 6: case 7: {
      static constexpr Op kOps[3] = {Op::CSRRWI, Op::CSRRSI, Op::CSRRCI};
      Insn i = make(kOps[funct3 - 5], TClass::CSR, rd, 0, 0, csr);
      i.rs3 = static_cast<uint8_t>(rs1);  // uimm5, see the convention at the top of this file
      return i;
    }
    default: return illegal();  // funct3 = 4 is reserved (hypervisor loads/stores)
  }
}

Insn decode_op_fp(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const uint32_t funct3 = bits(r, 14, 12), funct7 = bits(r, 31, 25);
  auto rounded = [&](Op op, TClass tc, unsigned src2) {
    Insn i = make(op, tc, rd, rs1, src2, 0);
    i.rm = static_cast<uint8_t>(funct3);
    return i;
  };
  switch (funct7) {
    case 0x00: return rounded(Op::FADD_S, TClass::FP_ADD, rs2);
    case 0x04: return rounded(Op::FSUB_S, TClass::FP_ADD, rs2);
    case 0x08: return rounded(Op::FMUL_S, TClass::FP_MUL, rs2);
    case 0x0c: return rounded(Op::FDIV_S, TClass::FP_DIV, rs2);
    case 0x2c:
      if (rs2 == 0) return rounded(Op::FSQRT_S, TClass::FP_SQRT, 0);
      break;
    case 0x10:
      if (funct3 == 0) return make(Op::FSGNJ_S, TClass::FP_MOVE, rd, rs1, rs2, 0);
      if (funct3 == 1) return make(Op::FSGNJN_S, TClass::FP_MOVE, rd, rs1, rs2, 0);
      if (funct3 == 2) return make(Op::FSGNJX_S, TClass::FP_MOVE, rd, rs1, rs2, 0);
      break;
    case 0x14:
      if (funct3 == 0) return make(Op::FMIN_S, TClass::FP_CMP, rd, rs1, rs2, 0);
      if (funct3 == 1) return make(Op::FMAX_S, TClass::FP_CMP, rd, rs1, rs2, 0);
      break;
    case 0x60:  // FCVT.W[U].S: rd integer, rs1 FP; rs2 selects signedness
      if (rs2 == 0) return rounded(Op::FCVT_W_S, TClass::FP_CVT, 0);
      if (rs2 == 1) return rounded(Op::FCVT_WU_S, TClass::FP_CVT, 0);
      break;
    case 0x68:  // FCVT.S.W[U]: rd FP, rs1 integer
      if (rs2 == 0) return rounded(Op::FCVT_S_W, TClass::FP_CVT, 0);
      if (rs2 == 1) return rounded(Op::FCVT_S_WU, TClass::FP_CVT, 0);
      break;
    case 0x50:  // compares: rd integer
      if (funct3 == 0) return make(Op::FLE_S, TClass::FP_CMP, rd, rs1, rs2, 0);
      if (funct3 == 1) return make(Op::FLT_S, TClass::FP_CMP, rd, rs1, rs2, 0);
      if (funct3 == 2) return make(Op::FEQ_S, TClass::FP_CMP, rd, rs1, rs2, 0);
      break;
    case 0x70:  // rd integer
      if (rs2 == 0 && funct3 == 0) return make(Op::FMV_X_W, TClass::FP_MOVE, rd, rs1, 0, 0);
      if (rs2 == 0 && funct3 == 1) return make(Op::FCLASS_S, TClass::FP_CMP, rd, rs1, 0, 0);
      break;
    case 0x78:  // rd FP, rs1 integer
      if (rs2 == 0 && funct3 == 0) return make(Op::FMV_W_X, TClass::FP_MOVE, rd, rs1, 0, 0);
      break;
    default: break;
  }
  return illegal();
}

Insn decode_fused(uint32_t r, Op op) {
  if (bits(r, 26, 25) != 0) return illegal();  // fmt: 00 = S; D/H/Q are not implemented
  Insn i = make(op, TClass::FP_FMA, bits(r, 11, 7), bits(r, 19, 15), bits(r, 24, 20), 0);
  i.rs3 = static_cast<uint8_t>(bits(r, 31, 27));
  i.rm = static_cast<uint8_t>(bits(r, 14, 12));
  return i;
}

// RV32A (unprivileged spec chapter 8, table 24.2 "RV32A"): funct5 = bits 31:27, aq/rl = bits 26:25
// (ignored), funct3 = 2 (word). LR.W requires rs2 = 0.
Insn decode_amo(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  if (bits(r, 14, 12) != 2) return illegal();
  switch (bits(r, 31, 27)) {
    case 0x02: return rs2 == 0 ? make(Op::LR_W, TClass::LOAD, rd, rs1, 0, 0) : illegal();
    case 0x03: return make(Op::SC_W, TClass::STORE, rd, rs1, rs2, 0);
    case 0x01: return make(Op::AMOSWAP_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x00: return make(Op::AMOADD_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x04: return make(Op::AMOXOR_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x0c: return make(Op::AMOAND_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x08: return make(Op::AMOOR_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x10: return make(Op::AMOMIN_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x14: return make(Op::AMOMAX_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x18: return make(Op::AMOMINU_W, TClass::LOAD, rd, rs1, rs2, 0);
    case 0x1c: return make(Op::AMOMAXU_W, TClass::LOAD, rd, rs1, rs2, 0);
    default: return illegal();
  }
}

// Xmac (custom-0), see isa/XMAC.md.
Insn decode_xmac(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const uint32_t funct3 = bits(r, 14, 12), funct7 = bits(r, 31, 25);
  if (funct3 > 2 || funct7 > 1) return illegal();
  const unsigned group = 1u << funct3;  // activation registers: 1 (INT8), 2 (INT4), 4 (INT2)
  if (rs2 % group != 0) return illegal();
  if (funct7 == 1) {
    if (rd == rs1) return illegal();  // both are written
    static constexpr Op kOps[3] = {Op::XMAC_LDOT8, Op::XMAC_LDOT4, Op::XMAC_LDOT2};
    return make(kOps[funct3], TClass::XMAC_LOAD, rd, rs1, rs2, 0);
  }
  static constexpr Op kOps[3] = {Op::XMAC_DOT8, Op::XMAC_DOT4, Op::XMAC_DOT2};
  return make(kOps[funct3], TClass::XMAC, rd, rs1, rs2, 0);
}

Insn decode32(uint32_t r, const IsaFeatures& f) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const uint32_t funct3 = bits(r, 14, 12);
  switch (r & 0x7f) {
    case kLui: return make(Op::LUI, TClass::ALU, rd, 0, 0, imm_u(r));
    case kAuipc: return make(Op::AUIPC, TClass::ALU, rd, 0, 0, imm_u(r));
    case kJal: return make(Op::JAL, TClass::JAL, rd, 0, 0, imm_j(r));
    case kJalr:
      if (funct3 != 0) return illegal();
      return make(Op::JALR, TClass::JALR, rd, rs1, 0, imm_i(r));
    case kBranch: {
      static constexpr Op kOps[8] = {Op::BEQ,     Op::BNE, Op::ILLEGAL, Op::ILLEGAL,
                                     Op::BLT,     Op::BGE, Op::BLTU,    Op::BGEU};
      if (kOps[funct3] == Op::ILLEGAL) return illegal();
      return make(kOps[funct3], TClass::BRANCH, 0, rs1, rs2, imm_b(r));
    }
    case kLoad: {
      static constexpr Op kOps[8] = {Op::LB,  Op::LH,  Op::LW,      Op::ILLEGAL,
                                     Op::LBU, Op::LHU, Op::ILLEGAL, Op::ILLEGAL};
      if (kOps[funct3] == Op::ILLEGAL) return illegal();
      return make(kOps[funct3], TClass::LOAD, rd, rs1, 0, imm_i(r));
    }
    case kStore: {
      static constexpr Op kOps[3] = {Op::SB, Op::SH, Op::SW};
      if (funct3 > 2) return illegal();
      return make(kOps[funct3], TClass::STORE, 0, rs1, rs2, imm_s(r));
    }
    case kOpImm: return decode_op_imm(r);
    case kOp: return decode_op(r, f);
    case kMiscMem:
      // FENCE: the spec reserves rd, rs1 and the unused fm/pred/succ combinations for future fences
      // and requires base implementations to ignore them (treat as a normal fence), so every
      // funct3 = 0 encoding is a FENCE (FENCE.TSO included). FENCE.I likewise ignores imm/rs1/rd.
      // imm keeps the fm/pred/succ bits (raw[31:20]) for the disassembler.
      if (funct3 == 0) return make(Op::FENCE, TClass::SYSTEM, 0, 0, 0, static_cast<int32_t>(bits(r, 31, 20)));
      if (funct3 == 1) return make(Op::FENCE_I, TClass::SYSTEM, 0, 0, 0, 0);
      return illegal();
    case kSystem: return decode_system(r);
    case kLoadFp:
      if (!f.f || funct3 != 2) return illegal();
      return make(Op::FLW, TClass::FP_LOAD, rd, rs1, 0, imm_i(r));
    case kStoreFp:
      if (!f.f || funct3 != 2) return illegal();
      return make(Op::FSW, TClass::FP_STORE, 0, rs1, rs2, imm_s(r));
    case kMadd: return f.f ? decode_fused(r, Op::FMADD_S) : illegal();
    case kMsub: return f.f ? decode_fused(r, Op::FMSUB_S) : illegal();
    case kNmsub: return f.f ? decode_fused(r, Op::FNMSUB_S) : illegal();
    case kNmadd: return f.f ? decode_fused(r, Op::FNMADD_S) : illegal();
    case kOpFp: return f.f ? decode_op_fp(r) : illegal();
    case kCustom0: return f.xmac ? decode_xmac(r) : illegal();
    case kAmo: return f.a ? decode_amo(r) : illegal();
    default: return illegal();
  }
}

// ---- RV32C (unprivileged spec chapter 16, tables 16.5-16.7) ---------------------------------------
// Register x8..x15 from a 3-bit compressed register field.
constexpr unsigned creg(uint32_t field) { return 8u + field; }

Insn decode16(uint32_t r, const IsaFeatures& f) {
  const uint32_t funct3 = bits(r, 15, 13);
  const unsigned rd_full = bits(r, 11, 7), rs2_full = bits(r, 6, 2);
  const unsigned rdp = creg(bits(r, 4, 2)), rs1p = creg(bits(r, 9, 7));
  // CI-format 6-bit immediate imm[5] = bit 12, imm[4:0] = bits 6:2.
  const int32_t ci_imm = sext((bit(r, 12) << 5) | bits(r, 6, 2), 6);
  // CL/CS word offset: uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5.
  const int32_t clw_off = static_cast<int32_t>((bits(r, 12, 10) << 3) | (bit(r, 6) << 2) | (bit(r, 5) << 6));
  // CJ jump offset: bits 12:2 = imm[11|4|9:8|10|6|7|3:1|5].
  const int32_t cj_off = sext((bit(r, 12) << 11) | (bit(r, 11) << 4) | (bits(r, 10, 9) << 8) |
                                  (bit(r, 8) << 10) | (bit(r, 7) << 6) | (bit(r, 6) << 7) |
                                  (bits(r, 5, 3) << 1) | (bit(r, 2) << 5),
                              12);
  switch (r & 3) {
    case 0:
      switch (funct3) {
        case 0: {  // C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = bits 12:5
          const uint32_t nzuimm = (bits(r, 12, 11) << 4) | (bits(r, 10, 7) << 6) | (bit(r, 6) << 2) |
                                  (bit(r, 5) << 3);
          if (nzuimm == 0) return illegal();  // includes the all-zero instruction
          return make(Op::ADDI, TClass::ALU, rdp, 2, 0, static_cast<int32_t>(nzuimm));
        }
        case 2: return make(Op::LW, TClass::LOAD, rdp, rs1p, 0, clw_off);
        case 3:  // C.FLW (RV32FC)
          if (!f.f) return illegal();
          return make(Op::FLW, TClass::FP_LOAD, rdp, rs1p, 0, clw_off);
        case 6: return make(Op::SW, TClass::STORE, 0, rs1p, rdp, clw_off);
        case 7:  // C.FSW (RV32FC)
          if (!f.f) return illegal();
          return make(Op::FSW, TClass::FP_STORE, 0, rs1p, rdp, clw_off);
        default: return illegal();  // C.FLD, C.FSD (no D), 100 reserved
      }
    case 1:
      switch (funct3) {
        case 0: return make(Op::ADDI, TClass::ALU, rd_full, rd_full, 0, ci_imm);  // C.NOP / C.ADDI
        case 1: return make(Op::JAL, TClass::JAL, 1, 0, 0, cj_off);              // C.JAL
        case 2: return make(Op::ADDI, TClass::ALU, rd_full, 0, 0, ci_imm);       // C.LI
        case 3:
          if (rd_full == 2) {  // C.ADDI16SP: nzimm[9] = bit 12, bits 6:2 = nzimm[4|6|8:7|5]
            const int32_t nzimm = sext((bit(r, 12) << 9) | (bit(r, 6) << 4) | (bit(r, 5) << 6) |
                                           (bits(r, 4, 3) << 7) | (bit(r, 2) << 5),
                                       10);
            if (nzimm == 0) return illegal();
            return make(Op::ADDI, TClass::ALU, 2, 2, 0, nzimm);
          }
          // C.LUI: nzimm[17] = bit 12, nzimm[16:12] = bits 6:2
          if (ci_imm == 0) return illegal();
          return make(Op::LUI, TClass::ALU, rd_full, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(ci_imm) << 12));
        case 4:
          switch (bits(r, 11, 10)) {
            case 0:  // C.SRLI
            case 1:  // C.SRAI
              if (bit(r, 12)) return illegal();  // shamt[5] = 1 is reserved on RV32
              return make(bits(r, 11, 10) == 0 ? Op::SRLI : Op::SRAI, TClass::SHIFT, rs1p, rs1p, 0,
                          static_cast<int32_t>(bits(r, 6, 2)));
            case 2: return make(Op::ANDI, TClass::ALU, rs1p, rs1p, 0, ci_imm);  // C.ANDI
            default: {
              if (bit(r, 12)) return illegal();  // C.SUBW/C.ADDW (RV64) and reserved
              static constexpr Op kOps[4] = {Op::SUB, Op::XOR, Op::OR, Op::AND};
              return make(kOps[bits(r, 6, 5)], TClass::ALU, rs1p, rs1p, rdp, 0);
            }
          }
        case 5: return make(Op::JAL, TClass::JAL, 0, 0, 0, cj_off);  // C.J
        case 6:
        case 7: {  // C.BEQZ / C.BNEZ: offset[8|4:3] = bits 12:10, offset[7:6|2:1|5] = bits 6:2
          const int32_t off = sext((bit(r, 12) << 8) | (bits(r, 11, 10) << 3) | (bits(r, 6, 5) << 6) |
                                       (bits(r, 4, 3) << 1) | (bit(r, 2) << 5),
                                   9);
          return make(funct3 == 6 ? Op::BEQ : Op::BNE, TClass::BRANCH, 0, rs1p, 0, off);
        }
        default: return illegal();
      }
    case 2: {
      // CI stack-pointer word offset: uimm[5] = bit 12, uimm[4:2|7:6] = bits 6:2.
      const int32_t lwsp_off = static_cast<int32_t>((bit(r, 12) << 5) | (bits(r, 6, 4) << 2) | (bits(r, 3, 2) << 6));
      // CSS stack-pointer word offset: uimm[5:2|7:6] = bits 12:7.
      const int32_t swsp_off = static_cast<int32_t>((bits(r, 12, 9) << 2) | (bits(r, 8, 7) << 6));
      switch (funct3) {
        case 0:  // C.SLLI
          if (bit(r, 12)) return illegal();  // shamt[5] = 1 is reserved on RV32
          return make(Op::SLLI, TClass::SHIFT, rd_full, rd_full, 0, static_cast<int32_t>(rs2_full));
        case 2:  // C.LWSP
          if (rd_full == 0) return illegal();
          return make(Op::LW, TClass::LOAD, rd_full, 2, 0, lwsp_off);
        case 3:  // C.FLWSP (RV32FC)
          if (!f.f) return illegal();
          return make(Op::FLW, TClass::FP_LOAD, rd_full, 2, 0, lwsp_off);
        case 4:
          if (bit(r, 12) == 0) {
            if (rs2_full == 0) {  // C.JR
              if (rd_full == 0) return illegal();
              return make(Op::JALR, TClass::JALR, 0, rd_full, 0, 0);
            }
            return make(Op::ADD, TClass::ALU, rd_full, 0, rs2_full, 0);  // C.MV
          }
          if (rs2_full == 0) {
            if (rd_full == 0) return make(Op::EBREAK, TClass::SYSTEM, 0, 0, 0, 0);  // C.EBREAK
            return make(Op::JALR, TClass::JALR, 1, rd_full, 0, 0);                 // C.JALR
          }
          return make(Op::ADD, TClass::ALU, rd_full, rd_full, rs2_full, 0);  // C.ADD
        case 6: return make(Op::SW, TClass::STORE, 0, 2, rs2_full, swsp_off);  // C.SWSP
        case 7:  // C.FSWSP (RV32FC)
          if (!f.f) return illegal();
          return make(Op::FSW, TClass::FP_STORE, 0, 2, rs2_full, swsp_off);
        default: return illegal();  // C.FLDSP, C.FSDSP (no D)
      }
    }
    default: return illegal();  // not reached: (r & 3) == 3 is a 32-bit instruction
  }
}

}  // namespace

Insn decode(uint32_t raw, const IsaFeatures& features) {
  Insn insn;
  if ((raw & 3u) != 3u) {
    const uint32_t half = raw & 0xffffu;
    insn = features.c ? decode16(half, features) : illegal();
    insn.len = 2;
    insn.raw = half;
  } else {
    // Encodings with bits 4:2 = 111 announce 48-bit and longer instructions; none are implemented,
    // and their opcodes fall through to ILLEGAL in decode32.
    insn = decode32(raw, features);
    insn.len = 4;
    insn.raw = raw;
  }
  return insn;
}

}  // namespace mcucim::isa

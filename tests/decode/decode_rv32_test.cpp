// 32-bit decoding: RV32I, M, F, Zicsr, Zifencei, system instructions, Xmac, feature gating and
// illegal encodings. Expected values come from the spec's encoding tables via the test encoders.
#include <gtest/gtest.h>

#include <climits>

#include "expect_insn.h"
#include "rv_encode.h"

namespace {
using namespace decode_test;
using namespace rvenc;
using mcucim::isa::decode;

// ---------------------------------------------------------------------------------------------------
TEST(DecodeRv32I, LuiAuipcKeepShiftedImmediate) {
  expect32(lui(5, 0x12345000), {Op::LUI, TClass::ALU, 5, 0, 0, 0x12345000});
  expect32(lui(31, 0xfffff000), {Op::LUI, TClass::ALU, 31, 0, 0, -4096});
  expect32(lui(1, 0x80000000), {Op::LUI, TClass::ALU, 1, 0, 0, INT32_MIN});
  expect32(lui(0, 0x7ffff000), {Op::LUI, TClass::ALU, 0, 0, 0, 0x7ffff000});
  expect32(u_type(0xabcde000, 10, AUIPC), {Op::AUIPC, TClass::ALU, 10, 0, 0,
                                           static_cast<int32_t>(0xabcde000u)});
  expect32(u_type(0, 3, AUIPC), {Op::AUIPC, TClass::ALU, 3, 0, 0, 0});
  // Hand-assembled: lui a0, 0x12345 = 0x12345537.
  expect32(0x12345537u, {Op::LUI, TClass::ALU, 10, 0, 0, 0x12345000});
}

TEST(DecodeRv32I, JalOffsetsAtExtremes) {
  for (int32_t off : {0, 2, -2, 4, 2046, 2048, -2048, 0x7fffe, -0x80000, 1048574, -1048576, 0x55554,
                      -0x2aaaa}) {
    expect32(jal(1, off), {Op::JAL, TClass::JAL, 1, 0, 0, off});
    expect32(jal(0, off), {Op::JAL, TClass::JAL, 0, 0, 0, off});
  }
  // Hand-assembled: jal ra, +0x100 = 0x100000ef; all offset bits set = -2 (0xffdff0ef... with rd=ra).
  expect32(0x100000efu, {Op::JAL, TClass::JAL, 1, 0, 0, 0x100});
  expect32(0xfffff0efu, {Op::JAL, TClass::JAL, 1, 0, 0, -2});
}

TEST(DecodeRv32I, Jalr) {
  expect32(jalr(1, 10, 0), {Op::JALR, TClass::JALR, 1, 10, 0, 0});
  expect32(jalr(0, 1, 0), {Op::JALR, TClass::JALR, 0, 1, 0, 0});
  expect32(jalr(5, 6, -2048), {Op::JALR, TClass::JALR, 5, 6, 0, -2048});
  expect32(jalr(5, 6, 2047), {Op::JALR, TClass::JALR, 5, 6, 0, 2047});
  for (uint32_t f3 = 1; f3 < 8; ++f3) expect_illegal32(i_type(0, 1, f3, 1, JALR));
}

TEST(DecodeRv32I, BranchesAllConditionsAndOffsetEdges) {
  const struct { uint32_t funct3; Op op; } kBr[] = {{0, Op::BEQ},  {1, Op::BNE},  {4, Op::BLT},
                                                   {5, Op::BGE},  {6, Op::BLTU}, {7, Op::BGEU}};
  for (const auto& b : kBr) {
    for (int32_t off : {2, -2, 4094, -4096, 2048, -2048, 2046, 0x554, -0xaaa, 0}) {
      // rd field of the decoded form must be 0 (branches write nothing).
      expect32(b_type(off, 7, 31, b.funct3), {b.op, TClass::BRANCH, 0, 31, 7, off});
    }
  }
  expect_illegal32(b_type(8, 1, 2, 2));
  expect_illegal32(b_type(8, 1, 2, 3));
  // Hand-assembled: beq a0, zero, +16 = 0x00050863; bne with offset -4096 = 0x80001063 (rs1=rs2=x0).
  expect32(0x00050863u, {Op::BEQ, TClass::BRANCH, 0, 10, 0, 16});
  expect32(0x80001063u, {Op::BNE, TClass::BRANCH, 0, 0, 0, -4096});
  expect32(0x7e000fe3u, {Op::BEQ, TClass::BRANCH, 0, 0, 0, 4094});
}

TEST(DecodeRv32I, Loads) {
  const struct { uint32_t funct3; Op op; } kLd[] = {
      {0, Op::LB}, {1, Op::LH}, {2, Op::LW}, {4, Op::LBU}, {5, Op::LHU}};
  for (const auto& l : kLd) {
    for (int32_t imm : {0, 1, -1, 2047, -2048, 0x555, -0x556}) {
      expect32(i_type(imm, 2, l.funct3, 15, LOAD), {l.op, TClass::LOAD, 15, 2, 0, imm});
    }
  }
  expect32(lw(0, 1, 4), {Op::LW, TClass::LOAD, 0, 1, 0, 4});  // load to x0 is still a load
  for (uint32_t f3 : {3u, 6u, 7u}) expect_illegal32(i_type(0, 1, f3, 1, LOAD));
  // Hand-assembled: lw a5, 8(sp) = 0x00812783.
  expect32(0x00812783u, {Op::LW, TClass::LOAD, 15, 2, 0, 8});
}

TEST(DecodeRv32I, Stores) {
  const struct { uint32_t funct3; Op op; } kSt[] = {{0, Op::SB}, {1, Op::SH}, {2, Op::SW}};
  for (const auto& s : kSt) {
    for (int32_t imm : {0, 1, -1, 2047, -2048, 0x3e0, 0x1f, -0x20}) {
      expect32(s_type(imm, 15, 8, s.funct3, STORE), {s.op, TClass::STORE, 0, 8, 15, imm});
    }
  }
  for (uint32_t f3 = 3; f3 < 8; ++f3) expect_illegal32(s_type(0, 1, 2, f3, STORE));
  // Hand-assembled: sw a5, -4(s0) = 0xfef42e23.
  expect32(0xfef42e23u, {Op::SW, TClass::STORE, 0, 8, 15, -4});
}

TEST(DecodeRv32I, RegisterImmediate) {
  const struct { uint32_t funct3; Op op; } kImm[] = {{0, Op::ADDI}, {2, Op::SLTI}, {3, Op::SLTIU},
                                                    {4, Op::XORI}, {6, Op::ORI},  {7, Op::ANDI}};
  for (const auto& a : kImm) {
    for (int32_t imm : {0, 1, -1, 2047, -2048, 0x7ff, -0x7ff}) {
      expect32(i_type(imm, 11, a.funct3, 10, OP_IMM), {a.op, TClass::ALU, 10, 11, 0, imm});
    }
  }
  // sltiu still sign-extends its immediate (the comparison is unsigned).
  expect32(i_type(-1, 1, 3, 2, OP_IMM), {Op::SLTIU, TClass::ALU, 2, 1, 0, -1});
  // Hand-assembled: addi a0, a0, 1 = 0x00150513; the canonical nop = 0x00000013.
  expect32(0x00150513u, {Op::ADDI, TClass::ALU, 10, 10, 0, 1});
  expect32(0x00000013u, {Op::ADDI, TClass::ALU, 0, 0, 0, 0});
}

TEST(DecodeRv32I, ImmediateShifts) {
  for (uint32_t sh = 0; sh < 32; ++sh) {
    expect32(slli(1, 2, sh), {Op::SLLI, TClass::SHIFT, 1, 2, 0, static_cast<int32_t>(sh)});
    expect32(srli(3, 4, sh), {Op::SRLI, TClass::SHIFT, 3, 4, 0, static_cast<int32_t>(sh)});
    expect32(srai(5, 6, sh), {Op::SRAI, TClass::SHIFT, 5, 6, 0, static_cast<int32_t>(sh)});
    // shamt[5] = 1 is reserved on RV32.
    expect_illegal32(r_type(0x01, sh, 2, 1, 1, OP_IMM));
    expect_illegal32(r_type(0x01, sh, 2, 5, 1, OP_IMM));
    expect_illegal32(r_type(0x21, sh, 2, 5, 1, OP_IMM));
  }
  // Other imm[11:5] patterns.
  for (uint32_t f7 : {0x10u, 0x40u, 0x08u, 0x7fu}) {
    expect_illegal32(r_type(f7, 3, 2, 1, 1, OP_IMM));
    expect_illegal32(r_type(f7, 3, 2, 5, 1, OP_IMM));
  }
  expect_illegal32(r_type(0x20, 3, 2, 1, 1, OP_IMM));  // "slai" does not exist
}

TEST(DecodeRv32I, RegisterRegister) {
  const struct { uint32_t funct7, funct3; Op op; TClass tc; } kOps[] = {
      {0x00, 0, Op::ADD, TClass::ALU},   {0x20, 0, Op::SUB, TClass::ALU},
      {0x00, 1, Op::SLL, TClass::SHIFT}, {0x00, 2, Op::SLT, TClass::ALU},
      {0x00, 3, Op::SLTU, TClass::ALU},  {0x00, 4, Op::XOR, TClass::ALU},
      {0x00, 5, Op::SRL, TClass::SHIFT}, {0x20, 5, Op::SRA, TClass::SHIFT},
      {0x00, 6, Op::OR, TClass::ALU},    {0x00, 7, Op::AND, TClass::ALU},
  };
  for (const auto& o : kOps) {
    expect32(r_type(o.funct7, 31, 30, o.funct3, 29, OP), {o.op, o.tc, 29, 30, 31});
    expect32(r_type(o.funct7, 0, 0, o.funct3, 0, OP), {o.op, o.tc, 0, 0, 0});
  }
  for (uint32_t f3 : {1u, 2u, 3u, 4u, 6u, 7u}) expect_illegal32(r_type(0x20, 1, 2, f3, 3, OP));
  for (uint32_t f7 : {0x02u, 0x04u, 0x10u, 0x40u, 0x21u, 0x7fu}) {
    for (uint32_t f3 = 0; f3 < 8; ++f3) expect_illegal32(r_type(f7, 1, 2, f3, 3, OP));
  }
}

TEST(DecodeRv32M, AllOperationsAndClasses) {
  const struct { uint32_t funct3; Op op; TClass tc; } kOps[] = {
      {0, Op::MUL, TClass::MUL},     {1, Op::MULH, TClass::MULH}, {2, Op::MULHSU, TClass::MULH},
      {3, Op::MULHU, TClass::MULH},  {4, Op::DIV, TClass::DIV},   {5, Op::DIVU, TClass::DIV},
      {6, Op::REM, TClass::DIV},     {7, Op::REMU, TClass::DIV}};
  for (const auto& o : kOps) {
    expect32(r_type(1, 12, 11, o.funct3, 10, OP), {o.op, o.tc, 10, 11, 12});
  }
  // Hand-assembled: mul a0, a1, a2 = 0x02c58533; remu t6, t5, t4 = 0x03df7fb3.
  expect32(0x02c58533u, {Op::MUL, TClass::MUL, 10, 11, 12});
  expect32(0x03df7fb3u, {Op::REMU, TClass::DIV, 31, 30, 29});
}

TEST(DecodeFence, AnyPredSuccAndTso) {
  // fence iorw, iorw = 0x0ff0000f; fence.tso = 0x8330000f; fence r, w = 0x0210000f.
  expect32(0x0ff0000fu, {Op::FENCE, TClass::SYSTEM, 0, 0, 0, 0x0ff});
  expect32(0x8330000fu, {Op::FENCE, TClass::SYSTEM, 0, 0, 0, 0x833});
  expect32(0x0210000fu, {Op::FENCE, TClass::SYSTEM, 0, 0, 0, 0x021});
  // Every pred/succ combination (including the empty sets) is a fence; imm keeps fm/pred/succ.
  for (uint32_t ps = 0; ps < 256; ++ps) {
    expect32(i_type(static_cast<int32_t>(ps), 0, 0, 0, MISC_MEM),
             {Op::FENCE, TClass::SYSTEM, 0, 0, 0, static_cast<int32_t>(ps)});
  }
  // rd and rs1 are reserved and ignored (not register reads or writes).
  expect32(i_type(0x0ff, 5, 0, 7, MISC_MEM), {Op::FENCE, TClass::SYSTEM, 0, 0, 0, 0x0ff});
}

TEST(DecodeFence, FenceI) {
  expect32(0x0000100fu, {Op::FENCE_I, TClass::SYSTEM});
  // imm, rs1 and rd of FENCE.I are reserved and ignored.
  expect32(i_type(-1, 9, 1, 3, MISC_MEM), {Op::FENCE_I, TClass::SYSTEM});
  for (uint32_t f3 = 2; f3 < 8; ++f3) expect_illegal32(i_type(0, 0, f3, 0, MISC_MEM));
}

TEST(DecodeSystem, ExactEncodingsOnly) {
  expect32(0x00000073u, {Op::ECALL, TClass::SYSTEM});
  expect32(0x00100073u, {Op::EBREAK, TClass::SYSTEM});
  expect32(0x30200073u, {Op::MRET, TClass::SYSTEM});
  expect32(0x10500073u, {Op::WFI, TClass::SYSTEM});
  // Any other bit pattern in the funct3 = 0 space is illegal.
  for (uint32_t base : {0x00000073u, 0x00100073u, 0x30200073u, 0x10500073u}) {
    for (unsigned b = 7; b < 32; ++b) {
      const uint32_t raw = base ^ (1u << b);
      if (raw == 0x00000073u || raw == 0x00100073u || raw == 0x30200073u || raw == 0x10500073u) continue;
      if (((raw >> 12) & 7) != 0) continue;  // flipped into a CSR funct3
      expect_illegal32(raw);
    }
  }
  expect_illegal32(0x10200073u);  // sret (no S mode)
  expect_illegal32(0x00200073u);  // uret
  expect_illegal32(0x7b200073u);  // dret
  expect_illegal32(0x12000073u);  // sfence.vma
  expect_illegal32(i_type(0x305, 1, 4, 1, SYSTEM));  // funct3 = 4 reserved
}

TEST(DecodeZicsr, RegisterForms) {
  const struct { uint32_t funct3; Op op; } kOps[] = {{1, Op::CSRRW}, {2, Op::CSRRS}, {3, Op::CSRRC}};
  for (const auto& o : kOps) {
    for (uint32_t csr : {0x000u, 0x001u, 0x305u, 0x7ffu, 0x800u, 0xb00u, 0xc00u, 0xf14u, 0xfc0u, 0xfffu}) {
      // The CSR number is zero-extended (0xfff must not become -1).
      expect32(i_type(static_cast<int32_t>(csr), 11, o.funct3, 10, SYSTEM),
               {o.op, TClass::CSR, 10, 11, 0, static_cast<int32_t>(csr)});
    }
    expect32(i_type(0x300, 0, o.funct3, 0, SYSTEM), {o.op, TClass::CSR, 0, 0, 0, 0x300});
  }
  // Hand-assembled: csrrw zero, mtvec, a0 = 0x30551073; csrrs a0, mcycle, zero = 0xb0002573.
  expect32(0x30551073u, {Op::CSRRW, TClass::CSR, 0, 10, 0, 0x305});
  expect32(0xb0002573u, {Op::CSRRS, TClass::CSR, 10, 0, 0, 0xb00});
}

TEST(DecodeZicsr, ImmediateFormsPutUimmInRs3) {
  const struct { uint32_t funct3; Op op; } kOps[] = {{5, Op::CSRRWI}, {6, Op::CSRRSI}, {7, Op::CSRRCI}};
  for (const auto& o : kOps) {
    for (uint32_t uimm = 0; uimm < 32; ++uimm) {
      Want w{o.op, TClass::CSR, 7, 0, 0, 0x344};
      w.rs3 = uimm;  // convention: uimm in rs3, rs1 = 0 (not a register read)
      expect32(i_type(0x344, uimm, o.funct3, 7, SYSTEM), w);
    }
    Want w{o.op, TClass::CSR, 0, 0, 0, 0xfff};
    w.rs3 = 31;
    expect32(i_type(-1, 31, o.funct3, 0, SYSTEM), w);
  }
  // Hand-assembled: csrrwi zero, mtvec, 5 = 0x3052d073.
  Want w{Op::CSRRWI, TClass::CSR, 0, 0, 0, 0x305};
  w.rs3 = 5;
  expect32(0x3052d073u, w);
}

// ---------------------------------------------------------------------------------------------------
TEST(DecodeRv32F, LoadStore) {
  for (int32_t imm : {0, 4, -4, 2047, -2048}) {
    expect32(flw(10, 2, imm), {Op::FLW, TClass::FP_LOAD, 10, 2, 0, imm});
    expect32(fsw(31, 8, imm), {Op::FSW, TClass::FP_STORE, 0, 8, 31, imm});
  }
  expect32(flw(0, 0, 0), {Op::FLW, TClass::FP_LOAD, 0, 0, 0, 0});
  for (uint32_t f3 : {0u, 1u, 3u, 4u, 5u, 6u, 7u}) {  // FLH/FLD/FLQ and reserved widths
    expect_illegal32(i_type(0, 2, f3, 10, LOAD_FP));
    expect_illegal32(s_type(0, 10, 2, f3, STORE_FP));
  }
  // Hand-assembled: flw fa0, 8(sp) = 0x00812507; fsw fa0, -4(s0) = 0xfea42e27.
  expect32(0x00812507u, {Op::FLW, TClass::FP_LOAD, 10, 2, 0, 8});
  expect32(0xfea42e27u, {Op::FSW, TClass::FP_STORE, 0, 8, 10, -4});
}

TEST(DecodeRv32F, FusedMultiplyAddKeepsRs3AndRm) {
  const struct { uint32_t opcode; Op op; } kOps[] = {
      {MADD, Op::FMADD_S}, {MSUB, Op::FMSUB_S}, {NMSUB, Op::FNMSUB_S}, {NMADD, Op::FNMADD_S}};
  for (const auto& o : kOps) {
    for (uint32_t rm = 0; rm < 8; ++rm) {  // rm 5/6 are illegal only at execute time
      Want w{o.op, TClass::FP_FMA, 1, 2, 3};
      w.rs3 = 31;
      w.rm = rm;
      expect32(r4_type(31, 0, 3, 2, rm, 1, o.opcode), w);
    }
    for (uint32_t fmt = 1; fmt < 4; ++fmt) expect_illegal32(r4_type(4, fmt, 3, 2, 7, 1, o.opcode));
  }
  // Hand-assembled: fmadd.s fa0, fa1, fa2, fa3 (dyn) = 0x68c5f543.
  Want w{Op::FMADD_S, TClass::FP_FMA, 10, 11, 12};
  w.rs3 = 13;
  w.rm = 7;
  expect32(0x68c5f543u, w);
}

TEST(DecodeRv32F, ArithmeticWithRoundingMode) {
  const struct { uint32_t funct7; Op op; TClass tc; } kOps[] = {
      {0x00, Op::FADD_S, TClass::FP_ADD}, {0x04, Op::FSUB_S, TClass::FP_ADD},
      {0x08, Op::FMUL_S, TClass::FP_MUL}, {0x0c, Op::FDIV_S, TClass::FP_DIV}};
  for (const auto& o : kOps) {
    for (uint32_t rm = 0; rm < 8; ++rm) {
      Want w{o.op, o.tc, 10, 11, 12};
      w.rm = rm;
      expect32(r_type(o.funct7, 12, 11, rm, 10, OP_FP), w);
    }
    // The double-precision variant (funct7 bit 0 = fmt D) is not implemented.
    expect_illegal32(r_type(o.funct7 | 1, 12, 11, 7, 10, OP_FP));
  }
  for (uint32_t rm = 0; rm < 8; ++rm) {
    Want w{Op::FSQRT_S, TClass::FP_SQRT, 4, 5, 0};
    w.rm = rm;
    expect32(r_type(0x2c, 0, 5, rm, 4, OP_FP), w);
  }
  expect_illegal32(r_type(0x2c, 1, 5, 7, 4, OP_FP));  // fsqrt.s needs rs2 = 0
  // Hand-assembled: fadd.s fa0, fa1, fa2, rtz = 0x00c59553.
  Want w{Op::FADD_S, TClass::FP_ADD, 10, 11, 12};
  w.rm = 1;
  expect32(0x00c59553u, w);
}

TEST(DecodeRv32F, SignInjectionMinMaxCompare) {
  // These have no rounding mode: funct3 selects the operation and rm stays 0.
  expect32(r_type(0x10, 3, 2, 0, 1, OP_FP), {Op::FSGNJ_S, TClass::FP_MOVE, 1, 2, 3});
  expect32(r_type(0x10, 3, 2, 1, 1, OP_FP), {Op::FSGNJN_S, TClass::FP_MOVE, 1, 2, 3});
  expect32(r_type(0x10, 3, 2, 2, 1, OP_FP), {Op::FSGNJX_S, TClass::FP_MOVE, 1, 2, 3});
  expect32(r_type(0x14, 3, 2, 0, 1, OP_FP), {Op::FMIN_S, TClass::FP_CMP, 1, 2, 3});
  expect32(r_type(0x14, 3, 2, 1, 1, OP_FP), {Op::FMAX_S, TClass::FP_CMP, 1, 2, 3});
  expect32(r_type(0x50, 3, 2, 2, 1, OP_FP), {Op::FEQ_S, TClass::FP_CMP, 1, 2, 3});
  expect32(r_type(0x50, 3, 2, 1, 1, OP_FP), {Op::FLT_S, TClass::FP_CMP, 1, 2, 3});
  expect32(r_type(0x50, 3, 2, 0, 1, OP_FP), {Op::FLE_S, TClass::FP_CMP, 1, 2, 3});
  for (uint32_t f3 = 3; f3 < 8; ++f3) {
    expect_illegal32(r_type(0x10, 3, 2, f3, 1, OP_FP));
    expect_illegal32(r_type(0x50, 3, 2, f3, 1, OP_FP));
  }
  for (uint32_t f3 = 2; f3 < 8; ++f3) expect_illegal32(r_type(0x14, 3, 2, f3, 1, OP_FP));
}

TEST(DecodeRv32F, ConversionsAndMoves) {
  for (uint32_t rm = 0; rm < 8; ++rm) {
    Want w{Op::FCVT_W_S, TClass::FP_CVT, 10, 11, 0};  // rd integer, rs1 FP
    w.rm = rm;
    expect32(r_type(0x60, 0, 11, rm, 10, OP_FP), w);
    w.op = Op::FCVT_WU_S;  // the rs2 field (1) selects unsigned and is not a register
    expect32(r_type(0x60, 1, 11, rm, 10, OP_FP), w);
    w.op = Op::FCVT_S_W;  // rd FP, rs1 integer
    expect32(r_type(0x68, 0, 11, rm, 10, OP_FP), w);
    w.op = Op::FCVT_S_WU;
    expect32(r_type(0x68, 1, 11, rm, 10, OP_FP), w);
  }
  for (uint32_t rs2 = 2; rs2 < 32; ++rs2) {  // L/LU (RV64) and reserved
    expect_illegal32(r_type(0x60, rs2, 11, 7, 10, OP_FP));
    expect_illegal32(r_type(0x68, rs2, 11, 7, 10, OP_FP));
  }
  expect32(r_type(0x70, 0, 11, 0, 10, OP_FP), {Op::FMV_X_W, TClass::FP_MOVE, 10, 11, 0});
  expect32(r_type(0x70, 0, 11, 1, 10, OP_FP), {Op::FCLASS_S, TClass::FP_CMP, 10, 11, 0});
  expect32(r_type(0x78, 0, 11, 0, 10, OP_FP), {Op::FMV_W_X, TClass::FP_MOVE, 10, 11, 0});
  for (uint32_t f3 = 2; f3 < 8; ++f3) expect_illegal32(r_type(0x70, 0, 11, f3, 10, OP_FP));
  for (uint32_t f3 = 1; f3 < 8; ++f3) expect_illegal32(r_type(0x78, 0, 11, f3, 10, OP_FP));
  expect_illegal32(r_type(0x70, 1, 11, 0, 10, OP_FP));
  expect_illegal32(r_type(0x70, 1, 11, 1, 10, OP_FP));
  expect_illegal32(r_type(0x78, 1, 11, 0, 10, OP_FP));
  // Hand-assembled: fcvt.w.s a0, fa0, rtz = 0xc0051553; fmv.w.x ft0, a0 = 0xf0050053.
  Want w{Op::FCVT_W_S, TClass::FP_CVT, 10, 10, 0};
  w.rm = 1;
  expect32(0xc0051553u, w);
  expect32(0xf0050053u, {Op::FMV_W_X, TClass::FP_MOVE, 0, 10, 0});
}

TEST(DecodeRv32F, UnknownOpFpFunct7IsIllegal) {
  const uint32_t kValid[] = {0x00, 0x04, 0x08, 0x0c, 0x2c, 0x10, 0x14, 0x60, 0x68, 0x50, 0x70, 0x78};
  for (uint32_t f7 = 0; f7 < 128; ++f7) {
    bool valid = false;
    for (uint32_t v : kValid) valid = valid || v == f7;
    if (!valid) expect_illegal32(r_type(f7, 0, 1, 0, 2, OP_FP));
  }
}

// ---------------------------------------------------------------------------------------------------
TEST(DecodeXmac, DotAndLoadDotForms) {
  const struct { uint32_t funct7, funct3; Op op; TClass tc; } kOps[] = {
      {0, 0, Op::XMAC_DOT8, TClass::XMAC},       {0, 1, Op::XMAC_DOT4, TClass::XMAC},
      {0, 2, Op::XMAC_DOT2, TClass::XMAC},       {1, 0, Op::XMAC_LDOT8, TClass::XMAC_LOAD},
      {1, 1, Op::XMAC_LDOT4, TClass::XMAC_LOAD}, {1, 2, Op::XMAC_LDOT2, TClass::XMAC_LOAD}};
  for (const auto& o : kOps) expect32(xmac(o.funct7, o.funct3, 10, 11, 12), {o.op, o.tc, 10, 11, 12});
  // Hand-assembled (.insn r CUSTOM_0, 0, 1, a0, a1, a2) = 0x02c5850b.
  expect32(0x02c5850bu, {Op::XMAC_LDOT8, TClass::XMAC_LOAD, 10, 11, 12});
}

TEST(DecodeXmac, ActivationGroupAlignment) {
  for (uint32_t rs2 = 0; rs2 < 32; ++rs2) {
    for (uint32_t f7 = 0; f7 < 2; ++f7) {
      const Op dot8 = f7 ? Op::XMAC_LDOT8 : Op::XMAC_DOT8;
      const Op dot4 = f7 ? Op::XMAC_LDOT4 : Op::XMAC_DOT4;
      const Op dot2 = f7 ? Op::XMAC_LDOT2 : Op::XMAC_DOT2;
      const TClass tc = f7 ? TClass::XMAC_LOAD : TClass::XMAC;
      // INT8: any register.
      expect32(xmac(f7, 0, 5, 6, rs2), {dot8, tc, 5, 6, rs2});
      // INT4: even pair.
      if (rs2 % 2 == 0) expect32(xmac(f7, 1, 5, 6, rs2), {dot4, tc, 5, 6, rs2});
      else expect_illegal32(xmac(f7, 1, 5, 6, rs2));
      // INT2: aligned quad.
      if (rs2 % 4 == 0) expect32(xmac(f7, 2, 5, 6, rs2), {dot2, tc, 5, 6, rs2});
      else expect_illegal32(xmac(f7, 2, 5, 6, rs2));
    }
  }
}

TEST(DecodeXmac, ReservedFieldsAndLoadDotWithRdEqualRs1) {
  for (uint32_t f3 = 3; f3 < 8; ++f3) {
    expect_illegal32(xmac(0, f3, 1, 2, 4));
    expect_illegal32(xmac(1, f3, 1, 2, 4));
  }
  for (uint32_t f7 = 2; f7 < 128; ++f7) expect_illegal32(xmac(f7, 0, 1, 2, 4));
  for (uint32_t r = 0; r < 32; ++r) {
    for (uint32_t f3 = 0; f3 < 3; ++f3) expect_illegal32(xmac(1, f3, r, r, 0));
  }
  // The plain dot product may use rd == rs1 (only rd is written).
  expect32(xmac(0, 0, 7, 7, 8), {Op::XMAC_DOT8, TClass::XMAC, 7, 7, 8});
}

// ---------------------------------------------------------------------------------------------------
TEST(DecodeGating, DisabledExtensionsAreIllegal) {
  IsaFeatures no_m = all_features();
  no_m.m = false;
  for (uint32_t f3 = 0; f3 < 8; ++f3) expect_illegal32(r_type(1, 3, 2, f3, 1, OP), no_m);
  expect32(add(1, 2, 3), {Op::ADD, TClass::ALU, 1, 2, 3}, no_m);

  IsaFeatures no_f = all_features();
  no_f.f = false;
  expect_illegal32(flw(1, 2, 0), no_f);
  expect_illegal32(fsw(1, 2, 0), no_f);
  for (uint32_t op : {MADD, MSUB, NMSUB, NMADD}) expect_illegal32(r4_type(4, 0, 3, 2, 7, 1, op), no_f);
  expect_illegal32(r_type(0x00, 3, 2, 7, 1, OP_FP), no_f);
  expect_illegal32(r_type(0x78, 0, 2, 0, 1, OP_FP), no_f);
  // The FP CSRs are still just CSR numbers to the decoder (access checks happen at execute).
  expect32(i_type(0x003, 1, 1, 2, SYSTEM), {Op::CSRRW, TClass::CSR, 2, 1, 0, 3}, no_f);

  IsaFeatures no_x = all_features();
  no_x.xmac = false;
  for (uint32_t f7 = 0; f7 < 2; ++f7) {
    for (uint32_t f3 = 0; f3 < 3; ++f3) expect_illegal32(xmac(f7, f3, 1, 2, 4), no_x);
  }

  // Defaults: M and C on, F and Xmac off.
  const IsaFeatures def;
  expect32(r_type(1, 3, 2, 0, 1, OP), {Op::MUL, TClass::MUL, 1, 2, 3}, def);
  expect_illegal32(flw(1, 2, 0), def);
  expect_illegal32(xmac(0, 0, 1, 2, 3), def);
}

TEST(DecodeIllegal, ReservedMajorOpcodes) {
  const uint32_t kUsed[] = {LOAD, LOAD_FP, CUSTOM0, MISC_MEM, OP_IMM, AUIPC, STORE, STORE_FP, OP, LUI,
                            MADD, MSUB, NMSUB, NMADD, OP_FP, BRANCH, JALR, JAL, SYSTEM};
  for (uint32_t opc = 3; opc < 128; opc += 4) {
    bool used = false;
    for (uint32_t u : kUsed) used = used || u == opc;
    if (used) continue;
    // OP-IMM-32, OP-32, AMO, custom-1/2/3, 48/64-bit prefixes, reserved.
    for (uint32_t body : {0x00000000u, 0x12345000u, 0xffffff80u, 0x02c58500u}) expect_illegal32(body | opc);
  }
  expect_illegal32(0xffffffffu);
}

TEST(DecodeIllegal, AllZeroWordIsA16BitIllegal) {
  const Insn z = decode(0x00000000u, all_features());
  EXPECT_EQ(z.op, Op::ILLEGAL);
  EXPECT_EQ(z.len, 2);
  EXPECT_EQ(z.raw, 0u);
  EXPECT_EQ(static_cast<int>(z.tclass), static_cast<int>(TClass::SYSTEM));
  IsaFeatures no_c = all_features();
  no_c.c = false;
  const Insn z2 = decode(0x00000000u, no_c);
  EXPECT_EQ(z2.op, Op::ILLEGAL);
  EXPECT_EQ(z2.len, 2);
}

}  // namespace

// RV32C: every compressed form, over the whole range of its fields, must decode exactly like its
// 32-bit expansion (built independently with the test encoders), with len = 2 and raw = the 16 bits.
// Reserved and RV64/D-only encodings must be ILLEGAL.
#include <gtest/gtest.h>

#include "expect_insn.h"
#include "rv_encode.h"

namespace {
using namespace decode_test;
using namespace rvenc;
using mcucim::isa::decode;

// Checks that the 16-bit encoding `c` expands to the 32-bit instruction `expansion`.
void expect_expands(uint16_t c, uint32_t expansion, const IsaFeatures& f = all_features()) {
  const Insn got = decode(c, f);
  const Insn want = decode(expansion, f);
  ASSERT_NE(want.op, Op::ILLEGAL) << "test bug: expansion " << hex(expansion) << " is illegal";
  expect_fields(got, Want{want.op, want.tclass, want.rd, want.rs1, want.rs2, want.imm, want.rs3, want.rm},
                "compressed " + hex(c) + " vs expansion " + hex(expansion));
  EXPECT_EQ(got.len, 2) << hex(c);
  EXPECT_EQ(got.raw, c) << hex(c);
}

// The upper half of the fetched word must not matter for a compressed instruction.
void expect_expands_any_upper(uint16_t c, uint32_t expansion) {
  expect_expands(c, expansion);
  const Insn hi = decode(0xdead0000u | c, all_features());
  EXPECT_EQ(hi.raw, c) << hex(c);
  EXPECT_EQ(hi.len, 2) << hex(c);
  EXPECT_EQ(hi.op, decode(c, all_features()).op) << hex(c);
}

void expect_illegal16(uint16_t c, const IsaFeatures& f = all_features()) {
  const Insn got = decode(c, f);
  expect_fields(got, Want{Op::ILLEGAL, TClass::SYSTEM}, "illegal compressed " + hex(c));
  EXPECT_EQ(got.len, 2) << hex(c);
  EXPECT_EQ(got.raw, c) << hex(c);
}

constexpr uint32_t kSp = 2, kRa = 1;

// ---- Quadrant 0 -----------------------------------------------------------------------------------
TEST(DecodeRvc, AddI4Spn) {
  for (uint32_t rd = 8; rd < 16; ++rd) {
    for (uint32_t nz = 4; nz < 1024; nz += 4) expect_expands(c_addi4spn(rd, nz), addi(rd, kSp, static_cast<int32_t>(nz)));
    expect_illegal16(c_addi4spn(rd, 0));  // nzuimm = 0 is reserved
  }
  expect_illegal16(0x0000);  // the all-zero instruction
  // Hand-assembled: c.addi4spn a0, sp, 16 = 0x0808.
  expect_expands(0x0808, addi(10, kSp, 16));
}

TEST(DecodeRvc, LoadStoreWord) {
  for (uint32_t r1 = 8; r1 < 16; ++r1) {
    for (uint32_t r2 = 8; r2 < 16; ++r2) {
      for (uint32_t off = 0; off < 128; off += 4) {
        const auto o = static_cast<int32_t>(off);
        expect_expands(c_lw(r2, r1, off), lw(r2, r1, o));
        expect_expands(c_sw(r2, r1, off), sw(r2, r1, o));
        expect_expands(c_flw(r2, r1, off), flw(r2, r1, o));
        expect_expands(c_fsw(r2, r1, off), fsw(r2, r1, o));
      }
    }
  }
  // Hand-assembled: c.lw a5, 124(a0) = 0x5d7c; c.sw a5, 64(s1) = 0xc0bc.
  expect_expands(0x5d7c, lw(15, 10, 124));
  expect_expands(0xc0bc, sw(15, 9, 64));
}

TEST(DecodeRvc, DoubleAndReservedQuadrant0AreIllegal) {
  for (uint32_t r1 = 8; r1 < 16; ++r1) {
    for (uint32_t off = 0; off < 256; off += 8) {
      expect_illegal16(c_fld_fsd(1, r1, 9, off));  // C.FLD
      expect_illegal16(c_fld_fsd(5, r1, 9, off));  // C.FSD
    }
  }
  for (uint32_t low = 0; low < 0x2000; low += 3) {
    if ((low & 3) == 0) expect_illegal16(static_cast<uint16_t>((4u << 13) | low));  // funct3 100 reserved
  }
}

// ---- Quadrant 1 -----------------------------------------------------------------------------------
TEST(DecodeRvc, AddiNopLi) {
  for (uint32_t rd = 0; rd < 32; ++rd) {
    for (int32_t imm = -32; imm < 32; ++imm) {
      // rd = 0 is C.NOP (imm = 0) or a HINT: both decode to their expansion.
      expect_expands_any_upper(c_addi(rd, imm), addi(rd, rd, imm));
      expect_expands(c_li(rd, imm), addi(rd, 0, imm));  // rd = 0 is a HINT
    }
  }
  expect_expands(c_nop(), addi(0, 0, 0));
  EXPECT_EQ(c_nop(), 0x0001);  // spec: C.NOP = 0x0001
}

TEST(DecodeRvc, JalAndJ) {
  for (int32_t off = -2048; off < 2048; off += 2) {
    expect_expands(c_jal(off), jal(kRa, off));
    expect_expands(c_j(off), jal(0, off));
  }
  // Hand-assembled: c.j .-2 = 0xbffd; c.jal .+2046 = 0x2ffd.
  expect_expands(0xbffd, jal(0, -2));
  expect_expands(0x2ffd, jal(kRa, 2046));
}

TEST(DecodeRvc, AddI16SpAndLui) {
  for (int32_t imm = -512; imm < 512; imm += 16) {
    if (imm == 0) continue;
    expect_expands(c_addi16sp(imm), addi(kSp, kSp, imm));
  }
  expect_illegal16(c_addi16sp(0));  // nzimm = 0 is reserved
  for (uint32_t rd = 0; rd < 32; ++rd) {
    if (rd == 2) continue;
    for (int32_t imm = -32; imm < 32; ++imm) {
      if (imm == 0) {
        expect_illegal16(c_lui(rd, 0));  // nzimm = 0 is reserved (rd = 0 too)
        continue;
      }
      // nzimm[17:12] sign-extended to the upper 20 bits; rd = 0 is a HINT.
      expect_expands(c_lui(rd, imm), lui(rd, static_cast<uint32_t>(imm) << 12));
    }
  }
  // Hand-assembled: c.lui a0, 0xfffff = 0x757d (imm -1 -> 0xfffff000); c.addi16sp sp, -512 = 0x7101.
  expect_expands(0x757d, lui(10, 0xfffff000u));
  expect_expands(0x7101, addi(kSp, kSp, -512));
}

TEST(DecodeRvc, ShiftsAndAndi) {
  for (uint32_t rd = 8; rd < 16; ++rd) {
    for (uint32_t sh = 0; sh < 32; ++sh) {  // shamt = 0 is a HINT
      expect_expands(c_srli(rd, sh), srli(rd, rd, sh));
      expect_expands(c_srai(rd, sh), srai(rd, rd, sh));
      expect_illegal16(c_srli(rd, sh | 32));  // shamt[5] = 1 reserved on RV32
      expect_illegal16(c_srai(rd, sh | 32));
    }
    for (int32_t imm = -32; imm < 32; ++imm) expect_expands(c_andi(rd, imm), andi(rd, rd, imm));
  }
  for (uint32_t rd = 0; rd < 32; ++rd) {
    for (uint32_t sh = 0; sh < 32; ++sh) {  // rd = 0 or shamt = 0 are HINTs
      expect_expands(c_slli(rd, sh), slli(rd, rd, sh));
      expect_illegal16(c_slli(rd, sh | 32));
    }
  }
}

TEST(DecodeRvc, RegisterArithmetic) {
  for (uint32_t rd = 8; rd < 16; ++rd) {
    for (uint32_t rs2 = 8; rs2 < 16; ++rs2) {
      expect_expands(c_sub(rd, rs2), sub(rd, rd, rs2));
      expect_expands(c_xor(rd, rs2), xor_(rd, rd, rs2));
      expect_expands(c_or(rd, rs2), or_(rd, rd, rs2));
      expect_expands(c_and(rd, rs2), and_(rd, rd, rs2));
      // bit 12 = 1: C.SUBW/C.ADDW (RV64 only) and two reserved encodings.
      for (uint32_t f2 = 0; f2 < 4; ++f2) expect_illegal16(c_ca(1, f2, rd, rs2));
    }
  }
  // Hand-assembled: c.sub s0, s1 = 0x8c05; c.and a4, a5 = 0x8f7d.
  expect_expands(0x8c05, sub(8, 8, 9));
  expect_expands(0x8f7d, and_(14, 14, 15));
}

TEST(DecodeRvc, BranchOnZero) {
  for (uint32_t rs = 8; rs < 16; ++rs) {
    for (int32_t off = -256; off < 256; off += 2) {
      expect_expands(c_beqz(rs, off), beq(rs, 0, off));
      expect_expands(c_bnez(rs, off), bne(rs, 0, off));
    }
  }
  // Hand-assembled: c.beqz a0, .+16 = 0xc901; c.bnez s1, .-256 = 0xf081.
  expect_expands(0xc901, beq(10, 0, 16));
  expect_expands(0xf081, bne(9, 0, -256));
}

// ---- Quadrant 2 -----------------------------------------------------------------------------------
TEST(DecodeRvc, StackPointerLoadsAndStores) {
  for (uint32_t r = 0; r < 32; ++r) {
    for (uint32_t off = 0; off < 256; off += 4) {
      const auto o = static_cast<int32_t>(off);
      if (r != 0) expect_expands(c_lwsp(r, off), lw(r, kSp, o));
      else expect_illegal16(c_lwsp(0, off));  // rd = 0 is reserved
      expect_expands(c_flwsp(r, off), flw(r, kSp, o));  // f0 is a valid target
      expect_expands(c_swsp(r, off), sw(r, kSp, o));
      expect_expands(c_fswsp(r, off), fsw(r, kSp, o));
    }
  }
  // Hand-assembled: c.lwsp ra, 252(sp) = 0x50fe; c.swsp ra, 12(sp) = 0xc606.
  expect_expands(0x50fe, lw(kRa, kSp, 252));
  expect_expands(0xc606, sw(kRa, kSp, 12));
}

TEST(DecodeRvc, DoubleStackForms) {
  for (uint32_t r = 0; r < 32; ++r) {
    for (uint32_t off = 0; off < 512; off += 8) {
      expect_illegal16(c_fldsp(r, off));
      expect_illegal16(c_fsdsp(r, off));
    }
  }
}

TEST(DecodeRvc, JumpsMovesAddEbreak) {
  for (uint32_t r = 1; r < 32; ++r) {
    expect_expands(c_jr(r), jalr(0, r, 0));
    expect_expands(c_jalr(r), jalr(kRa, r, 0));
    for (uint32_t rd = 0; rd < 32; ++rd) {  // rd = 0 forms are HINTs
      expect_expands(c_mv(rd, r), add(rd, 0, r));
      expect_expands(c_add(rd, r), add(rd, rd, r));
    }
  }
  expect_illegal16(c_jr(0));  // rs1 = 0 is reserved
  expect_expands(c_ebreak(), kEbreak);
  EXPECT_EQ(c_ebreak(), 0x9002);  // spec: C.EBREAK = 0x9002
  // Hand-assembled: c.jr ra = 0x8082 (ret); c.mv a0, a1 = 0x852e; c.add a0, a1 = 0x952e.
  expect_expands(0x8082, jalr(0, kRa, 0));
  expect_expands(0x852e, add(10, 0, 11));
  expect_expands(0x952e, add(10, 10, 11));
}

// ---- Feature gating -------------------------------------------------------------------------------
TEST(DecodeRvc, FloatFormsNeedF) {
  IsaFeatures no_f = all_features();
  no_f.f = false;
  expect_illegal16(c_flw(8, 9, 4), no_f);
  expect_illegal16(c_fsw(8, 9, 4), no_f);
  expect_illegal16(c_flwsp(1, 4), no_f);
  expect_illegal16(c_fswsp(1, 4), no_f);
  // The integer forms stay legal.
  expect_expands(c_lw(8, 9, 4), lw(8, 9, 4), no_f);
  expect_expands(c_swsp(1, 4), sw(1, kSp, 4), no_f);
}

TEST(DecodeRvc, EveryHalfwordIsIllegalWithoutC) {
  IsaFeatures no_c = all_features();
  no_c.c = false;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 3) == 3) continue;
    const Insn got = decode(h, no_c);
    ASSERT_EQ(got.op, Op::ILLEGAL) << hex(h);
    ASSERT_EQ(got.len, 2) << hex(h);
    ASSERT_EQ(got.raw, h) << hex(h);
  }
  // 32-bit instructions are unaffected.
  expect32(addi(1, 2, 3), {Op::ADDI, TClass::ALU, 1, 2, 0, 3}, no_c);
}

// Every valid halfword decodes to a non-compressed-looking Insn: len 2, raw = the halfword, and no
// source field beyond x31/f31.
TEST(DecodeRvc, ExhaustiveSanity) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 3) == 3) continue;
    const Insn got = decode(h, all_features());
    ASSERT_EQ(got.len, 2) << hex(h);
    ASSERT_EQ(got.raw, h) << hex(h);
    ASSERT_LT(got.rd, 32) << hex(h);
    ASSERT_LT(got.rs1, 32) << hex(h);
    ASSERT_LT(got.rs2, 32) << hex(h);
    ASSERT_EQ(got.rs3, 0) << hex(h);  // no compressed form has a third source
    ASSERT_EQ(got.rm, 0) << hex(h);
  }
}

}  // namespace

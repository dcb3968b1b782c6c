// Execution semantics of the ISS: every RV32I/M instruction with its edge cases, loads/stores,
// misaligned accesses, access faults, illegal instructions, compressed code, self-modifying code.
// Expected values come from the RISC-V Unprivileged ISA v20191213 (chapters 2, 7, 16), worked by hand
// or with 64-bit host arithmetic as an independent reference.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/isa/asm.h"
#include "tests/isa/harness.h"

namespace isatest {
namespace {

// ---- the encoder itself, against words produced by GNU as (riscv64-unknown-elf-as -march=rv32imc) ---
TEST(Asm, MatchesGnuAssemblerWords) {
  EXPECT_EQ(addi(a0, a0, 1), 0x00150513u);      // addi a0,a0,1
  EXPECT_EQ(lui(a0, 0x12345), 0x12345537u);     // lui a0,0x12345
  EXPECT_EQ(sw(ra, sp, 12), 0x00112623u);       // sw ra,12(sp)
  EXPECT_EQ(lw(ra, sp, 12), 0x00c12083u);       // lw ra,12(sp)
  EXPECT_EQ(beq(a0, a1, -4), 0xfeb50ee3u);      // beq a0,a1,.-4
  EXPECT_EQ(jal(ra, 2048), 0x001000efu);        // jal ra,.+2048
  EXPECT_EQ(jalr(zero, ra, 0), 0x00008067u);    // ret
  EXPECT_EQ(csrrs(a0, kMcycle, zero), 0xb0002573u);  // csrr a0,mcycle
  EXPECT_EQ(srai(zero, zero, 7), 0x40705013u);  // semihosting epilogue
  EXPECT_EQ(slli(zero, zero, 31), 0x01f01013u); // semihosting prologue
  EXPECT_EQ(ebreak(), 0x00100073u);
  EXPECT_EQ(mret(), 0x30200073u);
  EXPECT_EQ(wfi(), 0x10500073u);
  EXPECT_EQ(xmac_dot8(a0, a1, a2), 0x00C5850Bu);   // isa/XMAC.md section 2 table
  EXPECT_EQ(xmac_ldot4(t5, a1, a2), 0x02C59F0Bu);
  EXPECT_EQ(c_addi(sp, -16).bits, 0x1141);      // addi sp,sp,-16 (GNU as picks c.addi)
  EXPECT_EQ(c_swsp(ra, 12).bits, 0xc606);       // sw ra,12(sp)
  EXPECT_EQ(c_lwsp(ra, 12).bits, 0x40b2);       // lw ra,12(sp)
  EXPECT_EQ(c_addi4spn(s0, 16).bits, 0x0800);   // addi s0,sp,16
  EXPECT_EQ(c_jr(ra).bits, 0x8082);             // ret
  EXPECT_EQ(c_li(a0, 1).bits, 0x4505);          // li a0,1
  EXPECT_EQ(c_mv(a0, a1).bits, 0x852e);         // mv a0,a1
  EXPECT_EQ(fence(), 0x0ff0000fu);
  EXPECT_EQ(fence_i(), 0x0000100fu);
  EXPECT_EQ(c_srai(a1, 1).bits, 0x8585);
  EXPECT_EQ(c_andi(a1, 13).bits, 0x89b5);
  EXPECT_EQ(c_sub(s0, s1).bits, 0x8c05);
  EXPECT_EQ(c_lui(a2, 0x1f).bits, 0x667d);
  EXPECT_EQ(c_lui(a3, -1).bits, 0x76fd);        // c.lui a3,0xfffff
  EXPECT_EQ(c_slli(a0, 4).bits, 0x0512);
  EXPECT_EQ(c_beqz(s0, 20).bits, 0xc811);
  EXPECT_EQ(c_bnez(s0, -8).bits, 0xfc65);
  EXPECT_EQ(c_j(100).bits, 0xa095);
  EXPECT_EQ(c_jal(-100).bits, 0x3f71);
  EXPECT_EQ(c_lw(a3, s0, 4).bits, 0x4054);
  EXPECT_EQ(c_sw(a5, s0, 64).bits, 0xc03c);
  EXPECT_EQ(c_addi16sp(496).bits, 0x617d);
  EXPECT_EQ(c_lwsp(t2, 252).bits, 0x53fe);
  EXPECT_EQ(c_swsp(t2, 252).bits, 0xdf9e);
  EXPECT_EQ(c_addi4spn(a5, 1020).bits, 0x1ffc);
  EXPECT_EQ(c_jalr(t1).bits, 0x9302);
  EXPECT_EQ(c_xor(a3, a1).bits, 0x8ead);
  EXPECT_EQ(c_or(a4, a1).bits, 0x8f4d);
  EXPECT_EQ(c_and(a5, a1).bits, 0x8fed);
  EXPECT_EQ(c_srli(a1, 28).bits, 0x81f1);
}

// ---- helpers ----------------------------------------------------------------------------------------
// Execute one instruction with x1 = a, x2 = b (and x3 = 0xDEADBEEF), then halt; return x3.
uint32_t exec_rr(uint32_t insn, uint32_t a, uint32_t b, isa::CpuConfig cfg = default_config()) {
  Machine m(cfg);
  Asm p(kRamBase);
  p(insn).halt();
  m.load(p);
  m.cpu().set_x(1, a);
  m.cpu().set_x(2, b);
  m.cpu().set_x(3, 0xDEADBEEF);
  const Stop s = m.run();
  EXPECT_EQ(s, Stop::Semihost) << "instruction 0x" << Machine::hex(insn) << " did not reach the halt";
  return m.cpu().x(3);
}

struct RrCase {
  const char* what;
  uint32_t insn, a, b, expect;
};

void check_cases(const std::vector<RrCase>& cases) {
  for (const RrCase& c : cases)
    EXPECT_EQ(exec_rr(c.insn, c.a, c.b), c.expect)
        << c.what << " with x1=0x" << Machine::hex(c.a) << " x2=0x" << Machine::hex(c.b);
}

constexpr uint32_t kMin = 0x80000000u, kMax = 0x7fffffffu, kAll = 0xffffffffu;

// ---- RV32I register-register and register-immediate ------------------------------------------------
TEST(Rv32i, AddSubAndLogic) {
  check_cases({
      {"add wraps", add(3, 1, 2), kAll, 1, 0},
      {"add overflow to INT_MIN", add(3, 1, 2), kMax, 1, kMin},
      {"sub underflow", sub(3, 1, 2), 0, 1, kAll},
      {"sub INT_MIN-1", sub(3, 1, 2), kMin, 1, kMax},
      {"sub order", sub(3, 1, 2), 10, 3, 7},
      {"xor", xor_(3, 1, 2), 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0},
      {"or", or_(3, 1, 2), 0xff00ff00, 0x0ff00ff0, 0xfff0fff0},
      {"and", and_(3, 1, 2), 0xff00ff00, 0x0ff00ff0, 0x0f000f00},
      {"addi -2048", addi(3, 1, -2048), 0, 0, 0xfffff800},
      {"addi 2047", addi(3, 1, 2047), 1, 0, 2048},
      {"xori -1 is not", xori(3, 1, -1), 0x12345678, 0, 0xedcba987},
      {"ori sign-extended imm", ori(3, 1, -256), 0x0000000f, 0, 0xffffff0f},
      {"andi sign-extended imm", andi(3, 1, -16), 0xabcdef77, 0, 0xabcdef70},
      {"andi 0x7ff", andi(3, 1, 0x7ff), 0xffffffff, 0, 0x7ff},
  });
}

TEST(Rv32i, SetLessThanSignedness) {
  check_cases({
      {"slt -1 < 1", slt(3, 1, 2), kAll, 1, 1},
      {"sltu 0xffffffff < 1", sltu(3, 1, 2), kAll, 1, 0},
      {"slt 1 < -1", slt(3, 1, 2), 1, kAll, 0},
      {"sltu 1 < 0xffffffff", sltu(3, 1, 2), 1, kAll, 1},
      {"slt INT_MIN < INT_MAX", slt(3, 1, 2), kMin, kMax, 1},
      {"sltu 0x80000000 < 0x7fffffff", sltu(3, 1, 2), kMin, kMax, 0},
      {"slt equal", slt(3, 1, 2), 5, 5, 0},
      {"sltu equal", sltu(3, 1, 2), 5, 5, 0},
      {"slti 0 < -1", slti(3, 1, -1), 0, 0, 0},
      {"slti -2 < -1", slti(3, 1, -1), 0xfffffffe, 0, 1},
      {"sltiu 0 < 0xffffffff (imm -1 sign-extended)", sltiu(3, 1, -1), 0, 0, 1},
      {"sltiu max < max", sltiu(3, 1, -1), kAll, 0, 0},
      {"sltiu x<1 is seqz (0)", sltiu(3, 1, 1), 0, 0, 1},
      {"sltiu x<1 is seqz (7)", sltiu(3, 1, 1), 7, 0, 0},
      {"sltu x0<x is snez", sltu(3, 0, 2), 0, 9, 1},
  });
}

TEST(Rv32i, Shifts) {
  check_cases({
      {"sll by 31", sll(3, 1, 2), 3, 31, 0x80000000},
      {"srl by 31", srl(3, 1, 2), kMin, 31, 1},
      {"sra by 31", sra(3, 1, 2), kMin, 31, kAll},
      {"sra by 31 positive", sra(3, 1, 2), kMax, 31, 0},
      {"sll by 0", sll(3, 1, 2), 0x12345678, 0, 0x12345678},
      {"sll uses low 5 bits (0xffffffe3 -> 3)", sll(3, 1, 2), 0x11, 0xffffffe3, 0x88},
      {"srl uses low 5 bits (32 -> 0)", srl(3, 1, 2), 0x80000001, 32, 0x80000001},
      {"sra uses low 5 bits (0x24 -> 4)", sra(3, 1, 2), 0x80000000, 0x24, 0xf8000000},
      {"srl by 4", srl(3, 1, 2), 0xf0000000, 4, 0x0f000000},
      {"slli 31", slli(3, 1, 31), 1, 0, 0x80000000},
      {"srli 31", srli(3, 1, 31), kAll, 0, 1},
      {"srai 31", srai(3, 1, 31), 0x80000000, 0, kAll},
      {"srai 4 negative", srai(3, 1, 4), 0x80000010, 0, 0xf8000001},
      {"srli 0", srli(3, 1, 0), 0xdeadbeef, 0, 0xdeadbeef},
  });
}

TEST(Rv32m, Multiply) {
  // 64-bit host products as the reference for the high halves.
  auto hi_ss = [](int32_t a, int32_t b) { return uint32_t(uint64_t(int64_t(a) * int64_t(b)) >> 32); };
  auto hi_uu = [](uint32_t a, uint32_t b) { return uint32_t((uint64_t(a) * uint64_t(b)) >> 32); };
  check_cases({
      {"mul low of -1*-1", mul(3, 1, 2), kAll, kAll, 1},
      {"mul low", mul(3, 1, 2), 0x12345678, 0x9abcdef0, uint32_t(0x12345678ull * 0x9abcdef0ull)},
      {"mulh -1*-1", mulh(3, 1, 2), kAll, kAll, 0},
      {"mulh INT_MIN*INT_MIN", mulh(3, 1, 2), kMin, kMin, 0x40000000},
      {"mulh -2*3", mulh(3, 1, 2), 0xfffffffe, 3, kAll},
      {"mulh 5*INT_MIN", mulh(3, 1, 2), 5, kMin, 0xfffffffd},
      {"mulh INT_MIN*INT_MAX", mulh(3, 1, 2), kMin, kMax, 0xc0000000},
      {"mulh random", mulh(3, 1, 2), 0x9abcdef0, 0x12345678, hi_ss(int32_t(0x9abcdef0), 0x12345678)},
      {"mulhsu -1*0xffffffff", mulhsu(3, 1, 2), kAll, kAll, kAll},
      {"mulhsu INT_MIN*0xffffffff", mulhsu(3, 1, 2), kMin, kAll, 0x80000000},
      {"mulhsu 5*0x80000000 (rs2 unsigned)", mulhsu(3, 1, 2), 5, kMin, 2},
      {"mulhsu -1*1", mulhsu(3, 1, 2), kAll, 1, kAll},
      {"mulhu max*max", mulhu(3, 1, 2), kAll, kAll, 0xfffffffe},
      {"mulhu 5*0x80000000", mulhu(3, 1, 2), 5, kMin, 2},
      {"mulhu random", mulhu(3, 1, 2), 0x9abcdef0, 0x12345678, hi_uu(0x9abcdef0, 0x12345678)},
  });
}

TEST(Rv32m, DivideAndRemainder) {
  check_cases({
      {"div 7/2", div(3, 1, 2), 7, 2, 3},
      {"div -7/2 rounds toward zero", div(3, 1, 2), uint32_t(-7), 2, uint32_t(-3)},
      {"div 7/-2", div(3, 1, 2), 7, uint32_t(-2), uint32_t(-3)},
      {"rem -7%2", rem(3, 1, 2), uint32_t(-7), 2, uint32_t(-1)},
      {"rem 7%-2", rem(3, 1, 2), 7, uint32_t(-2), 1},
      {"divu large", divu(3, 1, 2), 0xfffffffe, 2, 0x7fffffff},
      {"remu large", remu(3, 1, 2), 0xffffffff, 10, 5},
      {"div by zero -> -1", div(3, 1, 2), 1234, 0, kAll},
      {"div negative by zero -> -1", div(3, 1, 2), uint32_t(-5), 0, kAll},
      {"divu by zero -> 2^32-1", divu(3, 1, 2), 1234, 0, kAll},
      {"rem by zero -> dividend", rem(3, 1, 2), uint32_t(-1234), 0, uint32_t(-1234)},
      {"remu by zero -> dividend", remu(3, 1, 2), 0xfedcba98, 0, 0xfedcba98},
      {"div INT_MIN/-1 -> INT_MIN", div(3, 1, 2), kMin, kAll, kMin},
      {"rem INT_MIN%-1 -> 0", rem(3, 1, 2), kMin, kAll, 0},
      {"divu 0x80000000/0xffffffff", divu(3, 1, 2), kMin, kAll, 0},
      {"remu 0x80000000%0xffffffff", remu(3, 1, 2), kMin, kAll, kMin},
  });
}

TEST(Rv32m, DisabledMIsIllegal) {
  isa::CpuConfig cfg = default_config();
  cfg.features.m = false;
  Machine m(cfg);
  Asm p(kRamBase);
  p(mul(3, 1, 2)).halt();
  m.load(p);
  EXPECT_EQ(m.run(), Stop::Fatal);
  EXPECT_EQ(m.cpu().fatal().cause, isa::kIllegalInsn);
  EXPECT_EQ(m.cpu().fatal().tval, mul(3, 1, 2));
}

TEST(Rv32i, LuiAuipc) {
  Machine m;
  Asm p(kRamBase);
  p(lui(3, 0xfedcb));     // +0
  p(auipc(4, 0x00001));   // +4: pc + 0x1000
  p(auipc(5, 0xfffff));   // +8: pc - 0x1000
  p(auipc(6, 0));         // +12: pc
  p.halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(3), 0xfedcb000u);
  EXPECT_EQ(m.cpu().x(4), kRamBase + 4 + 0x1000);
  EXPECT_EQ(m.cpu().x(5), kRamBase + 8 - 0x1000);
  EXPECT_EQ(m.cpu().x(6), kRamBase + 12);
}

TEST(Rv32i, JalLinksAndJumps) {
  Machine m;
  Asm p(kRamBase);
  auto fwd = p.label(), back = p.label(), done = p.label();
  p.jal(ra, fwd);             // +0: link +4
  p(addi(t0, zero, 1));       // +4: skipped
  p.bind(back);
  p(addi(t2, zero, 7));       // +8
  p.jal(zero, done);          // +12: x0 link discarded
  p.bind(fwd);
  p.jal(t1, back);            // +16: backward, link +20
  p(addi(t0, zero, 2));       // +20: skipped
  p.bind(done);
  p.halt();                   // +24
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(ra), kRamBase + 4);
  EXPECT_EQ(m.cpu().x(t1), kRamBase + 20);
  EXPECT_EQ(m.cpu().x(t0), 0u);
  EXPECT_EQ(m.cpu().x(t2), 7u);
  EXPECT_EQ(m.cpu().x(0), 0u);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 28) << "stops at the ebreak of the halt sequence";
}

TEST(Rv32i, JalrClearsBitZeroAndLinks) {
  Machine m;
  Asm p(kRamBase);
  p(jalr(ra, t1, 0));         // +0: x6 = base+13 -> target base+12 (bit 0 cleared)
  p(addi(t0, zero, 1));       // +4
  p(addi(t0, zero, 2));       // +8
  p(jalr(t2, t2, -4));        // +12: x7 = base+28 -> target base+24; rd == rs1: target uses the old value
  p(addi(t0, zero, 3));       // +16
  p(addi(t0, zero, 4));       // +20
  p.halt();                   // +24
  m.load(p);
  m.cpu().set_x(t1, kRamBase + 13);
  m.cpu().set_x(t2, kRamBase + 28);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(ra), kRamBase + 4);
  EXPECT_EQ(m.cpu().x(t2), kRamBase + 16);
  EXPECT_EQ(m.cpu().x(t0), 0u) << "every addi was jumped over";
}

TEST(Rv32i, BranchesTakenAndNotTaken) {
  struct B {
    const char* what;
    uint32_t (*enc)(uint32_t, uint32_t, int32_t);
    uint32_t a, b;
    bool taken;
  };
  const B cases[] = {
      {"beq equal", beq, 5, 5, true},           {"beq differ", beq, 5, 6, false},
      {"bne differ", bne, 5, 6, true},          {"bne equal", bne, 5, 5, false},
      {"blt -1<1", blt, kAll, 1, true},         {"blt 1<-1", blt, 1, kAll, false},
      {"blt equal", blt, 3, 3, false},          {"bge equal", bge, 3, 3, true},
      {"bge -1>=1", bge, kAll, 1, false},       {"bge 1>=-1", bge, 1, kAll, true},
      {"bltu 1<max", bltu, 1, kAll, true},      {"bltu max<1", bltu, kAll, 1, false},
      {"bgeu max>=1", bgeu, kAll, 1, true},     {"bgeu 1>=max", bgeu, 1, kAll, false},
      {"bltu INT_MIN<INT_MAX unsigned", bltu, kMin, kMax, false},
      {"blt INT_MIN<INT_MAX signed", blt, kMin, kMax, true},
  };
  for (const B& c : cases) {
    Machine m;
    Asm p(kRamBase);
    p(c.enc(1, 2, 8));        // +0: skip the next instruction if taken
    p(addi(3, zero, 1));      // +4
    p.halt();                 // +8
    m.load(p);
    m.cpu().set_x(1, c.a);
    m.cpu().set_x(2, c.b);
    ASSERT_EQ(m.run(), Stop::Semihost) << c.what;
    EXPECT_EQ(m.cpu().x(3), c.taken ? 0u : 1u) << c.what;
    EXPECT_EQ(m.cpu().counters().branches_taken, c.taken ? 1u : 0u) << c.what;
  }
}

TEST(Rv32i, BackwardBranchLoop) {
  Machine m;
  Asm p(kRamBase);
  p(addi(t0, zero, 5));
  auto loop = p.here_label();
  p(addi(t1, t1, 3));
  p(addi(t0, t0, -1));
  p.bne(t0, zero, loop);
  p.halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(t1), 15u);
  EXPECT_EQ(m.cpu().counters().branches_taken, 4u);
  EXPECT_EQ(m.cpu().instret(), 1u + 5 * 3 + 2) << "1 addi, 5 iterations of 3, slli+ebreak of the halt";
}

TEST(Rv32i, LoadsSignAndZeroExtend) {
  Machine m;
  const uint8_t data[8] = {0x80, 0x7f, 0x01, 0x80, 0xff, 0xff, 0x34, 0x12};
  m.cpu().debug_write(kData, data, 8);
  Asm p(kRamBase);
  p(lb(10, 1, 0));    // 0x80 -> 0xffffff80
  p(lbu(11, 1, 0));   // 0x80
  p(lb(12, 1, 1));    // 0x7f
  p(lh(13, 1, 2));    // 0x8001 -> 0xffff8001
  p(lhu(14, 1, 2));   // 0x8001
  p(lw(15, 1, 0));    // 0x80017f80
  p(lw(16, 1, 4));    // 0x1234ffff
  p(lh(17, 1, 4));    // 0xffff -> 0xffffffff
  p(lhu(18, 1, 6));   // 0x1234
  p(lw(19, 2, -4));   // x2 = kData + 8: 0x1234ffff
  p(lbu(20, 2, -1));  // 0x12
  p(lb(21, 2, -3));   // 0xff -> 0xffffffff
  p.halt();
  m.load(p);
  m.cpu().set_x(1, kData);
  m.cpu().set_x(2, kData + 8);
  ASSERT_EQ(m.run(), Stop::Semihost);
  const uint32_t expect[] = {0xffffff80, 0x80, 0x7f, 0xffff8001, 0x8001, 0x80017f80,
                             0x1234ffff, 0xffffffff, 0x1234, 0x1234ffff, 0x12, 0xffffffff};
  for (unsigned i = 0; i < 12; ++i) EXPECT_EQ(m.cpu().x(10 + i), expect[i]) << "x" << 10 + i;
  EXPECT_EQ(m.cpu().region(m.ram_index).reads[0], 5u);  // lb, lbu, lb, lbu, lb
  EXPECT_EQ(m.cpu().region(m.ram_index).reads[1], 4u);  // lh, lhu, lh, lhu
  EXPECT_EQ(m.cpu().region(m.ram_index).reads[2], 3u);  // lw x3
}

TEST(Rv32i, StoresOfEachSize) {
  Machine m;
  std::vector<uint8_t> fill(16, 0xaa);
  m.cpu().debug_write(kData, fill.data(), 16);
  Asm p(kRamBase);
  p(sb(2, 1, 0));
  p(sh(2, 1, 2));
  p(sw(2, 1, 4));
  p(sb(2, 3, -1));  // x3 = kData + 12: byte 11
  p(sh(2, 3, -6));  // bytes 6, 7 (overwrites the upper half of the sw)
  p.halt();
  m.load(p);
  m.cpu().set_x(1, kData);
  m.cpu().set_x(2, 0x11223344);
  m.cpu().set_x(3, kData + 12);
  ASSERT_EQ(m.run(), Stop::Semihost);
  const uint8_t expect[16] = {0x44, 0xaa, 0x44, 0x33, 0x44, 0x33, 0x44, 0x33,
                              0xaa, 0xaa, 0xaa, 0x44, 0xaa, 0xaa, 0xaa, 0xaa};
  for (unsigned i = 0; i < 16; ++i) EXPECT_EQ(m.peek8(kData + i), expect[i]) << "byte " << i;
  EXPECT_EQ(m.cpu().region(m.ram_index).writes[0], 2u);
  EXPECT_EQ(m.cpu().region(m.ram_index).writes[1], 2u);
  EXPECT_EQ(m.cpu().region(m.ram_index).writes[2], 1u);
}

TEST(Rv32i, X0StaysZero) {
  Machine m;
  m.poke32(kData, 0x55555555);
  Asm p(kRamBase);
  p(addi(zero, zero, 5));
  p(lui(zero, 0x12345));
  p(lw(zero, 1, 0));
  p(jal(zero, 4));
  p(csrrs(zero, kMisa, zero));
  p(add(3, zero, zero));
  p(addi(4, zero, 0));
  p.halt();
  m.load(p);
  m.cpu().set_x(1, kData);
  m.cpu().set_x(3, 99);
  m.cpu().set_x(4, 99);
  m.cpu().set_x(0, 1234);  // set_x ignores x0 as well
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(0), 0u);
  EXPECT_EQ(m.cpu().x(3), 0u) << "x0 read as 0";
  EXPECT_EQ(m.cpu().x(4), 0u);
}

TEST(Rv32i, FenceIsANop) {
  Machine m;
  Asm p(kRamBase);
  p(addi(t0, zero, 1))(fence())(addi(t0, t0, 1)).halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(t0), 2u);
}

// ---- misaligned accesses -------------------------------------------------------------------------
struct MisalignedCase {
  const char* what;
  uint32_t insn;
  uint32_t offset;  // x1 = kData + offset
  uint32_t cause;
};

TEST(Misaligned, TrapWhenNotEmulated) {
  const MisalignedCase cases[] = {
      {"lw +1", lw(3, 1, 0), 1, isa::kLoadMisaligned},  {"lw +2", lw(3, 1, 0), 2, isa::kLoadMisaligned},
      {"lh +1", lh(3, 1, 0), 1, isa::kLoadMisaligned},  {"lhu +3", lhu(3, 1, 0), 3, isa::kLoadMisaligned},
      {"sw +3", sw(2, 1, 0), 3, isa::kStoreMisaligned}, {"sh +1", sh(2, 1, 0), 1, isa::kStoreMisaligned},
      {"sw imm makes it misaligned", sw(2, 1, 2), 0, isa::kStoreMisaligned},
  };
  for (const auto& c : cases) {
    Machine m;
    m.poke32(kData, 0x01020304);
    m.poke32(kData + 4, 0x05060708);
    Asm p(kRamBase);
    p(addi(4, zero, 1));  // +0
    p(c.insn);            // +4
    p(addi(5, zero, 1));  // +8: not reached
    p.halt();
    m.load(p);
    m.halt_on_trap();
    m.cpu().set_x(1, kData + c.offset);
    m.cpu().set_x(2, 0xcafef00d);
    m.cpu().set_x(3, 0xdeadbeef);
    ASSERT_EQ(m.run(), Stop::Semihost) << c.what;
    EXPECT_EQ(m.cpu().mcause(), c.cause) << c.what;
    const uint32_t addr = kData + c.offset + (c.insn == sw(2, 1, 2) ? 2 : 0);
    EXPECT_EQ(m.cpu().mtval(), addr) << c.what << ": mtval = the faulting address";
    EXPECT_EQ(m.cpu().mepc(), kRamBase + 4) << c.what;
    EXPECT_EQ(m.cpu().x(3), 0xdeadbeefu) << c.what << ": destination unchanged";
    EXPECT_EQ(m.cpu().x(5), 0u) << c.what;
    EXPECT_EQ(m.peek32(kData), 0x01020304u) << c.what << ": memory unchanged";
    EXPECT_EQ(m.peek32(kData + 4), 0x05060708u) << c.what;
  }
}

TEST(Misaligned, NaturallyAlignedSubwordsDoNotTrap) {
  Machine m;
  m.poke32(kData, 0x8899aabb);
  Asm p(kRamBase);
  p(lb(3, 1, 1))(lh(4, 1, 2))(lbu(5, 1, 3)).halt();
  m.load(p);
  m.cpu().set_x(1, kData);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(3), 0xffffffaau);
  EXPECT_EQ(m.cpu().x(4), 0xffff8899u);
  EXPECT_EQ(m.cpu().x(5), 0x88u);
}

TEST(Misaligned, EmulatedAccessesComplete) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Emulate;
  Machine m(cfg);
  const uint8_t data[8] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87};
  m.cpu().debug_write(kData, data, 8);
  Asm p(kRamBase);
  p(lw(10, 1, 1));    // bytes 1..4: 0x54433221
  p(lw(11, 1, 3));    // bytes 3..6: 0x76655443
  p(lh(12, 1, 5));    // bytes 5,6: 0x7665
  p(lh(13, 1, 7));    // byte 7 and 8 (8 is 0): 0x0087 -> positive
  p(lhu(14, 1, 1));   // 0x3221
  p(sw(2, 1, 0x11));  // kData+0x11..0x14
  p(sh(2, 1, 0x19));  // kData+0x19..0x1a
  p.halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(1, kData);
  m.cpu().set_x(2, 0xa1b2c3d4);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 7 * 4 + 4) << "no trap was taken";
  EXPECT_EQ(m.cpu().x(10), 0x54433221u);
  EXPECT_EQ(m.cpu().x(11), 0x76655443u);
  EXPECT_EQ(m.cpu().x(12), 0x7665u);
  EXPECT_EQ(m.cpu().x(13), 0x0087u);
  EXPECT_EQ(m.cpu().x(14), 0x3221u);
  EXPECT_EQ(m.peek8(kData + 0x10), 0u);
  EXPECT_EQ(m.peek8(kData + 0x11), 0xd4u);
  EXPECT_EQ(m.peek8(kData + 0x12), 0xc3u);
  EXPECT_EQ(m.peek8(kData + 0x13), 0xb2u);
  EXPECT_EQ(m.peek8(kData + 0x14), 0xa1u);
  EXPECT_EQ(m.peek8(kData + 0x15), 0u);
  EXPECT_EQ(m.peek8(kData + 0x18), 0u);
  EXPECT_EQ(m.peek8(kData + 0x19), 0xd4u);
  EXPECT_EQ(m.peek8(kData + 0x1a), 0xc3u);
  EXPECT_EQ(m.peek8(kData + 0x1b), 0u);
}

TEST(Misaligned, EmulatedLoadSignExtends) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Emulate;
  Machine m(cfg);
  const uint8_t data[4] = {0x00, 0x00, 0x00, 0x80};
  m.cpu().debug_write(kData + 4, data, 4);
  Asm p(kRamBase);
  p(lh(3, 1, 7)).halt();  // bytes 7 (0x80) and 8 (0x00): 0x0080 positive
  m.load(p);
  m.cpu().set_x(1, kData);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(3), 0x0080u);
  Machine m2(cfg);
  const uint8_t d2[4] = {0x00, 0xff, 0x80, 0x00};
  m2.cpu().debug_write(kData, d2, 4);
  Asm q(kRamBase);
  q(lh(3, 1, 1)).halt();  // 0x80ff -> 0xffff80ff
  m2.load(q);
  m2.cpu().set_x(1, kData);
  ASSERT_EQ(m2.run(), Stop::Semihost);
  EXPECT_EQ(m2.cpu().x(3), 0xffff80ffu);
}

// ---- misaligned split into two transactions (soc.core.misaligned: split) ---------------------------
TEST(MisalignedSplit, ValuesLikeTheEmulationAndNoTrap) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Split;
  Machine m(cfg);
  const uint8_t data[8] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87};
  m.cpu().debug_write(kData, data, 8);
  Asm p(kRamBase);
  p(lw(10, 1, 1));    // bytes 1..4: 0x54433221
  p(lw(11, 1, 3));    // bytes 3..6: 0x76655443
  p(lh(12, 1, 5));    // bytes 5,6 (within one word): 0x7665
  p(lh(13, 1, 7));    // byte 7 and 8 (8 is 0): 0x0087
  p(lb(14, 1, 7));    // 0x87 sign-extended
  p(lhu(15, 1, 3));   // 0x5443
  p(lh(16, 1, 3));    // 0x5443 (positive)
  p(sw(2, 1, 0x11));  // kData+0x11..0x14
  p(sh(2, 1, 0x1b));  // kData+0x1b..0x1c (crosses)
  p.halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(1, kData);
  m.cpu().set_x(2, 0xa1b2c3d4);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 9 * 4 + 4) << "no trap was taken";
  EXPECT_EQ(m.cpu().x(10), 0x54433221u);
  EXPECT_EQ(m.cpu().x(11), 0x76655443u);
  EXPECT_EQ(m.cpu().x(12), 0x7665u);
  EXPECT_EQ(m.cpu().x(13), 0x0087u);
  EXPECT_EQ(m.cpu().x(14), 0xffffff87u);
  EXPECT_EQ(m.cpu().x(15), 0x5443u);
  EXPECT_EQ(m.cpu().x(16), 0x5443u);
  EXPECT_EQ(m.peek32(kData + 0x10), 0xb2c3d400u);
  EXPECT_EQ(m.peek32(kData + 0x14), 0x000000a1u);
  EXPECT_EQ(m.peek32(kData + 0x18), 0xd4000000u);
  EXPECT_EQ(m.peek32(kData + 0x1c), 0x000000c3u);
  // Word-crossing accesses: lw x2, lh +7, lhu/lh +3, sw, sh = 7 splits; lh +5 and lb are single.
  EXPECT_EQ(m.cpu().counters().misaligned_splits, 7u);
}

TEST(MisalignedSplit, SignExtendsAHalfwordAcrossWords) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Split;
  Machine m(cfg);
  const uint8_t d[8] = {0, 0, 0, 0xff, 0x80, 0, 0, 0};
  m.cpu().debug_write(kData, d, 8);
  Asm p(kRamBase);
  p(lh(3, 1, 3)).halt();  // 0x80ff -> 0xffff80ff
  m.load(p);
  m.cpu().set_x(1, kData);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(3), 0xffff80ffu);
}

TEST(MisalignedSplit, AcrossTwoMemoriesEachCountsOneAccess) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Split;
  Machine m(cfg);
  const size_t a = m.add_region("a", 0x90000000u, 0x1000, true, false, 1, 0);
  const size_t b = m.add_region("b", 0x90001000u, 0x1000, true, false, 4, 0);
  m.poke32(0x90000ffcu, 0x44332211u);
  m.poke32(0x90001000u, 0x88776655u);
  Asm p(kRamBase);
  p(lw(3, 1, -2))(sw(4, 1, -1)).halt();  // 0x90000ffe..0x90001001, then 0x90000fff..0x90001002
  m.load(p);
  m.cpu().set_x(1, 0x90001000u);
  m.cpu().set_x(4, 0xdeadbeefu);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(3), 0x66554433u);
  EXPECT_EQ(m.cpu().region(a).reads[2], 1u);
  EXPECT_EQ(m.cpu().region(b).reads[2], 1u);
  EXPECT_EQ(m.cpu().region(a).writes[2], 1u);
  EXPECT_EQ(m.cpu().region(b).writes[2], 1u);
  EXPECT_EQ(m.peek32(0x90000ffcu), 0xef332211u);
  EXPECT_EQ(m.peek32(0x90001000u), 0x88deadbeu);
  EXPECT_EQ(m.cpu().counters().mem_wait_cycles, 1u + 4u) << "each part pays its memory's wait states";
}

TEST(MisalignedSplit, DevicePartsAreBusTransactions) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Split;
  Machine m(cfg);
  for (int i = 0; i < 8; ++i) m.bus.dev[i] = uint8_t(0x10 + i);
  Asm p(kRamBase);
  p(lw(3, 1, 1))(sh(2, 1, 7)).halt();
  m.load(p);
  m.cpu().set_x(1, kDevBase);
  m.cpu().set_x(2, 0xbeef);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(3), 0x14131211u);
  ASSERT_GE(m.bus.log.size(), 4u);
  // lw: [1..3] then [4]; sh: [7] then [8]
  EXPECT_EQ(m.bus.log[0].addr, kDevBase + 1);
  EXPECT_EQ(m.bus.log[0].len, 3u);
  EXPECT_EQ(m.bus.log[1].addr, kDevBase + 4);
  EXPECT_EQ(m.bus.log[1].len, 1u);
  EXPECT_TRUE(m.bus.log[2].write);
  EXPECT_EQ(m.bus.log[2].addr, kDevBase + 7);
  EXPECT_EQ(m.bus.log[2].len, 1u);
  EXPECT_EQ(m.bus.log[3].addr, kDevBase + 8);
  EXPECT_EQ(m.bus.dev[7], 0xefu);
  EXPECT_EQ(m.bus.dev[8], 0xbeu);
}

TEST(MisalignedSplit, FaultingPartIsAnAccessFaultWithItsAddress) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Split;
  {
    // Load: the second word is unmapped (RAM ends at kRamBase + kRamSize).
    Machine m(cfg);
    Asm p(kRamBase);
    p(lw(3, 1, 0)).halt();
    m.load(p);
    m.halt_on_trap();
    m.cpu().set_x(1, kRamBase + kRamSize - 2);
    m.cpu().set_x(3, 0x1234);
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().mcause(), uint32_t(isa::kLoadAccessFault));
    EXPECT_EQ(m.cpu().mtval(), kRamBase + kRamSize) << "the part that faulted";
    EXPECT_EQ(m.cpu().x(3), 0x1234u) << "destination unchanged";
  }
  {
    // Store: the second part lands in read-only memory: a store access fault; as on Ibex the other
    // transaction has been issued (its bytes are written).
    Machine m(cfg);
    m.add_region("rw", 0x90000000u, 0x1000, true, false);
    m.add_region("ro", 0x90001000u, 0x1000, false, false);
    Asm p(kRamBase);
    p(sw(2, 1, -2)).halt();
    m.load(p);
    m.halt_on_trap();
    m.cpu().set_x(1, 0x90001000u);
    m.cpu().set_x(2, 0xa1b2c3d4u);
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().mcause(), uint32_t(isa::kStoreAccessFault));
    EXPECT_EQ(m.cpu().mtval(), 0x90001000u);
    EXPECT_EQ(m.peek32(0x90000ffcu), 0xc3d40000u);
    EXPECT_EQ(m.peek32(0x90001000u), 0u);
  }
}

// ---- access faults ---------------------------------------------------------------------------------
TEST(AccessFault, StoreToReadOnlyRegion) {
  for (uint32_t insn : {sw(2, 1, 0), sh(2, 1, 0), sb(2, 1, 0)}) {
    Machine m;
    m.rom()[0x100] = 0x5a;
    Asm p(kRamBase);
    p(insn);
    p.halt();
    m.load(p);
    m.halt_on_trap();
    m.cpu().set_x(1, kRomBase + 0x100);
    m.cpu().set_x(2, 0x12345678);
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().mcause(), isa::kStoreAccessFault) << Machine::hex(insn);
    EXPECT_EQ(m.cpu().mtval(), kRomBase + 0x100);
    EXPECT_EQ(m.cpu().mepc(), kRamBase);
    EXPECT_EQ(m.rom()[0x100], 0x5a) << "read-only memory unchanged";
  }
}

TEST(AccessFault, LoadFromReadOnlyRegionWorks) {
  Machine m;
  m.rom()[0x20] = 0x99;
  Asm p(kRamBase);
  p(lbu(3, 1, 0x20)).halt();
  m.load(p);
  m.cpu().set_x(1, kRomBase);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(3), 0x99u);
}

TEST(AccessFault, LoadFromUnmappedAddress) {
  Machine m;
  Asm p(kRamBase);
  p(addi(4, zero, 1));
  p(lw(3, 1, 8));
  p.halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(1, kUnmapped);
  m.cpu().set_x(3, 77);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kLoadAccessFault);
  EXPECT_EQ(m.cpu().mtval(), kUnmapped + 8);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 4);
  EXPECT_EQ(m.cpu().x(3), 77u);
  ASSERT_EQ(m.bus.log.size(), 1u);
  EXPECT_FALSE(m.bus.log[0].write);
  EXPECT_EQ(m.bus.log[0].addr, kUnmapped + 8);
  EXPECT_FALSE(m.bus.log[0].ok);
}

TEST(AccessFault, StoreToUnmappedAddress) {
  Machine m;
  Asm p(kRamBase);
  p(sh(2, 1, 2)).halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(1, kUnmapped);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kStoreAccessFault);
  EXPECT_EQ(m.cpu().mtval(), kUnmapped + 2);
}

TEST(Device, LoadsAndStoresGoThroughTheBus) {
  Machine m;
  m.bus.dev[0] = 0x80;
  m.bus.dev[1] = 0x90;
  m.bus.dev[4] = 0x78;
  m.bus.dev[5] = 0x56;
  m.bus.dev[6] = 0x34;
  m.bus.dev[7] = 0x12;
  Asm p(kRamBase);
  p(lb(10, 1, 0));   // 0xffffff80
  p(lhu(11, 1, 0));  // 0x9080
  p(lh(12, 1, 0));   // 0xffff9080
  p(lw(13, 1, 4));   // 0x12345678
  p(sb(2, 1, 8));
  p(sw(2, 1, 12));
  p.halt();
  m.load(p);
  m.cpu().set_x(1, kDevBase);
  m.cpu().set_x(2, 0xa5b6c7d8);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(10), 0xffffff80u);
  EXPECT_EQ(m.cpu().x(11), 0x9080u);
  EXPECT_EQ(m.cpu().x(12), 0xffff9080u);
  EXPECT_EQ(m.cpu().x(13), 0x12345678u);
  ASSERT_EQ(m.bus.log.size(), 6u);
  EXPECT_EQ(m.bus.log[0].len, 1u);
  EXPECT_EQ(m.bus.log[1].len, 2u);
  EXPECT_EQ(m.bus.log[3].len, 4u);
  EXPECT_TRUE(m.bus.log[4].write);
  EXPECT_EQ(m.bus.log[4].addr, kDevBase + 8);
  EXPECT_EQ(m.bus.log[4].len, 1u);
  EXPECT_EQ(m.bus.log[4].data, 0xd8u);
  EXPECT_EQ(m.bus.log[5].data, 0xa5b6c7d8u);
  EXPECT_EQ(m.bus.dev[8], 0xd8);
  EXPECT_EQ(m.bus.dev[9], 0x00) << "a byte store writes one byte";
  EXPECT_EQ(m.cpu().counters().device_reads, 4u);
  EXPECT_EQ(m.cpu().counters().device_writes, 2u);
}

TEST(AccessFault, FetchFromUnmappedAddress) {
  Machine m;
  Asm p(kRamBase);
  p(jalr(ra, 5, 0)).halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(5, kUnmapped);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kInsnAccessFault);
  EXPECT_EQ(m.cpu().mtval(), kUnmapped);
  EXPECT_EQ(m.cpu().mepc(), kUnmapped);
  EXPECT_EQ(m.cpu().x(ra), kRamBase + 4) << "the jump itself completed";
}

TEST(AccessFault, FetchFromNonExecutableRegion) {
  Machine m;
  m.add_region("data", 0x90000000u, 0x1000, true, false);
  Asm p(kRamBase);
  p(jalr(zero, 5, 0x10)).halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(5, 0x90000000u);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kInsnAccessFault);
  EXPECT_EQ(m.cpu().mtval(), 0x90000010u);
}

TEST(AccessFault, FetchFaultWithoutHandlerIsFatal) {
  Machine m;
  Asm p(kRamBase);
  p(jalr(zero, 5, 0));
  m.load(p);
  m.cpu().set_x(5, kUnmapped);
  ASSERT_EQ(m.run(), Stop::Fatal);
  EXPECT_EQ(m.cpu().fatal().cause, isa::kInsnAccessFault);
  EXPECT_EQ(m.cpu().fatal().pc, kUnmapped);
  EXPECT_FALSE(m.cpu().fatal().reason.empty());
}

TEST(Misaligned, JumpToHalfwordWithoutCTraps) {
  isa::CpuConfig cfg = default_config();
  cfg.features.c = false;
  Machine m(cfg);
  Asm p(kRamBase);
  p(jalr(ra, 5, 0)).halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(5, kRamBase + 0x102);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kInsnMisaligned);
  EXPECT_EQ(m.cpu().mtval(), kRamBase + 0x102);
  EXPECT_EQ(m.cpu().mepc(), kRamBase) << "the jump traps, not the target";
  EXPECT_EQ(m.cpu().x(ra), 0u) << "the trapping jump writes no link";
}

// ---- illegal instructions --------------------------------------------------------------------------
TEST(Illegal, CauseTwoWithInstructionBits) {
  const uint32_t words[] = {
      0xffffffffu,                  // 48-bit+ prefix, not implemented
      enc_r(0x02, 2, 1, 0, 3, 0x33),  // OP with funct7 = 2
      enc_i(0, 1, 3, 3, 0x03),      // load funct3 = 3 (LD, RV64 only)
      enc_i(0, 1, 1, 3, 0x67),      // jalr funct3 = 1
      enc_i(0x105 + 1, 0, 0, 0, 0x73),  // SYSTEM funct3 = 0, unknown
      xmac_dot8(a0, a1, a2),        // Xmac disabled by default
      flw(1, 2, 0),                 // F disabled by default
  };
  for (uint32_t w : words) {
    Machine m;
    Asm p(kRamBase);
    p(addi(4, zero, 1))(w).halt();
    m.load(p);
    m.halt_on_trap();
    m.cpu().set_x(a0, 5);
    ASSERT_EQ(m.run(), Stop::Semihost) << Machine::hex(w);
    EXPECT_EQ(m.cpu().mcause(), isa::kIllegalInsn) << Machine::hex(w);
    EXPECT_EQ(m.cpu().mtval(), w) << Machine::hex(w);
    EXPECT_EQ(m.cpu().mepc(), kRamBase + 4) << Machine::hex(w);
    EXPECT_EQ(m.cpu().x(a0), 5u) << Machine::hex(w) << ": no register written";
  }
}

TEST(Illegal, CompressedAllZeroAndReserved) {
  const uint16_t halves[] = {0x0000,  // defined illegal instruction
                             uint16_t(c_addi4spn(s0, 0).bits),  // nzuimm = 0: reserved
                             uint16_t(c_lwsp(zero, 4).bits)};   // rd = 0: reserved
  for (uint16_t h : halves) {
    Machine m;
    Asm p(kRamBase);
    p(c16(h)).halt();
    m.load(p);
    m.halt_on_trap();
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().mcause(), isa::kIllegalInsn) << std::hex << h;
    EXPECT_EQ(m.cpu().mtval(), h) << std::hex << h;
    EXPECT_EQ(m.cpu().mepc(), kRamBase);
  }
}

TEST(Illegal, CompressedIsIllegalWithoutC) {
  isa::CpuConfig cfg = default_config();
  cfg.features.c = false;
  Machine m(cfg);
  Asm p(kRamBase);
  p(c_li(a0, 1))(c_nop()).halt();
  m.load(p);
  m.halt_on_trap();
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kIllegalInsn);
  EXPECT_EQ(m.cpu().mepc(), kRamBase);
  EXPECT_EQ(m.cpu().x(a0), 0u);
}

TEST(Illegal, WithoutHandlerIsFatalAndReportsTheBits) {
  Machine m;
  Asm p(kRamBase);
  p(0xffffffffu);
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Fatal);
  EXPECT_EQ(m.cpu().fatal().cause, isa::kIllegalInsn);
  EXPECT_EQ(m.cpu().fatal().pc, kRamBase);
  EXPECT_EQ(m.cpu().fatal().tval, 0xffffffffu);
  EXPECT_EQ(m.cpu().fatal().raw, 0xffffffffu);
}

// ---- compressed code ---------------------------------------------------------------------------------
// The same computation written with RVC instructions and with their 32-bit expansions (chapter 16's
// expansion column) must leave the same registers and memory.
void emit_alu_mem(Asm& p, bool compressed) {
  auto C = [&](C16 c, uint32_t full) {
    if (compressed) p(c);
    else p(full);
  };
  C(c_li(s0, 5), addi(s0, zero, 5));
  C(c_addi(s0, -3), addi(s0, s0, -3));          // 2
  C(c_li(s1, -7), addi(s1, zero, -7));          // -7
  C(c_add(s0, s1), add(s0, s0, s1));            // -5
  C(c_mv(a0, s0), add(a0, zero, s0));           // -5
  C(c_slli(a0, 4), slli(a0, a0, 4));            // -80
  C(c_srai(a0, 2), srai(a0, a0, 2));            // -20
  C(c_mv(a1, a0), add(a1, zero, a0));
  C(c_srli(a1, 28), srli(a1, a1, 28));          // 0xf
  C(c_andi(a1, -6), andi(a1, a1, -6));          // 0xf & ~5 = 0xa
  C(c_li(a2, 12), addi(a2, zero, 12));
  C(c_sub(a2, a1), sub(a2, a2, a1));            // 2
  C(c_li(a3, 6), addi(a3, zero, 6));
  C(c_xor(a3, a1), xor_(a3, a3, a1));           // 6 ^ 10 = 12
  C(c_li(a4, 5), addi(a4, zero, 5));
  C(c_or(a4, a1), or_(a4, a4, a1));             // 15
  C(c_li(a5, 7), addi(a5, zero, 7));
  C(c_and(a5, a1), and_(a5, a5, a1));           // 2
  C(c_lui(t0, 0x1f), lui(t0, 0x1f));            // 0x1f000
  C(c_lui(t1, -1), lui(t1, 0xfffff));           // 0xfffff000
  C(c_addi16sp(-32), addi(sp, sp, -32));        // sp = kData + 0x40 - 32
  C(c_swsp(s1, 12), sw(s1, sp, 12));
  C(c_lwsp(t2, 12), lw(t2, sp, 12));            // -7
  C(c_addi4spn(s0, 8), addi(s0, sp, 8));        // s0 = sp + 8
  C(c_sw(a5, s0, 4), sw(a5, s0, 4));            // [sp+12] = 2
  C(c_lw(s1, s0, 4), lw(s1, s0, 4));            // 2
  C(c_lw(a3, s0, 0), lw(a3, s0, 0));  // [sp+8] = 0 (untouched)
}

TEST(Compressed, ExecutesLikeItsExpansion) {
  uint32_t regs[2][32];
  uint32_t mem[2][4];
  uint32_t size[2];
  for (int variant = 0; variant < 2; ++variant) {
    Machine m;
    Asm p(kRamBase);
    emit_alu_mem(p, variant == 1);
    const uint32_t end = p.here();
    p.halt();
    m.load(p);
    m.cpu().set_x(sp, kData + 0x40);
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().pc(), end + 4);
    for (int r = 0; r < 32; ++r) regs[variant][r] = m.cpu().x(r);
    for (int w = 0; w < 4; ++w) mem[variant][w] = m.peek32(kData + 0x20 + 4 * w);
    size[variant] = end - kRamBase;
  }
  EXPECT_EQ(size[0], 2 * size[1]) << "every compressed instruction is 2 bytes";
  for (int r = 0; r < 32; ++r) EXPECT_EQ(regs[0][r], regs[1][r]) << "x" << r;
  for (int w = 0; w < 4; ++w) EXPECT_EQ(mem[0][w], mem[1][w]) << "word " << w;
  // And by hand:
  EXPECT_EQ(regs[1][a0], uint32_t(-20));
  EXPECT_EQ(regs[1][a1], 0xau);
  EXPECT_EQ(regs[1][a2], 2u);
  EXPECT_EQ(regs[1][a3], 0u);
  EXPECT_EQ(regs[1][a4], 15u);
  EXPECT_EQ(regs[1][a5], 2u);
  EXPECT_EQ(regs[1][t0], 0x1f000u);
  EXPECT_EQ(regs[1][t1], 0xfffff000u);
  EXPECT_EQ(regs[1][t2], uint32_t(-7));
  EXPECT_EQ(regs[1][sp], kData + 0x20);
  EXPECT_EQ(regs[1][s0], kData + 0x28);
  EXPECT_EQ(regs[1][s1], 2u);
}

TEST(Compressed, ControlFlowAndPcIncrements) {
  Machine m;
  Asm p(kRamBase);
  auto f = p.label(), skip = p.label(), loop = p.label(), after = p.label();
  p(c_li(s0, 3));             // +0
  p(auipc(t0, 0));            // +2: 32-bit instruction at a halfword address
  p.c_jal(f);                 // +6: ra = +8
  p(c_li(a0, 1));             // +8: executed after return
  p.c_j(skip);                // +10
  p(c_li(a0, 2));             // +12: skipped
  p.bind(skip);
  p.bind(loop);               // +14
  p(c_addi(a1, 2));           // +14
  p(c_addi(s0, -1));          // +16
  p.c_bnez(s0, loop);         // +18
  p.c_beqz(s0, after);        // +20: taken
  p(c_li(a2, 9));             // +22: skipped
  p.bind(after);
  p(c_jalr(t1));              // +24: ra = +26, t1 -> g
  p(addi(a4, zero, 4));       // +26
  p.halt();                   // +30
  p.align(4);
  p.bind(f);                  // +44 after halt (12 bytes) and align
  p(c_mv(a3, ra));
  p(c_jr(ra));
  const uint32_t g = p.here();
  p(c_mv(a5, ra));
  p(c_jr(ra));
  m.load(p);
  m.cpu().set_x(t1, g);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(t0), kRamBase + 2);
  EXPECT_EQ(m.cpu().x(a3), kRamBase + 8) << "c.jal links pc + 2";
  EXPECT_EQ(m.cpu().x(a0), 1u);
  EXPECT_EQ(m.cpu().x(a1), 6u);
  EXPECT_EQ(m.cpu().x(a2), 0u);
  EXPECT_EQ(m.cpu().x(a5), kRamBase + 26) << "c.jalr links pc + 2";
  EXPECT_EQ(m.cpu().x(a4), 4u);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 34);
}

// ---- self-modifying code ---------------------------------------------------------------------------
// Calls a one-instruction function twice; between the calls the program overwrites that instruction
// (with or without fence.i). The ISS must execute the new instruction the second time.
void self_modify(bool with_fence) {
  Machine m;
  Asm p(kRamBase);
  auto fn = p.label();
  p.jal(ra, fn);                   // +0
  p(sw(t2, s0, 0));                // +4: patch the function
  if (with_fence) p(fence_i());
  else p(nop());
  p.jal(ra, fn);                   // +12
  p.halt();
  p.bind(fn);
  const uint32_t fn_addr = p.here();
  p(addi(t0, t0, 1));              // replaced by addi t1, zero, 42
  p(jalr(zero, ra, 0));
  m.load(p);
  m.cpu().set_x(t2, addi(t1, zero, 42));
  m.cpu().set_x(s0, fn_addr);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(t0), 1u) << "the old instruction ran once";
  EXPECT_EQ(m.cpu().x(t1), 42u) << "the new instruction ran the second time";
}

TEST(SelfModifyingCode, FenceIMakesNewCodeVisible) { self_modify(true); }
TEST(SelfModifyingCode, PlainStoreInvalidatesDecodeCache) { self_modify(false); }

TEST(SelfModifyingCode, StoreOverNextInstructionInStraightLineCode) {
  // sh over the upper half of the very next 32-bit instruction (which has been decoded before, in a
  // first pass through a loop).
  Machine m;
  Asm p(kRamBase);
  auto loop = p.here_label();
  p(sh(t2, s0, 2));                // +0: on the first pass writes the same bits
  const uint32_t target = p.here();
  p(addi(t0, t0, 1));              // +4: upper half patched to 0x7ff on the second pass
  p(addi(s1, s1, -1));
  p.bne(s1, zero, loop);
  p.halt();
  m.load(p);
  const uint32_t orig = addi(t0, t0, 1);
  const uint32_t patched = addi(t0, t0, 0x7ff);
  m.cpu().set_x(s0, target);
  m.cpu().set_x(s1, 2);
  m.cpu().set_x(t2, orig >> 16);
  // First pass stores the original upper half; before the second pass, change the value stored.
  ASSERT_EQ(m.cpu().run(3), Stop::Limit);  // sh, addi, addi (unit timing: 1 cycle each)
  EXPECT_EQ(m.cpu().x(t0), 1u);
  m.cpu().set_x(t2, patched >> 16);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(t0), 1u + 0x7ff);
}


TEST(Misaligned, EmulatedAccessesCountTwoAccessesAndRespectWritability) {
  isa::CpuConfig cfg = default_config();
  cfg.misaligned = isa::Misaligned::Emulate;
  Machine m(cfg);
  Asm p(kRamBase);
  p(lw(10, 1, 1)).halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(1, kData);
  const auto reads_before = m.cpu().region(m.ram_index).reads[2];
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().region(m.ram_index).reads[2] - reads_before, 2u);  // emulated as two word accesses

  // A misaligned store into the read-only ROM is a store access fault, not a silent write.
  Machine r(cfg);
  Asm q(kRamBase);
  q(sw(2, 1, 1)).halt();
  r.load(q);
  r.halt_on_trap();
  r.cpu().set_x(1, kRomBase);
  r.cpu().set_x(2, 0xffffffff);
  r.run();
  EXPECT_EQ(r.cpu().mcause(), isa::kStoreAccessFault);
  EXPECT_EQ(r.rom()[1], 0u);
}

TEST(Counters, McountinhibitFreezesAndResumes) {
  Machine m;
  Asm p(kRamBase);
  p(csrrwi(0, 0x320, 5));      // inhibit CY and IR
  p(csrr(10, 0xB00))(csrr(11, 0xB02));
  p(addi(0, 0, 0))(addi(0, 0, 0))(addi(0, 0, 0));
  p(csrr(12, 0xB00))(csrr(13, 0xB02));
  p(csrrwi(0, 0x320, 0));      // release
  p(addi(0, 0, 0))(addi(0, 0, 0));
  p(csrr(14, 0xB02));
  p.halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(10), m.cpu().x(12));   // mcycle frozen
  EXPECT_EQ(m.cpu().x(11), m.cpu().x(13));   // minstret frozen
  // After release minstret resumes from the frozen value: +1 (release csrrwi) +2 addi +... the read sees
  // the count before itself: frozen + 3.
  EXPECT_EQ(m.cpu().x(14), m.cpu().x(13) + 3);
}
}  // namespace
}  // namespace isatest

// Disassembler: names, register names and the text of one instruction per format. The expected
// strings of the kGnu* tables are GNU objdump 2.40 output (`objdump -d -M no-aliases` of the same
// encodings assembled by GNU as at 0x80000000), normalised to this disassembler's conventions: ", "
// between operands, branch/jump targets as absolute "0x..." addresses, and compressed instructions
// printed as their 32-bit expansion (the expected text is objdump's text of the expansion).
#include <gtest/gtest.h>

#include <string>

#include "expect_insn.h"
#include "rv_encode.h"

namespace {
using namespace decode_test;
using mcucim::isa::decode;
using mcucim::isa::disassemble;
using mcucim::isa::freg_name;
using mcucim::isa::op_name;
using mcucim::isa::reg_name;

struct Golden {
  uint32_t pc;
  uint32_t raw;
  const char* text;
};

constexpr Golden kGnu32[] = {
    {0x80000000, 0x12345537u, "lui a0, 0x12345"},
    {0x80000004, 0xfffff297u, "auipc t0, 0xfffff"},
    {0x80000008, 0x100000efu, "jal ra, 0x80000108"},
    {0x8000000c, 0x801ff06fu, "jal zero, 0x7ffff80c"},
    {0x80000010, 0x004500e7u, "jalr ra, 4(a0)"},
    {0x80000014, 0x800f8067u, "jalr zero, -2048(t6)"},
    {0x80000018, 0x00050863u, "beq a0, zero, 0x80000028"},
    {0x8000001c, 0x80941063u, "bne s0, s1, 0x7ffff01c"},
    {0x80000020, 0x7eb54fe3u, "blt a0, a1, 0x8000101e"},
    {0x80000024, 0xffde7fe3u, "bgeu t3, t4, 0x80000022"},
    {0x80000028, 0xfff58503u, "lb a0, -1(a1)"},
    {0x8000002c, 0x7ffd5d83u, "lhu s11, 2047(s10)"},
    {0x80000030, 0x00812783u, "lw a5, 8(sp)"},
    {0x80000034, 0x00018023u, "sb zero, 0(gp)"},
    {0x80000038, 0xfef42e23u, "sw a5, -4(s0)"},
    {0x8000003c, 0x00150513u, "addi a0, a0, 1"},
    {0x80000040, 0x8006b613u, "sltiu a2, a3, -2048"},
    {0x80000044, 0x0ff2f213u, "andi tp, t0, 255"},
    {0x80000048, 0x00351513u, "slli a0, a0, 0x3"},
    {0x8000004c, 0x41f3d313u, "srai t1, t2, 0x1f"},
    {0x80000050, 0x00085893u, "srli a7, a6, 0x0"},
    {0x80000054, 0x00c58533u, "add a0, a1, a2"},
    {0x80000058, 0x41498933u, "sub s2, s3, s4"},
    {0x8000005c, 0x417b5ab3u, "sra s5, s6, s7"},
    {0x80000060, 0x01ecbc33u, "sltu s8, s9, t5"},
    {0x80000064, 0x02c5a533u, "mulhsu a0, a1, a2"},
    {0x80000068, 0x03df7fb3u, "remu t6, t5, t4"},
    {0x8000006c, 0x0ff0000fu, "fence iorw, iorw"},
    {0x80000070, 0x0210000fu, "fence r, w"},
    {0x80000074, 0x8330000fu, "fence.tso"},
    {0x80000078, 0x0000100fu, "fence.i"},
    {0x8000007c, 0x00000073u, "ecall"},
    {0x80000080, 0x00100073u, "ebreak"},
    {0x80000084, 0x30200073u, "mret"},
    {0x80000088, 0x10500073u, "wfi"},
    {0x8000008c, 0x30551073u, "csrrw zero, mtvec, a0"},
    {0x80000090, 0x30002573u, "csrrs a0, mstatus, zero"},
    {0x80000094, 0x304635f3u, "csrrc a1, mie, a2"},
    {0x80000098, 0x3402d073u, "csrrwi zero, mscratch, 5"},
    {0x8000009c, 0x003fe573u, "csrrsi a0, fcsr, 31"},
    {0x800000a0, 0x00207573u, "csrrci a0, frm, 0"},
    {0x800000a4, 0x00812507u, "flw fa0, 8(sp)"},
    {0x800000a8, 0x81b52027u, "fsw fs11, -2048(a0)"},
    {0x800000ac, 0x68c5f543u, "fmadd.s fa0, fa1, fa2, fa3"},
    {0x800000b0, 0x1820804bu, "fnmsub.s ft0, ft1, ft2, ft3, rne"},
    {0x800000b4, 0x00c59553u, "fadd.s fa0, fa1, fa2, rtz"},
    {0x800000b8, 0x09eefe53u, "fsub.s ft8, ft9, ft10"},
    {0x800000bc, 0x1124a453u, "fmul.s fs0, fs1, fs2, rdn"},
    {0x800000c0, 0x19a8bfd3u, "fdiv.s ft11, fa7, fs10, rup"},
    {0x800000c4, 0x5805c553u, "fsqrt.s fa0, fa1, rmm"},
    {0x800000c8, 0x20c58553u, "fsgnj.s fa0, fa1, fa2"},
    {0x800000cc, 0x20b5a553u, "fsgnjx.s fa0, fa1, fa1"},
    {0x800000d0, 0x28208053u, "fmin.s ft0, ft1, ft2"},
    {0x800000d4, 0x28209053u, "fmax.s ft0, ft1, ft2"},
    {0x800000d8, 0xc0051553u, "fcvt.w.s a0, fa0, rtz"},
    {0x800000dc, 0xc0157553u, "fcvt.wu.s a0, fa0"},
    {0x800000e0, 0xd0057553u, "fcvt.s.w fa0, a0"},
    {0x800000e4, 0xd0153553u, "fcvt.s.wu fa0, a0, rup"},
    {0x800000e8, 0xe0000553u, "fmv.x.w a0, ft0"},
    {0x800000ec, 0xf0050053u, "fmv.w.x ft0, a0"},
    {0x800000f0, 0xa0b52553u, "feq.s a0, fa0, fa1"},
    {0x800000f4, 0xa0b51553u, "flt.s a0, fa0, fa1"},
    {0x800000f8, 0xa0b50553u, "fle.s a0, fa0, fa1"},
    {0x800000fc, 0xe00d92d3u, "fclass.s t0, fs11"},
    {0x80000100, 0x30002573u, "csrrs a0, mstatus, zero"},
    {0x80000104, 0x30102573u, "csrrs a0, misa, zero"},
    {0x80000108, 0x30402573u, "csrrs a0, mie, zero"},
    {0x8000010c, 0x30502573u, "csrrs a0, mtvec, zero"},
    {0x80000110, 0x34002573u, "csrrs a0, mscratch, zero"},
    {0x80000114, 0x34102573u, "csrrs a0, mepc, zero"},
    {0x80000118, 0x34202573u, "csrrs a0, mcause, zero"},
    {0x8000011c, 0x34302573u, "csrrs a0, mtval, zero"},
    {0x80000120, 0x34402573u, "csrrs a0, mip, zero"},
    {0x80000124, 0xb0002573u, "csrrs a0, mcycle, zero"},
    {0x80000128, 0xb0202573u, "csrrs a0, minstret, zero"},
    {0x8000012c, 0xb8002573u, "csrrs a0, mcycleh, zero"},
    {0x80000130, 0xb8202573u, "csrrs a0, minstreth, zero"},
    {0x80000134, 0xc0002573u, "csrrs a0, cycle, zero"},
    {0x80000138, 0xc0102573u, "csrrs a0, time, zero"},
    {0x8000013c, 0xc0202573u, "csrrs a0, instret, zero"},
    {0x80000140, 0xc8002573u, "csrrs a0, cycleh, zero"},
    {0x80000144, 0xc8102573u, "csrrs a0, timeh, zero"},
    {0x80000148, 0xc8202573u, "csrrs a0, instreth, zero"},
    {0x8000014c, 0xf1402573u, "csrrs a0, mhartid, zero"},
    {0x80000150, 0xf1102573u, "csrrs a0, mvendorid, zero"},
    {0x80000154, 0xf1202573u, "csrrs a0, marchid, zero"},
    {0x80000158, 0xf1302573u, "csrrs a0, mimpid, zero"},
    {0x8000015c, 0x00102573u, "csrrs a0, fflags, zero"},
    {0x80000160, 0x00202573u, "csrrs a0, frm, zero"},
    {0x80000164, 0x00302573u, "csrrs a0, fcsr, zero"},
    {0x80000168, 0xb0302573u, "csrrs a0, mhpmcounter3, zero"},
    {0x8000016c, 0xb1f02573u, "csrrs a0, mhpmcounter31, zero"},
    {0x80000170, 0xb8302573u, "csrrs a0, mhpmcounter3h, zero"},
    {0x80000174, 0xb9f02573u, "csrrs a0, mhpmcounter31h, zero"},
    {0x80000178, 0x32302573u, "csrrs a0, mhpmevent3, zero"},
    {0x8000017c, 0x33102573u, "csrrs a0, mhpmevent17, zero"},
    {0x80000180, 0x33f02573u, "csrrs a0, mhpmevent31, zero"},
    {0x80000184, 0x32002573u, "csrrs a0, mcountinhibit, zero"},
    {0x80000188, 0xc0302573u, "csrrs a0, hpmcounter3, zero"},
    {0x8000018c, 0xc9f02573u, "csrrs a0, hpmcounter31h, zero"},
};

// Compressed encodings (from GNU as, -march=rv32imfc) and objdump's text of their expansion.
constexpr Golden kGnu16[] = {
    {0x80000000, 0x0808u, "addi a0, sp, 16"},
    {0x80000002, 0x5d7cu, "lw a5, 124(a0)"},
    {0x80000004, 0x615cu, "flw fa5, 4(a0)"},
    {0x80000006, 0xc0bcu, "sw a5, 64(s1)"},
    {0x80000008, 0xe380u, "fsw fs0, 0(a5)"},
    {0x8000000a, 0x0001u, "addi zero, zero, 0"},
    {0x8000000c, 0x1501u, "addi a0, a0, -32"},
    {0x8000000e, 0x2ffdu, "jal ra, 0x8000080c"},
    {0x80000010, 0x47fdu, "addi a5, zero, 31"},
    {0x80000012, 0x7101u, "addi sp, sp, -512"},
    {0x80000014, 0x757du, "lui a0, 0xfffff"},
    {0x80000016, 0x807du, "srli s0, s0, 0x1f"},
    {0x80000018, 0x8785u, "srai a5, a5, 0x1"},
    {0x8000001a, 0x9b7du, "andi a4, a4, -1"},
    {0x8000001c, 0x8c05u, "sub s0, s0, s1"},
    {0x8000001e, 0x8d2du, "xor a0, a0, a1"},
    {0x80000020, 0x8e55u, "or a2, a2, a3"},
    {0x80000022, 0x8f7du, "and a4, a4, a5"},
    {0x80000024, 0xb001u, "jal zero, 0x7ffff824"},
    {0x80000026, 0xc901u, "beq a0, zero, 0x80000036"},
    {0x80000028, 0xf081u, "bne s1, zero, 0x7fffff28"},
    {0x8000002a, 0x0f86u, "slli t6, t6, 0x1"},
    {0x8000002c, 0x50feu, "lw ra, 252(sp)"},
    {0x8000002e, 0x6002u, "flw ft0, 0(sp)"},
    {0x80000030, 0x8082u, "jalr zero, 0(ra)"},
    {0x80000032, 0x852eu, "add a0, zero, a1"},
    {0x80000034, 0x9002u, "ebreak"},
    {0x80000036, 0x9282u, "jalr ra, 0(t0)"},
    {0x80000038, 0x952eu, "add a0, a0, a1"},
    {0x8000003a, 0xc606u, "sw ra, 12(sp)"},
    {0x8000003c, 0xffaau, "fsw fa0, 252(sp)"},
};

std::string dis(uint32_t raw, uint32_t pc = 0x80000000u) {
  return disassemble(decode(raw, all_features()), pc);
}

TEST(Disasm, MatchesGnuObjdump32) {
  for (const Golden& g : kGnu32) EXPECT_EQ(dis(g.raw, g.pc), g.text) << hex(g.raw);
}

TEST(Disasm, CompressedPrintsTheExpansion) {
  for (const Golden& g : kGnu16) EXPECT_EQ(dis(g.raw, g.pc), g.text) << hex(g.raw);
}

TEST(Disasm, RegisterNames) {
  const char* kAbi[32] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
                          "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                          "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  const char* kFp[32] = {"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
                         "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
                         "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
  for (unsigned r = 0; r < 32; ++r) {
    EXPECT_STREQ(reg_name(r), kAbi[r]) << r;
    EXPECT_STREQ(freg_name(r), kFp[r]) << r;
  }
}

TEST(Disasm, OpNames) {
  EXPECT_STREQ(op_name(Op::ADDI), "addi");
  EXPECT_STREQ(op_name(Op::FMADD_S), "fmadd.s");
  EXPECT_STREQ(op_name(Op::FCVT_WU_S), "fcvt.wu.s");
  EXPECT_STREQ(op_name(Op::FENCE_I), "fence.i");
  EXPECT_STREQ(op_name(Op::CSRRCI), "csrrci");
  EXPECT_STREQ(op_name(Op::XMAC_DOT8), "xmac.dot8");
  EXPECT_STREQ(op_name(Op::XMAC_LDOT2), "xmac.ldot2");
  EXPECT_STREQ(op_name(Op::ILLEGAL), "illegal");
  EXPECT_STREQ(op_name(Op::UNDECODED), "undecoded");
  // Every op has a distinct, non-empty name.
  for (unsigned a = 0; a < static_cast<unsigned>(Op::COUNT); ++a) {
    ASSERT_NE(std::string(op_name(static_cast<Op>(a))), "");
    for (unsigned b = a + 1; b < static_cast<unsigned>(Op::COUNT); ++b) {
      EXPECT_STRNE(op_name(static_cast<Op>(a)), op_name(static_cast<Op>(b))) << a << " " << b;
    }
  }
}

TEST(Disasm, Xmac) {
  using namespace rvenc;
  EXPECT_EQ(dis(xmac(0, 0, 10, 11, 12)), "xmac.dot8 a0, a1, a2");
  EXPECT_EQ(dis(xmac(0, 1, 10, 11, 12)), "xmac.dot4 a0, a1, a2");
  EXPECT_EQ(dis(xmac(0, 2, 10, 11, 12)), "xmac.dot2 a0, a1, a2");
  EXPECT_EQ(dis(xmac(1, 0, 10, 11, 12)), "xmac.ldot8 a0, a1, a2");
  EXPECT_EQ(dis(xmac(1, 1, 5, 6, 28)), "xmac.ldot4 t0, t1, t3");
  EXPECT_EQ(dis(xmac(1, 2, 31, 30, 16)), "xmac.ldot2 t6, t5, a6");
}

TEST(Disasm, CustomAndUnknownCsrs) {
  using namespace rvenc;
  EXPECT_EQ(dis(i_type(0xfc0, 0, 2, 10, SYSTEM)), "csrrs a0, xmaccfg, zero");
  EXPECT_EQ(dis(i_type(0x7c0, 1, 1, 0, SYSTEM)), "csrrw zero, 0x7c0, ra");
  EXPECT_EQ(dis(i_type(0xfff, 31, 7, 0, SYSTEM)), "csrrci zero, 0xfff, 31");
  EXPECT_EQ(dis(i_type(0xb02, 0, 2, 10, SYSTEM)), "csrrs a0, minstret, zero");
  EXPECT_EQ(dis(i_type(0xb01, 0, 2, 10, SYSTEM)), "csrrs a0, 0xb01, zero");  // no mtime CSR
}

TEST(Disasm, RoundingModes) {
  using namespace rvenc;
  // Static modes are printed, dyn (7) is omitted; the reserved 5 and 6 are shown as such.
  EXPECT_EQ(dis(r_type(0, 12, 11, 0, 10, OP_FP)), "fadd.s fa0, fa1, fa2, rne");
  EXPECT_EQ(dis(r_type(0, 12, 11, 4, 10, OP_FP)), "fadd.s fa0, fa1, fa2, rmm");
  EXPECT_EQ(dis(r_type(0, 12, 11, 5, 10, OP_FP)), "fadd.s fa0, fa1, fa2, rm5");
  EXPECT_EQ(dis(r_type(0, 12, 11, 6, 10, OP_FP)), "fadd.s fa0, fa1, fa2, rm6");
  EXPECT_EQ(dis(r_type(0, 12, 11, 7, 10, OP_FP)), "fadd.s fa0, fa1, fa2");
  EXPECT_EQ(dis(r4_type(13, 0, 12, 11, 3, 10, NMADD)), "fnmadd.s fa0, fa1, fa2, fa3, rup");
  EXPECT_EQ(dis(r4_type(31, 0, 0, 0, 2, 0, MSUB)), "fmsub.s ft0, ft0, ft0, ft11, rdn");
}

TEST(Disasm, FenceSetsIncludingEmpty) {
  using namespace rvenc;
  EXPECT_EQ(dis(i_type(0x0ff, 0, 0, 0, MISC_MEM)), "fence iorw, iorw");
  EXPECT_EQ(dis(i_type(0x0a5, 0, 0, 0, MISC_MEM)), "fence ir, ow");
  EXPECT_EQ(dis(i_type(0x00f, 0, 0, 0, MISC_MEM)), "fence 0, iorw");
  EXPECT_EQ(dis(i_type(0x0f0, 0, 0, 0, MISC_MEM)), "fence iorw, 0");
}

TEST(Disasm, IllegalAndUndecoded) {
  EXPECT_EQ(dis(0x00000000u), "illegal 0x00000000");
  EXPECT_EQ(dis(0xffffffffu), "illegal 0xffffffff");
  EXPECT_EQ(dis(0x0000207fu), "illegal 0x0000207f");
  EXPECT_EQ(dis(0xabcd8000u), "illegal 0x00008000");  // reserved Q0 funct3 100: 16 bits only
  EXPECT_EQ(disassemble(Insn{}, 0), "undecoded");
}

TEST(Disasm, TargetsWrapAroundTheAddressSpace) {
  using namespace rvenc;
  EXPECT_EQ(dis(jal(0, -8), 0x00000004u), "jal zero, 0xfffffffc");
  EXPECT_EQ(dis(beq(1, 2, 16), 0xfffffff8u), "beq ra, sp, 0x8");
}

}  // namespace

// Disassembler: GNU objdump -M no-aliases style text of decoded instructions (operands separated by
// ", ", branch/jump targets as absolute hex addresses, compressed instructions as their expansion).
#include "isa/disasm.h"

#include <cstdio>

namespace mcucim::isa {
namespace {

constexpr const char* kOpNames[] = {
    "undecoded", "illegal",
    // RV32I
    "lui", "auipc", "jal", "jalr",
    "beq", "bne", "blt", "bge", "bltu", "bgeu",
    "lb", "lh", "lw", "lbu", "lhu",
    "sb", "sh", "sw",
    "addi", "slti", "sltiu", "xori", "ori", "andi", "slli", "srli", "srai",
    "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
    "fence", "fence.i", "ecall", "ebreak", "mret", "wfi",
    // Zicsr
    "csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci",
    // M
    "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
    // F
    "flw", "fsw",
    "fmadd.s", "fmsub.s", "fnmsub.s", "fnmadd.s",
    "fadd.s", "fsub.s", "fmul.s", "fdiv.s", "fsqrt.s",
    "fsgnj.s", "fsgnjn.s", "fsgnjx.s", "fmin.s", "fmax.s",
    "fcvt.w.s", "fcvt.wu.s", "fmv.x.w", "feq.s", "flt.s", "fle.s", "fclass.s",
    "fcvt.s.w", "fcvt.s.wu", "fmv.w.x",
    // Xmac
    "xmac.dot8", "xmac.dot4", "xmac.dot2",
    "xmac.ldot8", "xmac.ldot4", "xmac.ldot2",
    // A
    "lr.w", "sc.w",
    "amoswap.w", "amoadd.w", "amoxor.w", "amoand.w", "amoor.w", "amomin.w", "amomax.w", "amominu.w", "amomaxu.w",
};
static_assert(sizeof(kOpNames) / sizeof(kOpNames[0]) == static_cast<unsigned>(Op::COUNT),
              "kOpNames must list every Op in enum order");

constexpr const char* kRegNames[32] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

constexpr const char* kFregNames[32] = {
    "ft0", "ft1", "ft2",  "ft3",  "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3",  "fa4",  "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8",  "fs9",  "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};

}  // namespace

// CSR name into buf (named CSRs of this MCU, else the number in hex).
void csr_name(uint32_t csr, char* buf, size_t n) {
  struct Named { uint16_t num; const char* name; };
  static constexpr Named kNamed[] = {
      {0x001, "fflags"},   {0x002, "frm"},       {0x003, "fcsr"},      {0x300, "mstatus"},
      {0x301, "misa"},     {0x304, "mie"},       {0x305, "mtvec"},     {0x320, "mcountinhibit"},
      {0x340, "mscratch"}, {0x341, "mepc"},      {0x342, "mcause"},    {0x343, "mtval"},
      {0x344, "mip"},      {0xb00, "mcycle"},    {0xb02, "minstret"},  {0xb80, "mcycleh"},
      {0xb82, "minstreth"}, {0xc00, "cycle"},    {0xc01, "time"},      {0xc02, "instret"},
      {0xc80, "cycleh"},   {0xc81, "timeh"},     {0xc82, "instreth"},  {0xf11, "mvendorid"},
      {0xf12, "marchid"},  {0xf13, "mimpid"},    {0xf14, "mhartid"},   {0xfc0, "xmaccfg"},
  };
  for (const Named& c : kNamed) {
    if (c.num == csr) {
      std::snprintf(buf, n, "%s", c.name);
      return;
    }
  }
  // Counter banks: 3..31 in each.
  const uint32_t idx = csr & 0x1f;
  if (idx >= 3) {
    switch (csr & ~0x1fu) {
      case 0xb00: std::snprintf(buf, n, "mhpmcounter%u", idx); return;
      case 0xb80: std::snprintf(buf, n, "mhpmcounter%uh", idx); return;
      case 0x320: std::snprintf(buf, n, "mhpmevent%u", idx); return;
      case 0xc00: std::snprintf(buf, n, "hpmcounter%u", idx); return;
      case 0xc80: std::snprintf(buf, n, "hpmcounter%uh", idx); return;
      default: break;
    }
  }
  std::snprintf(buf, n, "0x%x", csr);
}

namespace {

// ", rtz" etc. for a static rounding mode; nothing for the dynamic mode (7), like objdump.
const char* rm_suffix(unsigned rm) {
  static constexpr const char* kRm[8] = {", rne", ", rtz", ", rdn", ", rup", ", rmm",
                                         ", rm5", ", rm6", ""};
  return kRm[rm & 7];
}

// FENCE predecessor/successor set as objdump prints it ("iorw", "rw", ...; "0" for the empty set).
void fence_set(unsigned set, char* buf) {
  char* p = buf;
  if (set & 8) *p++ = 'i';
  if (set & 4) *p++ = 'o';
  if (set & 2) *p++ = 'r';
  if (set & 1) *p++ = 'w';
  if (p == buf) *p++ = '0';
  *p = '\0';
}

}  // namespace

const char* op_name(Op op) {
  const auto i = static_cast<unsigned>(op);
  return i < static_cast<unsigned>(Op::COUNT) ? kOpNames[i] : "unknown";
}

const char* reg_name(unsigned r) { return r < 32 ? kRegNames[r] : "?"; }
const char* freg_name(unsigned r) { return r < 32 ? kFregNames[r] : "?"; }

std::string disassemble(const Insn& in, uint32_t pc) {
  char buf[96];
  const char* name = op_name(in.op);
  const char* rd = reg_name(in.rd);
  const char* rs1 = reg_name(in.rs1);
  const char* rs2 = reg_name(in.rs2);
  const char* frd = freg_name(in.rd);
  const char* frs1 = freg_name(in.rs1);
  const char* frs2 = freg_name(in.rs2);
  const uint32_t target = pc + static_cast<uint32_t>(in.imm);
  switch (in.op) {
    case Op::UNDECODED:
      return "undecoded";
    case Op::ILLEGAL:
      std::snprintf(buf, sizeof buf, "illegal 0x%08x", in.raw);
      break;
    case Op::LUI:
    case Op::AUIPC:
      std::snprintf(buf, sizeof buf, "%s %s, 0x%x", name, rd, static_cast<uint32_t>(in.imm) >> 12);
      break;
    case Op::JAL:
      std::snprintf(buf, sizeof buf, "%s %s, 0x%x", name, rd, target);
      break;
    case Op::BEQ: case Op::BNE: case Op::BLT: case Op::BGE: case Op::BLTU: case Op::BGEU:
      std::snprintf(buf, sizeof buf, "%s %s, %s, 0x%x", name, rs1, rs2, target);
      break;
    case Op::JALR:
    case Op::LB: case Op::LH: case Op::LW: case Op::LBU: case Op::LHU:
      std::snprintf(buf, sizeof buf, "%s %s, %d(%s)", name, rd, in.imm, rs1);
      break;
    case Op::SB: case Op::SH: case Op::SW:
      std::snprintf(buf, sizeof buf, "%s %s, %d(%s)", name, rs2, in.imm, rs1);
      break;
    case Op::FLW:
      std::snprintf(buf, sizeof buf, "%s %s, %d(%s)", name, frd, in.imm, rs1);
      break;
    case Op::FSW:
      std::snprintf(buf, sizeof buf, "%s %s, %d(%s)", name, frs2, in.imm, rs1);
      break;
    case Op::ADDI: case Op::SLTI: case Op::SLTIU: case Op::XORI: case Op::ORI: case Op::ANDI:
      std::snprintf(buf, sizeof buf, "%s %s, %s, %d", name, rd, rs1, in.imm);
      break;
    case Op::SLLI: case Op::SRLI: case Op::SRAI:
      std::snprintf(buf, sizeof buf, "%s %s, %s, 0x%x", name, rd, rs1, static_cast<unsigned>(in.imm));
      break;
    case Op::FENCE: {
      const unsigned fm = (static_cast<uint32_t>(in.imm) >> 8) & 0xf;
      const unsigned pred = (static_cast<uint32_t>(in.imm) >> 4) & 0xf;
      const unsigned succ = static_cast<uint32_t>(in.imm) & 0xf;
      if (fm == 8 && pred == 3 && succ == 3) return "fence.tso";
      char p[8], s[8];
      fence_set(pred, p);
      fence_set(succ, s);
      std::snprintf(buf, sizeof buf, "fence %s, %s", p, s);
      break;
    }
    case Op::FENCE_I: case Op::ECALL: case Op::EBREAK: case Op::MRET: case Op::WFI:
      return name;
    case Op::LR_W:
      std::snprintf(buf, sizeof buf, "%s %s, (%s)", name, rd, rs1);
      break;
    case Op::SC_W: case Op::AMOSWAP_W: case Op::AMOADD_W: case Op::AMOXOR_W: case Op::AMOAND_W:
    case Op::AMOOR_W: case Op::AMOMIN_W: case Op::AMOMAX_W: case Op::AMOMINU_W: case Op::AMOMAXU_W:
      std::snprintf(buf, sizeof buf, "%s %s, %s, (%s)", name, rd, rs2, rs1);
      break;
    case Op::CSRRW: case Op::CSRRS: case Op::CSRRC: {
      char csr[24];
      csr_name(static_cast<uint32_t>(in.imm), csr, sizeof csr);
      std::snprintf(buf, sizeof buf, "%s %s, %s, %s", name, rd, csr, rs1);
      break;
    }
    case Op::CSRRWI: case Op::CSRRSI: case Op::CSRRCI: {
      char csr[24];
      csr_name(static_cast<uint32_t>(in.imm), csr, sizeof csr);
      std::snprintf(buf, sizeof buf, "%s %s, %s, %u", name, rd, csr, static_cast<unsigned>(in.rs3));
      break;
    }
    case Op::FMADD_S: case Op::FMSUB_S: case Op::FNMSUB_S: case Op::FNMADD_S:
      std::snprintf(buf, sizeof buf, "%s %s, %s, %s, %s%s", name, frd, frs1, frs2,
                    freg_name(in.rs3), rm_suffix(in.rm));
      break;
    case Op::FADD_S: case Op::FSUB_S: case Op::FMUL_S: case Op::FDIV_S:
      std::snprintf(buf, sizeof buf, "%s %s, %s, %s%s", name, frd, frs1, frs2, rm_suffix(in.rm));
      break;
    case Op::FSQRT_S:
      std::snprintf(buf, sizeof buf, "%s %s, %s%s", name, frd, frs1, rm_suffix(in.rm));
      break;
    case Op::FSGNJ_S: case Op::FSGNJN_S: case Op::FSGNJX_S: case Op::FMIN_S: case Op::FMAX_S:
      std::snprintf(buf, sizeof buf, "%s %s, %s, %s", name, frd, frs1, frs2);
      break;
    case Op::FCVT_W_S: case Op::FCVT_WU_S:  // integer rd, FP rs1
      std::snprintf(buf, sizeof buf, "%s %s, %s%s", name, rd, frs1, rm_suffix(in.rm));
      break;
    case Op::FCVT_S_W: case Op::FCVT_S_WU:  // FP rd, integer rs1
      std::snprintf(buf, sizeof buf, "%s %s, %s%s", name, frd, rs1, rm_suffix(in.rm));
      break;
    case Op::FMV_X_W: case Op::FCLASS_S:
      std::snprintf(buf, sizeof buf, "%s %s, %s", name, rd, frs1);
      break;
    case Op::FMV_W_X:
      std::snprintf(buf, sizeof buf, "%s %s, %s", name, frd, rs1);
      break;
    case Op::FEQ_S: case Op::FLT_S: case Op::FLE_S:
      std::snprintf(buf, sizeof buf, "%s %s, %s, %s", name, rd, frs1, frs2);
      break;
    default:  // integer register-register: OP, M, Xmac
      std::snprintf(buf, sizeof buf, "%s %s, %s, %s", name, rd, rs1, rs2);
      break;
  }
  return buf;
}

}  // namespace mcucim::isa

// Pre-decoded instruction: the compact form the interpreter executes. Decoding happens once per
// code address (see isa/cpu.h's decode cache); everything the hot loop needs is in these 16 bytes.
#pragma once
#include <cstdint>

namespace mcucim::isa {

// Every operation the ISS executes. Compressed instructions decode to the operation of their
// 32-bit expansion (Insn::len tells them apart). UNDECODED marks an empty decode-cache slot and
// ILLEGAL an encoding that is not a valid instruction in the configured ISA.
enum class Op : uint8_t {
  UNDECODED = 0,
  ILLEGAL,
  // RV32I
  LUI, AUIPC, JAL, JALR,
  BEQ, BNE, BLT, BGE, BLTU, BGEU,
  LB, LH, LW, LBU, LHU,
  SB, SH, SW,
  ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI,
  ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND,
  FENCE, FENCE_I, ECALL, EBREAK, MRET, WFI,
  // Zicsr (imm holds the CSR number; for the *I forms rs3 holds the 5-bit immediate and rs1 is 0)
  CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI,
  // M
  MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU,
  // F (rm holds the static rounding-mode field; rs3 the third source of the fused ops)
  FLW, FSW,
  FMADD_S, FMSUB_S, FNMSUB_S, FNMADD_S,
  FADD_S, FSUB_S, FMUL_S, FDIV_S, FSQRT_S,
  FSGNJ_S, FSGNJN_S, FSGNJX_S, FMIN_S, FMAX_S,
  FCVT_W_S, FCVT_WU_S, FMV_X_W, FEQ_S, FLT_S, FLE_S, FCLASS_S,
  FCVT_S_W, FCVT_S_WU, FMV_W_X,
  // Xmac (see isa/XMAC.md): rd is accumulator (read and written). The L* forms load the weight word
  // from [rs1] and post-increment rs1 by 4.
  XMAC_DOT8, XMAC_DOT4, XMAC_DOT2,
  XMAC_LDOT8, XMAC_LDOT4, XMAC_LDOT2,
  // A (RV32A, word only; aq/rl are accepted and have no effect: the simulated memory is sequentially
  // consistent). LR: class LOAD, SC: STORE, AMOs: LOAD (their cycles come from the profile's `atomic`).
  LR_W, SC_W,
  AMOSWAP_W, AMOADD_W, AMOXOR_W, AMOAND_W, AMOOR_W, AMOMIN_W, AMOMAX_W, AMOMINU_W, AMOMAXU_W,
  COUNT
};

// Timing/energy class of an instruction. The timing profile (configs/timing/*.yaml) gives a base cycle
// count per class; the energy model (issue 4) an energy per class. Keep in sync with kTimingClassNames.
enum class TClass : uint8_t {
  ALU,       // integer register-immediate / register-register, lui, auipc
  SHIFT,     // shifts (may be iterative on small cores)
  BRANCH,    // conditional branch (taken penalty added separately)
  JAL,       // direct jump
  JALR,      // indirect jump
  LOAD,      // integer loads
  STORE,     // integer stores
  MUL,       // mul
  MULH,      // mulh, mulhsu, mulhu
  DIV,       // div, divu, rem, remu
  CSR,       // Zicsr
  SYSTEM,    // ecall, ebreak, mret, wfi, fence, fence.i, illegal
  FP_LOAD,   // flw
  FP_STORE,  // fsw
  FP_ADD,    // fadd, fsub
  FP_MUL,    // fmul
  FP_FMA,    // fmadd, fmsub, fnmadd, fnmsub
  FP_DIV,    // fdiv
  FP_SQRT,   // fsqrt
  FP_CMP,    // feq, flt, fle, fmin, fmax, fclass
  FP_CVT,    // fcvt.*
  FP_MOVE,   // fsgnj*, fmv.x.w, fmv.w.x
  XMAC,      // Xmac dot products (cost from the MAC unit's lanes, see isa/XMAC.md)
  XMAC_LOAD, // Xmac with post-increment weight load
  COUNT
};

inline constexpr const char* kTimingClassNames[] = {
    "alu",     "shift",  "branch", "jal",    "jalr",    "load",    "store",  "mul",
    "mulh",    "div",    "csr",    "system", "fp_load", "fp_store", "fp_add", "fp_mul",
    "fp_fma",  "fp_div", "fp_sqrt", "fp_cmp", "fp_cvt",  "fp_move", "xmac",   "xmac_load"};
static_assert(sizeof(kTimingClassNames) / sizeof(kTimingClassNames[0]) ==
              static_cast<unsigned>(TClass::COUNT));

// Register-use flags: which fields name registers that are read. The hazard checks (load-use) use them
// through the rs1/rs2/rs3 fields, which decode sets to 0 when the instruction does not read them.
struct Insn {
  Op op = Op::UNDECODED;
  uint8_t rd = 0;   // destination (integer or FP register number, per op); 0 if none
  uint8_t rs1 = 0;  // source 1 (or zimm for CSR*I); 0 if not read
  uint8_t rs2 = 0;  // source 2; 0 if not read
  int32_t imm = 0;  // sign-extended immediate; CSR number for Zicsr; shift amount for shifts
  uint8_t rs3 = 0;  // third source (fused FP ops); 0 if not read
  uint8_t rm = 0;   // FP rounding-mode field (7 = dynamic)
  uint8_t len = 4;  // 2 for compressed, 4 otherwise
  TClass tclass = TClass::SYSTEM;
  uint32_t raw = 0;  // the instruction bits as fetched (16 significant bits if compressed)
};
static_assert(sizeof(Insn) == 16, "Insn must stay 16 bytes: it is the decode-cache entry");

// Which optional extensions the decoder accepts. Instructions of a disabled extension decode to ILLEGAL.
struct IsaFeatures {
  bool m = true;
  bool c = true;
  bool f = false;
  bool xmac = false;
  bool a = false;  // RV32A atomics
};

// Decode one instruction. `raw` holds the 32 bits at the PC (only the low 16 are used when they are a
// compressed instruction, i.e. (raw & 3) != 3). Never fails: invalid encodings give Op::ILLEGAL
// (with len and raw set so the trap can report them).
Insn decode(uint32_t raw, const IsaFeatures& features);

}  // namespace mcucim::isa

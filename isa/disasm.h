// Disassembler for traces, trap reports and profiles.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include "isa/insn.h"

namespace mcucim::isa {
// Mnemonic of an operation ("addi", "fmadd.s", "xmac.ldot8").
const char* op_name(Op op);
// ABI register names: "zero", "ra", "sp", ..., and "ft0".."ft11"/"fs0".../"fa0"... for FP registers.
const char* reg_name(unsigned r);
const char* freg_name(unsigned r);
// GNU objdump-like text of a decoded instruction at `pc`, e.g. "addi a0, a0, 1", "lw a5, 8(sp)",
// "beq a0, zero, 0x80000010", "csrrw zero, mtvec, a0". Compressed instructions print as their
// expansion prefixed with "c." where objdump would (e.g. "c.addi a0, 1" may print as "addi a0, a0, 1";
// either is acceptable, but the output must name the operation and all operands).
std::string disassemble(const Insn& insn, uint32_t pc);
// Name of a CSR ("mstatus", "mhpmcounter3"), or its number in hex ("0x7c0") if it has none here.
void csr_name(uint32_t csr, char* buf, size_t n);
}  // namespace mcucim::isa

#include "sim/commit_log.h"

#include <fmt/format.h>

#include "isa/disasm.h"
#include "sim/config.h"

namespace mcucim::sim {

namespace {
using isa::Op;

// Operations whose rd is an FP register.
bool fp_dest(Op op) {
  switch (op) {
    case Op::FLW: case Op::FMADD_S: case Op::FMSUB_S: case Op::FNMSUB_S: case Op::FNMADD_S:
    case Op::FADD_S: case Op::FSUB_S: case Op::FMUL_S: case Op::FDIV_S: case Op::FSQRT_S:
    case Op::FSGNJ_S: case Op::FSGNJN_S: case Op::FSGNJX_S: case Op::FMIN_S: case Op::FMAX_S:
    case Op::FCVT_S_W: case Op::FCVT_S_WU: case Op::FMV_W_X:
      return true;
    default:
      return false;
  }
}
// Data access size of a load / store (0: none).
unsigned load_size(Op op) {
  switch (op) {
    case Op::LB: case Op::LBU: return 1;
    case Op::LH: case Op::LHU: return 2;
    case Op::LW: case Op::FLW: case Op::XMAC_LDOT8: case Op::XMAC_LDOT4: case Op::XMAC_LDOT2: return 4;
    default: return 0;
  }
}
unsigned store_size(Op op) {
  switch (op) {
    case Op::SB: return 1;
    case Op::SH: return 2;
    case Op::SW: case Op::FSW: return 4;
    default: return 0;
  }
}
bool is_csr(Op op) { return op >= Op::CSRRW && op <= Op::CSRRCI; }
bool is_ldot(Op op) { return op == Op::XMAC_LDOT8 || op == Op::XMAC_LDOT4 || op == Op::XMAC_LDOT2; }
}  // namespace

bool data_access(const isa::Insn& in, uint32_t rs1_value, DataAccess& a) {
  if (const unsigned n = load_size(in.op)) {
    a = {is_ldot(in.op) ? rs1_value : rs1_value + uint32_t(in.imm), n, false};
    return true;
  }
  if (const unsigned n = store_size(in.op)) {
    a = {rs1_value + uint32_t(in.imm), n, true};
    return true;
  }
  return false;
}

CommitLog::CommitLog(std::FILE* out, LogBound from, LogBound to) : out_(out), window_(std::move(from), std::move(to)) {}

bool CommitLog::poll(isa::Cpu& cpu, uint64_t& until) { return window_.poll(cpu, until); }

void CommitLog::before_step(isa::Cpu& cpu) {
  armed_ = false;
  if (!window_.enter(cpu.pc())) return;
  armed_ = true;
  pc_ = cpu.pc();
  cycle_ = cpu.cycle();
  instret_ = cpu.instret();
  priv_ = cpu.privilege();
  in_ = cpu.decode_at(pc_);
  rs1v_ = cpu.x(in_.rs1);
  rs2v_ = cpu.x(in_.rs2);
  frs2v_ = cpu.f(in_.rs2);
}

void CommitLog::after_step(isa::Cpu& cpu, isa::Stop) {
  if (!armed_) return;
  armed_ = false;
  // Not retired (a trap, an interrupt taken before it, a debugger halt): no line, as in Spike.
  if (cpu.instret() == instret_) return;
  line_.clear();
  auto out = std::back_inserter(line_);
  fmt::format_to(out, "{} core   0: {} 0x{:08x} (0x{:0{}x})", cycle_, unsigned(priv_), pc_, in_.raw,
                 in_.len == 2 ? 4 : 8);
  const Op op = in_.op;
  if (is_csr(op)) {
    // csrrs/csrrc with rs1 = x0 (uimm = 0) do not write; the value logged is the CSR read back.
    const bool writes = op == Op::CSRRW || op == Op::CSRRWI ||
                        (op >= Op::CSRRWI ? in_.rs3 != 0 : in_.rs1 != 0);
    const uint32_t csr = uint32_t(in_.imm) & 0xfff;
    uint32_t v = 0;
    if (writes && cpu.csr_read(csr, v)) {
      char name[24];
      isa::csr_name(csr, name, sizeof name);
      fmt::format_to(out, " c{}_{} 0x{:08x}", csr, name, v);
    }
  }
  if (in_.rd != 0 || fp_dest(op)) {
    if (fp_dest(op)) fmt::format_to(out, " f{:<2} 0x{:08x}", in_.rd, cpu.f(in_.rd));
    else fmt::format_to(out, " x{:<2} 0x{:08x}", in_.rd, cpu.x(in_.rd));
  }
  if (is_ldot(op) && in_.rs1 != 0) fmt::format_to(out, " x{:<2} 0x{:08x}", in_.rs1, cpu.x(in_.rs1));
  if (const unsigned n = load_size(op)) {
    const uint32_t addr = is_ldot(op) ? rs1v_ : rs1v_ + uint32_t(in_.imm);
    fmt::format_to(out, " mem 0x{:08x}", addr);
  } else if (const unsigned n = store_size(op)) {
    uint32_t data = op == Op::FSW ? frs2v_ : rs2v_;
    if (n < 4) data &= (1u << (8 * n)) - 1;
    fmt::format_to(out, " mem 0x{:08x} 0x{:0{}x}", rs1v_ + uint32_t(in_.imm), data, 2 * n);
  }
  line_ += '\n';
  std::fwrite(line_.data(), 1, line_.size(), out_);
  ++lines_;
  window_.retired(pc_);
}

void CommitLog::finish(isa::Cpu&) { std::fflush(out_); }

}  // namespace mcucim::sim

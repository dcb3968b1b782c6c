// Exact cycle counts of ordinary compiled code (workloads/timing_kernels: CRC, memcpy/strcmp, binary
// search, a bytecode interpreter, bit tricks, mul/div, int8 mat-vec), for every shipped profile.
//
// The expected counts come from an independent counter written here: it steps the ELF through the ISS
// one instruction at a time (for the functional trace only: pc, the register values before the
// instruction, the next pc), decodes each instruction's raw bits itself (its own opcode table, not
// isa/decode.cpp) and charges the published rules with the profile's numbers (read from the YAML file
// by harness.h, not by sim/): class cost, iterative-shift steps, division by zero, taken-branch
// penalty, load-use stall, and fetch alignment (a 32-bit instruction at an address 2 mod 4 costs
// straddle_sequential, or straddle_target after a control transfer; a taken branch whose fall-through
// is such an instruction costs branch_fallthrough_straddle more; the difference straddle_target -
// straddle_sequential is charged to the transfer). Code and data are in zero-wait SRAM.
// The test checks every instruction's cost, the firmware's own rdcycle deltas per kernel, and the total.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "sim/elf.h"
#include "tests/isa/harness.h"

namespace isatest {
namespace {

constexpr uint32_t kSram = 0x80000000u, kSramSize = 512 * 1024;
constexpr uint32_t kSimctrl = 0x11000000u;

// Sim-control EXIT and PUTC, as the firmware uses them.
class SimctrlBus : public isa::Bus {
 public:
  bool exited = false;
  std::string out;
  bool read(uint32_t, void* data, unsigned len, uint64_t, uint32_t& d) override {
    std::memset(data, 0, len);
    d = 0;
    return true;
  }
  bool write(uint32_t addr, const void* data, unsigned len, uint64_t, uint32_t& d) override {
    uint32_t v = 0;
    std::memcpy(&v, data, len);
    if (addr == kSimctrl) exited = true;
    if (addr == kSimctrl + 0x20) out += char(v);
    d = 0;
    return addr >= kSimctrl && addr < kSimctrl + 0x100;
  }
};

// ---- the independent counter --------------------------------------------------------------------
struct Decoded {
  TClass cls = TClass::SYSTEM;
  unsigned len = 4;
  uint32_t reads = 0;      // bit mask of integer registers read
  uint32_t rd = 0;         // integer destination (0: none)
  bool is_load = false;    // integer load (load-use producer)
  int shift_imm = -1;      // immediate shift amount, or -1
  int shift_reg = -1;      // register holding the shift amount, or -1
  int div_rs2 = -1;        // divisor register of div/rem
  bool jump = false;       // jal/jalr/mret/fence.i: always a control transfer
  bool fence = false;      // plain fence
  bool branch = false;
};

uint32_t bits(uint32_t v, int hi, int lo) { return (v >> lo) & ((1u << (hi - lo + 1)) - 1u); }

Decoded classify(uint32_t raw) {
  Decoded d;
  auto rd_ = [&](uint32_t r) { d.rd = r; };
  auto rs = [&](uint32_t r) { d.reads |= 1u << r; };
  if ((raw & 3) != 3) {
    d.len = 2;
    const uint32_t q = raw & 3, f3 = bits(raw, 15, 13);
    const uint32_t rp1 = 8 + bits(raw, 9, 7), rp2 = 8 + bits(raw, 4, 2);
    const uint32_t r1 = bits(raw, 11, 7), r2 = bits(raw, 6, 2);
    if (q == 0) {
      if (f3 == 0) { d.cls = TClass::ALU; rs(2); rd_(rp2); }
      else if (f3 == 2) { d.cls = TClass::LOAD; d.is_load = true; rs(rp1); rd_(rp2); }
      else if (f3 == 6) { d.cls = TClass::STORE; rs(rp1); rs(rp2); }
    } else if (q == 1) {
      switch (f3) {
        case 0: d.cls = TClass::ALU; rs(r1); rd_(r1); break;
        case 1: case 5: d.cls = TClass::JAL; d.jump = true; if (f3 == 1) rd_(1); break;
        case 2: d.cls = TClass::ALU; rd_(r1); break;
        case 3: d.cls = TClass::ALU; if (r1 == 2) rs(2); rd_(r1); break;
        case 4: {
          const uint32_t f2 = bits(raw, 11, 10);
          if (f2 < 2) { d.cls = TClass::SHIFT; d.shift_imm = int(bits(raw, 6, 2) | (bits(raw, 12, 12) << 5)); rs(rp1); }
          else if (f2 == 2) { d.cls = TClass::ALU; rs(rp1); }
          else { d.cls = TClass::ALU; rs(rp1); rs(rp2); }
          rd_(rp1);
          break;
        }
        default: d.cls = TClass::BRANCH; d.branch = true; rs(rp1); break;
      }
    } else if (q == 2) {
      if (f3 == 0) { d.cls = TClass::SHIFT; d.shift_imm = int(r2 | (bits(raw, 12, 12) << 5)); rs(r1); rd_(r1); }
      else if (f3 == 2) { d.cls = TClass::LOAD; d.is_load = true; rs(2); rd_(r1); }
      else if (f3 == 6) { d.cls = TClass::STORE; rs(2); rs(r2); }
      else if (f3 == 4) {
        const bool b12 = bits(raw, 12, 12);
        if (!b12 && r2 == 0) { d.cls = TClass::JALR; d.jump = true; rs(r1); }
        else if (!b12) { d.cls = TClass::ALU; rs(r2); rd_(r1); }
        else if (r1 == 0 && r2 == 0) { d.cls = TClass::SYSTEM; }
        else if (r2 == 0) { d.cls = TClass::JALR; d.jump = true; rs(r1); rd_(1); }
        else { d.cls = TClass::ALU; rs(r1); rs(r2); rd_(r1); }
      }
    }
    d.reads &= ~1u;
    return d;
  }
  const uint32_t op = raw & 0x7f, f3 = bits(raw, 14, 12), f7 = bits(raw, 31, 25);
  const uint32_t r1 = bits(raw, 19, 15), r2 = bits(raw, 24, 20), rdr = bits(raw, 11, 7);
  switch (op) {
    case 0x37: case 0x17: d.cls = TClass::ALU; rd_(rdr); break;
    case 0x6f: d.cls = TClass::JAL; d.jump = true; rd_(rdr); break;
    case 0x67: d.cls = TClass::JALR; d.jump = true; rs(r1); rd_(rdr); break;
    case 0x63: d.cls = TClass::BRANCH; d.branch = true; rs(r1); rs(r2); break;
    case 0x03: d.cls = TClass::LOAD; d.is_load = true; rs(r1); rd_(rdr); break;
    case 0x23: d.cls = TClass::STORE; rs(r1); rs(r2); break;
    case 0x13:
      if (f3 == 1 || f3 == 5) { d.cls = TClass::SHIFT; d.shift_imm = int(r2); }
      else d.cls = TClass::ALU;
      rs(r1); rd_(rdr);
      break;
    case 0x33:
      rs(r1); rs(r2); rd_(rdr);
      if (f7 == 1) {
        d.cls = f3 == 0 ? TClass::MUL : f3 < 4 ? TClass::MULH : TClass::DIV;
        if (f3 >= 4) d.div_rs2 = int(r2);
      } else if (f3 == 1 || f3 == 5) {
        d.cls = TClass::SHIFT; d.shift_reg = int(r2);
      } else {
        d.cls = TClass::ALU;
      }
      break;
    case 0x0f: d.cls = TClass::SYSTEM; if (f3 == 1) d.jump = true; else d.fence = true; break;
    case 0x73:
      if (f3 != 0) { d.cls = TClass::CSR; if (f3 < 4) rs(r1); rd_(rdr); }
      else { d.cls = TClass::SYSTEM; if (raw == 0x30200073) d.jump = true; }
      break;
    default: break;
  }
  d.reads &= ~1u;
  return d;
}

struct Counter {
  isa::TimingProfile T;
  uint32_t load_rd = 0;

  // Cycles of the instruction `raw` at `pc`, given the registers before it and the next pc;
  // `next_raw16` is the halfword at pc + len (for the fall-through rule), `target_raw16` the one at
  // next_pc. A transfer pays for fetching its straddling target after the flush (the target itself
  // pays only what any straddle in sequence pays).
  uint64_t cost(uint32_t pc, uint32_t raw, const uint32_t* x, uint32_t next_pc, uint16_t next_raw16,
                uint16_t target_raw16) {
    const Decoded d = classify(raw);
    uint64_t c = T.base[size_t(d.cls)];
    if (d.shift_imm >= 0 || d.shift_reg >= 0) {
      const uint32_t sh = (d.shift_imm >= 0 ? uint32_t(d.shift_imm) : x[d.shift_reg]) & 31;
      c += T.shift_per_4 * (sh / 4) + T.shift_per_1 * (sh % 4);
    }
    if (d.div_rs2 >= 0 && x[d.div_rs2] == 0 && T.div_fast_zero) c = T.div_fast_zero;
    if (d.fence) c = T.fence;
    if (d.len == 4 && (raw & 0x707f) == 0x100f) c = T.fence_i;
    if (load_rd && (d.reads >> load_rd & 1)) c += T.load_use_stall;
    const bool straddles = d.len == 4 && pc % T.fetch_width == T.fetch_width - 2;
    if (straddles) c += T.straddle_sequential;
    const bool taken = d.branch && next_pc != pc + d.len;
    if (taken) {
      c += T.branch_taken_penalty;
      const uint32_t ft = pc + d.len;
      if ((next_raw16 & 3) == 3 && ft % T.fetch_width == T.fetch_width - 2) c += T.branch_fallthrough_straddle;
    }
    const bool transfer = d.jump || taken || (d.fence && T.fence_flushes_fetch);
    if (transfer && (target_raw16 & 3) == 3 && next_pc % T.fetch_width == T.fetch_width - 2)
      c += T.straddle_target - T.straddle_sequential;
    load_rd = d.is_load ? d.rd : 0;
    return c;
  }
};

class KernelTiming : public ::testing::TestWithParam<std::string> {};

TEST_P(KernelTiming, EveryInstructionAndEveryKernelAsTheRulesSay) {
  const std::string elf_path = std::string(MCUCIM_FIRMWARE_DIR) + "/timing_kernels.elf";
  const mcucim::sim::ElfImage elf = mcucim::sim::load_elf(elf_path);
  const auto tk_cycles = elf.symbol("tk_cycles");
  ASSERT_TRUE(tk_cycles.has_value());

  isa::CpuConfig cfg;
  cfg.features.m = cfg.features.c = true;
  cfg.timing = load_profile(GetParam());
  cfg.misaligned = cfg.timing.misaligned;
  SimctrlBus bus;
  isa::Cpu cpu(cfg, &bus);
  std::vector<uint8_t> sram(kSramSize, 0);
  isa::MemRegion r;
  r.name = "sram";
  r.base = kSram;
  r.size = kSramSize;
  r.host = sram.data();
  r.executable = r.writable = true;
  cpu.add_region(r);
  for (const auto& s : elf.segments) ASSERT_TRUE(cpu.debug_write(s.paddr, s.data.data(), uint32_t(s.data.size())));
  cpu.reset(elf.entry);

  Counter counter{cfg.timing};
  uint64_t expected_total = 0;
  std::vector<uint64_t> rdcycle_at;  // expected cycle count before each rdcycle instruction
  uint64_t steps = 0, mismatches = 0;
  while (!bus.exited && steps < 5000000) {
    const uint32_t pc = cpu.pc();
    uint32_t raw = 0;
    ASSERT_TRUE(cpu.debug_read(pc, &raw, 4));
    uint32_t x[32];
    for (unsigned i = 0; i < 32; ++i) x[i] = cpu.x(i);
    const uint64_t before = cpu.cycle();
    const isa::Stop s = cpu.run(before + 1);  // exactly one instruction
    ASSERT_EQ(s, isa::Stop::Limit) << "at pc 0x" << std::hex << pc;
    const unsigned len = (raw & 3) == 3 ? 4 : 2;
    uint16_t next16 = 0, target16 = 0;
    cpu.debug_read(pc + len, &next16, 2);
    cpu.debug_read(cpu.pc(), &target16, 2);
    const uint64_t want = counter.cost(pc, raw, x, cpu.pc(), next16, target16);
    const uint64_t got = cpu.cycle() - before;
    // rdcycle (csrrs rd, cycle, x0) reads the count before its own execution cycles (after its fetch
    // and any stall): the expected total so far plus its cost beyond the CSR class cost.
    if ((raw & 0xfffff07fu) == 0xc0002073u)
      rdcycle_at.push_back(expected_total + want - cfg.timing.base[size_t(TClass::CSR)]);
    if (got != want && mismatches++ < 10)
      ADD_FAILURE() << GetParam() << ": instruction 0x" << std::hex << raw << " at 0x" << pc << std::dec
                    << " took " << got << " cycles, the rules say " << want;
    expected_total += want;
    ++steps;
  }
  ASSERT_TRUE(bus.exited) << "the firmware did not finish: " << bus.out;
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(cpu.cycle(), expected_total);
  // Each kernel's rdcycle delta (as the firmware measured it) equals the counter's sum between the
  // two reads.
  ASSERT_EQ(rdcycle_at.size(), 16u);
  for (unsigned k = 0; k < 8; ++k) {
    uint32_t measured = 0;
    cpu.debug_read(*tk_cycles + 4 * k, &measured, 4);
    EXPECT_EQ(measured, rdcycle_at[2 * k + 1] - rdcycle_at[2 * k]) << "kernel " << k;
    EXPECT_GT(measured, 100u) << "kernel " << k;
  }
  EXPECT_NE(bus.out.find("kernel matvec cycles"), std::string::npos) << bus.out;
}

INSTANTIATE_TEST_SUITE_P(Profiles, KernelTiming, ::testing::Values("cv32e40p", "ibex", "picorv32", "picorv32-fastmul"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace isatest

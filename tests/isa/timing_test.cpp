// Exact cycle counts of the ISS's in-order timing model, for every shipped timing profile. The profile
// numbers are read from configs/timing/<name>.yaml by the test itself (harness.h: load_profile), so the
// test follows the files; every expected total is the test's own sum of the profile's per-class
// numbers, penalties and wait states, following the model described in isa/cpu.h, isa/timing.h and
// isa/XMAC.md section 5. Programs end with `wfi` (nothing pending: Stop::Wfi, one SYSTEM instruction).
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "tests/isa/asm.h"
#include "tests/isa/harness.h"

namespace isatest {
namespace {

uint32_t cost(const isa::TimingProfile& T, TClass c) { return T.base[size_t(c)]; }

class Timing : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { T = load_profile(GetParam()); }

  isa::CpuConfig config() const {
    isa::CpuConfig cfg = default_config();
    cfg.timing = T;
    cfg.misaligned = T.misaligned;  // the core's own behaviour, as sim/soc.cpp defaults it
    cfg.features.xmac = true;
    return cfg;
  }
  uint32_t c(TClass k) const { return cost(T, k); }
  uint32_t sys() const { return c(TClass::SYSTEM); }
  uint32_t shift_cycles(uint32_t sh) const {
    sh &= 31;
    return c(TClass::SHIFT) + T.shift_per_4 * (sh >> 2) + T.shift_per_1 * (sh & 3);
  }

  // Run `p` (which must end in wfi) on a fresh core; returns the cycle count.
  uint64_t cycles(const Asm& p, const std::function<void(Machine&)>& setup = {},
                  isa::CpuConfig cfg = isa::CpuConfig{}, Machine** keep = nullptr) {
    if (cfg.timing.name.empty()) cfg = config();
    machine_ = std::make_unique<Machine>(cfg);
    Machine& m = *machine_;
    m.load(p);
    if (setup) setup(m);
    const Stop s = m.run(1000000);
    EXPECT_EQ(s, Stop::Wfi) << "program did not end at its wfi (mcause " << m.cpu().mcause() << ")";
    if (keep) *keep = &m;
    return m.cpu().cycle();
  }
  Machine& last() { return *machine_; }

  isa::TimingProfile T;
  std::unique_ptr<Machine> machine_;
};

TEST_P(Timing, ProfileFileIsComplete) {
  EXPECT_EQ(T.name, GetParam());
  for (size_t i = 0; i < size_t(TClass::COUNT); ++i)
    EXPECT_GT(T.base[i], 0u) << GetParam() << ": class " << isa::kTimingClassNames[i] << " costs 0 cycles";
}

TEST_P(Timing, AluSequence) {
  Asm p(kRamBase);
  const int N = 12;
  for (int i = 0; i < N / 4; ++i) {
    p(addi(t0, t0, 1));
    p(add(t1, t1, t0));
    p(lui(t2, 0x12345));
    p(auipc(s2, 0));
  }
  p(wfi());
  EXPECT_EQ(cycles(p), uint64_t(N) * c(TClass::ALU) + sys());
  EXPECT_EQ(last().cpu().counters().by_class[size_t(TClass::ALU)], uint64_t(N));
  EXPECT_EQ(last().cpu().instret(), uint64_t(N + 1));
}

TEST_P(Timing, CompressedAluCostsTheSame) {
  Asm p(kRamBase);
  for (int i = 0; i < 6; ++i) p(c_addi(a0, 1));
  p(wfi());
  EXPECT_EQ(cycles(p), 6u * c(TClass::ALU) + sys());
}

TEST_P(Timing, BranchNotTaken) {
  Asm p(kRamBase);
  p(bne(zero, zero, 8));
  p(addi(t0, zero, 1));
  p(wfi());
  EXPECT_EQ(cycles(p), uint64_t(c(TClass::BRANCH)) + c(TClass::ALU) + sys());
  EXPECT_EQ(last().cpu().counters().branches_taken, 0u);
}

TEST_P(Timing, BranchTaken) {
  Asm p(kRamBase);
  p(beq(zero, zero, 8));
  p(addi(t0, zero, 1));  // skipped
  p(wfi());
  EXPECT_EQ(cycles(p), uint64_t(c(TClass::BRANCH)) + T.branch_taken_penalty + sys());
  EXPECT_EQ(last().cpu().counters().branches_taken, 1u);
}

TEST_P(Timing, CountedLoop) {
  // addi t0,-1; bne t0,zero,loop: k iterations, k-1 taken branches.
  const uint32_t k = 7;
  Asm p(kRamBase);
  auto loop = p.here_label();
  p(addi(t0, t0, -1));
  p.bne(t0, zero, loop);
  p(wfi());
  const uint64_t expect = k * (c(TClass::ALU) + c(TClass::BRANCH)) + (k - 1) * T.branch_taken_penalty + sys();
  EXPECT_EQ(cycles(p, [&](Machine& m) { m.cpu().set_x(t0, k); }), expect);
}

TEST_P(Timing, Jal) {
  Asm p(kRamBase);
  p(jal(ra, 8));
  p(addi(t0, zero, 1));  // skipped
  p(wfi());
  EXPECT_EQ(cycles(p), uint64_t(c(TClass::JAL)) + sys());
}

TEST_P(Timing, Jalr) {
  Asm p(kRamBase);
  p(jalr(ra, t1, 0));
  p(addi(t0, zero, 1));  // skipped
  p(wfi());
  EXPECT_EQ(cycles(p, [](Machine& m) { m.cpu().set_x(t1, kRamBase + 8); }), uint64_t(c(TClass::JALR)) + sys());
}

TEST_P(Timing, LoadUseStall) {
  auto setup = [](Machine& m) { m.cpu().set_x(a0, kData); };
  {
    Asm p(kRamBase);
    p(lw(t0, a0, 0));
    p(addi(t1, t0, 1));  // reads the loaded register
    p(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(c(TClass::LOAD)) + T.load_use_stall + c(TClass::ALU) + sys());
    EXPECT_EQ(last().cpu().counters().load_use_stalls, T.load_use_stall);
  }
  {
    Asm p(kRamBase);
    p(lw(t0, a0, 0));
    p(addi(t1, t2, 1));  // independent
    p(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(c(TClass::LOAD)) + c(TClass::ALU) + sys());
    EXPECT_EQ(last().cpu().counters().load_use_stalls, 0u);
  }
  {
    Asm p(kRamBase);
    p(lw(t0, a0, 0));
    p(sw(t0, a0, 4));    // store data is the loaded register
    p(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(c(TClass::LOAD)) + T.load_use_stall + c(TClass::STORE) + sys());
  }
  {
    Asm p(kRamBase);
    p(lw(t0, a0, 0));
    p(nop());            // one instruction in between hides the stall
    p(add(t1, t0, t0));
    p(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(c(TClass::LOAD)) + 2 * c(TClass::ALU) + sys());
  }
}

TEST_P(Timing, MultiplyAndDivide) {
  auto setup = [](Machine& m) {
    m.cpu().set_x(a1, 1234567);
    m.cpu().set_x(a2, 89);
  };
  for (uint32_t insn : {mul(a0, a1, a2)}) {
    Asm p(kRamBase);
    p(insn)(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(c(TClass::MUL)) + sys());
  }
  for (uint32_t insn : {mulh(a0, a1, a2), mulhsu(a0, a1, a2), mulhu(a0, a1, a2)}) {
    Asm p(kRamBase);
    p(insn)(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(c(TClass::MULH)) + sys()) << Machine::hex(insn);
  }
  for (uint32_t insn : {div(a0, a1, a2), divu(a0, a1, a2), rem(a0, a1, a2), remu(a0, a1, a2)}) {
    Asm p(kRamBase);
    p(insn)(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(c(TClass::DIV)) + sys()) << Machine::hex(insn);
  }
  // Division by zero: the early-out cost if the profile has one.
  const uint32_t by_zero = T.div_fast_zero ? T.div_fast_zero : c(TClass::DIV);
  for (uint32_t insn : {div(a0, a1, zero), divu(a0, a1, zero), rem(a0, a1, zero), remu(a0, a1, zero)}) {
    Asm p(kRamBase);
    p(insn)(wfi());
    EXPECT_EQ(cycles(p, setup), uint64_t(by_zero) + sys()) << Machine::hex(insn);
  }
}

TEST_P(Timing, Shifts) {
  for (uint32_t sh : {0u, 1u, 4u, 5u, 31u}) {
    for (uint32_t insn : {slli(t0, t0, sh), srli(t0, t0, sh), srai(t0, t0, sh)}) {
      Asm p(kRamBase);
      p(insn)(wfi());
      EXPECT_EQ(cycles(p), uint64_t(shift_cycles(sh)) + sys()) << "immediate shift by " << sh;
    }
    // Register shifts use only the low 5 bits of rs2, for the cost as for the result.
    for (uint32_t insn : {sll(t0, t0, t1), srl(t0, t0, t1), sra(t0, t0, t1)}) {
      Asm p(kRamBase);
      p(insn)(wfi());
      EXPECT_EQ(cycles(p, [&](Machine& m) { m.cpu().set_x(t1, 0xffffffe0u | sh); }),
                uint64_t(shift_cycles(sh)) + sys())
          << "register shift by " << sh << " (high bits set)";
    }
  }
  if (GetParam() == "picorv32") {
    // PicoRV32 README: shifts take 4..14 cycles (4 + one per 4-bit step + one per remaining bit).
    EXPECT_EQ(shift_cycles(0), 4u);
    EXPECT_EQ(shift_cycles(5), 4u + 1 + 1);
    EXPECT_EQ(shift_cycles(31), 14u);
  }
}

TEST_P(Timing, CsrAndSystem) {
  Asm p(kRamBase);
  p(csrr(a0, kMscratch));
  p(ecall());  // no handler needed: mtvec is set to the wfi below
  p(wfi());
  const uint64_t n = cycles(p, [](Machine& m) { m.cpu().csr_write(kMtvec, kRamBase + 8); });
  EXPECT_EQ(n, uint64_t(c(TClass::CSR)) + sys() + T.trap_entry + sys());
}

TEST_P(Timing, Fence) {
  {
    Asm p(kRamBase);
    p(fence())(wfi());
    EXPECT_EQ(cycles(p), uint64_t(T.fence) + sys());
  }
  {
    Asm p(kRamBase);
    p(fence_i())(wfi());
    EXPECT_EQ(cycles(p), uint64_t(T.fence_i) + sys());
  }
  if (GetParam().rfind("picorv32", 0) == 0) {
    EXPECT_EQ(T.fence, 3u) << "PicoRV32 RTL: fence takes 3 cycles";
  }
}

// ---- fetch alignment ------------------------------------------------------------------------------
// A 32-bit instruction at an address 2 mod 4 straddles two 32-bit fetch words (all shipped profiles
// fetch 4 bytes at a time). Programs start at kRamBase (0 mod 4); offsets are written beside each line.

TEST_P(Timing, StraddlingInstructionsInSequence) {
  ASSERT_EQ(T.fetch_width, 4u);
  Asm p(kRamBase);
  p(c_nop());            // +0
  p(addi(t0, t0, 1));    // +2: straddles, reached in sequence
  p(addi(t0, t0, 1));    // +6: straddles, in sequence
  p(c_nop());            // +10
  p(wfi());              // +12
  EXPECT_EQ(cycles(p), 4ull * c(TClass::ALU) + 2 * T.straddle_sequential + sys());
  EXPECT_EQ(last().cpu().counters().fetch_align_cycles, 2ull * T.straddle_sequential);
  if (GetParam().rfind("picorv32", 0) == 0) {
    EXPECT_EQ(cycles(p), 4u * 3 + 2 + 4) << "PicoRV32: +1 per straddle";
  }
}

TEST_P(Timing, CompressedInstructionsAtHalfwordsCostNothingExtra) {
  Asm p(kRamBase);
  for (int i = 0; i < 4; ++i) p(c_addi(a0, 1));  // +0, +2, +4, +6
  p(wfi());                                      // +8
  EXPECT_EQ(cycles(p), 4ull * c(TClass::ALU) + sys());
  EXPECT_EQ(last().cpu().counters().fetch_align_cycles, 0u);
}

TEST_P(Timing, StraddlingJumpTarget) {
  {
    Asm p(kRamBase);
    p(jal(zero, 10));      // +0 -> +10
    p(nop());              // +4  (skipped)
    p(c_nop());            // +8  (skipped)
    p(addi(t0, t0, 1));    // +10: straddles, a jump target
    p(c_nop());            // +14
    p(wfi());              // +16
    EXPECT_EQ(cycles(p), uint64_t(c(TClass::JAL)) + 2 * c(TClass::ALU) + T.straddle_target + sys());
  }
  {
    // The same through jalr, and a compressed target at 2 mod 4 for contrast (no penalty).
    Asm p(kRamBase);
    p(jalr(ra, t1, 0));    // +0 -> +10
    p(nop());              // +4
    p(c_nop());            // +8
    p(c_addi(a0, 1));      // +10: compressed target
    p(wfi());              // +12
    EXPECT_EQ(cycles(p, [](Machine& m) { m.cpu().set_x(t1, kRamBase + 10); }),
              uint64_t(c(TClass::JALR)) + c(TClass::ALU) + sys());
  }
  {
    Asm p(kRamBase);
    p(jalr(ra, t1, 0));    // +0 -> +6
    p(c_nop());            // +4 (skipped)
    p(addi(t0, t0, 1));    // +6: straddles, jalr target
    p(c_nop());            // +10
    p(wfi());              // +12
    EXPECT_EQ(cycles(p, [](Machine& m) { m.cpu().set_x(t1, kRamBase + 6); }),
              uint64_t(c(TClass::JALR)) + 2 * c(TClass::ALU) + T.straddle_target + sys());
  }
}

TEST_P(Timing, TakenBranchWithStraddlingFallThrough) {
  auto set_s0 = [](uint32_t v) { return [v](Machine& m) { m.cpu().set_x(s0, v); }; };
  {
    Asm p(kRamBase);
    auto target = p.label();
    p.c_beqz(s0, target);  // +0: taken (s0 = 0)
    p(addi(t0, t0, 1));    // +2: fall-through, straddles (not executed)
    p(c_nop());            // +6
    p.bind(target);
    p(wfi());              // +8
    EXPECT_EQ(cycles(p, set_s0(0)),
              uint64_t(c(TClass::BRANCH)) + T.branch_taken_penalty + T.branch_fallthrough_straddle + sys());
    EXPECT_EQ(last().cpu().counters().fetch_align_cycles, T.branch_fallthrough_straddle);
    // Not taken: the fall-through executes in sequence (and pays the in-sequence straddle).
    EXPECT_EQ(cycles(p, set_s0(1)),
              uint64_t(c(TClass::BRANCH)) + c(TClass::ALU) + T.straddle_sequential + c(TClass::ALU) + sys());
  }
  {
    // Compressed fall-through at 2 mod 4: no penalty.
    Asm p(kRamBase);
    auto target = p.label();
    p.c_beqz(s0, target);  // +0
    p(c_nop());            // +2
    p(c_nop());            // +4
    p(c_nop());            // +6
    p.bind(target);
    p(wfi());              // +8
    EXPECT_EQ(cycles(p, set_s0(0)), uint64_t(c(TClass::BRANCH)) + T.branch_taken_penalty + sys());
  }
  {
    // A 32-bit branch at +0: its fall-through at +4 is aligned.
    Asm p(kRamBase);
    auto target = p.label();
    p.beq(s0, zero, target);  // +0
    p(addi(t0, t0, 1));       // +4
    p.bind(target);
    p(wfi());                 // +8
    EXPECT_EQ(cycles(p, set_s0(0)), uint64_t(c(TClass::BRANCH)) + T.branch_taken_penalty + sys());
  }
  {
    // Jumps do not wait for a fall-through prefetch (PicoRV32: jal is handled in fetch, jalr does not
    // prefetch).
    Asm p(kRamBase);
    auto target = p.label();
    p.c_j(target);         // +0
    p(addi(t0, t0, 1));    // +2: straddles, not executed
    p(c_nop());            // +6
    p.bind(target);
    p(wfi());              // +8
    EXPECT_EQ(cycles(p), uint64_t(c(TClass::JAL)) + sys());
  }
  if (GetParam().rfind("picorv32", 0) == 0) {
    // Hand count (picorv32): taken branch 5 + fall-through straddle 1 + wfi 4.
    Asm p(kRamBase);
    auto target = p.label();
    p.c_beqz(s0, target);
    p(addi(t0, t0, 1));
    p(c_nop());
    p.bind(target);
    p(wfi());
    EXPECT_EQ(cycles(p, set_s0(0)), 5u + 1 + 4);
  }
}

TEST_P(Timing, StraddlingInstructionAfterFence) {
  for (bool is_fence_i : {false, true}) {
    Asm p(kRamBase);
    p(c_nop());                             // +0
    p(is_fence_i ? fence_i() : fence());    // +2: straddles, in sequence
    p(addi(t0, t0, 1));                     // +6: straddles; after a fetch flush for fence.i
    p(c_nop());                             // +10
    p(wfi());                               // +12
    const bool flushed = is_fence_i || T.fence_flushes_fetch;
    EXPECT_EQ(cycles(p), 3ull * c(TClass::ALU) + (is_fence_i ? T.fence_i : T.fence) + T.straddle_sequential +
                             (flushed ? T.straddle_target : T.straddle_sequential) + sys())
        << (is_fence_i ? "fence.i" : "fence");
  }
}

TEST_P(Timing, MretToStraddlingAddress) {
  Asm p(kRamBase);
  p(ecall());              // +0
  p(c_nop());              // +4 (skipped: the handler returns to +6)
  p(addi(t0, t0, 1));      // +6: straddles, reached by mret
  p(c_nop());              // +10
  p(wfi());                // +12
  Asm h(kHandler);
  h(csrr(t1, kMepc))(addi(t1, t1, 6))(csrw(kMepc, t1))(mret());
  const uint64_t n = cycles(p, [&](Machine& m) {
    m.write(h);
    m.cpu().csr_write(kMtvec, kHandler);
  });
  EXPECT_EQ(n, uint64_t(sys()) + T.trap_entry + 2 * c(TClass::CSR) + c(TClass::ALU) + sys() + T.mret +
                   2 * c(TClass::ALU) + T.straddle_target + sys());
}

// ---- misaligned loads/stores split into two transactions -------------------------------------------
TEST_P(Timing, MisalignedSplitCosts) {
  isa::CpuConfig cfg = config();
  cfg.misaligned = isa::Misaligned::Split;
  auto at = [](uint32_t a) { return [a](Machine& m) { m.cpu().set_x(a0, a); }; };
  const uint32_t split = T.misaligned_split_cycles;
  {
    Asm p(kRamBase);
    p(lw(t0, a0, 1))(wfi());  // crosses a word boundary: two transactions
    EXPECT_EQ(cycles(p, at(kData), cfg), uint64_t(c(TClass::LOAD)) + split + sys());
    EXPECT_EQ(last().cpu().region(last().ram_index).reads[2], 2u) << "each transaction is an access";
    EXPECT_EQ(last().cpu().counters().misaligned_splits, 1u);
  }
  {
    Asm p(kRamBase);
    p(lh(t0, a0, 1))(wfi());  // misaligned but within one word: one transaction
    EXPECT_EQ(cycles(p, at(kData), cfg), uint64_t(c(TClass::LOAD)) + sys());
    EXPECT_EQ(last().cpu().region(last().ram_index).reads[1], 1u);
    EXPECT_EQ(last().cpu().counters().misaligned_splits, 0u);
  }
  {
    Asm p(kRamBase);
    p(lhu(t0, a0, 3))(sw(t0, a0, 6))(sh(t0, a0, 0x13))(wfi());  // three splits
    EXPECT_EQ(cycles(p, at(kData), cfg),
              uint64_t(c(TClass::LOAD)) + T.load_use_stall + 2 * c(TClass::STORE) + 3 * split + sys());
    EXPECT_EQ(last().cpu().region(last().ram_index).reads[1], 2u);
    EXPECT_EQ(last().cpu().region(last().ram_index).writes[2], 2u);
    EXPECT_EQ(last().cpu().region(last().ram_index).writes[1], 2u);
  }
  {
    // Each transaction pays the memory's wait states.
    Asm p(kRamBase);
    p(lw(t0, a0, 2))(sw(t0, a0, 5))(wfi());
    const uint64_t n = cycles(p, [](Machine& m) {
      m.add_region("slow", 0x90000000u, 0x1000, true, false, 3, 2);
      m.cpu().set_x(a0, 0x90000000u);
    }, cfg);
    EXPECT_EQ(n, uint64_t(c(TClass::LOAD)) + split + 2 * 3 + T.load_use_stall + c(TClass::STORE) + split + 2 * 2 +
                     sys());
    EXPECT_EQ(last().cpu().counters().mem_wait_cycles, 2u * 3 + 2 * 2);
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, Timing, ::testing::Values("cv32e40p", "ibex", "picorv32", "picorv32-fastmul"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

TEST_P(Timing, DataWaitStates) {
  const uint32_t rw = 3, ww = 2;
  auto slow = [&](Machine& m) {
    m.add_region("slow", 0x90000000u, 0x1000, true, false, rw, ww);
    m.cpu().set_x(a0, 0x90000000u);
  };
  {
    Asm p(kRamBase);
    p(lw(t0, a0, 0))(lb(t1, a0, 5))(wfi());
    EXPECT_EQ(cycles(p, slow), 2ull * (c(TClass::LOAD) + rw) + sys());
    EXPECT_EQ(last().cpu().counters().mem_wait_cycles, 2u * rw);
  }
  {
    Asm p(kRamBase);
    p(sw(t0, a0, 0))(sh(t0, a0, 6))(wfi());
    EXPECT_EQ(cycles(p, slow), 2ull * (c(TClass::STORE) + ww) + sys());
    EXPECT_EQ(last().cpu().counters().mem_wait_cycles, 2u * ww);
  }
  {
    // A device on the bus: its reported latency is added the same way.
    Asm p(kRamBase);
    p(lw(t0, a0, 0))(sw(t0, a0, 4))(wfi());
    const uint64_t n = cycles(p, [](Machine& m) {
      m.bus.delay = 5;
      m.cpu().set_x(a0, kDevBase);
    });
    EXPECT_EQ(n, uint64_t(c(TClass::LOAD)) + 5 + T.load_use_stall + c(TClass::STORE) + 5 + sys());
  }
}

// Code in a region with read_wait = 2 behind a one-line fetch buffer of 16 bytes.
constexpr uint32_t kFlash = 0x40000000u;
constexpr uint32_t kFetchWait = 2;

// Runs `p` from flash with the given fetch buffer; returns {cycles, fills}.
std::pair<uint64_t, uint64_t> run_from_flash(const isa::CpuConfig& cfg, const Asm& p,
                                             const std::function<void(Machine&)>& setup = {}) {
  Machine m(cfg);
  const size_t idx = m.add_region("flash", kFlash, 0x1000, false, true, kFetchWait, 0);
  m.load(p);
  if (setup) setup(m);
  EXPECT_EQ(m.run(), Stop::Wfi);
  return {m.cpu().cycle(), m.cpu().region(idx).fetch_fills};
}

TEST_P(Timing, FetchWaitStatesStraightLine) {
  isa::CpuConfig cfg = config();
  cfg.fetch_line_bytes = 16;
  cfg.fetch_lines = 1;
  Asm p(kFlash);
  const int N = 8;  // 32 bytes: two lines, then the wfi in a third
  for (int i = 0; i < N; ++i) p(addi(t0, t0, 1));
  p(wfi());
  const auto r = run_from_flash(cfg, p);
  const uint32_t lines = 3;
  EXPECT_EQ(r.second, lines);
  EXPECT_EQ(r.first, uint64_t(N) * c(TClass::ALU) + sys() + lines * kFetchWait);
  // The same code with 8-byte lines needs 5 fills.
  cfg.fetch_line_bytes = 8;
  const auto r8 = run_from_flash(cfg, p);
  EXPECT_EQ(r8.second, 5u);
  EXPECT_EQ(r8.first, uint64_t(N) * c(TClass::ALU) + sys() + 5 * kFetchWait);
}

TEST_P(Timing, FetchWaitStatesLoopWithinOneLine) {
  isa::CpuConfig cfg = config();
  cfg.fetch_line_bytes = 16;
  cfg.fetch_lines = 1;
  const uint32_t k = 5;
  Asm p(kFlash);
  auto loop = p.here_label();
  p(addi(t0, t0, -1));     // +0
  p.bne(t0, zero, loop);   // +4
  p(wfi());                // +8: same line
  const auto r = run_from_flash(cfg, p, [&](Machine& m) { m.cpu().set_x(t0, k); });
  EXPECT_EQ(r.second, 1u);
  EXPECT_EQ(r.first, k * (c(TClass::ALU) + c(TClass::BRANCH)) + (k - 1) * T.branch_taken_penalty + sys() +
                         kFetchWait);
}

TEST_P(Timing, FetchWaitStatesLoopAcrossTwoLines) {
  const uint32_t k = 3;
  Asm p(kFlash);
  p(nop())(nop());         // +0, +4
  auto loop = p.here_label();
  p(addi(t1, t1, 1));      // +8
  p(addi(t0, t0, -1));     // +12
  p.bne(t0, zero, loop);   // +16: next line
  p(wfi());                // +20
  const uint64_t work = 2 * c(TClass::ALU) + k * (2 * c(TClass::ALU) + c(TClass::BRANCH)) +
                        (k - 1) * T.branch_taken_penalty + sys();
  auto setup = [&](Machine& m) { m.cpu().set_x(t0, k); };
  {
    // One line: the loop alternates between the two lines, refilling both every iteration after
    // the first: line 0 at start, then line 1, then (line 0, line 1) for each taken branch.
    isa::CpuConfig cfg = config();
    cfg.fetch_lines = 1;
    const auto r = run_from_flash(cfg, p, setup);
    const uint64_t fills = 2 + 2 * (k - 1);
    EXPECT_EQ(r.second, fills);
    EXPECT_EQ(r.first, work + fills * kFetchWait);
  }
  {
    // Two lines (direct-mapped by line address): both stay resident.
    isa::CpuConfig cfg = config();
    cfg.fetch_lines = 2;
    const auto r = run_from_flash(cfg, p, setup);
    EXPECT_EQ(r.second, 2u);
    EXPECT_EQ(r.first, work + 2 * kFetchWait);
  }
}

TEST_P(Timing, FetchOfInstructionStraddlingTwoLines) {
  isa::CpuConfig cfg = config();
  Asm p(kFlash);
  for (int i = 0; i < 7; ++i) p(c_nop());  // +0..+13
  p(addi(t0, t0, 1));                       // +14..+17: needs lines 0 and 1
  p(wfi());                                 // +18
  const auto r = run_from_flash(cfg, p);
  EXPECT_EQ(r.second, 2u);
  // The addi and the wfi are 32-bit at 2 mod 4: each also straddles a fetch word.
  EXPECT_EQ(r.first, 8ull * c(TClass::ALU) + sys() + 2 * kFetchWait + 2 * T.straddle_sequential);
}

TEST_P(Timing, ZeroWaitCodeHasNoFetchStalls) {
  Asm p(kRamBase);
  for (int i = 0; i < 20; ++i) p(nop());
  p(wfi());
  EXPECT_EQ(cycles(p), 20ull * c(TClass::ALU) + sys());
  EXPECT_EQ(last().cpu().counters().fetch_stall_cycles, 0u);
}

// ---- Xmac -----------------------------------------------------------------------------------------
uint32_t ceil_div(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

TEST_P(Timing, XmacIssueCyclesDependOnLanes) {
  for (uint32_t lanes : {4u, 2u, 1u, 8u}) {
    isa::CpuConfig cfg = config();
    cfg.xmac.lanes = lanes;
    cfg.xmac.latency = 1;
    struct K {
      uint32_t insn, macs;
      TClass cls;
    };
    const K ks[] = {{xmac_dot8(a0, a1, a2), 4, TClass::XMAC},  {xmac_dot4(a0, a1, a2), 8, TClass::XMAC},
                    {xmac_dot2(a0, a1, a6), 16, TClass::XMAC}, {xmac_ldot8(a0, s0, a2), 4, TClass::XMAC_LOAD},
                    {xmac_ldot4(a0, s0, a2), 8, TClass::XMAC_LOAD}, {xmac_ldot2(a0, s0, a6), 16, TClass::XMAC_LOAD}};
    for (const K& k : ks) {
      Asm p(kRamBase);
      p(k.insn)(wfi());
      const uint64_t n = cycles(p, [](Machine& m) { m.cpu().set_x(s0, kData); }, cfg);
      EXPECT_EQ(n, uint64_t(c(k.cls)) + ceil_div(k.macs, lanes) - 1 + sys())
          << "lanes " << lanes << " " << Machine::hex(k.insn);
    }
  }
}

TEST_P(Timing, XmacLdotPaysDataWaitStates) {
  isa::CpuConfig cfg = config();
  cfg.xmac.lanes = 4;
  Asm p(kRamBase);
  p(xmac_ldot8(a0, s0, a2))(xmac_ldot8(a0, s0, a2))(wfi());
  const uint64_t n = cycles(p, [](Machine& m) {
    m.add_region("mram", 0x90000000u, 0x1000, false, false, 3, 0);
    m.cpu().set_x(s0, 0x90000000u);
  }, cfg);
  EXPECT_EQ(n, 2ull * (c(TClass::XMAC_LOAD) + 3) + sys()) << "no load-use stall between ldots";
}

TEST_P(Timing, XmacTightLoopReachesConfiguredMacsPerCycle) {
  for (uint32_t lanes : {2u, 4u, 8u, 16u}) {
    isa::CpuConfig cfg = config();
    cfg.xmac.lanes = lanes;
    const uint32_t K = 16;
    Asm p(kRamBase);
    for (uint32_t i = 0; i < K; ++i) p(xmac_dot2(a0, a1, a6));  // 16 MACs each (group a6..s3)
    p(wfi());
    const uint64_t n = cycles(p, {}, cfg);
    const uint64_t xmac_cycles = n - sys();
    EXPECT_EQ(xmac_cycles, uint64_t(K) * (c(TClass::XMAC) + 16 / lanes - 1)) << "lanes " << lanes;
    EXPECT_EQ(last().cpu().counters().xmac_macs[2], uint64_t(16) * K);
    if (c(TClass::XMAC) == 1) {
      // One issue cycle per `lanes` MACs: exactly `lanes` MACs per cycle.
      EXPECT_EQ(last().cpu().counters().xmac_macs[2], uint64_t(lanes) * xmac_cycles) << "lanes " << lanes;
    }
  }
}

TEST_P(Timing, XmacMatvecInnerLoop) {
  // isa/XMAC.md section 5's example: lw + 8 x ldot8 + addi + bne per 32 MACs, lanes = 4.
  isa::CpuConfig cfg = config();
  cfg.xmac.lanes = 4;
  cfg.xmac.latency = 1;
  const uint32_t iters = 4;
  Asm p(kRamBase);
  auto loop = p.here_label();
  p(lw(a6, a4, 0));
  for (uint32_t r = 0; r < 8; ++r) p(xmac_ldot8(x20 + r, x10 + r % 2, a6));  // acc x20.., pointers a0/a1
  p(addi(a4, a4, 4));
  p.bne(a4, a5, loop);
  p(wfi());
  const uint64_t n = cycles(p, [&](Machine& m) {
    m.cpu().set_x(a0, kData);
    m.cpu().set_x(a1, kData + 0x400);
    m.cpu().set_x(a4, kData + 0x800);
    m.cpu().set_x(a5, kData + 0x800 + 4 * iters);
  }, cfg);
  // The ldot8 right after the lw reads a6 (its activation): a load-use stall on pipelined profiles.
  const uint64_t per_iter = c(TClass::LOAD) + T.load_use_stall + 8ull * c(TClass::XMAC_LOAD) +
                            c(TClass::ALU) + c(TClass::BRANCH);
  EXPECT_EQ(n, iters * per_iter + (iters - 1) * T.branch_taken_penalty + sys());
  EXPECT_EQ(last().cpu().counters().xmac_macs[0], 32ull * iters);
}

TEST_P(Timing, XmacResultLatency) {
  isa::CpuConfig cfg = config();
  cfg.xmac.lanes = 4;
  cfg.xmac.latency = 3;
  {
    Asm p(kRamBase);
    p(xmac_dot8(a0, a1, a2))(add(a3, a0, a0))(wfi());  // reader right after: latency - 1 stall
    EXPECT_EQ(cycles(p, {}, cfg), uint64_t(c(TClass::XMAC)) + 2 + c(TClass::ALU) + sys());
    EXPECT_EQ(last().cpu().counters().xmac_stall_cycles, 2u);
  }
  {
    Asm p(kRamBase);
    p(xmac_dot8(a0, a1, a2))(xmac_dot8(a0, a1, a2))(wfi());  // accumulation is forwarded
    EXPECT_EQ(cycles(p, {}, cfg), 2ull * c(TClass::XMAC) + sys());
  }
  {
    Asm p(kRamBase);
    p(xmac_dot8(a0, a1, a2))(addi(a3, a1, 1))(add(a4, a0, a0))(wfi());  // independent in between
    EXPECT_EQ(cycles(p, {}, cfg), uint64_t(c(TClass::XMAC)) + 2 * c(TClass::ALU) + sys());
  }
  {
    Asm p(kRamBase);
    p(xmac_dot8(a0, a1, a2))(sw(a0, s0, 0))(wfi());  // store data counts as a reader
    EXPECT_EQ(cycles(p, [](Machine& m) { m.cpu().set_x(s0, kData); }, cfg),
              uint64_t(c(TClass::XMAC)) + 2 + c(TClass::STORE) + sys());
  }
}

// ---- traps ------------------------------------------------------------------------------------------
TEST_P(Timing, TrapEntryAndMret) {
  Asm p(kRamBase);
  p(ecall())(wfi());
  Asm h(kHandler);
  h(csrr(t0, kMepc))(addi(t0, t0, 4))(csrw(kMepc, t0))(mret());
  const uint64_t n = cycles(p, [&](Machine& m) {
    m.write(h);
    m.cpu().csr_write(kMtvec, kHandler);
  });
  EXPECT_EQ(n, uint64_t(sys()) + T.trap_entry + 2 * c(TClass::CSR) + c(TClass::ALU) + sys() + T.mret + sys());
}

TEST_P(Timing, InterruptEntry) {
  Asm p(kRamBase);
  p(nop())(wfi());
  Asm h(kHandler);
  h(csrw(kMie, zero))(wfi());  // disable the source first, or the wfi would not stop (it is pending)
  const uint64_t n = cycles(p, [&](Machine& m) {
    m.write(h);
    m.cpu().csr_write(kMtvec, kHandler);
    m.cpu().csr_write(kMie, 1u << 7);
    m.cpu().csr_write(kMstatus, 1u << 3);
    m.cpu().set_irq(isa::kIrqMTimer, true);
  });
  EXPECT_EQ(n, uint64_t(T.trap_entry) + c(TClass::CSR) + sys()) << "taken before the first instruction";
  EXPECT_EQ(last().cpu().pc(), kHandler + 8);
  EXPECT_EQ(last().cpu().mepc(), kRamBase);
}


TEST(TimingProfileFile, MissingFileIsReportedWithItsPath) {
  try {
    load_profile("no-such-profile");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("configs/timing/no-such-profile.yaml"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace isatest

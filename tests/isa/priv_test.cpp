// U-mode, PMP, Sdtrig triggers, the debugger's trigger API and the minstreth write. Expected values
// come from the specifications, written out by hand: RISC-V Privileged ISA v1.12 (3.1.6.1 privilege
// stack, 3.1.11 mcounteren, 3.3.2 mret, 3.7 PMP, table 3.6 exception codes), RISC-V Debug
// Specification 1.0 chapter 5 (Sdtrig: tselect, tdata1 as mcontrol/mcontrol6, tinfo), Unprivileged ISA
// 20191213 chapter 10 (counters) -- and the WARL choices documented in isa/pmp.h and isa/triggers.h.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>

#include "tests/isa/asm.h"
#include "tests/isa/harness.h"

namespace isatest {
namespace {

// CSR numbers (privileged spec table 2.5, debug spec table 5.x).
constexpr uint32_t kMcounteren = 0x306, kPmpcfg0 = 0x3A0, kPmpcfg1 = 0x3A1, kPmpaddr0 = 0x3B0;
constexpr uint32_t kTselect = 0x7A0, kTdata1 = 0x7A1, kTdata2 = 0x7A2, kTdata3 = 0x7A3, kTinfo = 0x7A4;
// mstatus fields.
constexpr uint32_t kMIE = 1u << 3, kMPIE = 1u << 7, kMPPmask = 3u << 11, kMPRV = 1u << 17, kTW = 1u << 21;
// tdata1 as mcontrol (type 2) / mcontrol6 (type 6).
constexpr uint32_t kType2 = 2u << 28, kType6 = 6u << 28, kType15 = 15u << 28, kDmode = 1u << 27;
constexpr uint32_t kHit2 = 1u << 20, kHit6 = 1u << 22, kSelect = 1u << 19, kTiming = 1u << 18;
constexpr uint32_t kSizelo = 3u << 16, kActionDebug = 1u << 12, kChain = 1u << 11;
constexpr uint32_t kMatchNapot = 1u << 7, kMatchGe = 2u << 7, kMatchLt = 3u << 7, kMatchMaskLow = 4u << 7;
constexpr uint32_t kTm = 1u << 6, kBit5 = 1u << 5, kTs = 1u << 4, kTu = 1u << 3;
constexpr uint32_t kTx = 1u << 2, kTst = 1u << 1, kTld = 1u << 0;
// pmpcfg fields.
constexpr uint8_t kR = 1, kW = 2, kX = 4, kTor = 0x08, kNa4 = 0x10, kNapot = 0x18, kL = 0x80;

constexpr uint32_t kUser = kRamBase + 0x1000;  // user code
constexpr uint32_t kEnd = kRamBase + 0x3000;   // the machine program's halt (see enter_user)

isa::CpuConfig priv_config(bool user_mode, unsigned pmp_entries, unsigned triggers, unsigned g = 0) {
  isa::CpuConfig c = default_config();
  c.user_mode = user_mode;
  c.pmp_entries = pmp_entries;
  c.pmp_granularity = g;
  c.triggers = triggers;
  return c;
}

uint32_t csr(Machine& m, uint32_t n) {
  uint32_t v = 0;
  EXPECT_TRUE(m.cpu().csr_read(n, v)) << std::hex << n;
  return v;
}
void set_csr(Machine& m, uint32_t n, uint32_t v) { EXPECT_TRUE(m.cpu().csr_write(n, v)) << std::hex << n; }

// pmpaddr of a naturally aligned power-of-two region (size >= 8): base/4 with size/8 - 1 trailing ones.
uint32_t napot(uint32_t base, uint32_t size) { return (base >> 2) | ((size >> 3) - 1); }
void set_pmp(Machine& m, unsigned i, uint8_t cfg, uint32_t addr) {
  set_csr(m, kPmpaddr0 + i, addr);
  const uint32_t reg = kPmpcfg0 + i / 4, shift = 8 * (i % 4);
  set_csr(m, reg, (csr(m, reg) & ~(0xffu << shift)) | (uint32_t(cfg) << shift));
}

// Load `user` (assembled at kUser) and a machine-mode prologue at kRamBase that enters it in U-mode
// (mepc = kUser, mstatus.MPP = U, mret); traps halt in the handler at kHandler. `setup` runs after
// the load (PMP, triggers: reset() clears them).
void enter_user(Machine& m, Asm& user, const std::function<void(Machine&)>& setup = {}) {
  Asm p(kRamBase);
  p.li(t0, kUser);
  p(csrw(kMepc, t0));
  p.li(t0, kMPPmask);
  p(csrrc(zero, kMstatus, t0));
  p(mret());
  m.load(p);
  m.write(user);
  m.halt_on_trap();
  if (setup) setup(m);
}

// ---- minstreth ---------------------------------------------------------------------------------------
// Privileged spec 3.3.1 / unprivileged 10.1: a CSR instruction that writes minstret[h] does not count
// itself ("the write is done instead of the increment"); the written value is what the next
// instruction reads.
TEST(Minstreth, WriteSuppressesTheWritingInstructionsIncrement) {
  Machine m;
  Asm p(kRamBase);
  p.li(t0, 10);                   // 2 instructions
  p(csrw(kMinstret, t0));         // minstret = 10 (not 11)
  p.li(t1, 5);                    // 2 instructions: minstret = 12
  p(csrw(kMinstreth, t1));        // minstret = 5 << 32 | 12, no increment
  p(csrr(a0, kMinstret));         // reads 12
  p(csrr(a1, kMinstreth));        // minstret = 13 now; high half 5
  p.halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 12u) << "the minstreth write counted itself";
  EXPECT_EQ(m.cpu().x(a1), 5u);
}

TEST(Minstreth, AllOnesWrapsToZeroAfterOneInstruction) {  // the case of riscv-tests' instret_overflow
  Machine m;
  Asm p(kRamBase);
  p.li(t0, 0xffffffff);
  p(csrw(kMinstret, t0));
  p(csrw(kMinstreth, t0));  // minstret = 2^64 - 1
  p(nop());                 // retires: 0
  p(csrr(a0, kMinstret));   // 0
  p(csrr(a1, kMinstreth));  // minstret = 1: high half 0
  p.halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 0u);
  EXPECT_EQ(m.cpu().x(a1), 0u);
}

// ---- triggers: CSRs and WARL ----------------------------------------------------------------------------
TEST(Triggers, AbsentTriggersAreIllegalCsrs) {
  Machine m;  // default: no triggers
  for (uint32_t n : {kTselect, kTdata1, kTdata2, kTdata3, kTinfo}) {
    uint32_t v;
    EXPECT_FALSE(m.cpu().csr_read(n, v)) << std::hex << n;
    EXPECT_FALSE(m.cpu().csr_write(n, 0)) << std::hex << n;
  }
  Asm p(kRamBase);
  p(csrr(a0, kTselect)).halt();
  m.load(p);
  m.halt_on_trap();
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kIllegalInsn);
  EXPECT_EQ(m.cpu().mtval(), csrr(a0, kTselect));
}

TEST(Triggers, ResetStateTinfoTdata3AndTselect) {
  Machine m(priv_config(false, 0, 2));
  EXPECT_EQ(csr(m, kTselect), 0u);
  EXPECT_EQ(csr(m, kTdata1), kType2) << "an mcontrol trigger with nothing enabled";
  EXPECT_EQ(csr(m, kTdata2), 0u);
  // tinfo: version 1 (Sdtrig 1.0) in 31:24; types 2, 6 and 15 supported.
  EXPECT_EQ(csr(m, kTinfo), 0x01000000u | (1u << 2) | (1u << 6) | (1u << 15));
  set_csr(m, kTinfo, 0);  // writes ignored
  EXPECT_EQ(csr(m, kTinfo), 0x01008044u);
  set_csr(m, kTdata3, 0xffffffff);
  EXPECT_EQ(csr(m, kTdata3), 0u) << "no textra matching: tdata3 reads 0";
  set_csr(m, kTselect, 1);
  EXPECT_EQ(csr(m, kTselect), 1u);
  set_csr(m, kTselect, 2);  // no trigger 2: write ignored (a debugger reads back to enumerate)
  EXPECT_EQ(csr(m, kTselect), 1u);
  set_csr(m, kTdata2, 0x1234);
  set_csr(m, kTselect, 0);
  EXPECT_EQ(csr(m, kTdata2), 0u) << "each trigger has its own tdata2";
}

TEST(Triggers, Tdata1IsWarl) {
  Machine m(priv_config(false, 0, 2));
  auto wr = [&](uint32_t v) {
    set_csr(m, kTdata1, v);
    return csr(m, kTdata1);
  };
  EXPECT_EQ(wr(kTm | kTx), kType2 | kTm | kTx) << "type 0 written: the trigger keeps its type";
  EXPECT_EQ(wr(0), kType2) << "writing 0 disables the trigger";
  EXPECT_EQ(wr(kType15 | kTm | kTx), kType15) << "type 15: disabled, no other fields";
  EXPECT_EQ(wr(kType2 | kDmode | kActionDebug | kTm | kTx), kType2 | kTm | kTx)
      << "dmode and action = enter Debug Mode cannot be set from M-mode";
  EXPECT_EQ(wr(kType2 | kSelect | kTiming | kSizelo | kChain | kTs | kTu | kBit5 | kTm | kTld), kType2 | kTm | kTld)
      << "select, timing, sizelo, chain, s, u (no U-mode) and bit 5 read 0";
  EXPECT_EQ(wr(kType2 | kMatchNapot | kTm | kTld), kType2 | kTm | kTld) << "mcontrol: maskmax 0, no NAPOT";
  EXPECT_EQ(wr(kType2 | kMatchGe | kTm | kTld), kType2 | kMatchGe | kTm | kTld);
  EXPECT_EQ(wr(kType2 | kMatchLt | kTm | kTld), kType2 | kMatchLt | kTm | kTld);
  EXPECT_EQ(wr(kType2 | kMatchMaskLow | kTm | kTld), kType2 | kTm | kTld) << "unsupported match: equal";
  EXPECT_EQ(wr(kType6 | kMatchNapot | kTm | kTst), 0x600000C2u) << "mcontrol6 has NAPOT";
  EXPECT_EQ(wr((3u << 28) | kTm | kTx), kType6 | kTm | kTx) << "unsupported type (icount): keeps type 6";
  EXPECT_EQ(wr(kType2 | kHit2 | kTm), kType2 | kHit2 | kTm) << "hit is writable (software clears it)";
  Machine u(priv_config(true, 0, 1));
  set_csr(u, kTdata1, kType2 | kTu | kTld);
  EXPECT_EQ(csr(u, kTdata1), kType2 | kTu | kTld) << "u is writable when U-mode exists";
}

// ---- triggers: firing -----------------------------------------------------------------------------------
// Arm trigger `i` with tdata2 = `t2` and tdata1 = `t1`.
void arm(Machine& m, unsigned i, uint32_t t1, uint32_t t2) {
  set_csr(m, kTselect, i);
  set_csr(m, kTdata2, t2);
  set_csr(m, kTdata1, t1);
}

TEST(Triggers, ExecuteTriggerIsABreakpointBeforeTheInstruction) {
  Machine m(priv_config(false, 0, 2));
  Asm p(kRamBase);
  p(addi(a0, zero, 1));
  p(addi(a0, a0, 1));  // kRamBase + 4: the breakpoint
  p(addi(a0, a0, 1));
  p.halt();
  m.load(p);
  m.halt_on_trap();
  arm(m, 0, kType2 | kTm | kTx, kRamBase + 4);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().pc(), kHandler + 4);
  EXPECT_EQ(m.cpu().mcause(), isa::kBreakpoint);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 4);
  EXPECT_EQ(m.cpu().mtval(), kRamBase + 4);
  EXPECT_EQ(m.cpu().x(a0), 1u) << "the instruction at the breakpoint must not execute";
  set_csr(m, kTselect, 0);
  EXPECT_EQ(csr(m, kTdata1), kType2 | kHit2 | kTm | kTx) << "hit set by the firing";
}

TEST(Triggers, LoadTriggerStopsTheLoad) {
  Machine m(priv_config(false, 0, 2));
  Asm p(kRamBase);
  p.li(t0, kData);   // 2 instructions
  p(lw(a1, t0, 0));  // kRamBase + 8
  p.halt();
  m.load(p);
  m.halt_on_trap();
  m.poke32(kData, 0x12345678);
  m.cpu().set_x(a1, 0x5a5a);
  arm(m, 1, kType2 | kTm | kTld, kData);  // the second trigger
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kBreakpoint);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 8);
  EXPECT_EQ(m.cpu().mtval(), kData) << "mtval: the data address";
  EXPECT_EQ(m.cpu().x(a1), 0x5a5au) << "the load must not complete";
  set_csr(m, kTselect, 1);
  EXPECT_TRUE(csr(m, kTdata1) & kHit2);
  set_csr(m, kTselect, 0);
  EXPECT_FALSE(csr(m, kTdata1) & kHit2) << "trigger 0 did not fire";
}

TEST(Triggers, StoreTriggerStopsTheStore) {
  Machine m(priv_config(false, 0, 2));
  Asm p(kRamBase);
  p.li(t0, kData);
  p.li(t1, 0xdeadbeef);
  p(sw(t1, t0, 0));  // kRamBase + 16
  p.halt();
  m.load(p);
  m.halt_on_trap();
  m.poke32(kData, 0x11111111);
  arm(m, 0, kType6 | kTm | kTst, kData);  // mcontrol6
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kBreakpoint);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 16);
  EXPECT_EQ(m.cpu().mtval(), kData);
  EXPECT_EQ(m.peek32(kData), 0x11111111u) << "the store must not happen";
  set_csr(m, kTselect, 0);
  EXPECT_TRUE(csr(m, kTdata1) & kHit6) << "mcontrol6 hit0";
}

// Run `body` (machine mode) with one trigger armed; true if it trapped with a breakpoint.
bool fires(uint32_t t1, uint32_t t2, const std::function<void(Asm&)>& body, bool user_mode = false) {
  Machine m(priv_config(user_mode, 0, 1));
  Asm p(kRamBase);
  p.li(t0, kData);
  body(p);
  p.halt();
  m.load(p);
  m.halt_on_trap();
  arm(m, 0, t1, t2);
  EXPECT_EQ(m.run(), Stop::Semihost);
  return m.cpu().mcause() == isa::kBreakpoint && m.cpu().pc() == kHandler + 4;
}

TEST(Triggers, KindsModesAndDisabledTriggers) {
  auto load = [](Asm& p) { p(lw(a0, t0, 0)); };
  auto store = [](Asm& p) { p(sw(a0, t0, 0)); };
  EXPECT_TRUE(fires(kType2 | kTm | kTld, kData, load));
  EXPECT_FALSE(fires(kType2 | kTm | kTld, kData, store)) << "a load trigger ignores stores";
  EXPECT_FALSE(fires(kType2 | kTm | kTst, kData, load)) << "a store trigger ignores loads";
  EXPECT_FALSE(fires(kType2 | kTm | kTx, kData, load)) << "an execute trigger ignores data accesses";
  EXPECT_FALSE(fires(kType2 | kTld, kData, load)) << "m = 0: not armed in M-mode";
  EXPECT_FALSE(fires(kType2 | kTu | kTld, kData, load, true)) << "u only: not armed in M-mode";
  EXPECT_FALSE(fires(kType15 | kTm | kTld, kData, load)) << "type 15: disabled";
  EXPECT_FALSE(fires(kType2, kData, load)) << "no kind selected";
}

TEST(Triggers, EveryByteOfTheAccessIsCompared) {
  EXPECT_TRUE(fires(kType2 | kTm | kTld, kData + 2, [](Asm& p) { p(lw(a0, t0, 0)); })) << "byte 2 of a word";
  EXPECT_FALSE(fires(kType2 | kTm | kTld, kData + 2, [](Asm& p) { p(lb(a0, t0, 3)); }));
  EXPECT_TRUE(fires(kType2 | kTm | kTld, kData + 1, [](Asm& p) { p(lh(a0, t0, 0)); }));
  EXPECT_FALSE(fires(kType2 | kTm | kTld, kData + 2, [](Asm& p) { p(lh(a0, t0, 0)); }));
}

TEST(Triggers, NapotGreaterEqualAndLessThan) {
  // mcontrol6 NAPOT: tdata2 = kData | 3 (two trailing ones) covers the 8 bytes kData..kData+7.
  EXPECT_TRUE(fires(kType6 | kMatchNapot | kTm | kTld, kData | 3, [](Asm& p) { p(lw(a0, t0, 4)); }));
  EXPECT_TRUE(fires(kType6 | kMatchNapot | kTm | kTld, kData | 3, [](Asm& p) { p(lbu(a0, t0, 0)); }));
  EXPECT_FALSE(fires(kType6 | kMatchNapot | kTm | kTld, kData | 3, [](Asm& p) { p(lw(a0, t0, 8)); }));
  EXPECT_FALSE(fires(kType6 | kMatchNapot | kTm | kTld, kData | 3, [](Asm& p) { p(lw(a0, t0, -4)); }));
  // >=: some byte at or above tdata2; <: some byte below it.
  EXPECT_FALSE(fires(kType2 | kMatchGe | kTm | kTld, kData + 16, [](Asm& p) { p(lw(a0, t0, 12)); }));
  EXPECT_TRUE(fires(kType2 | kMatchGe | kTm | kTld, kData + 16, [](Asm& p) { p(lw(a0, t0, 16)); }));
  EXPECT_TRUE(fires(kType2 | kMatchGe | kTm | kTld, kData + 15, [](Asm& p) { p(lw(a0, t0, 12)); }));
  EXPECT_TRUE(fires(kType2 | kMatchLt | kTm | kTst, kData, [](Asm& p) { p(sw(a0, t0, -4)); }));
  EXPECT_FALSE(fires(kType2 | kMatchLt | kTm | kTst, kData, [](Asm& p) { p(sw(a0, t0, 0)); }));
}

TEST(Triggers, UserModeTrigger) {
  Machine m(priv_config(true, 0, 1));
  Asm u(kUser);
  u(addi(a0, zero, 7));
  u(addi(a1, zero, 8));  // kUser + 4
  u(ecall());
  enter_user(m, u, [](Machine& m) { arm(m, 0, kType2 | kTu | kTx, kUser + 4); });
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kBreakpoint);
  EXPECT_EQ(m.cpu().mepc(), kUser + 4);
  EXPECT_EQ((m.cpu().mstatus() & kMPPmask) >> 11, 0u) << "taken from U-mode";
  EXPECT_EQ(m.cpu().x(a0), 7u);
  EXPECT_NE(m.cpu().x(a1), 8u);
}

// ---- the debugger's triggers ---------------------------------------------------------------------------
TEST(DebugTriggers, BreakpointStopsBeforeTheInstructionWithoutATrap) {
  Machine m(priv_config(false, 0, 2));
  Asm p(kRamBase);
  p(addi(a0, zero, 1));
  p(addi(a0, a0, 1));  // kRamBase + 4
  p(addi(a0, a0, 1));
  p.halt();
  m.load(p);
  m.halt_on_trap();
  isa::DebugTrigger bp;
  bp.address = kRamBase + 4;
  bp.execute = true;
  ASSERT_TRUE(m.cpu().set_debug_trigger(1, bp));
  ASSERT_EQ(m.run(), Stop::Debug);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 4);
  EXPECT_EQ(m.cpu().debug_event().trigger, 1u);
  EXPECT_EQ(m.cpu().debug_event().kind, isa::Triggers::kExecute);
  EXPECT_EQ(m.cpu().debug_event().address, kRamBase + 4);
  EXPECT_EQ(m.cpu().debug_event().pc, kRamBase + 4);
  EXPECT_EQ(m.cpu().instret(), 1u);
  EXPECT_EQ(m.cpu().x(a0), 1u);
  EXPECT_EQ(m.cpu().mcause(), 0u) << "no exception is taken";
  // The program sees the trigger as a Debug-Mode trigger (type 6, dmode, action 1, m, execute).
  set_csr(m, kTselect, 1);
  EXPECT_EQ(csr(m, kTdata1), kType6 | kDmode | kHit6 | kActionDebug | kTm | kTx);
  EXPECT_EQ(csr(m, kTdata2), kRamBase + 4);
  // Stepping over it executes the instruction and runs on.
  m.cpu().step_over_triggers();
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 3u);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 16) << "the program's own halt, not a trap";
}

// A debugger's software breakpoint (isa::Cpu::set_ebreak_halts, GDB's Z0): the ebreak stops the core
// before it executes, its cycles undone (unit timing: one cycle per instruction, no wait states); with
// the original instruction written back the run ends as it would have without the breakpoint. In each
// loop run() picks while a debugger is attached: fast without and with a sequential straddle penalty
// (all instructions here are aligned: it adds nothing), and with the flat profile (the checked loop).
class DebugEbreak : public testing::TestWithParam<int> {};

TEST_P(DebugEbreak, HaltsBeforeTheEbreakAndLeavesTimingUnchanged) {
  isa::CpuConfig cfg = default_config();
  if (GetParam() == 1) cfg.timing.straddle_sequential = 1;
  if (GetParam() == 2) cfg.profile = true;
  auto program = [](uint32_t at8) {
    Asm p(kRamBase);
    p(addi(a0, zero, 1));
    p(addi(a0, a0, 1));
    p(at8);  // kRamBase + 8
    p(addi(a0, a0, 1));
    p.halt();
    return p;
  };
  Machine plain(cfg);
  plain.load(program(addi(a0, a0, 10)));
  ASSERT_EQ(plain.run(), Stop::Semihost);
  ASSERT_EQ(plain.cpu().x(a0), 13u);

  Machine m(cfg);
  m.load(program(ebreak()));
  m.halt_on_trap();
  m.cpu().set_ebreak_halts(true);
  ASSERT_EQ(m.run(), Stop::Debug);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 8);
  EXPECT_EQ(m.cpu().debug_event().kind, 0u) << "an ebreak, not a trigger";
  EXPECT_EQ(m.cpu().debug_event().pc, kRamBase + 8);
  EXPECT_EQ(m.cpu().instret(), 2u);
  EXPECT_EQ(m.cpu().cycle(), 2u) << "two instructions; the ebreak's cycle undone";
  EXPECT_EQ(m.cpu().mcause(), 0u) << "no exception is taken";
  m.poke32(kRamBase + 8, addi(a0, a0, 10));  // the debugger removes its breakpoint
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 13u);
  EXPECT_EQ(m.cpu().cycle(), plain.cpu().cycle());
  EXPECT_EQ(m.cpu().instret(), plain.cpu().instret());

  // Without a debugger the same ebreak is a breakpoint exception.
  Machine t(cfg);
  t.load(program(ebreak()));
  t.halt_on_trap();
  ASSERT_EQ(t.run(), Stop::Semihost);
  EXPECT_EQ(t.cpu().mcause(), isa::kBreakpoint);
  EXPECT_EQ(t.cpu().mepc(), kRamBase + 8);
}

INSTANTIATE_TEST_SUITE_P(Loops, DebugEbreak, testing::Values(0, 1, 2));

TEST(DebugTriggers, TheProgramCannotChangeThemAndWatchpointsStopStores) {
  Machine m(priv_config(false, 0, 1));
  Asm p(kRamBase);
  p(csrw(kTselect, zero));
  p(csrw(kTdata1, zero));   // try to disable the debugger's trigger: ignored (dmode = 1)
  p(csrw(kTdata2, zero));
  p.li(t0, kData);
  p.li(t1, 0x55);
  p(sb(t1, t0, 5));         // kRamBase + 28: inside the watched 8 bytes
  p.halt();
  m.load(p);
  m.halt_on_trap();
  isa::DebugTrigger wp;
  wp.address = kData;
  wp.size = 8;
  wp.store = true;
  ASSERT_TRUE(m.cpu().set_debug_trigger(0, wp));
  ASSERT_EQ(m.run(), Stop::Debug);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 28);
  EXPECT_EQ(m.cpu().debug_event().kind, isa::Triggers::kStore);
  EXPECT_EQ(m.cpu().debug_event().address, kData + 5);
  EXPECT_EQ(m.cpu().debug_event().pc, kRamBase + 28);
  EXPECT_EQ(m.peek8(kData + 5), 0u) << "the store did not happen";
  EXPECT_EQ(m.cpu().triggers().tdata2(0), kData | 3) << "NAPOT encoding of 8 bytes";
  m.cpu().clear_debug_trigger(0);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.peek8(kData + 5), 0x55u);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 36);
}

TEST(DebugTriggers, RejectsWhatItCannotRepresent) {
  Machine m(priv_config(false, 0, 2));
  isa::DebugTrigger t;
  t.address = kData;
  t.load = true;
  EXPECT_FALSE(m.cpu().set_debug_trigger(2, t)) << "no trigger 2";
  t.size = 3;
  EXPECT_FALSE(m.cpu().set_debug_trigger(0, t)) << "size not a power of two";
  t.size = 16;
  t.address = kData + 8;
  EXPECT_FALSE(m.cpu().set_debug_trigger(0, t)) << "address not aligned to the size";
  t.address = kData;
  t.load = false;
  EXPECT_FALSE(m.cpu().set_debug_trigger(0, t)) << "nothing to watch";
  Machine none;
  t.load = true;
  EXPECT_FALSE(none.cpu().set_debug_trigger(0, t)) << "core without triggers";
}

// ---- PMP: CSRs -------------------------------------------------------------------------------------------
TEST(Pmp, AbsentPmpCsrsAreIllegal) {
  Machine m;  // no PMP
  uint32_t v;
  EXPECT_FALSE(m.cpu().csr_read(kPmpcfg0, v));
  EXPECT_FALSE(m.cpu().csr_read(kPmpaddr0, v));
  EXPECT_FALSE(m.cpu().csr_write(kPmpaddr0, 0));
}

TEST(Pmp, CfgIsWarl) {
  isa::Pmp p(16, 0);
  // byte 0: W without R (reserved) -> R=W=0; byte 1: bits 6:5 read 0; byte 2: locked TOR R; byte 3: NA4 RW.
  p.write(kPmpcfg0, 0x02u | (0x7Fu << 8) | (uint32_t(kL | kTor | kR) << 16) | (uint32_t(kNa4 | kR | kW) << 24));
  EXPECT_EQ(p.read(kPmpcfg0), 0x00u | (0x1Fu << 8) | (0x89u << 16) | (0x13u << 24));
  p.write(kPmpcfg0, 0);
  EXPECT_EQ(p.read(kPmpcfg0), 0x89u << 16) << "a locked entry ignores writes";
  // Entries beyond the implemented ones read 0 and ignore writes; 64 entries' CSRs exist.
  isa::Pmp four(4, 0);
  four.write(kPmpcfg1, 0x1f1f1f1f);
  four.write(kPmpaddr0 + 4, 0x1234);
  EXPECT_EQ(four.read(kPmpcfg1), 0u);
  EXPECT_EQ(four.read(kPmpaddr0 + 4), 0u);
  EXPECT_EQ(four.read(0x3EF), 0u);
}

TEST(Pmp, LockFreezesAddressAndTheTorBottom) {
  isa::Pmp p(16, 0);
  p.write(kPmpaddr0, 0x100);
  p.write(kPmpaddr0 + 1, 0x200);
  p.write(kPmpaddr0 + 2, 0x300);
  p.write(kPmpcfg0, uint32_t(kL | kTor | kR) << 16);  // entry 2: locked TOR [pmpaddr1, pmpaddr2)
  p.write(kPmpaddr0 + 2, 0x999);
  p.write(kPmpaddr0 + 1, 0x999);
  p.write(kPmpaddr0, 0x999);
  EXPECT_EQ(p.read(kPmpaddr0 + 2), 0x300u) << "locked";
  EXPECT_EQ(p.read(kPmpaddr0 + 1), 0x200u) << "bottom of a locked TOR entry";
  EXPECT_EQ(p.read(kPmpaddr0), 0x999u);
  EXPECT_TRUE(p.any_locked());
}

TEST(Pmp, GranularityReadsAndNa4) {
  isa::Pmp p(16, 2);  // G = 2: 16-byte granules
  p.write(kPmpaddr0, 0x12345672);
  EXPECT_EQ(p.read(kPmpaddr0), 0x12345670u) << "OFF: bits G-1:0 read 0";
  p.write(kPmpcfg0, kNapot);
  EXPECT_EQ(p.read(kPmpaddr0), 0x12345673u) << "NAPOT: bits G-2:0 read 1 (the stored bit 1 is kept)";
  p.write(kPmpcfg0, kTor);
  EXPECT_EQ(p.read(kPmpaddr0), 0x12345670u);
  p.write(kPmpcfg0, kNa4);
  EXPECT_EQ(p.read(kPmpcfg0), uint32_t(kNapot)) << "NA4 is not selectable when G >= 1";
  // TOR ignores pmpaddr bits G-1:0: entry 0 TOR with pmpaddr 0x103 covers [0, 0x400).
  isa::Pmp t(16, 2);
  t.write(kPmpaddr0, 0x103);
  t.write(kPmpcfg0, kTor | kR);
  EXPECT_TRUE(t.check(0x3fc, 4, isa::Pmp::kR, false));
  EXPECT_FALSE(t.check(0x400, 4, isa::Pmp::kR, false));
}

// ---- PMP: matching ---------------------------------------------------------------------------------------
TEST(Pmp, AddressMatchingModesAndPriority) {
  isa::Pmp p(16, 0);
  p.write(kPmpaddr0 + 0, 0x1000 >> 2);                 // TOR [0, 0x1000)
  p.write(kPmpaddr0 + 1, 0x2000 >> 2);                 // NA4 [0x2000, 0x2004)
  p.write(kPmpaddr0 + 2, napot(0x3000, 16));           // NAPOT [0x3000, 0x3010)
  p.write(kPmpaddr0 + 3, napot(0x2000, 0x2000));       // NAPOT [0x2000, 0x4000)
  p.write(kPmpcfg0, uint32_t(kTor | kR) | (uint32_t(kNa4 | kR | kW) << 8) | (uint32_t(kNapot | kX) << 16) |
                        (uint32_t(kNapot | kR | kW | kX) << 24));
  using P = isa::Pmp;
  const bool U = false;
  EXPECT_TRUE(p.check(0x0ffc, 4, P::kR, U));
  EXPECT_FALSE(p.check(0x0ffc, 4, P::kW, U));
  EXPECT_FALSE(p.check(0x0ffe, 4, P::kR, U)) << "straddles the end of entry 0";
  EXPECT_FALSE(p.check(0x1000, 4, P::kR, U)) << "no entry: U-mode fails";
  EXPECT_TRUE(p.check(0x1000, 4, P::kR, true)) << "no entry: M-mode succeeds";
  EXPECT_TRUE(p.check(0x2000, 4, P::kW, U));
  EXPECT_FALSE(p.check(0x2000, 4, P::kX, U)) << "entry 1 (no X) outranks entry 3 (RWX)";
  EXPECT_FALSE(p.check(0x2002, 4, P::kR, U)) << "partly in the NA4 entry";
  EXPECT_TRUE(p.check(0x2004, 4, P::kX, U));
  EXPECT_TRUE(p.check(0x3000, 4, P::kX, U));
  EXPECT_FALSE(p.check(0x3000, 4, P::kR, U)) << "entry 2 (X only) outranks entry 3";
  EXPECT_TRUE(p.check(0x3010, 4, P::kR, U));
  EXPECT_FALSE(p.check(0x3ffe, 4, P::kR, U)) << "runs past the end of entry 3";
  EXPECT_TRUE(p.check(0x0000, 4, P::kW, true)) << "unlocked entries do not restrict M-mode";
  uint64_t lo, hi;
  p.range(3, lo, hi);
  EXPECT_EQ(lo, 0x2000u);
  EXPECT_EQ(hi, 0x4000u);
  // Lock entry 0: now M-mode is held to its permissions too.
  p.write(kPmpcfg0, (p.read(kPmpcfg0) & ~0xffu) | uint32_t(kL | kTor | kR));
  EXPECT_FALSE(p.check(0x0000, 4, P::kW, true));
  EXPECT_TRUE(p.check(0x0000, 4, P::kR, true));
  EXPECT_TRUE(p.check(0x1000, 4, P::kW, true)) << "M-mode outside all entries still succeeds";
}

TEST(Pmp, NapotOfAllOnesCoversEverything) {
  isa::Pmp p(1, 0);
  p.write(kPmpaddr0, 0xffffffff);
  p.write(kPmpcfg0, kNapot | kR);
  EXPECT_TRUE(p.check(0x00000000, 4, isa::Pmp::kR, false));
  EXPECT_TRUE(p.check(0xfffffffc, 4, isa::Pmp::kR, false));
  EXPECT_FALSE(p.check(0x80000000, 4, isa::Pmp::kW, false));
}

// ---- PMP in the core: U-mode accesses, faults, lock, MPRV ------------------------------------------------
// U-mode code at kUser may execute (entry 0), kData..+0x100 may be read (entry 1); nothing else.
void user_pmp(Machine& m) {
  set_pmp(m, 0, kNapot | kX, napot(kUser, 0x1000));
  set_pmp(m, 1, kNapot | kR, napot(kData, 0x100));
}

TEST(PmpCore, UserLoadAllowedStoreDenied) {
  Machine m(priv_config(true, 16, 0));
  Asm u(kUser);
  u.li(t0, kData);
  u(lw(a0, t0, 0));   // kUser + 8: allowed
  u(sw(a0, t0, 4));   // kUser + 12: no W
  enter_user(m, u, user_pmp);
  m.poke32(kData, 0xcafef00d);
  m.poke32(kData + 4, 0x01010101);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 0xcafef00du);
  EXPECT_EQ(m.cpu().mcause(), isa::kStoreAccessFault);
  EXPECT_EQ(m.cpu().mepc(), kUser + 12);
  EXPECT_EQ(m.cpu().mtval(), kData + 4);
  EXPECT_EQ(m.peek32(kData + 4), 0x01010101u);
  EXPECT_EQ(m.cpu().privilege(), isa::kPrivM);
  EXPECT_EQ((m.cpu().mstatus() & kMPPmask) >> 11, 0u);
}

TEST(PmpCore, UserAccessMatchingNoEntryFails) {
  Machine m(priv_config(true, 16, 0));
  Asm u(kUser);
  u.li(t0, kData + 0x100);
  u(lw(a0, t0, 0));  // kUser + 8: past entry 1
  enter_user(m, u, user_pmp);
  m.cpu().set_x(a0, 0x77);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kLoadAccessFault);
  EXPECT_EQ(m.cpu().mepc(), kUser + 8);
  EXPECT_EQ(m.cpu().mtval(), kData + 0x100);
  EXPECT_EQ(m.cpu().x(a0), 0x77u);
}

TEST(PmpCore, UserFetchFromNonExecutableRegionFails) {
  Machine m(priv_config(true, 16, 0));
  Asm u(kUser);
  u.li(t0, kData);
  u(jalr(zero, t0, 0));  // into readable, not executable memory
  enter_user(m, u, user_pmp);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kInsnAccessFault);
  EXPECT_EQ(m.cpu().mepc(), kData);
  EXPECT_EQ(m.cpu().mtval(), kData);
}

TEST(PmpCore, FetchFaultOnTheSecondHalfOfAnInstruction) {
  // A 32-bit instruction at the last halfword of the executable region: its second half is outside,
  // so mtval is that half's address while mepc is the instruction's (privileged spec 3.1.16).
  Machine m(priv_config(true, 16, 0));
  Asm u(kUser);
  u.li(t0, kUser + 0xffe);
  u(jalr(zero, t0, 0));
  Asm tail(kUser + 0xffe);
  tail(addi(a0, a0, 1));
  enter_user(m, u, user_pmp);
  m.write(tail);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kInsnAccessFault);
  EXPECT_EQ(m.cpu().mepc(), kUser + 0xffe);
  EXPECT_EQ(m.cpu().mtval(), kUser + 0x1000);
}

TEST(PmpCore, LockedEntryRestrictsMachineMode) {
  Machine m(priv_config(false, 4, 0));  // PMP without U-mode: only locked entries matter
  Asm p(kRamBase);
  p.li(t0, kData);
  p(lw(a0, t0, 0));   // allowed: R
  p(sw(a0, t0, 0));   // kRamBase + 12: denied, the entry is locked
  p.halt();
  m.load(p);
  m.halt_on_trap();
  m.poke32(kData, 42);
  set_pmp(m, 0, kL | kNapot | kR, napot(kData, 0x100));
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 42u);
  EXPECT_EQ(m.cpu().mcause(), isa::kStoreAccessFault);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 12);
  EXPECT_EQ(m.cpu().mtval(), kData);
  set_csr(m, kPmpcfg0, 0);
  EXPECT_EQ(csr(m, kPmpcfg0) & 0xff, uint32_t(kL | kNapot | kR)) << "locked until reset";
}

TEST(PmpCore, UnlockedEntriesDoNotRestrictMachineMode) {
  Machine m(priv_config(false, 4, 0));
  Asm p(kRamBase);
  p.li(t0, kData);
  p.li(t1, 9);
  p(sw(t1, t0, 0));
  p.halt();
  m.load(p);
  m.halt_on_trap();
  set_pmp(m, 0, kNapot, napot(kData, 0x100));  // no permissions, not locked
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), 0u);
  EXPECT_EQ(m.peek32(kData), 9u);
}

TEST(PmpCore, MprvChecksMachineLoadsWithMpp) {
  Machine m(priv_config(true, 4, 0));
  Asm p(kRamBase);
  p.li(t0, kData);
  p(lw(a0, t0, 0));              // MPRV = 0: M-mode, allowed
  p.li(t1, kMPRV);
  p(csrrs(zero, kMstatus, t1));  // MPRV = 1 with MPP = U (set below)
  p(lw(a1, t0, 0));              // kRamBase + 24: checked as U-mode: the entry grants no R -> fault
  p.halt();
  m.load(p);
  m.halt_on_trap();
  m.poke32(kData, 5);
  set_csr(m, kMstatus, 0);  // MPP = U
  set_pmp(m, 0, kNapot | kX, napot(kData, 0x100));
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 5u);
  EXPECT_EQ(m.cpu().mcause(), isa::kLoadAccessFault);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 24);
}

TEST(PmpCore, UserModeWithoutPmpAccessesEverything) {
  Machine m(priv_config(true, 0, 0));
  Asm u(kUser);
  u.li(t0, kData);
  u(lw(a0, t0, 0));
  u(sw(a0, t0, 4));
  u(ecall());
  enter_user(m, u);
  m.poke32(kData, 3);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kEcallU);
  EXPECT_EQ(m.peek32(kData + 4), 3u);
}

// ---- U-mode entry, exit, CSR access ----------------------------------------------------------------------
TEST(UserMode, MretEntersUserAndEcallReturnsToMachine) {
  Machine m(priv_config(true, 0, 0));
  Asm u(kUser);
  u(addi(a0, zero, 3));
  u(ecall());  // kUser + 4
  enter_user(m, u, [](Machine& m) { set_csr(m, kMstatus, kMPIE); });  // MIE = 0, MPIE = 1
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 3u);
  EXPECT_EQ(m.cpu().mcause(), isa::kEcallU) << "ecall from U-mode: cause 8";
  EXPECT_EQ(m.cpu().mepc(), kUser + 4);
  EXPECT_EQ(m.cpu().privilege(), isa::kPrivM);
  const uint32_t ms = m.cpu().mstatus();
  EXPECT_EQ((ms & kMPPmask) >> 11, 0u) << "MPP: the trap came from U-mode";
  EXPECT_TRUE(ms & kMPIE) << "MIE was 1 in U-mode (mret set it from MPIE)";
  EXPECT_FALSE(ms & kMIE);
}

TEST(UserMode, MretSetsMppToUserAndClearsMprv) {
  Machine m(priv_config(true, 0, 0));
  Asm u(kUser);
  u(ecall());
  enter_user(m, u, [](Machine& m) { set_csr(m, kMstatus, kMPRV); });
  // mstatus as the ecall trap leaves it: the mret into U-mode cleared MPRV.
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mstatus() & kMPRV, 0u);
}

TEST(UserMode, EcallFromMachineIsCause11WithMppMachine) {
  Machine m(priv_config(true, 0, 0));
  Asm p(kRamBase);
  p(ecall());
  m.load(p);
  m.halt_on_trap();
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kEcallM);
  EXPECT_EQ((m.cpu().mstatus() & kMPPmask) >> 11, 3u);
}

TEST(UserMode, MppMprvTwAndMisa) {
  Machine u(priv_config(true, 0, 0));
  set_csr(u, kMstatus, 1u << 11);  // MPP = S: not supported -> M
  EXPECT_EQ((csr(u, kMstatus) & kMPPmask) >> 11, 3u);
  set_csr(u, kMstatus, 0);
  EXPECT_EQ((csr(u, kMstatus) & kMPPmask) >> 11, 0u);
  set_csr(u, kMstatus, kMPRV | kTW);
  EXPECT_EQ(csr(u, kMstatus) & (kMPRV | kTW), kMPRV | kTW);
  EXPECT_TRUE(csr(u, kMisa) & (1u << ('U' - 'A')));
  set_csr(u, kMcounteren, 0x5);
  EXPECT_EQ(csr(u, kMcounteren), 0x5u);
  Machine m;  // machine mode only
  set_csr(m, kMstatus, kMPRV | kTW);
  EXPECT_EQ(csr(m, kMstatus) & (kMPRV | kTW | kMPPmask), kMPPmask) << "MPP fixed at M; MPRV, TW read 0";
  EXPECT_FALSE(csr(m, kMisa) & (1u << ('U' - 'A')));
  set_csr(m, kMcounteren, 0x5);
  EXPECT_EQ(csr(m, kMcounteren), 0u);
}

// Run one instruction in U-mode (after `setup`); returns the machine for inspection.
void run_user_insn(Machine& m, uint32_t insn, const std::function<void(Machine&)>& setup = {}) {
  Asm u(kUser);
  u(insn);
  u(ecall());
  enter_user(m, u, setup);
  m.cpu().set_x(a0, 0x5a5a5a5a);
  ASSERT_EQ(m.run(), Stop::Semihost);
}
void expect_user_illegal(uint32_t insn, const std::function<void(Machine&)>& setup = {}, unsigned triggers = 0,
                         unsigned pmp = 0) {
  Machine m(priv_config(true, pmp, triggers));
  run_user_insn(m, insn, [&](Machine& m) {
    if (pmp) set_pmp(m, 0, kNapot | kR | kW | kX, 0xffffffff);
    if (setup) setup(m);
  });
  EXPECT_EQ(m.cpu().mcause(), isa::kIllegalInsn) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().mtval(), insn) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().mepc(), kUser) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().x(a0), 0x5a5a5a5au) << Machine::hex(insn);
}
uint32_t expect_user_legal(uint32_t insn, const std::function<void(Machine&)>& setup = {}) {
  Machine m(priv_config(true, 0, 0));
  run_user_insn(m, insn, setup);
  EXPECT_EQ(m.cpu().mcause(), isa::kEcallU) << Machine::hex(insn) << " trapped";
  return m.cpu().x(a0);
}

TEST(UserMode, MachineCsrsAreIllegal) {
  expect_user_illegal(csrr(a0, kMstatus));
  expect_user_illegal(csrr(a0, kMscratch));
  expect_user_illegal(csrw(kMtvec, zero));
  expect_user_illegal(csrr(a0, kMhartid));
  expect_user_illegal(csrr(a0, kMcycle));
  expect_user_illegal(csrr(a0, kTselect), {}, 1);
  expect_user_illegal(csrr(a0, kPmpcfg0), {}, 0, 4);
  expect_user_illegal(mret());
}

TEST(UserMode, CountersNeedMcounteren) {
  expect_user_illegal(csrr(a0, kCycle));  // mcounteren = 0
  expect_user_illegal(csrr(a0, kInstret), [](Machine& m) { set_csr(m, kMcounteren, 1); });  // only CY
  expect_user_illegal(csrr(a0, 0xC03), [](Machine& m) { set_csr(m, kMcounteren, 7); });     // HPM3 not set
  // Read-only even when readable:
  expect_user_illegal(csrrw(a0, kCycle, zero), [](Machine& m) { set_csr(m, kMcounteren, 1); });
  // Readable with its bit: instret counts the instructions before it (prologue: lui+addi, csrw,
  // lui+addi, csrrc, mret = 7).
  EXPECT_EQ(expect_user_legal(csrr(a0, kInstret), [](Machine& m) { set_csr(m, kMcounteren, 4); }), 7u);
  EXPECT_GT(expect_user_legal(csrr(a0, kCycle), [](Machine& m) { set_csr(m, kMcounteren, 1); }), 0u);
}

TEST(UserMode, WfiTrapsWhenTwIsSet) {
  expect_user_illegal(wfi(), [](Machine& m) { set_csr(m, kMstatus, kTW); });
  Machine m(priv_config(true, 0, 0));
  Asm u(kUser);
  u(wfi());
  enter_user(m, u);
  EXPECT_EQ(m.run(), Stop::Wfi) << "TW = 0: wfi waits in U-mode";
}

TEST(UserMode, MachineInterruptsAreEnabledInUserMode) {
  // Privileged spec 3.1.6.1: interrupts for a more-privileged mode are enabled regardless of its
  // xIE bit while the hart runs in a less-privileged mode.
  Machine m(priv_config(true, 0, 0));
  Asm u(kUser);
  auto loop = u.here_label();
  u.jal(zero, loop);
  enter_user(m, u, [](Machine& m) {
    set_csr(m, kMstatus, 0);  // MIE = 0, MPP = U
    set_csr(m, kMie, 1u << 7);
  });
  while (m.cpu().cycle() < 200) ASSERT_EQ(m.cpu().run(200), Stop::Limit);
  EXPECT_EQ(m.cpu().privilege(), isa::kPrivU);
  m.cpu().set_irq(isa::kIrqMTimer, true);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kInterruptBit | isa::kIrqMTimer);
  EXPECT_EQ((m.cpu().mstatus() & kMPPmask) >> 11, 0u);
}

}  // namespace
}  // namespace isatest

// Zicsr semantics, machine-mode traps and interrupts, wfi, counters, misa, and the optional extensions'
// enable/disable behaviour (Xmac, F). References: RISC-V Unprivileged ISA v20191213 chapter 9 (Zicsr)
// and 10 (counters), Privileged ISA v1.12 chapter 3 (machine mode), isa/XMAC.md, and
// runtime/include/xmac_ref.h as the reference for Xmac results.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>

#include "tests/isa/asm.h"
#include "tests/isa/harness.h"
#include "xmac_ref.h"

namespace isatest {
namespace {

constexpr uint32_t kMIE = 1u << 3, kMPIE = 1u << 7, kMPP = 3u << 11, kFS = 3u << 13, kSD = 1u << 31;
constexpr uint32_t kMTIE = 1u << 7, kMSIE = 1u << 3, kMEIE = 1u << 11;

// Run `insn` (after an addi, so mepc is kRamBase + 4) with a halting trap handler; expect an
// illegal-instruction trap with mtval = the instruction bits and rd (x10) unchanged.
void expect_illegal(uint32_t insn, const isa::CpuConfig& cfg = default_config(),
                    const std::function<void(Machine&)>& setup = {}) {
  Machine m(cfg);
  Asm p(kRamBase);
  p(addi(t6, zero, 1))(insn).halt();
  m.load(p);
  m.halt_on_trap();
  m.cpu().set_x(a0, 0x5a5a5a5a);
  if (setup) setup(m);
  ASSERT_EQ(m.run(), Stop::Semihost) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().mcause(), isa::kIllegalInsn) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().mtval(), insn) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 4) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().x(a0), 0x5a5a5a5au) << Machine::hex(insn) << ": rd written by a trapping instruction";
}

// Run `insn` and expect it to complete; returns x10 (a0).
uint32_t expect_legal(uint32_t insn, const isa::CpuConfig& cfg = default_config(),
                      const std::function<void(Machine&)>& setup = {}) {
  Machine m(cfg);
  Asm p(kRamBase);
  p(insn).halt();
  m.load(p);
  m.halt_on_trap();
  if (setup) setup(m);
  EXPECT_EQ(m.run(), Stop::Semihost) << Machine::hex(insn);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 8) << Machine::hex(insn) << " trapped (mcause " << m.cpu().mcause() << ")";
  return m.cpu().x(a0);
}

// ---- Zicsr ------------------------------------------------------------------------------------------
TEST(Zicsr, ReadWriteSetClearOnMscratch) {
  Machine m;
  Asm p(kRamBase);
  p(csrrw(a0, kMscratch, t0));     // a0 = 0, ms = 0xf0f0
  p(csrrs(a1, kMscratch, t1));     // a1 = 0xf0f0, ms |= 0x0f00 -> 0xfff0
  p(csrrc(a2, kMscratch, t2));     // a2 = 0xfff0, ms &= ~0x00f0 -> 0xff00
  p(csrrwi(a3, kMscratch, 31));    // a3 = 0xff00, ms = 31
  p(csrrsi(a4, kMscratch, 0));     // a4 = 31, no write
  p(csrrci(a5, kMscratch, 5));     // a5 = 31, ms = 26
  p(csrrs(a6, kMscratch, zero));   // a6 = 26, no write
  p(csrrc(a7, kMscratch, zero));   // a7 = 26, no write
  p(csrrsi(s2, kMscratch, 0x10));  // s2 = 26, ms = 26 | 16 = 26
  p(csrrw(zero, kMscratch, t0));   // ms = 0xf0f0 (rd = x0)
  p(csrrwi(s3, kMscratch, 0));     // s3 = 0xf0f0, ms = 0
  p(csrrs(s4, kMscratch, s5));     // s4 = 0, ms = 0xffffffff
  p.halt();
  m.load(p);
  m.cpu().set_x(t0, 0xf0f0);
  m.cpu().set_x(t1, 0x0f00);
  m.cpu().set_x(t2, 0x00f0);
  m.cpu().set_x(s5, 0xffffffff);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 0u);
  EXPECT_EQ(m.cpu().x(a1), 0xf0f0u);
  EXPECT_EQ(m.cpu().x(a2), 0xfff0u);
  EXPECT_EQ(m.cpu().x(a3), 0xff00u);
  EXPECT_EQ(m.cpu().x(a4), 31u);
  EXPECT_EQ(m.cpu().x(a5), 31u);
  EXPECT_EQ(m.cpu().x(a6), 26u);
  EXPECT_EQ(m.cpu().x(a7), 26u);
  EXPECT_EQ(m.cpu().x(s2), 26u);
  EXPECT_EQ(m.cpu().x(s3), 0xf0f0u);
  EXPECT_EQ(m.cpu().x(s4), 0u);
  uint32_t v = 0;
  ASSERT_TRUE(m.cpu().csr_read(kMscratch, v));
  EXPECT_EQ(v, 0xffffffffu);
}

TEST(Zicsr, ReadOnlyCsrsReadWithoutWrite) {
  isa::CpuConfig cfg = default_config();
  cfg.hartid = 5;
  EXPECT_EQ(expect_legal(csrrs(a0, kMhartid, zero), cfg), 5u) << "csrrs rs1=x0 does not write";
  EXPECT_EQ(expect_legal(csrrc(a0, kMhartid, zero), cfg), 5u);
  EXPECT_EQ(expect_legal(csrrsi(a0, kMhartid, 0), cfg), 5u) << "csrrsi uimm=0 does not write";
  EXPECT_EQ(expect_legal(csrrci(a0, kMhartid, 0), cfg), 5u);
  expect_legal(csrrs(a0, kCycle, zero));
  expect_legal(csrrs(a0, kInstret, zero));
}

TEST(Zicsr, WritesToReadOnlyCsrsAreIllegal) {
  expect_illegal(csrrw(a0, kMhartid, t0));
  expect_illegal(csrrw(zero, kMhartid, t0));
  expect_illegal(csrrw(a0, kCycle, t0));
  expect_illegal(csrrwi(a0, kCycle, 0));
  expect_illegal(csrrsi(a0, kMhartid, 1));
  expect_illegal(csrrci(a0, kInstret, 1));
  // rs1 != x0 writes even if the register holds 0 (unprivileged spec 9.1).
  expect_illegal(csrrs(a0, kMhartid, t3), default_config(), [](Machine& m) { m.cpu().set_x(t3, 0); });
  expect_illegal(csrrc(a0, kCycle, t3), default_config(), [](Machine& m) { m.cpu().set_x(t3, 0); });
}

TEST(Zicsr, UnknownCsrsAreIllegal) {
  expect_illegal(csrrs(a0, 0x7c0, zero));
  expect_illegal(csrrw(a0, 0x123, t0));
  expect_illegal(csrrw(zero, 0x7ff, t0));
  expect_illegal(csrrsi(a0, 0x5c0, 0));
  expect_illegal(csrrs(a0, kFflags, zero));   // F disabled: no fflags
  expect_illegal(csrrs(a0, kXmaccfg, zero));  // Xmac disabled: no xmaccfg
}

TEST(Zicsr, MachineTrapRegistersAreReadWrite) {
  Machine m;
  Asm p(kRamBase);
  p(csrw(kMepc, t0))(csrr(a0, kMepc));
  p(csrw(kMcause, t1))(csrr(a1, kMcause));
  p(csrw(kMtval, t2))(csrr(a2, kMtval));
  p(csrw(kMtvec, s2))(csrr(a3, kMtvec));
  p(csrw(kMie, s3))(csrr(a4, kMie));
  p(csrw(kMstatus, s4))(csrr(a5, kMstatus));
  p.halt();
  m.load(p);
  m.cpu().set_x(t0, kRamBase + 0x103);  // mepc[0] is always zero
  m.cpu().set_x(t1, 0x8000000b);
  m.cpu().set_x(t2, 0x12345678);
  m.cpu().set_x(s2, kHandler | 1);      // vectored
  m.cpu().set_x(s3, 0xffffffff);        // only MSIE, MTIE, MEIE exist
  m.cpu().set_x(s4, kMIE | kMPIE);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), kRamBase + 0x102);
  EXPECT_EQ(m.cpu().x(a1), 0x8000000bu);
  EXPECT_EQ(m.cpu().x(a2), 0x12345678u);
  EXPECT_EQ(m.cpu().x(a3), kHandler | 1);
  EXPECT_EQ(m.cpu().x(a4), kMSIE | kMTIE | kMEIE);
  EXPECT_EQ(m.cpu().x(a5) & (kMIE | kMPIE | kMPP), kMIE | kMPIE | kMPP) << "MPP reads M (machine mode only)";
}

TEST(Zicsr, MepcWithoutCIsWordAligned) {
  isa::CpuConfig cfg = default_config();
  cfg.features.c = false;
  Machine m(cfg);
  Asm p(kRamBase);
  p(csrw(kMepc, t0))(csrr(a0, kMepc)).halt();
  m.load(p);
  m.cpu().set_x(t0, kRamBase + 0x106);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), kRamBase + 0x104);
}

// ---- misa ------------------------------------------------------------------------------------------
uint32_t misa_of(bool m, bool c, bool f, bool x) {
  uint32_t v = 1u << 30;  // MXL = 1 (XLEN 32)
  v |= 1u << ('I' - 'A');
  if (m) v |= 1u << ('M' - 'A');
  if (c) v |= 1u << ('C' - 'A');
  if (f) v |= 1u << ('F' - 'A');
  if (x) v |= 1u << ('X' - 'A');
  return v;
}

TEST(Zicsr, MisaReflectsFeatures) {
  for (int bits = 0; bits < 16; ++bits) {
    isa::CpuConfig cfg = default_config();
    cfg.features.m = bits & 1;
    cfg.features.c = bits & 2;
    cfg.features.f = bits & 4;
    cfg.features.xmac = bits & 8;
    EXPECT_EQ(expect_legal(csrr(a0, kMisa), cfg), misa_of(bits & 1, bits & 2, bits & 4, bits & 8)) << bits;
  }
  EXPECT_EQ(misa_of(true, true, false, false), 0x40001104u);  // "rv32imc" written out by hand
}

// ---- traps -----------------------------------------------------------------------------------------
// Handler at kHandler: record mcause/mepc/mtval/mstatus, skip the trapping instruction, return.
void write_skip_handler(Machine& m) {
  Asm h(kHandler);
  h(csrr(s2, kMcause));
  h(csrr(s3, kMepc));
  h(csrr(s4, kMtval));
  h(csrr(s5, kMstatus));
  h(addi(t0, s3, 4));
  h(csrw(kMepc, t0));
  h(mret());
  m.write(h);
  m.cpu().csr_write(kMtvec, kHandler);
}

TEST(Traps, EcallEntersHandlerAndMretReturns) {
  for (bool mie : {true, false}) {
    Machine m;
    Asm p(kRamBase);
    p(mie ? csrrsi(zero, kMstatus, 8) : nop());  // +0
    p(addi(a0, zero, 1));                       // +4
    p(ecall());                                 // +8
    p(addi(a1, zero, 2));                       // +12
    p(csrr(s6, kMstatus));                      // +16
    p.halt();
    m.load(p);
    write_skip_handler(m);
    m.cpu().set_x(s4, 0xdead);
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().x(s2), uint32_t(isa::kEcallM));
    EXPECT_EQ(m.cpu().x(s3), kRamBase + 8) << "mepc = the ecall";
    EXPECT_EQ(m.cpu().x(s4), 0u) << "mtval = 0 for ecall";
    // In the handler: MIE = 0, MPIE = old MIE, MPP = M.
    EXPECT_EQ(m.cpu().x(s5) & kMIE, 0u);
    EXPECT_EQ(m.cpu().x(s5) & kMPIE, mie ? kMPIE : 0u);
    EXPECT_EQ(m.cpu().x(s5) & kMPP, kMPP);
    // After mret: MIE = old MPIE, MPIE = 1.
    EXPECT_EQ(m.cpu().x(s6) & kMIE, mie ? kMIE : 0u);
    EXPECT_EQ(m.cpu().x(s6) & kMPIE, kMPIE);
    EXPECT_EQ(m.cpu().x(a0), 1u);
    EXPECT_EQ(m.cpu().x(a1), 2u) << "execution continued after the ecall";
    EXPECT_EQ(m.cpu().counters().traps, 1u);
  }
}

TEST(Traps, EcallAndEbreakWithoutHandlerAreFatal) {
  {
    Machine m;
    Asm p(kRamBase);
    p(nop())(ecall());
    m.load(p);
    ASSERT_EQ(m.run(), Stop::Fatal);
    EXPECT_EQ(m.cpu().fatal().cause, uint32_t(isa::kEcallM));
    EXPECT_EQ(m.cpu().fatal().pc, kRamBase + 4);
  }
  {
    Machine m;
    Asm p(kRamBase);
    p(nop())(ebreak());
    m.load(p);
    ASSERT_EQ(m.run(), Stop::Fatal);
    EXPECT_EQ(m.cpu().fatal().cause, uint32_t(isa::kBreakpoint));
    EXPECT_EQ(m.cpu().fatal().pc, kRamBase + 4);
  }
  {
    Machine m;
    Asm p(kRamBase);
    p(c_nop())(c_ebreak());
    m.load(p);
    ASSERT_EQ(m.run(), Stop::Fatal);
    EXPECT_EQ(m.cpu().fatal().cause, uint32_t(isa::kBreakpoint));
    EXPECT_EQ(m.cpu().fatal().pc, kRamBase + 2);
  }
}

TEST(Traps, EbreakWithHandlerSetsMtvalToPc) {
  Machine m;
  Asm p(kRamBase);
  p(nop())(ebreak())(addi(a0, zero, 3)).halt();
  m.load(p);
  write_skip_handler(m);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(s2), uint32_t(isa::kBreakpoint));
  EXPECT_EQ(m.cpu().x(s3), kRamBase + 4);
  EXPECT_EQ(m.cpu().x(a0), 3u);
}

// Vector table at kHandler: entry i jumps to a stub that sets s6 = i and halts.
void write_vector_table(Machine& m) {
  Asm h(kHandler);
  std::vector<Asm::Label> stubs;
  for (int i = 0; i < 12; ++i) stubs.push_back(h.label());
  for (int i = 0; i < 12; ++i) h.jal(zero, stubs[i]);
  for (int i = 0; i < 12; ++i) {
    h.bind(stubs[i]);
    h(addi(s6, zero, 100 + i));
    h.halt();
  }
  m.write(h);
  m.cpu().csr_write(kMtvec, kHandler | 1);
}

TEST(Traps, VectoredModeSendsExceptionsToBase) {
  Machine m;
  Asm p(kRamBase);
  p(ecall()).halt();
  m.load(p);
  write_vector_table(m);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(s6), 100u) << "exceptions use the base address in vectored mode";
  EXPECT_EQ(m.cpu().mcause(), uint32_t(isa::kEcallM));
}

TEST(Traps, VectoredModeSendsInterruptIToBasePlus4I) {
  const isa::Irq irqs[] = {isa::kIrqMSoft, isa::kIrqMTimer, isa::kIrqMExt};
  for (isa::Irq irq : irqs) {
    Machine m;
    Asm p(kRamBase);
    p(nop()).halt();
    m.load(p);
    write_vector_table(m);
    m.cpu().csr_write(kMie, kMSIE | kMTIE | kMEIE);
    m.cpu().csr_write(kMstatus, kMIE);
    m.cpu().set_irq(irq, true);
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().x(s6), 100u + irq);
    EXPECT_EQ(m.cpu().mcause(), isa::kInterruptBit | irq);
  }
}

// ---- interrupts ------------------------------------------------------------------------------------
struct IrqRun {
  uint32_t mcause, mepc, a0, a1;
  Stop stop;
  bool handler_ran;
};

// Main program: addi a0,1; addi a1,1; halt. Handler (direct mode): s7 = 1; record; halt.
IrqRun run_with_timer_irq(uint32_t mstatus, uint32_t mie, bool pending) {
  Machine m;
  Asm p(kRamBase);
  p(addi(a0, zero, 1))(addi(a1, zero, 1)).halt();
  m.load(p);
  Asm h(kHandler);
  h(addi(s7, zero, 1)).halt();
  m.write(h);
  m.cpu().csr_write(kMtvec, kHandler);
  m.cpu().csr_write(kMstatus, mstatus);
  m.cpu().csr_write(kMie, mie);
  m.cpu().set_irq(isa::kIrqMTimer, pending);
  IrqRun r;
  r.stop = m.run();
  r.mcause = m.cpu().mcause();
  r.mepc = m.cpu().mepc();
  r.a0 = m.cpu().x(a0);
  r.a1 = m.cpu().x(a1);
  r.handler_ran = m.cpu().x(s7) == 1;
  return r;
}

TEST(Interrupts, TimerTakenWhenEnabled) {
  const IrqRun r = run_with_timer_irq(kMIE, kMTIE, true);
  ASSERT_EQ(r.stop, Stop::Semihost);
  EXPECT_TRUE(r.handler_ran);
  EXPECT_EQ(r.mcause, 0x80000007u);
  EXPECT_EQ(r.mepc, kRamBase) << "taken before the first instruction";
  EXPECT_EQ(r.a0, 0u);
}

TEST(Interrupts, MaskedByMstatusMie) {
  const IrqRun r = run_with_timer_irq(0, kMTIE, true);
  ASSERT_EQ(r.stop, Stop::Semihost);
  EXPECT_FALSE(r.handler_ran);
  EXPECT_EQ(r.mcause, 0u);
  EXPECT_EQ(r.a1, 1u);
}

TEST(Interrupts, MaskedByMieMtie) {
  const IrqRun r = run_with_timer_irq(kMIE, kMSIE | kMEIE, true);
  EXPECT_FALSE(r.handler_ran);
  EXPECT_EQ(r.a1, 1u);
}

TEST(Interrupts, NotPendingNotTaken) {
  const IrqRun r = run_with_timer_irq(kMIE, kMTIE, false);
  EXPECT_FALSE(r.handler_ran);
  EXPECT_EQ(r.a1, 1u);
}

TEST(Interrupts, PendingStateAndMip) {
  Machine m;
  m.cpu().csr_write(kMie, kMTIE);
  EXPECT_FALSE(m.cpu().irq_pending());
  m.cpu().set_irq(isa::kIrqMTimer, true);
  EXPECT_TRUE(m.cpu().irq_pending()) << "pending and enabled in mie, regardless of mstatus.MIE";
  uint32_t mip = 0;
  ASSERT_TRUE(m.cpu().csr_read(kMip, mip));
  EXPECT_EQ(mip, 1u << 7);
  m.cpu().set_irq(isa::kIrqMExt, true);
  ASSERT_TRUE(m.cpu().csr_read(kMip, mip));
  EXPECT_EQ(mip, (1u << 7) | (1u << 11));
  m.cpu().set_irq(isa::kIrqMTimer, false);
  EXPECT_FALSE(m.cpu().irq_pending()) << "MEIP is pending but not enabled";
}

TEST(Interrupts, PriorityExternalThenSoftwareThenTimer) {
  Machine m;
  Asm p(kRamBase);
  p(nop()).halt();
  m.load(p);
  Asm h(kHandler);
  h.halt();
  m.write(h);
  m.cpu().csr_write(kMtvec, kHandler);
  m.cpu().csr_write(kMie, kMSIE | kMTIE | kMEIE);
  m.cpu().csr_write(kMstatus, kMIE);
  m.cpu().set_irq(isa::kIrqMTimer, true);
  m.cpu().set_irq(isa::kIrqMSoft, true);
  m.cpu().set_irq(isa::kIrqMExt, true);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), 0x8000000bu);
  Machine m2;
  m2.load(p);
  m2.write(h);
  m2.cpu().csr_write(kMtvec, kHandler);
  m2.cpu().csr_write(kMie, kMSIE | kMTIE | kMEIE);
  m2.cpu().csr_write(kMstatus, kMIE);
  m2.cpu().set_irq(isa::kIrqMTimer, true);
  m2.cpu().set_irq(isa::kIrqMSoft, true);
  ASSERT_EQ(m2.run(), Stop::Semihost);
  EXPECT_EQ(m2.cpu().mcause(), 0x80000003u);
}

TEST(Interrupts, EnabledByProgramThenTakenAndReturnedFrom) {
  Machine m;
  Asm p(kRamBase);
  p(addi(a0, zero, 1));          // +0
  p(csrrsi(zero, kMstatus, 8));  // +4: MIE = 1 -> the pending timer interrupt is taken before +8
  p(addi(a1, zero, 1));          // +8
  p(csrr(s6, kMstatus));         // +12
  p.halt();
  m.load(p);
  Asm h(kHandler);
  h(csrr(s2, kMcause));
  h(csrr(s3, kMepc));
  h(csrr(s4, kMstatus));
  h(csrrc(zero, kMie, t6));      // t6 = MTIE: stop the interrupt from being taken again
  h(mret());
  m.write(h);
  m.cpu().csr_write(kMtvec, kHandler);
  m.cpu().csr_write(kMie, kMTIE);
  m.cpu().set_x(t6, kMTIE);
  m.cpu().set_irq(isa::kIrqMTimer, true);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(s2), 0x80000007u);
  EXPECT_EQ(m.cpu().x(s3), kRamBase + 8);
  EXPECT_EQ(m.cpu().x(s4) & (kMIE | kMPIE), kMPIE);
  EXPECT_EQ(m.cpu().x(s6) & (kMIE | kMPIE), kMIE | kMPIE) << "mret restored MIE";
  EXPECT_EQ(m.cpu().x(a0), 1u);
  EXPECT_EQ(m.cpu().x(a1), 1u);
  EXPECT_EQ(m.cpu().counters().interrupts, 1u);
}

TEST(Interrupts, RaisedBetweenRunsIsTakenAtTheNextRun) {
  Machine m;
  Asm p(kRamBase);
  auto loop = p.here_label();
  p(addi(a0, a0, 1));
  p.jal(zero, loop);
  m.load(p);
  Asm h(kHandler);
  h.halt();
  m.write(h);
  m.cpu().csr_write(kMtvec, kHandler);
  m.cpu().csr_write(kMie, kMTIE);
  m.cpu().csr_write(kMstatus, kMIE);
  ASSERT_EQ(m.cpu().run(5), Stop::Limit);  // unit timing: addi, jal, addi, jal, addi
  EXPECT_EQ(m.cpu().x(a0), 3u);
  const uint32_t pc = m.cpu().pc();
  EXPECT_EQ(pc, kRamBase + 4);
  m.cpu().set_irq(isa::kIrqMTimer, true);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), 0x80000007u);
  EXPECT_EQ(m.cpu().mepc(), pc) << "the interrupted instruction is where execution resumes";
  EXPECT_EQ(m.cpu().x(a0), 3u);
}

TEST(Traps, HandlerOutsideExecutableMemoryIsFatal) {
  Machine m;
  m.add_region("data", 0x90000000u, 0x1000, true, false);
  Asm p(kRamBase);
  p(nop())(ecall());
  m.load(p);
  m.cpu().csr_write(kMtvec, 0x90000000u);
  ASSERT_EQ(m.run(), Stop::Fatal);
  EXPECT_EQ(m.cpu().fatal().cause, uint32_t(isa::kEcallM));
  EXPECT_EQ(m.cpu().fatal().pc, kRamBase + 4);
  EXPECT_FALSE(m.cpu().fatal().reason.empty());
}

// ---- wfi --------------------------------------------------------------------------------------------
TEST(Wfi, StopsWhenNothingPending) {
  Machine m;
  Asm p(kRamBase);
  p(addi(a0, zero, 1))(wfi())(addi(a1, zero, 1)).halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Wfi);
  EXPECT_EQ(m.cpu().pc(), kRamBase + 8) << "pc is past the wfi";
  EXPECT_EQ(m.cpu().x(a1), 0u);
  EXPECT_EQ(m.cpu().instret(), 2u) << "wfi retired";
  ASSERT_EQ(m.run(), Stop::Semihost) << "resumes after the wfi";
  EXPECT_EQ(m.cpu().x(a1), 1u);
}

TEST(Wfi, StopsWhenPendingInterruptIsNotEnabledInMie) {
  Machine m;
  Asm p(kRamBase);
  p(wfi()).halt();
  m.load(p);
  m.cpu().set_irq(isa::kIrqMTimer, true);  // mie = 0
  EXPECT_EQ(m.run(), Stop::Wfi);
}

TEST(Wfi, IsANopWhenAnEnabledInterruptIsPending) {
  Machine m;
  Asm p(kRamBase);
  p(wfi())(addi(a1, zero, 1)).halt();
  m.load(p);
  m.cpu().csr_write(kMie, kMTIE);  // enabled in mie, but mstatus.MIE = 0: not taken
  m.cpu().set_irq(isa::kIrqMTimer, true);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a1), 1u);
  EXPECT_EQ(m.cpu().mcause(), 0u) << "no trap";
}

TEST(Wfi, WakesIntoHandlerWithMepcAfterWfi) {
  Machine m;
  Asm p(kRamBase);
  p(nop())(wfi())(addi(a1, zero, 1)).halt();
  m.load(p);
  Asm h(kHandler);
  h.halt();
  m.write(h);
  m.cpu().csr_write(kMtvec, kHandler);
  m.cpu().csr_write(kMie, kMTIE);
  m.cpu().csr_write(kMstatus, kMIE);
  ASSERT_EQ(m.run(), Stop::Wfi);
  m.cpu().set_irq(isa::kIrqMTimer, true);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), 0x80000007u);
  EXPECT_EQ(m.cpu().mepc(), kRamBase + 8);
  EXPECT_EQ(m.cpu().x(a1), 0u);
}

// ---- counters --------------------------------------------------------------------------------------
isa::CpuConfig distinct_cost_config() {
  isa::CpuConfig cfg = default_config();
  cfg.timing.base[size_t(TClass::ALU)] = 2;
  cfg.timing.base[size_t(TClass::CSR)] = 3;
  cfg.timing.base[size_t(TClass::SHIFT)] = 1;
  cfg.timing.base[size_t(TClass::SYSTEM)] = 1;
  return cfg;
}

TEST(Counters, McycleAndMinstretAdvance) {
  const isa::CpuConfig cfg = distinct_cost_config();
  const int N = 5;
  Machine m(cfg);
  Asm p(kRamBase);
  p(csrr(a0, kMcycle));
  for (int i = 0; i < N; ++i) p(addi(t0, t0, 1));
  p(csrr(a1, kMcycle));
  p(csrr(a2, kMinstret));
  for (int i = 0; i < N; ++i) p(addi(t0, t0, 1));
  p(csrr(a3, kMinstret));
  p(csrr(a4, kCycle));     // user alias
  p(csrr(a5, kInstret));
  p(csrr(a6, kMcycleh));
  p.halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  const uint32_t alu = cfg.timing.base[size_t(TClass::ALU)], csr = cfg.timing.base[size_t(TClass::CSR)];
  EXPECT_EQ(m.cpu().x(a1) - m.cpu().x(a0), N * alu + csr) << "mcycle counts the cycles in between";
  EXPECT_EQ(m.cpu().x(a3) - m.cpu().x(a2), uint32_t(N + 1)) << "minstret counts retired instructions";
  EXPECT_EQ(m.cpu().x(a4) - m.cpu().x(a1), 3 * csr + N * alu) << "cycle aliases mcycle";
  EXPECT_EQ(m.cpu().x(a5) - m.cpu().x(a3), 2u) << "instret aliases minstret";
  EXPECT_EQ(m.cpu().x(a2), uint32_t(N + 2)) << "minstret reads the count before the reading instruction";
  EXPECT_EQ(m.cpu().x(a6), 0u);
}

TEST(Counters, WritesReplaceTheCount) {
  // "If a CSR access instruction writes such a CSR (instret), the write is done instead of the
  // increment" (unprivileged spec 9.1); reads return the value before the reading instruction.
  const isa::CpuConfig cfg = distinct_cost_config();
  const int N = 4;
  Machine m(cfg);
  Asm p(kRamBase);
  p(csrw(kMinstret, t0));
  for (int i = 0; i < N; ++i) p(addi(t2, t2, 1));
  p(csrr(a0, kMinstret));
  p(csrw(kMcycle, t1));
  for (int i = 0; i < N; ++i) p(addi(t2, t2, 1));
  p(csrr(a1, kMcycle));
  p(csrw(kMcycleh, s2));
  p(csrr(a2, kMcycleh));
  p(csrw(kMinstreth, s3));
  p(csrr(a3, kMinstreth));
  p.halt();
  m.load(p);
  m.cpu().set_x(t0, 1000);
  m.cpu().set_x(t1, 50000);
  m.cpu().set_x(s2, 7);
  m.cpu().set_x(s3, 9);
  ASSERT_EQ(m.run(), Stop::Semihost);
  const uint32_t alu = cfg.timing.base[size_t(TClass::ALU)];
  EXPECT_EQ(m.cpu().x(a0), 1000u + N);
  EXPECT_EQ(m.cpu().x(a1), 50000u + N * alu);
  EXPECT_EQ(m.cpu().x(a2), 7u);
  EXPECT_EQ(m.cpu().x(a3), 9u);
}

// ---- Xmac -------------------------------------------------------------------------------------------
isa::CpuConfig xmac_config(uint32_t lanes = 4, uint32_t latency = 2) {
  isa::CpuConfig cfg = default_config();
  cfg.features.xmac = true;
  cfg.xmac.lanes = lanes;
  cfg.xmac.latency = latency;
  return cfg;
}

TEST(Xmac, DisabledEncodingsAreIllegal) {
  for (uint32_t w : {xmac_dot8(a0, a1, a2), xmac_dot4(a0, a1, a2), xmac_dot2(a0, a1, a4),
                     xmac_ldot8(a0, a1, a2), xmac_ldot4(a0, a1, a2), xmac_ldot2(a0, a1, a4)})
    expect_illegal(w);
}

TEST(Xmac, ConfigCsr) {
  const isa::CpuConfig cfg = xmac_config(4, 3);
  EXPECT_EQ(expect_legal(csrr(a0, kXmaccfg), cfg), uint32_t(XMAC_CFG_MAKE(XMAC_VERSION, 4, 3)));
  expect_illegal(csrrw(a0, kXmaccfg, t0), cfg);
  expect_illegal(csrrsi(a0, kXmaccfg, 1), cfg);
}

TEST(Xmac, IllegalEncodingsWhenEnabled) {
  const isa::CpuConfig cfg = xmac_config();
  expect_illegal(xmac_dot4(a0, a1, a3), cfg);     // odd activation group
  expect_illegal(xmac_dot2(a0, a1, a4), cfg);     // x14 is not a multiple of 4
  expect_illegal(xmac_dot2(a0, a1, x18), cfg);
  expect_illegal(xmac_ldot8(a1, a1, a2), cfg);    // rd == rs1
  expect_illegal(enc_r(0, a2, a1, 3, a0, 0x0b), cfg);  // funct3 = 3
  expect_illegal(enc_r(2, a2, a1, 0, a0, 0x0b), cfg);  // funct7 = 2
}

// Deterministic pseudo-random words (LCG from Numerical Recipes).
uint32_t next_rand(uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return s;
}

TEST(Xmac, ResultsMatchReference) {
  uint32_t seed = 12345;
  for (int iter = 0; iter < 50; ++iter) {
    Machine m(xmac_config());
    uint32_t r[32] = {};
    for (int i = 1; i < 32; ++i) r[i] = next_rand(seed);
    // Extreme values on some iterations.
    if (iter == 0) for (int i = 1; i < 32; ++i) r[i] = 0x80808080u;
    if (iter == 1) for (int i = 1; i < 32; ++i) r[i] = 0x7f7f7f7fu;
    const uint32_t w1 = next_rand(seed), w2 = next_rand(seed), w3 = next_rand(seed), w4 = next_rand(seed);
    m.poke32(kData, w1);
    m.poke32(kData + 4, w2);
    m.poke32(kData + 8, w3);
    m.poke32(kData + 12, w4);
    r[x20] = kData;
    r[x22] = kData + 4;
    r[x24] = kData + 8;
    r[x26] = kData + 12;
    Asm p(kRamBase);
    p(xmac_dot8(x6, x5, x7));
    p(xmac_dot4(x9, x5, x12));
    p(xmac_dot2(x10, x5, x16));
    p(xmac_ldot8(x11, x20, x7));
    p(xmac_ldot4(x21, x22, x12));
    p(xmac_ldot2(x23, x24, x16));
    p(xmac_dot8(x25, x25, x7));     // rd == rs1 is legal for dot
    p(xmac_dot4(x13, x5, x12));     // rd inside the activation group: sources read first
    p(xmac_ldot8(x0, x26, x7));     // rd = x0: load and increment still happen
    p.halt();
    m.load(p);
    for (int i = 1; i < 32; ++i) m.cpu().set_x(i, r[i]);
    ASSERT_EQ(m.run(), Stop::Semihost);
    const auto& X = r;
    EXPECT_EQ(m.cpu().x(x6), uint32_t(xmac_dot8_ref(int32_t(X[6]), X[5], X[7]))) << iter;
    EXPECT_EQ(m.cpu().x(x9), uint32_t(xmac_dot4_ref(int32_t(X[9]), X[5], X[12], X[13]))) << iter;
    EXPECT_EQ(m.cpu().x(x10), uint32_t(xmac_dot2_ref(int32_t(X[10]), X[5], X[16], X[17], X[18], X[19]))) << iter;
    EXPECT_EQ(m.cpu().x(x11), uint32_t(xmac_dot8_ref(int32_t(X[11]), w1, X[7]))) << iter;
    EXPECT_EQ(m.cpu().x(x21), uint32_t(xmac_dot4_ref(int32_t(X[21]), w2, X[12], X[13]))) << iter;
    EXPECT_EQ(m.cpu().x(x23), uint32_t(xmac_dot2_ref(int32_t(X[23]), w3, X[16], X[17], X[18], X[19]))) << iter;
    EXPECT_EQ(m.cpu().x(x25), uint32_t(xmac_dot8_ref(int32_t(X[25]), X[25], X[7]))) << iter;
    EXPECT_EQ(m.cpu().x(x13), uint32_t(xmac_dot4_ref(int32_t(X[13]), X[5], X[12], X[13]))) << iter;
    EXPECT_EQ(m.cpu().x(x20), kData + 4) << "ldot8 post-increments rs1";
    EXPECT_EQ(m.cpu().x(x22), kData + 8);
    EXPECT_EQ(m.cpu().x(x24), kData + 12);
    EXPECT_EQ(m.cpu().x(x26), kData + 16) << "ldot with rd = x0 still increments";
    EXPECT_EQ(m.cpu().x(0), 0u);
    EXPECT_EQ(m.cpu().counters().xmac_macs[0], 4u * 4) << iter;
    EXPECT_EQ(m.cpu().counters().xmac_macs[1], 8u * 3) << iter;
    EXPECT_EQ(m.cpu().counters().xmac_macs[2], 16u * 2) << iter;
  }
}

TEST(Xmac, LdotStreamsThroughMemory) {
  Machine m(xmac_config());
  const uint32_t w[4] = {0x01020304, 0xfffefdfc, 0x7f807f80, 0x00000001};
  for (int i = 0; i < 4; ++i) m.poke32(kData + 4 * i, w[i]);
  Asm p(kRamBase);
  for (int i = 0; i < 4; ++i) p(xmac_ldot8(a0, a1, a2));
  p.halt();
  m.load(p);
  m.cpu().set_x(a1, kData);
  m.cpu().set_x(a2, 0x03fe01ff);  // activations -1, 1, -2, 3
  ASSERT_EQ(m.run(), Stop::Semihost);
  int32_t acc = 0;
  for (int i = 0; i < 4; ++i) acc = xmac_dot8_ref(acc, w[i], 0x03fe01ff);
  EXPECT_EQ(m.cpu().x(a0), uint32_t(acc));
  // By hand for the first word (bytes 4, 3, 2, 1 times -1, 1, -2, 3): -4 + 3 - 4 + 3 = -2.
  EXPECT_EQ(xmac_dot8_ref(0, w[0], 0x03fe01ff), -2);
  EXPECT_EQ(m.cpu().x(a1), kData + 16);
  EXPECT_EQ(m.cpu().region(m.ram_index).reads[2], 4u);
}

TEST(Xmac, LdotMisalignedOrUnmappedHasNoEffect) {
  struct C {
    uint32_t ptr, cause;
  };
  for (C c : {C{kData + 2, isa::kLoadMisaligned}, C{kUnmapped, isa::kLoadAccessFault}}) {
    Machine m(xmac_config());
    Asm p(kRamBase);
    p(xmac_ldot8(a0, a1, a2)).halt();
    m.load(p);
    m.halt_on_trap();
    m.cpu().set_x(a0, 77);
    m.cpu().set_x(a1, c.ptr);
    m.cpu().set_x(a2, 0x01010101);
    ASSERT_EQ(m.run(), Stop::Semihost);
    EXPECT_EQ(m.cpu().mcause(), c.cause);
    EXPECT_EQ(m.cpu().mtval(), c.ptr);
    EXPECT_EQ(m.cpu().x(a0), 77u) << "rd unchanged";
    EXPECT_EQ(m.cpu().x(a1), c.ptr) << "rs1 not incremented";
    EXPECT_EQ(m.cpu().counters().xmac_macs[0], 0u) << "a trapping Xmac counts nothing";
  }
}

// ---- F enable/disable -------------------------------------------------------------------------------
isa::CpuConfig f_config() {
  isa::CpuConfig cfg = default_config();
  cfg.features.f = true;
  return cfg;
}

TEST(FEnable, DisabledFIsIllegal) {
  for (uint32_t w : {fadd_s(1, 2, 3), flw(1, a1, 0), fsw(1, a1, 0), fmv_w_x(1, a0), fmadd_s(1, 2, 3, 4)})
    expect_illegal(w);
  expect_illegal(csrr(a0, kFcsr));
  // mstatus.FS is read-only zero without F.
  EXPECT_EQ(expect_legal(csrr(a0, kMstatus), default_config(), [](Machine& m) {
              m.cpu().csr_write(kMstatus, kFS);
            }) & kFS, 0u);
}

TEST(FEnable, FsOffIsIllegal) {
  const isa::CpuConfig cfg = f_config();
  EXPECT_EQ(expect_legal(csrr(a0, kMstatus), cfg) & kFS, 0u) << "FS is Off at reset";
  for (uint32_t w : {fadd_s(1, 2, 3), flw(1, a1, 0), fmv_w_x(1, a0), fmv_x_w(a0, 1), fcvt_s_w(1, a0)})
    expect_illegal(w, cfg, [](Machine& m) { m.cpu().set_x(a1, kData); });
  expect_illegal(csrr(a0, kFflags), cfg);
  expect_illegal(csrrwi(a0, kFrm, 1), cfg);
}

TEST(FEnable, FsOnExecutesAndAccruesFlags) {
  Machine m(f_config());
  Asm p(kRamBase);
  p(csrrs(zero, kMstatus, t0));   // FS = Initial
  p(csrr(s2, kMstatus));
  p(fmv_w_x(1, a0));              // 1.0
  p(fmv_w_x(2, a1));              // 3.0
  p(fadd_s(4, 1, 2));             // 4.0, exact
  p(csrr(s3, kFflags));           // 0
  p(fdiv_s(3, 1, 2));             // 1/3: inexact
  p(csrr(s4, kFflags));           // NX
  p(fdiv_s(5, 1, 0));             // 1/+0: divide by zero
  p(csrr(s5, kFflags));           // NX | DZ (accrued)
  p(fmv_x_w(a2, 3));
  p(fmv_x_w(a3, 5));
  p(fcvt_w_s(a4, 4));             // 4
  p(fsw(4, a5, 0));
  p(flw(6, a5, 0));
  p(fmv_x_w(a6, 6));
  p(flt_s(a7, 1, 2));             // 1 < 3
  p(csrr(s6, kMstatus));
  p(csrrwi(zero, kFflags, 0));
  p(csrrwi(zero, kFrm, 3));
  p(csrr(s7, kFcsr));
  p(fmadd_s(7, 1, 2, 2));         // 1*3+3 = 6.0
  p(fmv_x_w(s8, 7));
  p.halt();
  m.load(p);
  m.cpu().set_x(t0, 1u << 13);
  m.cpu().set_x(a0, 0x3f800000);
  m.cpu().set_x(a1, 0x40400000);
  m.cpu().set_x(a5, kData);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(s2) & kFS, 1u << 13);
  EXPECT_EQ(m.cpu().x(s3), 0u);
  EXPECT_EQ(m.cpu().x(s4), 0x01u) << "NX";
  EXPECT_EQ(m.cpu().x(s5), 0x09u) << "NX | DZ accrue";
  EXPECT_EQ(m.cpu().x(a2), 0x3eaaaaabu) << "1/3 rounded to nearest";
  EXPECT_EQ(m.cpu().x(a3), 0x7f800000u) << "+inf";
  EXPECT_EQ(m.cpu().f(4), 0x40800000u);
  EXPECT_EQ(m.cpu().x(a4), 4u);
  EXPECT_EQ(m.peek32(kData), 0x40800000u);
  EXPECT_EQ(m.cpu().x(a6), 0x40800000u);
  EXPECT_EQ(m.cpu().x(a7), 1u);
  EXPECT_EQ(m.cpu().x(s6) & kFS, kFS) << "FS becomes Dirty";
  EXPECT_EQ(m.cpu().x(s6) & kSD, kSD) << "SD summarises FS = Dirty";
  EXPECT_EQ(m.cpu().x(s7), 3u << 5) << "fcsr = frm << 5 | fflags";
  EXPECT_EQ(m.cpu().x(s8), 0x40c00000u);
}

TEST(FEnable, ReservedRoundingModeIsIllegal) {
  auto fs_on = [](Machine& m) { m.cpu().csr_write(kMstatus, 1u << 13); };
  expect_illegal(fadd_s(1, 2, 3, 5), f_config(), fs_on);
  expect_illegal(fadd_s(1, 2, 3, 6), f_config(), fs_on);
  // Dynamic rounding with frm = 5 (reserved).
  expect_illegal(fadd_s(1, 2, 3, 7), f_config(), [](Machine& m) {
    m.cpu().csr_write(kMstatus, 1u << 13);
    m.cpu().csr_write(kFrm, 5);
  });
}

}  // namespace
}  // namespace isatest

// RV32A: encodings (against GNU as), AMO results, LR/SC reservation semantics across harts, contention
// from 2-8 harts, misuse (misaligned, devices, read-only memory, A disabled), atomic timing, and the
// banked-memory conflict model (isa/shared.h). References: RISC-V Unprivileged ISA v20191213 chapter 8
// ("A" Standard Extension) and table 24.2; expected values are computed by hand in each test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "isa/disasm.h"
#include "tests/isa/asm.h"
#include "tests/isa/harness.h"

namespace isatest {
namespace {

isa::CpuConfig a_config(uint32_t hart = 0) {
  isa::CpuConfig c = default_config();
  c.features.a = true;
  c.hartid = hart;
  return c;
}

// ---- encodings: words from riscv64-unknown-elf-as -march=rv32ima (objdump -d) ---------------------
TEST(Atomic, EncoderMatchesGnuAs) {
  EXPECT_EQ(lr_w(a0, a1), 0x1005a52fu);
  EXPECT_EQ(sc_w(a0, a2, a1), 0x18c5a52fu);
  EXPECT_EQ(amoswap_w(a0, a2, a1), 0x08c5a52fu);
  EXPECT_EQ(amoadd_w(a0, a2, a1), 0x00c5a52fu);
  EXPECT_EQ(amoxor_w(a0, a2, a1), 0x20c5a52fu);
  EXPECT_EQ(amoand_w(a0, a2, a1), 0x60c5a52fu);
  EXPECT_EQ(amoor_w(a0, a2, a1), 0x40c5a52fu);
  EXPECT_EQ(amomin_w(a0, a2, a1), 0x80c5a52fu);
  EXPECT_EQ(amomax_w(a0, a2, a1), 0xa0c5a52fu);
  EXPECT_EQ(amominu_w(a0, a2, a1), 0xc0c5a52fu);
  EXPECT_EQ(amomaxu_w(a0, a2, a1), 0xe0c5a52fu);
  EXPECT_EQ(enc_amo(0x00, t0, t2, t1, true, true), 0x0663a2afu);  // amoadd.w.aqrl t0,t1,(t2)
}

TEST(Atomic, DecodeAndDisassemble) {
  isa::IsaFeatures f;
  f.a = true;
  EXPECT_EQ(isa::disassemble(isa::decode(0x1005a52fu, f), 0), "lr.w a0, (a1)");
  EXPECT_EQ(isa::disassemble(isa::decode(0x18c5a52fu, f), 0), "sc.w a0, a2, (a1)");
  EXPECT_EQ(isa::disassemble(isa::decode(0xe0c5a52fu, f), 0), "amomaxu.w a0, a2, (a1)");
  EXPECT_EQ(isa::decode(0x0663a2afu, f).op, isa::Op::AMOADD_W);  // aq/rl accepted
  EXPECT_EQ(isa::decode(0x1403a2afu, f).op, isa::Op::LR_W);      // lr.w.aq t0,(t2)
  // lr.w with rs2 != 0, funct3 != 2 (no RV64 .d), unknown funct5: illegal.
  EXPECT_EQ(isa::decode(0x1005a52fu | (1u << 20), f).op, isa::Op::ILLEGAL);
  EXPECT_EQ(isa::decode((0x00c5a52fu & ~(7u << 12)) | (3u << 12), f).op, isa::Op::ILLEGAL);
  EXPECT_EQ(isa::decode(enc_amo(0x05, a0, a1, a2), f).op, isa::Op::ILLEGAL);
  f.a = false;
  EXPECT_EQ(isa::decode(0x00c5a52fu, f).op, isa::Op::ILLEGAL);
}

// ---- one hart: every AMO's returned old value and stored value ---------------------------------------
struct AmoCase {
  const char* name;
  uint32_t (*enc)(uint32_t, uint32_t, uint32_t);
  uint32_t mem, src, expect_mem;
};

TEST(Atomic, EveryAmoReturnsOldValueAndStoresResult) {
  // Values by hand: mem = 0xfffffff0 (-16 signed), src = 0x00000005.
  const AmoCase cases[] = {
      {"swap", amoswap_w, 0xfffffff0u, 5u, 5u},
      {"add", amoadd_w, 0xfffffff0u, 5u, 0xfffffff5u},
      {"xor", amoxor_w, 0xfffffff0u, 5u, 0xfffffff5u},
      {"and", amoand_w, 0xfffffff0u, 0xff5u, 0xff0u},
      {"or", amoor_w, 0xfffffff0u, 0x10005u, 0xfffffff5u},
      {"min (signed: -16 < 5)", amomin_w, 0xfffffff0u, 5u, 0xfffffff0u},
      {"max (signed: 5 > -16)", amomax_w, 0xfffffff0u, 5u, 5u},
      {"minu (5 < 0xfffffff0)", amominu_w, 0xfffffff0u, 5u, 5u},
      {"maxu", amomaxu_w, 0xfffffff0u, 5u, 0xfffffff0u},
      {"add wraps", amoadd_w, 0xffffffffu, 2u, 1u},
  };
  for (const auto& c : cases) {
    Machine m(a_config());
    Asm p(kRamBase);
    p.li(a1, kData).li(a2, c.src)(c.enc(a0, a2, a1)).halt();
    m.load(p);
    m.poke32(kData, c.mem);
    ASSERT_EQ(m.run(), Stop::Semihost) << c.name;
    EXPECT_EQ(m.cpu().x(a0), c.mem) << c.name << ": rd = old value";
    EXPECT_EQ(m.peek32(kData), c.expect_mem) << c.name;
  }
}

TEST(Atomic, AmoWithRdZeroAndRdEqualRs2) {
  Machine m(a_config());
  Asm p(kRamBase);
  // amoswap a2, a2, (a1): rd = old memory, memory = old a2 (the source is read before rd is written).
  p.li(a1, kData).li(a2, 77)(amoswap_w(a2, a2, a1))(amoadd_w(zero, a2, a1)).halt();
  m.load(p);
  m.poke32(kData, 11);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a2), 11u);
  EXPECT_EQ(m.peek32(kData), 77u + 11u);
  EXPECT_EQ(m.cpu().x(zero), 0u);
}

// ---- LR/SC on one hart --------------------------------------------------------------------------------
TEST(Atomic, LrScSucceedsThenReservationIsGone) {
  Machine m(a_config());
  Asm p(kRamBase);
  p.li(a1, kData).li(a2, 42);
  p(lr_w(a0, a1))(sc_w(a3, a2, a1));  // succeeds: a3 = 0
  p(sc_w(a4, a2, a1));                // no reservation any more: a4 != 0, no store
  p.halt();
  m.load(p);
  m.poke32(kData, 9);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a0), 9u);
  EXPECT_EQ(m.cpu().x(a3), 0u);
  EXPECT_NE(m.cpu().x(a4), 0u);
  EXPECT_EQ(m.peek32(kData), 42u);
  EXPECT_EQ(m.cpu().counters().sc_failures, 1u);
}

TEST(Atomic, ScWithoutLrOrToOtherWordFails) {
  Machine m(a_config());
  Asm p(kRamBase);
  p.li(a1, kData).li(a2, 42).li(a5, kData + 4);
  p(sc_w(a3, a2, a1));                      // never reserved
  p(lr_w(a0, a1))(sc_w(a4, a2, a5));        // reserved kData, SC to kData+4: fails
  p.halt();
  m.load(p);
  m.poke32(kData, 1);
  m.poke32(kData + 4, 2);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_NE(m.cpu().x(a3), 0u);
  EXPECT_NE(m.cpu().x(a4), 0u);
  EXPECT_EQ(m.peek32(kData), 1u);
  EXPECT_EQ(m.peek32(kData + 4), 2u);
}

TEST(Atomic, OwnStoreKeepsReservation) {
  Machine m(a_config());
  Asm p(kRamBase);
  p.li(a1, kData).li(a2, 42);
  p(lr_w(a0, a1))(sw(a2, a1, 0))(sc_w(a3, a2, a1)).halt();
  m.load(p);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().x(a3), 0u);  // the spec allows success: a hart's own store does not break it
}

TEST(Atomic, TrapBetweenLrAndScBreaksReservation) {
  // A context switch: ecall to a handler that returns with mret; the SC after it must fail.
  Machine m(a_config());
  Asm p(kRamBase);
  p.li(a1, kData).li(a2, 42).li(t0, kHandler)(csrw(0x305, t0));
  p(lr_w(a0, a1))(ecall())(sc_w(a3, a2, a1)).halt();
  m.load(p);
  Asm h(kHandler);
  h(csrr(t1, 0x341))(addi(t1, t1, 4))(csrw(0x341, t1))(mret());
  m.write(h);
  m.poke32(kData, 5);
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_NE(m.cpu().x(a3), 0u);
  EXPECT_EQ(m.peek32(kData), 5u);
}

// ---- misuse ------------------------------------------------------------------------------------------
struct Fault {
  uint32_t insn;
  uint32_t addr;
  uint32_t cause;
};

TEST(Atomic, MisuseRaisesTheArchitecturalException) {
  const Fault cases[] = {
      {lr_w(a0, a1), kData + 2, isa::kLoadMisaligned},
      {sc_w(a0, a2, a1), kData + 1, isa::kStoreMisaligned},
      {amoadd_w(a0, a2, a1), kData + 2, isa::kStoreMisaligned},
      {lr_w(a0, a1), kDevBase, isa::kLoadAccessFault},          // a device: not supported
      {amoadd_w(a0, a2, a1), kDevBase, isa::kStoreAccessFault},
      {sc_w(a0, a2, a1), kDevBase, isa::kStoreAccessFault},
      {amoswap_w(a0, a2, a1), kRomBase + 0x100, isa::kStoreAccessFault},  // read-only memory
      {sc_w(a0, a2, a1), kRomBase + 0x100, isa::kStoreAccessFault},
      {amoor_w(a0, a2, a1), kUnmapped, isa::kStoreAccessFault},
      {lr_w(a0, a1), kRamBase + kRamSize - 2, isa::kLoadMisaligned},
  };
  for (const auto& c : cases) {
    Machine m(a_config());
    Asm p(kRamBase);
    p.li(a1, c.addr).li(a2, 3)(c.insn).halt();
    m.load(p);
    m.halt_on_trap();
    m.cpu().set_x(a0, 0x5a5a5a5a);
    ASSERT_EQ(m.run(), Stop::Semihost) << Machine::hex(c.insn);
    EXPECT_EQ(m.cpu().mcause(), c.cause) << Machine::hex(c.insn) << " at " << Machine::hex(c.addr);
    EXPECT_EQ(m.cpu().mtval(), c.addr) << Machine::hex(c.insn);
    EXPECT_EQ(m.cpu().x(a0), 0x5a5a5a5au) << "rd written by a faulting atomic";
    EXPECT_TRUE(m.bus.log.empty()) << "an atomic reached a device";
  }
  // Without the A extension: illegal instruction.
  Machine m(default_config());
  Asm p(kRamBase);
  p.li(a1, kData)(amoadd_w(a0, a2, a1)).halt();
  m.load(p);
  m.halt_on_trap();
  ASSERT_EQ(m.run(), Stop::Semihost);
  EXPECT_EQ(m.cpu().mcause(), isa::kIllegalInsn);
}

// ---- timing --------------------------------------------------------------------------------------------
TEST(Atomic, TimingFromProfilePlusWaitStates) {
  // cv32e40p profile: atomic.lr 1, atomic.sc 1, atomic.amo 2. Data in a region with 2 read and 3 write
  // wait states; code in zero-wait RAM. Each case: cycles of one instruction = cycles(with) - cycles(without).
  isa::CpuConfig cfg = a_config();
  cfg.timing = load_profile("cv32e40p");
  EXPECT_EQ(cfg.timing.atomic_lr, 1u);
  EXPECT_EQ(cfg.timing.atomic_sc, 1u);
  EXPECT_EQ(cfg.timing.atomic_amo, 2u);
  constexpr uint32_t kSlow = 0x90000000u;
  auto cycles_of = [&](const std::vector<uint32_t>& body) {
    Machine m(cfg);
    m.add_region("slow", kSlow, 0x1000, true, false, 2, 3);
    Asm p(kRamBase);
    p.li(a1, kSlow).li(a2, 1)(addi(zero, zero, 0));
    for (uint32_t w : body) p(w);
    p(addi(zero, zero, 0)).halt();
    m.load(p);
    EXPECT_EQ(m.run(), Stop::Semihost);
    return m.cpu().cycle();
  };
  const uint64_t base = cycles_of({});
  EXPECT_EQ(cycles_of({amoadd_w(a0, a2, a1)}) - base, 2u + 2u + 3u);  // amo + read wait + write wait
  EXPECT_EQ(cycles_of({lr_w(a0, a1)}) - base, 1u + 2u);
  EXPECT_EQ(cycles_of({lr_w(a0, a1), sc_w(a3, a2, a1)}) - base, (1u + 2u) + (1u + 3u));
  EXPECT_EQ(cycles_of({sc_w(a3, a2, a1)}) - base, 1u);  // fails: no memory write
}

// ---- several harts: shared memory, shared reservation table -----------------------------------------
// N ISS instances on the same RAM bytes, stepped round-robin `slice` cycles at a time (a deterministic
// interleaving: small slices make the harts' accesses alternate).
class Harts {
 public:
  Harts(uint32_t n, bool banked = false) : ram_(kRamSize, 0), resv_(n) {
    if (banked) arbiter_ = std::make_unique<isa::BankArbiter>(kRamBase, 8, 1024);
    for (uint32_t h = 0; h < n; ++h) {
      cpus_.push_back(std::make_unique<isa::Cpu>(a_config(h), &bus_));
      isa::MemRegion r = host_region("ram", kRamBase, ram_, true, true);
      r.banks = arbiter_.get();
      cpus_.back()->add_region(r);
      cpus_.back()->set_reservations(&resv_);
    }
  }
  void load(const Asm& a) {
    const auto img = a.finish();
    std::copy(img.begin(), img.end(), ram_.begin() + (a.base() - kRamBase));
    for (auto& c : cpus_) {
      c->flush_decode_cache();
      c->reset(a.base());
    }
  }
  // Run all harts until each has stopped (Semihost), `slice` cycles per turn.
  void run(uint64_t slice, uint64_t max_cycles = 2000000) {
    std::vector<bool> done(cpus_.size(), false);
    for (uint64_t t = slice; t < max_cycles; t += slice) {
      bool all = true;
      for (size_t h = 0; h < cpus_.size(); ++h) {
        if (done[h]) continue;
        isa::Stop s = isa::Stop::Limit;
        while (s == isa::Stop::Limit && cpus_[h]->cycle() < t) s = cpus_[h]->run(t);
        if (s == isa::Stop::Semihost) done[h] = true;
        ASSERT_NE(s, isa::Stop::Fatal) << "hart " << h;
        all = all && done[h];
      }
      if (all) return;
    }
    FAIL() << "harts did not finish";
  }
  isa::Cpu& cpu(uint32_t h) { return *cpus_[h]; }
  uint32_t peek32(uint32_t addr) {
    uint32_t v;
    std::memcpy(&v, &ram_[addr - kRamBase], 4);
    return v;
  }
  void poke32(uint32_t addr, uint32_t v) { std::memcpy(&ram_[addr - kRamBase], &v, 4); }
  isa::Reservations& reservations() { return resv_; }
  isa::BankArbiter* arbiter() { return arbiter_.get(); }

 private:
  TestBus bus_;
  std::vector<uint8_t> ram_;
  isa::Reservations resv_;
  std::unique_ptr<isa::BankArbiter> arbiter_;
  std::vector<std::unique_ptr<isa::Cpu>> cpus_;
};

TEST(AtomicHarts, AnotherHartsStoreBreaksReservation) {
  // Hart 0: lr; spin ~40 cycles; sc. Hart 1: store to the reserved word while hart 0 spins.
  // Hart 1 runs second in each slice of 10 cycles, so its store lands between hart 0's lr and sc.
  for (bool same_word : {true, false}) {
    Harts hs(2);
    Asm p(kRamBase);
    auto h1 = p.label();
    auto spin = p.label();
    p(csrr(t0, 0xF14)).bne(t0, zero, h1);
    p.li(a1, kData).li(a2, 42)(lr_w(a0, a1)).li(t1, 20);
    p.bind(spin);
    p(addi(t1, t1, -1)).bne(t1, zero, spin);
    p(sc_w(a3, a2, a1)).halt();
    p.bind(h1);
    p.li(a1, same_word ? kData + 2 : kData + 4).li(a2, 7)(sh(a2, a1, 0)).halt();
    hs.load(p);
    hs.poke32(kData, 0x11111111);
    hs.run(10);
    if (same_word) {
      EXPECT_NE(hs.cpu(0).x(a3), 0u) << "sc succeeded after another hart wrote the reserved word";
      EXPECT_EQ(hs.peek32(kData), 0x00071111u);
      EXPECT_EQ(hs.reservations().broken, 1u);
    } else {
      EXPECT_EQ(hs.cpu(0).x(a3), 0u) << "a store to another word must not break the reservation";
      EXPECT_EQ(hs.peek32(kData), 42u);
    }
  }
}

// Every hart adds 1 to a shared counter K times with `op`, recording each returned old value in its own
// array; expected: counter = N*K and the old values are exactly 0..N*K-1, each once (a lost update or
// a duplicate shows up here).
uint64_t contended_counter(uint32_t n, bool lrsc, uint64_t slice) {
  constexpr uint32_t kIters = 50;
  constexpr uint32_t kCounter = kData, kLog = kData + 0x100;
  Harts hs(n);
  Asm p(kRamBase);
  auto loop = p.label();
  auto retry = p.label();
  // s0 = &log[hart][0]
  p(csrr(t0, 0xF14)).li(s0, kLog)(slli(t1, t0, 8))(add(s0, s0, t1));  // 256 bytes per hart (>= 50*4)
  p.li(a1, kCounter).li(s1, kIters).li(a2, 1);
  p.bind(loop);
  if (lrsc) {
    p.bind(retry);
    p(lr_w(a0, a1))(addi(t2, a0, 1))(sc_w(t3, t2, a1)).bne(t3, zero, retry);
  } else {
    p(amoadd_w(a0, a2, a1));
  }
  p(sw(a0, s0, 0))(addi(s0, s0, 4))(addi(s1, s1, -1)).bne(s1, zero, loop);
  p.halt();
  hs.load(p);
  hs.run(slice);
  EXPECT_EQ(hs.peek32(kCounter), n * kIters) << n << " harts, " << (lrsc ? "lr/sc" : "amoadd");
  std::multiset<uint32_t> olds;
  for (uint32_t h = 0; h < n; ++h)
    for (uint32_t i = 0; i < kIters; ++i) olds.insert(hs.peek32(kLog + h * 256 + i * 4));
  std::multiset<uint32_t> want;
  for (uint32_t v = 0; v < n * kIters; ++v) want.insert(v);
  EXPECT_EQ(olds, want) << n << " harts";
  uint64_t failures = 0;
  for (uint32_t h = 0; h < n; ++h) failures += hs.cpu(h).counters().sc_failures;
  return failures;
}

TEST(AtomicHarts, AmoAddUnderContention) {
  for (uint32_t n : {2u, 3u, 4u, 8u}) contended_counter(n, false, 3);
}

TEST(AtomicHarts, LrScIncrementUnderContention) {
  // Slices of 2 cycles: the harts interleave inside each other's lr/sc window, so some SCs fail and retry.
  for (uint32_t n : {2u, 4u, 8u})
    EXPECT_GT(contended_counter(n, true, 2), 0u) << n << " harts: no SC ever failed, so no contention was tested";
}

TEST(AtomicHarts, EveryAmoKindUnderContention) {
  // 8 harts each apply their own operand once per AMO kind to its own word; results are order
  // independent, so the expected values follow by hand: hart h uses operand v_h = (h + 1) * 3.
  constexpr uint32_t n = 8;
  Harts hs(n);
  Asm p(kRamBase);
  p(csrr(t0, 0xF14))(addi(t1, t0, 1))(slli(a2, t1, 1))(add(a2, a2, t1));  // a2 = 3 * (h + 1)
  p.li(a1, kData);
  p(amoadd_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amoxor_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amoor_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amoand_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amomin_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amomax_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amominu_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amomaxu_w(zero, a2, a1))(addi(a1, a1, 4));
  p(amoswap_w(zero, a2, a1));
  p.halt();
  hs.load(p);
  const uint32_t init[] = {100, 0, 0, 0xffffffffu, 1000, 0xfffffff0u /* -16 */, 1000, 0, 0};
  for (uint32_t i = 0; i < 9; ++i) hs.poke32(kData + 4 * i, init[i]);
  hs.run(1);
  // operands 3, 6, ..., 24: sum 108; xor = 3^6^9^12^15^18^21^24; or; and.
  uint32_t x = 0, o = 0, an = 0xffffffffu;
  for (uint32_t h = 0; h < n; ++h) {
    x ^= (h + 1) * 3;
    o |= (h + 1) * 3;
    an &= (h + 1) * 3;
  }
  EXPECT_EQ(x, 0u ^ 3 ^ 6 ^ 9 ^ 12 ^ 15 ^ 18 ^ 21 ^ 24);
  EXPECT_EQ(hs.peek32(kData + 0), 100u + 108u);
  EXPECT_EQ(hs.peek32(kData + 4), x);
  EXPECT_EQ(hs.peek32(kData + 8), o);
  EXPECT_EQ(hs.peek32(kData + 12), an);
  EXPECT_EQ(hs.peek32(kData + 16), 3u);             // min(1000, 3..24)
  EXPECT_EQ(hs.peek32(kData + 20), 24u);            // max(-16, 3..24)
  EXPECT_EQ(hs.peek32(kData + 24), 3u);             // minu
  EXPECT_EQ(hs.peek32(kData + 28), 24u);            // maxu(0, ...)
  const uint32_t last = hs.peek32(kData + 32);      // swap: one of the operands
  EXPECT_TRUE(last % 3 == 0 && last >= 3 && last <= 24) << last;
}

// ---- bank arbiter (isa/shared.h) -------------------------------------------------------------------
TEST(BankArbiter, HandComputedConflicts) {
  isa::BankArbiter b(0x1000, 4, 64);
  // Word-interleaved: 0x1000 bank 0, 0x1004 bank 1, ..., 0x1010 bank 0 again.
  EXPECT_EQ(b.bank_of(0x1000), 0u);
  EXPECT_EQ(b.bank_of(0x1007), 1u);
  EXPECT_EQ(b.bank_of(0x1010), 0u);
  EXPECT_EQ(b.access(0x1000, 10), 0u);  // bank 0, cycle 10: free
  EXPECT_EQ(b.access(0x1004, 10), 0u);  // bank 1, same cycle: no conflict
  EXPECT_EQ(b.access(0x1010, 10), 1u);  // bank 0 again at 10: waits one cycle (served at 11)
  EXPECT_EQ(b.access(0x1020, 10), 2u);  // bank 0: 10 and 11 taken: served at 12
  EXPECT_EQ(b.access(0x1000, 11), 2u);  // bank 0 at 11: 11, 12 taken: 13
  EXPECT_EQ(b.access(0x1000, 5), 0u);   // earlier cycle (another hart behind in time): free
  EXPECT_EQ(b.conflicts()[0], 3u);
  EXPECT_EQ(b.wait_cycles()[0], 5u);
  EXPECT_EQ(b.accesses()[0], 5u);
  EXPECT_EQ(b.accesses()[1], 1u);
  // A non power-of-two bank count: bank = word index % 3.
  isa::BankArbiter c(0, 3, 64);
  EXPECT_EQ(c.bank_of(12), 0u);
  EXPECT_EQ(c.bank_of(20), 2u);
}

TEST(BankArbiter, TwoHartsSameBankSameCycle) {
  // Two harts run the same straight-line code from cycle 0: li (2 cycles), then 4 loads of one word.
  // Unit timing (1 cycle per instruction, an access is placed at the cycle its instruction completes):
  // hart 0 runs first in the slice and claims the bank at cycles 3, 4, 5, 6. Hart 1's first load at
  // cycle 3 finds 3..6 taken and is served at 7 (waits 4 cycles); its next loads at 8, 9, 10 are free.
  // (Priority goes to the hart simulated first within a quantum, not round-robin per cycle: CLUSTER.md.)
  Harts hs(2, true);
  Asm p(kRamBase);
  p.li(a1, kData);
  for (int i = 0; i < 4; ++i) p(lw(a0, a1, 0));
  p.halt();
  hs.load(p);
  hs.run(100);
  EXPECT_EQ(hs.cpu(0).counters().bank_wait_cycles, 0u);
  EXPECT_EQ(hs.cpu(1).counters().bank_wait_cycles, 4u);
  EXPECT_EQ(hs.cpu(1).cycle(), hs.cpu(0).cycle() + 4);
  EXPECT_EQ(hs.arbiter()->conflicts()[hs.arbiter()->bank_of(kData)], 1u);
  // Different banks (hart h loads word h): never a conflict.
  Harts hd(2, true);
  Asm q(kRamBase);
  q(csrr(t0, 0xF14))(slli(t0, t0, 2)).li(a1, kData)(add(a1, a1, t0));
  for (int i = 0; i < 4; ++i) q(lw(a0, a1, 0));
  q.halt();
  hd.load(q);
  hd.run(100);
  EXPECT_EQ(hd.cpu(0).counters().bank_wait_cycles + hd.cpu(1).counters().bank_wait_cycles, 0u);
  EXPECT_EQ(hd.arbiter()->conflicts()[0] + hd.arbiter()->conflicts()[1], 0u);
}

}  // namespace
}  // namespace isatest

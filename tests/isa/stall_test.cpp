// Stalled simulated time (isa::Cpu::kStallSteps, isa/cpu.h): a loop whose steps take 0 cycles never
// reaches run()'s cycle limit; run() must return Stop::Stall instead of looping for ever. Without the
// detector, the Stall tests below never return.
#include <gtest/gtest.h>

#include "tests/isa/asm.h"
#include "tests/isa/harness.h"

namespace isatest {
namespace {

constexpr uint64_t kSteps = isa::Cpu::kStallSteps;

TEST(StalledTime, ZeroCycleJumpLoopStops) {
  isa::CpuConfig cfg = default_config();
  cfg.timing.base[size_t(TClass::JAL)] = 0;  // `j .` then costs nothing
  Machine m(cfg);
  EXPECT_TRUE(m.cpu().stall_guard());
  Asm a(kRamBase);
  a(jal(0, 0));  // j .
  m.load(a);
  EXPECT_EQ(m.cpu().run(1000), Stop::Stall);
  EXPECT_EQ(m.cpu().cycle(), 0u);
  // The first jump finds the cycle count (0); kSteps more leave it unchanged.
  EXPECT_EQ(m.cpu().instret(), kSteps + 1);
  EXPECT_EQ(m.cpu().pc(), kRamBase);
}

TEST(StalledTime, ZeroCycleJumpInALoopThatAdvancesIsNoStall) {
  // The same 0-cycle jump, but the loop also has a 1-cycle addi: time advances (1 cycle per
  // iteration), the run reaches its limit.
  isa::CpuConfig cfg = default_config();
  cfg.timing.base[size_t(TClass::JAL)] = 0;
  Machine m(cfg);
  Asm a(kRamBase);
  auto loop = a.here_label();
  a(addi(t0, t0, 1));
  a.jal(0, loop);
  m.load(a);
  const uint64_t limit = 3 * kSteps;  // more iterations than kSteps: a false stall would show
  EXPECT_EQ(m.run(limit), Stop::Limit);
  EXPECT_EQ(m.cpu().cycle(), limit);
  EXPECT_EQ(m.cpu().x(t0), limit);
  EXPECT_EQ(m.cpu().instret(), 2 * limit - 1);  // the last jump is not reached: the addi ends the run
}

TEST(StalledTime, ProfileWithoutZeroCycleClassesTakesTheFastLoop) {
  Machine m;  // every class 1 cycle
  EXPECT_FALSE(m.cpu().stall_guard());
}

// A handler whose first instruction cannot be fetched traps into itself: a 32-bit instruction that
// straddles the end of its memory (an instruction access fault before anything executes or is
// charged). mtvec is 4-byte aligned, so the memory is 6 bytes long and the handler at its offset 4.
// With a trap entry of 0 cycles no cycle ever passes. Traps are watched on every profile.
void fetch_fault_loop(Machine& m) {
  constexpr uint32_t kOddBase = 0x40000000u;
  m.add_region("odd", kOddBase, 6, true, true);
  const uint32_t handler = kOddBase + 4;
  const uint16_t low_half = 0x0013;  // low half of a 32-bit instruction (bits 1:0 = 11)
  ASSERT_TRUE(m.cpu().debug_write(handler, &low_half, 2));
  m.cpu().reset(handler);
  ASSERT_TRUE(m.cpu().csr_write(0x305, handler));  // mtvec
  ASSERT_EQ(m.cpu().mtvec(), handler);
}

TEST(StalledTime, TrapLoopWithZeroCycleTrapEntryStops) {
  Machine m;  // unit timing: trap_entry 0
  ASSERT_EQ(m.cpu().config().timing.trap_entry, 0u);
  fetch_fault_loop(m);
  EXPECT_EQ(m.cpu().run(1000), Stop::Stall);
  EXPECT_EQ(m.cpu().cycle(), 0u);
  EXPECT_EQ(m.cpu().instret(), 0u);
  EXPECT_EQ(m.cpu().counters().traps, kSteps + 1);
  EXPECT_EQ(m.cpu().mcause(), 1u);  // instruction access fault
}

TEST(StalledTime, TrapLoopThatTakesACyclePerTrapRunsToTheLimit) {
  isa::CpuConfig cfg = default_config();
  cfg.timing.trap_entry = 1;
  Machine m(cfg);
  fetch_fault_loop(m);
  const uint64_t limit = 2 * kSteps;
  EXPECT_EQ(m.run(limit), Stop::Limit);
  EXPECT_EQ(m.cpu().cycle(), limit);
  EXPECT_EQ(m.cpu().counters().traps, limit);
}

}  // namespace
}  // namespace isatest

// Stalled simulated time in a whole SoC (isa::Cpu::kStallSteps, models::EndReason::Stall): configs
// refuse 0-cycle classes, so the spec is changed after validation (a test-only profile) to make `j .`
// cost nothing. The run must end as a stall, with its message, instead of never ending (the cycle limit
// cannot end it: no cycle passes). ctest runs each test in its own process (SystemC elaborates once).
#include <gtest/gtest.h>

#include <sstream>

#include "sim/config.h"
#include "sim/elf.h"
#include "sim/soc.h"

using namespace mcucim;

TEST(StalledTime, ZeroCycleLoopEndsTheRunAsAStall) {
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  sim::Config cfg = sim::Config::load(std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base.yaml");
  sim::SocSpec spec = sim::read_soc_spec(cfg);
  spec.core.cpu.timing.base[size_t(isa::TClass::JAL)] = 0;
  spec.core.max_cycles = 1000;  // not reached: no cycle passes
  sim::ElfImage elf = sim::load_elf(std::string(MCUCIM_FIRMWARE_DIR) + "/hello.elf");
  // The first instruction becomes `j .` (jal x0, 0).
  bool patched = false;
  for (auto& s : elf.segments)
    if (elf.entry >= s.paddr && elf.entry + 4 <= s.paddr + s.filesz) {
      const uint32_t j_self = 0x0000006f;
      for (int i = 0; i < 4; ++i) s.data[elf.entry - s.paddr + i] = uint8_t(j_self >> (8 * i));
      patched = true;
    }
  ASSERT_TRUE(patched);
  std::ostringstream out;
  sim::Soc soc("soc", spec, out);
  soc.load(elf);
  soc.run();
  const models::Core& core = soc.core();
  EXPECT_EQ(core.end_reason(), models::EndReason::Stall);
  EXPECT_NE(core.end_message().find("simulated time stopped advancing"), std::string::npos) << core.end_message();
  EXPECT_LT(core.cpu().cycle(), spec.core.max_cycles);  // only the first fetch's wait states
  EXPECT_EQ(core.cpu().pc(), elf.entry);
  EXPECT_EQ(core.cpu().instret(), isa::Cpu::kStallSteps + 1);
}

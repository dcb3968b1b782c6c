// Several Socs in one SystemC kernel (issue 15, the base of sim/system.h): each is a named module with
// its own core, clock and quantum keeper, and the simulation ends when the caller decides (Core::on_end),
// not when the first core ends. ctest runs each test in its own process (SystemC elaborates once).
#include <gtest/gtest.h>

#include <sstream>

#include "sim/elf.h"
#include "sim/soc.h"

using namespace mcucim;

namespace {
std::string fw(const std::string& name) { return std::string(MCUCIM_FIRMWARE_DIR) + "/" + name + ".elf"; }
std::string cfg(const std::string& name) { return std::string(MCUCIM_SOURCE_DIR) + "/configs/" + name + ".yaml"; }
}  // namespace

TEST(SocInstances, TwoSocsRunTheirOwnProgramsOnTheirOwnClocks) {
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  sim::Config c0 = sim::Config::load(cfg("mcu-base"));
  // The second SoC at half the clock and a different quantum.
  sim::Config c1 = sim::Config::load(cfg("mcu-base"), {"soc.clock.freq_hz=100e6", "soc.core.quantum_ns=1000"});
  const sim::SocSpec s0 = sim::read_soc_spec(c0), s1 = sim::read_soc_spec(c1);
  std::ostringstream o0, o1;
  sim::Soc a("mcu0", s0, o0), b("mcu1", s1, o1);
  EXPECT_STREQ(a.core().name(), "mcu0.core");
  EXPECT_STREQ(b.core().name(), "mcu1.core");
  const sim::ElfImage hello = sim::load_elf(fw("hello")), self = sim::load_elf(fw("selfcheck"));
  a.load(self);
  b.load(hello);
  int ended = 0;
  sc_core::sc_time end_a, end_b;
  a.core().on_end = [&] { end_a = sc_core::sc_time_stamp(); if (++ended == 2) sc_core::sc_stop(); };
  b.core().on_end = [&] { end_b = sc_core::sc_time_stamp(); if (++ended == 2) sc_core::sc_stop(); };
  sc_core::sc_start();
  ASSERT_EQ(ended, 2);
  EXPECT_EQ(a.core().end_reason(), models::EndReason::Exit);
  EXPECT_EQ(b.core().end_reason(), models::EndReason::Exit);
  EXPECT_EQ(a.core().exit_code(), 0);
  EXPECT_EQ(b.core().exit_code(), 0);
  EXPECT_NE(o0.str().find("PASS"), std::string::npos) << o0.str();
  EXPECT_NE(o1.str().find("Hello"), std::string::npos) << o1.str();
  EXPECT_EQ(o0.str().find("Hello"), std::string::npos);  // each program's output on its own stream
  // Each core ended at its own cycle count times its own period (5 ns and 10 ns).
  EXPECT_EQ(end_a, sc_core::sc_time(5.0 * a.core().cpu().cycle(), sc_core::SC_NS));
  EXPECT_EQ(end_b, sc_core::sc_time(10.0 * b.core().cpu().cycle(), sc_core::SC_NS));
  // The simulation went on after the first core ended, to the second one's end.
  EXPECT_EQ(sc_core::sc_time_stamp(), std::max(end_a, end_b));
}

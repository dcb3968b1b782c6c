// The waveform writer (sim/vcd.h) on the hand-written program of tests/sim/golden/commit_log.txt, read
// back by an independent reader (tests/sim/vcd_reader.h): header, timescale, signals, and value changes
// at times derived by hand from the golden log (one cycle per instruction, 10 ns per cycle at 100 MHz).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sim/vcd.h"
#include "tests/sim/golden_program.h"
#include "tests/sim/vcd_reader.h"

namespace {
using namespace isatest;
using mcucim::sim::LogBound;
using mcucim::sim::VcdWriter;
using vcdtest::bits;

constexpr uint64_t kPs = 10000;  // ps per cycle at 100 MHz

// The waveform of the program in `m`; `at_cycle` runs after each run() (to inject device activity).
template <class F>
std::string vcd_of(Machine& m, VcdWriter::Options o, F at_cycle) {
  std::FILE* f = std::tmpfile();
  o.freq_hz = 100e6;
  o.version = "test";
  VcdWriter w(f, o);
  drive_observer(m, w, at_cycle);
  std::string s = read_all(f);
  std::fclose(f);
  return s;
}

std::vector<std::pair<uint64_t, uint64_t>> changes(const vcdtest::Vcd& v, const std::string& name) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  auto it = v.signals.find(name);
  if (it == v.signals.end()) {
    ADD_FAILURE() << "no signal " << name;
    return out;
  }
  for (const auto& c : it->second.changes) out.push_back({c.time, bits(c.value)});
  return out;
}

TEST(Vcd, HandWrittenProgram) {
  Machine m;
  load_golden_program(m);
  VcdWriter::Options o;
  o.busy_devices = {"dma0"};
  // A device busy over [35 ns, 75 ns) and, overlapping, [60 ns, 95 ns): high from 35 to 95 ns.
  const std::string text = vcd_of(m, o, [](VcdWriter& w, uint64_t cycle) {
    if (cycle == 3) w.device_busy(0, sc_core::sc_time(35, sc_core::SC_NS), sc_core::sc_time(75, sc_core::SC_NS));
    if (cycle == 5) w.device_busy(0, sc_core::sc_time(60, sc_core::SC_NS), sc_core::sc_time(95, sc_core::SC_NS));
  });
  const vcdtest::Vcd v = vcdtest::read_vcd(text);
  ASSERT_EQ(v.error, "") << text;
  EXPECT_EQ(v.timescale, "1ps");
  for (const char* s : {"soc.core.pc", "soc.core.insn", "soc.core.state", "soc.core.priv", "soc.bus.read",
                        "soc.bus.write", "soc.bus.addr", "soc.bus.size", "soc.irq.mtip", "soc.irq.msip",
                        "soc.irq.meip", "soc.dma0.busy"})
    EXPECT_EQ(v.signals.count(s), 1u) << s;
  EXPECT_EQ(v.signals.at("soc.core.pc").width, 32u);
  EXPECT_EQ(v.signals.at("soc.core.state").width, 2u);
  EXPECT_EQ(v.signals.at("soc.bus.read").width, 1u);
  // The golden log: instruction k starts at cycle k.
  const std::vector<std::pair<uint64_t, uint64_t>> pc = {
      {0, 0x80000000},       {1 * kPs, 0x80000004}, {2 * kPs, 0x80000008},  {3 * kPs, 0x8000000c},
      {4 * kPs, 0x80000010}, {5 * kPs, 0x80000014}, {6 * kPs, 0x80000016},  {7 * kPs, 0x8000001a},
      {8 * kPs, 0x80000022}, {9 * kPs, 0x80000026}, {10 * kPs, 0x8000002a}, {11 * kPs, 0x8000002e}};
  EXPECT_EQ(changes(v, "soc.core.pc"), pc);
  const auto insn = changes(v, "soc.core.insn");
  ASSERT_EQ(insn.size(), 12u);
  EXPECT_EQ(insn[2], (std::pair<uint64_t, uint64_t>{2 * kPs, 0x0062a223}));  // sw
  EXPECT_EQ(insn[5], (std::pair<uint64_t, uint64_t>{5 * kPs, 0x0385}));      // c.addi: 16 bits
  // sw at cycle 2, lw at 3 (same address), sb at 4 (0x80008000, 1 byte); each one cycle long.
  using P = std::vector<std::pair<uint64_t, uint64_t>>;
  EXPECT_EQ(changes(v, "soc.bus.write"), (P{{0, 0}, {2 * kPs, 1}, {3 * kPs, 0}, {4 * kPs, 1}, {5 * kPs, 0}}));
  EXPECT_EQ(changes(v, "soc.bus.read"), (P{{0, 0}, {3 * kPs, 1}, {4 * kPs, 0}}));
  EXPECT_EQ(changes(v, "soc.bus.addr"), (P{{0, 0}, {2 * kPs, 0x80008004}, {4 * kPs, 0x80008000}}));
  EXPECT_EQ(changes(v, "soc.bus.size"), (P{{0, 0}, {2 * kPs, 4}, {4 * kPs, 1}}));
  EXPECT_EQ(changes(v, "soc.core.state"), (P{{0, 0}}));  // one cycle each: no stall
  EXPECT_EQ(changes(v, "soc.core.priv"), (P{{0, 3}}));
  EXPECT_EQ(changes(v, "soc.irq.mtip"), (P{{0, 0}}));
  EXPECT_EQ(changes(v, "soc.dma0.busy"), (P{{0, 0}, {35000, 1}, {95000, 0}}));
  // The file ends at the end of the run (12 cycles), after the device went idle.
  ASSERT_FALSE(v.times.empty());
  EXPECT_EQ(v.times.back(), 12 * kPs);
}

TEST(Vcd, CycleWindow) {
  Machine m;
  load_golden_program(m);
  VcdWriter::Options o;
  o.from = {LogBound::Kind::Cycle, 3, ""};
  o.to = {LogBound::Kind::Cycle, 6, ""};
  const vcdtest::Vcd v = vcdtest::read_vcd(vcd_of(m, o, [](VcdWriter&, uint64_t) {}));
  ASSERT_EQ(v.error, "");
  using P = std::vector<std::pair<uint64_t, uint64_t>>;
  // Instructions starting at cycles 3, 4, 5; the recording ends at cycle 6.
  EXPECT_EQ(changes(v, "soc.core.pc"), (P{{3 * kPs, 0x8000000c}, {4 * kPs, 0x80000010}, {5 * kPs, 0x80000014}}));
  EXPECT_EQ(changes(v, "soc.bus.read"), (P{{3 * kPs, 1}, {4 * kPs, 0}}));
  EXPECT_EQ(v.times.front(), 3 * kPs);
  EXPECT_EQ(v.times.back(), 6 * kPs);
}

TEST(Vcd, StallAndSleep) {
  // A load from memory with 3 wait states (4 cycles: 1 running, 3 stalled), then wfi with the timer
  // interrupt pending after 20 cycles of sleep (the driver advances idle time as models::Core does).
  Machine m;
  m.add_region("slow", 0x90000000u, 0x1000, true, false, 3, 0);
  Asm a(kRamBase);
  a.word(0x900002b7);  // 0x00 lui  x5, 0x90000
  a.word(0x0002a303);  // 0x04 lw   x6, 0(x5)
  a.word(0x10500073);  // 0x08 wfi
  a.word(0x00000013);  // 0x0c nop
  a.halt();
  m.load(a);
  std::FILE* f = std::tmpfile();
  VcdWriter::Options o;
  o.freq_hz = 100e6;
  VcdWriter w(f, o);
  isa::Cpu& cpu = m.cpu();
  cpu.csr_write(0x304, 1u << 7);  // mie.MTIE: wfi wakes when MTIP rises
  for (int i = 0; i < 100; ++i) {
    uint64_t until = 10000;
    const bool step = w.poll(cpu, until);
    cpu.set_single_step(step);
    if (step) w.before_step(cpu);
    const Stop s = cpu.run(10000);
    if (step) w.after_step(cpu, s);
    if (s == Stop::Wfi) {
      cpu.idle(20);
      cpu.set_irq(isa::kIrqMTimer, true);
    }
    if (s == Stop::Semihost || s == Stop::Fatal) break;
  }
  w.finish(cpu);
  const vcdtest::Vcd v = vcdtest::read_vcd(read_all(f));
  std::fclose(f);
  ASSERT_EQ(v.error, "");
  using P = std::vector<std::pair<uint64_t, uint64_t>>;
  // lui at 0; lw at 1..5 (stalled from 2); wfi at 5 (1 cycle), asleep 6..26; nop at 26.
  EXPECT_EQ(changes(v, "soc.core.state"), (P{{0, 0}, {2 * kPs, 1}, {5 * kPs, 0}, {6 * kPs, 2}, {26 * kPs, 0}}));
  EXPECT_EQ(changes(v, "soc.core.pc"), (P{{0, 0x80000000}, {1 * kPs, 0x80000004}, {5 * kPs, 0x80000008},
                                          {26 * kPs, 0x8000000c}, {27 * kPs, 0x80000010},
                                          {28 * kPs, 0x80000014}}));
  EXPECT_EQ(changes(v, "soc.irq.mtip"), (P{{0, 0}, {26 * kPs, 1}}));
}

}  // namespace

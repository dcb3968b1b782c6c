// Energy arithmetic (sim/energy.h) on hand-made counters and a hand-made table: every expected value
// is worked out by hand in the comments, from the formulas in docs/REPORT.md.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sim/energy.h"

using namespace mcucim::sim;
using mcucim::isa::TClass;

namespace {

TechTable simple_table() {
  TechTable t;
  t.name = "test";
  t.vref_v = 1.0;
  t.insn_pj[size_t(TClass::ALU)] = 2;
  t.insn_pj[size_t(TClass::LOAD)] = 3;
  t.mac_pj = {0.5, 0.25, 0.125};
  t.clock_pj_per_cycle = 1;
  t.core_leakage_uw = 10;
  t.core_leakage_efold_v = 0.2;
  t.core_retention_fraction = 0.1;
  MemoryTech sram;
  sram.read_pj = {4, 4, 4};
  sram.write_pj = {5, 5, 6};
  sram.fetch_word_pj = 1;
  sram.scales_with_vdd = true;
  sram.leakage_uw_per_kib = 1;
  sram.leakage_efold_v = 0.2;
  MemoryTech flash = sram;
  flash.read_pj = {7, 7, 7};
  flash.scales_with_vdd = false;
  flash.leakage_uw_per_kib = 0;
  t.memories["sram"] = sram;
  t.memories["flash"] = flash;
  t.bus_transfer_pj = 2;
  t.bus_leakage_uw = 1;
  t.bus_leakage_efold_v = 0.2;
  t.periph_access_pj = 1;
  t.periph_leakage_uw = 0.5;
  t.periph_leakage_efold_v = 0.2;
  return t;
}

// 1000 cycles at 1 MHz = 1 ms, 400 of them idle.
Counters simple_counters() {
  Counters c;
  c.cycles = 1000;
  c.idle_cycles = 400;
  c.by_class[size_t(TClass::ALU)] = 100;
  c.by_class[size_t(TClass::LOAD)] = 50;
  c.instret = 150;
  c.xmac_macs = {8, 0, 0};
  MemCounters s;
  s.name = "ram";
  s.kind = "sram";
  s.size_bytes = 2048;
  s.reads = {0, 0, 50};
  s.writes = {10, 0, 0};
  s.fetch_fills = 5;
  MemCounters f;
  f.name = "rom";
  f.kind = "flash";
  f.size_bytes = 4096;
  f.reads = {0, 0, 10};
  c.mems = {s, f};
  c.bus_transfers = 3;
  DevCounters uart;
  uart.name = uart.kind = "uart";
  uart.reads = 2;
  uart.writes = 1;
  c.devs = {uart};
  return c;
}

const ComponentEnergy& part(const EnergyBreakdown& b, const std::string& name) {
  for (const auto& p : b.parts)
    if (p.name == name) return p;
  throw std::runtime_error("no component " + name);
}

constexpr double pJ = 1e-12;

}  // namespace

TEST(EnergyModel, ExactJoulesForKnownCounts) {
  EnergyModel m(simple_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  const EnergyBreakdown b = m.compute(simple_counters());
  // core dynamic: 100 alu x 2 + 50 load x 3 + 8 int8 MACs x 0.5 + (1000 - 400 clocked) x 1 = 954 pJ
  EXPECT_NEAR(part(b, "core").dynamic_j, 954 * pJ, 1e-18);
  // core leakage: 10 uW x 1 ms = 10 nJ
  EXPECT_NEAR(part(b, "core").leakage_j, 10000 * pJ, 1e-18);
  // sram: 50 word reads x 4 + 10 byte writes x 5 + 5 fills x (16/4 words) x 1 = 270 pJ; 2 KiB x 1 uW x 1 ms
  EXPECT_NEAR(part(b, "ram").dynamic_j, 270 * pJ, 1e-18);
  EXPECT_NEAR(part(b, "ram").leakage_j, 2000 * pJ, 1e-18);
  // flash: 10 x 7 = 70 pJ, no leakage
  EXPECT_NEAR(part(b, "rom").dynamic_j, 70 * pJ, 1e-18);
  EXPECT_EQ(part(b, "rom").leakage_j, 0);
  // bus: 3 x 2 = 6 pJ, 1 uW x 1 ms = 1 nJ; uart: 3 accesses x 1 = 3 pJ, 0.5 uW x 1 ms = 0.5 nJ
  EXPECT_NEAR(part(b, "bus").dynamic_j, 6 * pJ, 1e-18);
  EXPECT_NEAR(part(b, "bus").leakage_j, 1000 * pJ, 1e-18);
  EXPECT_NEAR(part(b, "uart").dynamic_j, 3 * pJ, 1e-18);
  EXPECT_NEAR(part(b, "uart").leakage_j, 500 * pJ, 1e-18);
  // 954 + 10000 + 270 + 2000 + 70 + 6 + 1000 + 3 + 500
  EXPECT_NEAR(b.total_j(), 14803 * pJ, 1e-17);
  EXPECT_NEAR(b.dynamic_j() + b.leakage_j(), b.total_j(), 1e-20);
  // order: core, icache, memories, bus, devices (the table has no fetch energies: icache is 0)
  ASSERT_EQ(b.parts.size(), 6u);
  EXPECT_EQ(b.parts[0].name, "core");
  EXPECT_EQ(b.parts[1].name, "icache");
  EXPECT_EQ(b.parts[1].total_j(), 0.0);
  EXPECT_EQ(b.parts[4].name, "bus");
}

// The fetch structure: 1000 words read through it, 10 of them brought by line fills (16-B lines).
TEST(EnergyModel, IcacheAndPrefetchBufferPerWord) {
  TechTable t = simple_table();
  t.fetch.icache_word_pj = 2;
  t.fetch.icache_tag_pj = 0.5;
  t.fetch.icache_ref_bytes = 1024;
  t.fetch.icache_capacity_exponent = 0.5;
  t.fetch.icache_leakage_uw_per_kib = 1;
  t.fetch.icache_leakage_efold_v = 0.2;
  t.fetch.buffer_read_word_pj = 0.75;
  t.fetch.buffer_write_word_pj = 1;
  Counters c = simple_counters();
  c.mems[0].fetch_fills = 0;  // all fetches from the flash
  c.mems[1].fetch_words = 1000;
  c.mems[1].fetch_fills = 10;
  // 256 lines x 16 B = 4 KiB = 4 x ref: per-access energies x 4^0.5 = 2
  //   hits 990 x (2 + 0.5) x 2 = 4950 pJ; fills 10 x (4 words x 2 + 2 tags x 0.5) x 2 = 180 pJ
  //   leakage: 1 uW/KiB x (4096 B + 256 tags x (32 - 12 + 1) bits / 8) / 1 KiB = 4.65625 uW x 1 ms
  const auto ic = EnergyModel(t, {1.0, 1e6, IdleMode::ClockGated}, 16, 256).compute(c);
  EXPECT_EQ(part(ic, "icache").kind, "icache");
  EXPECT_NEAR(part(ic, "icache").dynamic_j, 5130 * pJ, 1e-18);
  EXPECT_NEAR(part(ic, "icache").leakage_j, 4656.25 * pJ, 1e-18);
  // the fill's read from the code memory is still the memory's: 10 x 4 words x 1 pJ + 10 x 7 reads
  EXPECT_NEAR(part(ic, "rom").dynamic_j, (40 + 70) * pJ, 1e-18);
  // one line: a prefetch buffer, 990 x 0.75 + 10 x 4 x 1 = 782.5 pJ, no leakage of its own
  const auto fb = EnergyModel(t, {1.0, 1e6, IdleMode::ClockGated}, 16, 1).compute(c);
  EXPECT_EQ(part(fb, "icache").kind, "fetch_buffer");
  EXPECT_NEAR(part(fb, "icache").dynamic_j, 782.5 * pJ, 1e-18);
  EXPECT_EQ(part(fb, "icache").leakage_j, 0.0);
  // scaled with Vdd^2 like logic: 1.44 x at 1.2 V
  const auto hi = EnergyModel(t, {1.2, 1e6, IdleMode::ClockGated}, 16, 256).compute(c);
  EXPECT_NEAR(part(hi, "icache").dynamic_j, 1.44 * 5130 * pJ, 1e-17);
  // the components add up to the total
  double sum = 0;
  for (const auto& p : ic.parts) sum += p.total_j();
  EXPECT_NEAR(sum, ic.total_j(), 1e-20);
}

TEST(EnergyModel, IdleModes) {
  const Counters c = simple_counters();
  const auto none = EnergyModel(simple_table(), {1.0, 1e6, IdleMode::None}, 16).compute(c);
  const auto gated = EnergyModel(simple_table(), {1.0, 1e6, IdleMode::ClockGated}, 16).compute(c);
  const auto off = EnergyModel(simple_table(), {1.0, 1e6, IdleMode::PowerGated}, 16).compute(c);
  // none clocks the 400 idle cycles too: +400 pJ
  EXPECT_NEAR(part(none, "core").dynamic_j - part(gated, "core").dynamic_j, 400 * pJ, 1e-18);
  EXPECT_NEAR(part(off, "core").dynamic_j, part(gated, "core").dynamic_j, 1e-20);
  // power gated: 10 uW x (600 us + 400 us x 0.1) = 6.4 nJ
  EXPECT_NEAR(part(off, "core").leakage_j, 6400 * pJ, 1e-18);
  // memories keep their leakage (retention)
  EXPECT_NEAR(part(off, "ram").leakage_j, part(gated, "ram").leakage_j, 1e-20);
}

TEST(EnergyModel, VoltageScaling) {
  const Counters c = simple_counters();
  const auto ref = EnergyModel(simple_table(), {1.0, 1e6, IdleMode::ClockGated}, 16).compute(c);
  const auto hi = EnergyModel(simple_table(), {1.2, 1e6, IdleMode::ClockGated}, 16).compute(c);
  // dynamic x (1.2/1.0)^2 = 1.44 for Vdd-scaled components; flash (scales_with_vdd: false) unchanged
  EXPECT_NEAR(part(hi, "core").dynamic_j, 1.44 * 954 * pJ, 1e-18);
  EXPECT_NEAR(part(hi, "ram").dynamic_j, 1.44 * 270 * pJ, 1e-18);
  EXPECT_NEAR(part(hi, "rom").dynamic_j, 70 * pJ, 1e-18);
  // leakage x (V/Vref) x exp((V - Vref)/efold) = 1.2 x e^(0.2/0.2) = 1.2e
  const double k = 1.2 * std::exp(1.0);
  EXPECT_NEAR(part(hi, "core").leakage_j, k * 10000 * pJ, 1e-16);
  EXPECT_NEAR(part(hi, "bus").leakage_j, k * 1000 * pJ, 1e-16);
  EXPECT_NEAR(part(ref, "core").leakage_j * k, part(hi, "core").leakage_j, 1e-16);
}

TEST(EnergyModel, LeakageTimesTime) {
  Counters c = simple_counters();
  EnergyModel m(simple_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Counters c2 = c;
  c2.cycles *= 3;  // three times as long, same events
  const auto a = m.compute(c), b = m.compute(c2);
  EXPECT_NEAR(part(b, "ram").leakage_j, 3 * part(a, "ram").leakage_j, 1e-18);
  EXPECT_NEAR(part(b, "bus").leakage_j, 3 * part(a, "bus").leakage_j, 1e-18);
  EXPECT_NEAR(part(b, "ram").dynamic_j, part(a, "ram").dynamic_j, 1e-20);
  // half the frequency: twice the time per cycle, twice the leakage energy
  const auto slow = EnergyModel(simple_table(), {1.0, 0.5e6, IdleMode::ClockGated}, 16).compute(c);
  EXPECT_NEAR(part(slow, "core").leakage_j, 2 * part(a, "core").leakage_j, 1e-18);
}

TEST(EnergyModel, IntervalIsDifferenceOfSnapshots) {
  EnergyModel m(simple_table(), {1.0, 1e6, IdleMode::ClockGated}, 16);
  Counters a = simple_counters(), b = simple_counters();
  b.cycles += 100;
  b.by_class[size_t(TClass::ALU)] += 10;
  b.mems[0].reads[2] += 5;
  const Counters d = b - a;
  EXPECT_EQ(d.cycles, 100u);
  EXPECT_EQ(d.by_class[size_t(TClass::ALU)], 10u);
  EXPECT_EQ(d.mems[0].reads[2], 5u);
  EXPECT_EQ(d.idle_cycles, 0u);
  // energy is linear in the counters: E(b) = E(a) + E(b - a)
  EXPECT_NEAR(m.compute(b).total_j(), m.compute(a).total_j() + m.compute(d).total_j(), 1e-18);
}

// ---- technology files ----

namespace {
std::string tech_path() { return std::string(MCUCIM_SOURCE_DIR) + "/configs/tech/22nm-lp.yaml"; }
std::string write_tmp(const std::string& name, const std::string& text) {
  const std::string p = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(p) << text;
  return p;
}
std::string shipped_text() {
  std::ifstream f(tech_path());
  return std::string(std::istreambuf_iterator<char>(f), {});
}
std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto i = s.find(from);
  EXPECT_NE(i, std::string::npos) << from;
  if (i != std::string::npos) s.replace(i, from.size(), to);
  return s;
}
}  // namespace

TEST(TechFile, ShippedTableLoadsWithEveryClass) {
  const TechTable t = load_tech_file(tech_path(), {"sram", "flash", "mram"});
  EXPECT_EQ(t.name, "22nm-lp");
  EXPECT_DOUBLE_EQ(t.vref_v, 0.8);
  for (size_t i = 0; i < kNumClasses; ++i) EXPECT_GT(t.insn_pj[i], 0) << mcucim::isa::kTimingClassNames[i];
  // Horowitz INT32 add 0.1 pJ at 45 nm/0.9 V scaled by (22/45)(0.8/0.9)^2 on top of the 2.32 pJ RF access
  EXPECT_NEAR(t.insn_pj[size_t(TClass::ALU)], 2.32 + 0.1 * (22.0 / 45) * (0.8 / 0.9) * (0.8 / 0.9), 0.005);
  EXPECT_NEAR(t.mac_pj[0], (0.2 + 0.03) * (22.0 / 45) * (0.8 / 0.9) * (0.8 / 0.9), 0.0005);
  EXPECT_EQ(t.memories.size(), 3u);
}

TEST(TechFile, MissingComponentTheConfigUsesIsAnError) {
  std::string text = shipped_text();
  text = replace(text, "    mram:\n", "    mram_unused:\n");
  const std::string p = write_tmp("mcucim-tech-nomram.yaml", text);
  try {
    load_tech_file(p, {"sram", "mram"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("mcucim-tech-nomram.yaml"), std::string::npos) << w;
    EXPECT_NE(w.find("memories.mram"), std::string::npos) << w;
    EXPECT_NE(w.find("kind 'mram'"), std::string::npos) << w;
  }
  // a kind the SoC does not use may be missing
  EXPECT_NO_THROW(load_tech_file(p, {"sram", "flash"}));
}

TEST(TechFile, NegativeValueIsAnErrorWithLine) {
  const std::string p = write_tmp("mcucim-tech-neg.yaml", replace(shipped_text(), "transfer_pj: 2.5", "transfer_pj: -2.5"));
  try {
    load_tech_file(p, {"sram"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("mcucim-tech-neg.yaml:"), std::string::npos) << w;
    EXPECT_NE(w.find("tech.bus.transfer_pj"), std::string::npos) << w;
    EXPECT_NE(w.find("non-negative"), std::string::npos) << w;
  }
}

TEST(TechFile, NonNumericValueIsAnError) {
  const std::string p = write_tmp("mcucim-tech-nan.yaml", replace(shipped_text(), "clock_pj_per_cycle: 2.0", "clock_pj_per_cycle: lots"));
  try {
    load_tech_file(p, {"sram"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("mcucim-tech-nan.yaml:"), std::string::npos) << w;
    EXPECT_NE(w.find("clock_pj_per_cycle"), std::string::npos) << w;
  }
}

TEST(TechFile, MissingInstructionClassIsAnError) {
  const std::string p = write_tmp("mcucim-tech-nodiv.yaml", replace(shipped_text(), "      div: 3.56", "      dvi: 3.56"));
  try {
    load_tech_file(p, {"sram"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("insn_pj.div"), std::string::npos) << e.what();
  }
}

// The shipped I-cache and prefetch-buffer figures are the arithmetic their comments give: Horowitz's
// 8 KB SRAM 64-bit read (10 pJ, 45 nm/0.9 V) at 4 KiB by the capacity^0.5 rule, 32 of 64 bits, times
// the table's 0.3863 node/voltage factor; the tag array (256 x 21 bits) likewise plus a 20-bit compare;
// the buffer word as a third of the 2.32 pJ register-file access.
TEST(TechFile, FetchFiguresFollowTheirArithmetic) {
  const TechTable t = load_tech_file(tech_path(), {"sram"});
  const double s = (22.0 / 45) * (0.8 / 0.9) * (0.8 / 0.9);
  EXPECT_NEAR(t.fetch.icache_word_pj, 10 * std::sqrt(4.0 / 8) * 32 / 64 * s, 0.005);
  EXPECT_NEAR(t.fetch.icache_tag_pj, 10 * std::sqrt(256 * 21 / 8.0 / 1024 / 8) * 21 / 64 * s + 0.1 * 20 / 32 * s, 0.005);
  EXPECT_EQ(t.fetch.icache_ref_bytes, 4096);
  EXPECT_EQ(t.fetch.icache_capacity_exponent, 0.5);
  EXPECT_NEAR(t.fetch.buffer_read_word_pj, 6 * s / 3, 0.005);
}

TEST(TechFile, BadFetchFigureIsAnErrorWithLine) {
  const std::string p = write_tmp("mcucim-tech-icache.yaml", replace(shipped_text(), "capacity_exponent: 0.5", "capacity_exponent: 2"));
  try {
    load_tech_file(p, {"sram"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("mcucim-tech-icache.yaml:"), std::string::npos) << w;
    EXPECT_NE(w.find("tech.icache.capacity_exponent"), std::string::npos) << w;
    EXPECT_NE(w.find("[0, 1]"), std::string::npos) << w;
  }
}

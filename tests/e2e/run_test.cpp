// End-to-end: firmware built with the cross compiler runs in `mcucim run`; outputs, exit codes and
// trap reports are what the program and the issue say they must be.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e_util.h"

using e2e::mcucim;
using e2e::run_args;
using testing::HasSubstr;

TEST(Run, HelloThroughSemihostingPrintsGreetingAndSummary) {
  auto r = mcucim(run_args("hello"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello from mcucim!\n");
  EXPECT_THAT(r.err, HasSubstr("cycles"));
  EXPECT_THAT(r.err, HasSubstr("instructions"));
  EXPECT_THAT(r.err, HasSubstr("CPI"));
  EXPECT_THAT(r.err, HasSubstr("simulated time"));
  EXPECT_THAT(r.err, HasSubstr("host time"));
  EXPECT_THAT(r.err, HasSubstr("MIPS"));
}

TEST(Run, HelloFromSramAndThroughUart) {
  auto a = mcucim(run_args("hello_sram", "-q"));
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, "Hello from mcucim!\n");
  auto b = mcucim(run_args("hello_uart", "-q"));
  EXPECT_EQ(b.code, 0) << b.err;
  EXPECT_THAT(b.out, HasSubstr("Hello from mcucim over UART!"));
  EXPECT_EQ(b.err, "");  // -q: no summary
}

TEST(Run, ExitCodeIsPropagated) {
  auto r = mcucim(run_args("exit3", "-q"));
  EXPECT_EQ(r.code, 3) << r.err;
}

TEST(Run, HtifTohostEndsTheRun) {
  auto r = mcucim(run_args("tohost", "-q --max-cycles 10000000"));
  EXPECT_EQ(r.code, 7) << r.err;
}

TEST(Run, IllegalInstructionGivesTrapReport) {
  auto r = mcucim(run_args("illegal"));
  EXPECT_EQ(r.code, 125);
  EXPECT_THAT(r.err, HasSubstr("illegal instruction (mcause 2)"));
  EXPECT_THAT(r.err, HasSubstr("<main+"));
  EXPECT_THAT(r.err, HasSubstr("instruction: 0x0000  illegal 0x00000000"));
  EXPECT_THAT(r.err, HasSubstr("no trap handler"));
  EXPECT_THAT(r.err, HasSubstr("sp x2"));
  EXPECT_THAT(r.err, HasSubstr("last 16 PCs"));
}

TEST(Run, BadLoadGivesTrapReportWithAddress) {
  auto r = mcucim(run_args("badload"));
  EXPECT_EQ(r.code, 125);
  EXPECT_THAT(r.err, HasSubstr("load access fault (mcause 5)"));
  EXPECT_THAT(r.err, HasSubstr("mtval:       0x0f000000"));
  EXPECT_THAT(r.err, HasSubstr("lw "));
}

TEST(Run, TimerInterruptFires) {
  auto r = mcucim(run_args("timer_irq", "-q"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("timer irq 3"));
}

TEST(Run, SelfCheckingProgramPasses) {
  auto r = mcucim(run_args("selfcheck", "-q"));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("PASS"));
}

TEST(Run, SelfCheckPassesUnderEveryTimingProfile) {
  for (const char* p : {"picorv32", "ibex", "cv32e40p"}) {
    auto r = mcucim(run_args("selfcheck", std::string("-q --set soc.core.timing=") + p));
    EXPECT_EQ(r.code, 0) << p << r.err;
    EXPECT_THAT(r.out, HasSubstr("PASS")) << p;
  }
}

TEST(Run, CycleLimitStopsWithItsOwnCode) {
  auto r = mcucim(run_args("selfcheck", "-q --max-cycles 5000"));
  EXPECT_EQ(r.code, 124);
  EXPECT_THAT(r.err, HasSubstr("cycle limit of 5000"));
}

TEST(Run, SameInputsGiveIdenticalCounts) {
  const std::string dir = e2e::tmpdir();
  auto a = mcucim(run_args("selfcheck", "-q --report " + dir + "/a.json"));
  auto b = mcucim(run_args("selfcheck", "-q --report " + dir + "/b.json"));
  ASSERT_EQ(a.code, 0);
  ASSERT_EQ(b.code, 0);
  auto ja = nlohmann::json::parse(e2e::slurp(dir + "/a.json"));
  auto jb = nlohmann::json::parse(e2e::slurp(dir + "/b.json"));
  EXPECT_EQ(ja["cycles"], jb["cycles"]);
  EXPECT_EQ(ja["instret"], jb["instret"]);
  EXPECT_GT(ja["cycles"].get<uint64_t>(), ja["instret"].get<uint64_t>());
}

TEST(Run, FlashWaitStatesCostCycles) {
  const std::string dir = e2e::tmpdir();
  auto a = mcucim(run_args("selfcheck", "-q --set soc.memories.flash.read_wait=0 --report " + dir + "/w0.json"));
  auto b = mcucim(run_args("selfcheck", "-q --set soc.memories.flash.read_wait=5 --report " + dir + "/w5.json"));
  ASSERT_EQ(a.code, 0);
  ASSERT_EQ(b.code, 0);
  auto ja = nlohmann::json::parse(e2e::slurp(dir + "/w0.json"));
  auto jb = nlohmann::json::parse(e2e::slurp(dir + "/w5.json"));
  EXPECT_EQ(ja["instret"], jb["instret"]);
  EXPECT_LT(ja["cycles"].get<uint64_t>(), jb["cycles"].get<uint64_t>());
}

TEST(Run, HardFloatProgramNeedsF) {
  auto with_f = mcucim(run_args("hello_f", "-q --set soc.core.isa=rv32imfc"));
  EXPECT_EQ(with_f.code, 0) << with_f.err;
  EXPECT_THAT(with_f.out, HasSubstr("2.121320"));
  auto without = mcucim(run_args("hello_f", "-q"));
  EXPECT_NE(without.code, 0);
}

TEST(Run, MemmapPrintsLinkerSymbols) {
  auto r = mcucim("memmap -c " + e2e::cfg());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--defsym=__flash=0x20000000"));
  EXPECT_THAT(r.out, HasSubstr("--defsym=__flash_size=0x200000"));
  EXPECT_THAT(r.out, HasSubstr("--defsym=__ram=0x80000000"));
  EXPECT_THAT(r.out, HasSubstr("--defsym=__ram_size=0x80000"));
}

TEST(Run, ProfileAttributesTheHotFunctionFirst) {
  auto r = mcucim(run_args("profile_hot", "-q --profile"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto table = r.err.find("Flat profile");
  ASSERT_NE(table, std::string::npos) << r.err;
  // The first data row (after the header line) names hot_loop; cold_setup comes later.
  const auto first_row = r.err.find('\n', r.err.find('\n', table) + 1) + 1;
  const auto row_end = r.err.find('\n', first_row);
  EXPECT_THAT(r.err.substr(first_row, row_end - first_row), HasSubstr("hot_loop"));
  EXPECT_GT(r.err.find("cold_setup"), row_end);
}

TEST(Run, NoProgressLineWhenStderrIsNotATerminal) {
  auto r = mcucim(run_args("selfcheck", "-q"));
  EXPECT_EQ(r.err.find("[mcucim]"), std::string::npos);
}

TEST(Run, NoEnergyRunHasSameCountsAndNoEnergy) {
  const std::string dir = e2e::tmpdir();
  auto a = mcucim(run_args("selfcheck", "-q --report " + dir + "/on.json"));
  auto b = mcucim(run_args("selfcheck", "-q --no-energy --report " + dir + "/off.json"));
  ASSERT_EQ(a.code, 0);
  ASSERT_EQ(b.code, 0);
  auto on = nlohmann::json::parse(e2e::slurp(dir + "/on.json"));
  auto off = nlohmann::json::parse(e2e::slurp(dir + "/off.json"));
  EXPECT_EQ(on["cycles"], off["cycles"]);
  EXPECT_EQ(on["instret"], off["instret"]);
  EXPECT_GT(on["energy_j"]["total"].get<double>(), 0.0);
  EXPECT_TRUE(off["energy_j"].is_null());
}

TEST(Run, LoadPlacesDataAndArgsReachArgv) {
  const std::string data = e2e::tmpdir() + "/blob.bin";
  {
    std::ofstream f(data, std::ios::binary);
    f << "abc";
  }
  auto r = mcucim(run_args("blob_args", "-q --load " + data + "@0x60000000 --args 'one two'"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("arg 1: one\narg 2: two\n"));
  // FNV-1a of "abc", computed independently: 0x1a47e90b.
  EXPECT_THAT(r.out, HasSubstr("blob 0: 3 bytes, fnv 1a47e90b"));
  EXPECT_THAT(r.out, HasSubstr("blob 1: 0 bytes"));
}

TEST(Run, LoadErrorsNameTheFile) {
  auto missing = mcucim(run_args("blob_args", "-q --load /nonexistent.bin@0x60000000"));
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent.bin"));
  auto bad_addr = mcucim(run_args("blob_args", "-q --load x.bin@nowhere"));
  EXPECT_EQ(bad_addr.code, 2);
  EXPECT_THAT(bad_addr.err, HasSubstr("nowhere"));
  const std::string data = e2e::tmpdir() + "/blob2.bin";
  std::ofstream(data, std::ios::binary) << "abc";
  auto overlap = mcucim(run_args("blob_args", "-q --load " + data + "@0x20000000"));
  EXPECT_EQ(overlap.code, 2);
  EXPECT_THAT(overlap.err, HasSubstr("overlaps"));
}

TEST(Run, TimingProfileValueCanBeOverridden) {
  const std::string dir = e2e::tmpdir();
  auto a = mcucim(run_args("selfcheck", "-q --report " + dir + "/t0.json"));
  auto b = mcucim(run_args("selfcheck", "-q --set timing.cycles.load=9 --report " + dir + "/t1.json"));
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  auto ja = nlohmann::json::parse(e2e::slurp(dir + "/t0.json"));
  auto jb = nlohmann::json::parse(e2e::slurp(dir + "/t1.json"));
  EXPECT_EQ(ja["instret"], jb["instret"]);
  EXPECT_GT(jb["cycles"].get<uint64_t>(), ja["cycles"].get<uint64_t>());
}

TEST(Run, DmaCopiesAndReportsErrors) {
  const std::string dir = e2e::tmpdir();
  auto r = mcucim(run_args("dma_copy", "-q --report " + dir + "/dma.json"));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("errors: len 3 bus 2 readonly 2"));
  EXPECT_THAT(r.out, HasSubstr("DMA PASS"));
  // 4 KiB in 32-byte bursts: at least 128 bursts x (flash wait states + 8 bus beats) cycles.
  unsigned dma = 0, memcpy_cycles = 0;
  ASSERT_EQ(sscanf(r.out.c_str(), "dma %u cycles, memcpy %u cycles", &dma, &memcpy_cycles), 2) << r.out;
  EXPECT_GE(dma, 128u * (2 + 8));
  EXPECT_LT(dma, memcpy_cycles);
  auto j = nlohmann::json::parse(e2e::slurp(dir + "/dma.json"));
  bool found = false;
  for (const auto& d : j["events"]["devices"]) {
    if (d["name"] == "dma0") {
      found = true;
      EXPECT_EQ(d["stats"]["bytes_copied"], 4096);  // failed copies copy nothing
      // 128 bursts read + 128 written, plus the one read before the read-only destination refused.
      EXPECT_EQ(d["stats"]["bus_transactions"], 257);
    }
  }
  EXPECT_TRUE(found) << j.dump().substr(0, 2000);
}

TEST(Run, DeviceCompletionInterruptWakesWfi) {
  auto r = mcucim(run_args("dma_irq", "-q"));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("dma irq ok"));
  unsigned total = 0, idle = 0;
  ASSERT_EQ(sscanf(r.out.c_str(), "dma irq: %u cycles, %u idle", &total, &idle), 2) << r.out;
  // 8 KiB in 32-byte bursts: >= 256 x (2 flash wait states + 8 beats) cycles, almost all of them asleep.
  EXPECT_GE(total, 256u * 10);
  EXPECT_GT(idle, total * 8 / 10);
}

TEST(Run, DeviceArrayInstantiatesCountDevicesAtTheStride) {
  const std::string dir = e2e::tmpdir();
  auto r = mcucim("run -c " + e2e::cfg("mcu-llm-cim") + " --elf " + e2e::fw("hello") +
                  " -q --set soc.devices.cim.count=3 --report " + dir + "/arr.json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(e2e::slurp(dir + "/arr.json"));
  std::vector<std::string> cims;
  for (const auto& d : j["events"]["devices"])
    if (d["kind"] == "cim") cims.push_back(d["name"]);
  EXPECT_EQ(cims, (std::vector<std::string>{"cim0", "cim1", "cim2"}));
}

TEST(Run, TracePowerTracksAreSampledBetweenMarks) {
  // selfcheck has no region marks: the power counter tracks come from the quantum-boundary samples.
  const std::string dir = e2e::tmpdir();
  auto r = mcucim(run_args("selfcheck", "-q --set soc.core.quantum_ns=100000 --trace " + dir + "/tr.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  auto t = nlohmann::json::parse(e2e::slurp(dir + "/tr.json"));
  size_t core_samples = 0;
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "C" && e["name"] == "power core") ++core_samples;
  // ~3.6 ms simulated in 100 us quanta: dozens of samples (plus the closing zero).
  EXPECT_GT(core_samples, 20u);
}

TEST(Run, BurstWaitChargesEveryFurtherWordOfADmaBurst) {
  auto a = mcucim(run_args("dma_copy", "-q"));
  auto b = mcucim(run_args("dma_copy", "-q --set soc.memories.flash.burst_wait=3"));
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  unsigned da = 0, db = 0, m = 0;
  ASSERT_EQ(sscanf(a.out.c_str(), "dma %u cycles, memcpy %u", &da, &m), 2);
  ASSERT_EQ(sscanf(b.out.c_str(), "dma %u cycles, memcpy %u", &db, &m), 2);
  // 4 KiB in 32-byte bursts from flash: 128 bursts x 7 further words x 3 cycles, as seen by a core
  // that polls STATUS (one poll iteration of uncertainty, well under 32 cycles).
  EXPECT_NEAR(double(db) - double(da), 128.0 * 7 * 3, 32.0);
}

TEST(Run, XmacMatvecBenchmarkReachesThreeMacsPerCycleInTheInnerLoop) {
  auto r = mcucim(run_args("bench_matvec", "-q --set soc.core.isa=rv32imc_xmac --set soc.core.timing=cv32e40p "
                                           "--set soc.core.fetch_buffer.lines=256"));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("bench_matvec: PASS"));
  const auto p = r.out.find("int8 inner loop");
  ASSERT_NE(p, std::string::npos) << r.out;
  unsigned cycles = 0, whole = 0, frac = 0;
  ASSERT_EQ(sscanf(r.out.c_str() + p, "int8 inner loop %u cycles %u.%u MACs/cycle", &cycles, &whole, &frac), 3);
  // 65536 MACs with a 4-lane unit (simulated cycles, deterministic): at least 3 MACs per cycle.
  EXPECT_GE(65536.0 / cycles, 3.0) << r.out;
}

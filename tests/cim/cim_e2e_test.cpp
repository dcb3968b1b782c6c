// End to end: the cim_check firmware runs the CIM driver on the simulated macros (configs/mcu-cim.yaml)
// and prints INT32 results; the same driver code (runtime/cim.c, compiled here for the host, where it
// calls runtime/include/cim_ref.h) must print the same vectors. Register misuse must give the error
// codes of the spec (cim_ref.h / cim/CIM.md). The bench_cim firmware runs and reports per region.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"
#include "cim/macro.h"
#include "sim/soc.h"

// The driver and the firmware's data generator, compiled for the host.
#include "../../runtime/cim.c"
#include "../../workloads/cim_check/cim_check_data.h"

using testing::HasSubstr;

namespace {

std::string line_of(const std::string& out, const std::string& prefix) {
  std::istringstream s(out);
  std::string l;
  while (std::getline(s, l))
    if (l.rfind(prefix, 0) == 0) return l;
  return "";
}

std::string fmt_vec(const std::string& name, const int32_t* y, uint32_t n) {
  std::string s = name + ":";
  for (uint32_t i = 0; i < n; ++i) s += " " + std::to_string(y[i]);
  return s;
}

}  // namespace

TEST(CimE2E, FirmwareMatchesHostBuildOfTheDriver) {
  const std::string rep = e2e::tmpdir() + "/cim_check.json";
  const auto r = e2e::mcucim("run -q -c " + e2e::cfg("mcu-cim") + " --elf " + e2e::fw("cim_check") + " --report " + rep);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("cim_check: PASS"));

  // Host: the macros as the SoC config defines them.
  const auto cfg = mcucim::sim::Config::load(e2e::cfg("mcu-cim"));
  const auto spec = mcucim::sim::read_soc_spec(cfg);
  cim_macro m[4];
  int n = 0;
  for (const auto& d : spec.devices)
    if (d.kind == "cim" && n < 4) {
      mcucim::cim::Macro model(d.cim);
      ASSERT_EQ(cim_open_host(&m[n++], &model.array()), CIM_OK);
    }
  ASSERT_EQ(n, 4);
  static int8_t wa[CHK_A_OUT * CHK_A_IN], xa[CHK_A_IN], wb[CHK_B_OUT * CHK_B_IN], xb[CHK_B_IN];
  int32_t ya[CHK_A_OUT], yb[CHK_B_OUT];
  chk_rng = 0x1234567u;
  chk_fill(wa, CHK_A_OUT * CHK_A_IN, 4);
  chk_fill(xa, CHK_A_IN, 8);
  chk_fill(wb, CHK_B_OUT * CHK_B_IN, 8);
  chk_fill(xb, CHK_B_IN, 8);
  cim_matrix A, B;
  ASSERT_EQ(cim_load(m, 4, 0, wa, CHK_A_OUT, CHK_A_IN, 4, &A), CIM_OK);
  ASSERT_EQ(cim_load(m, 4, 2, wb, CHK_B_OUT, CHK_B_IN, 8, &B), CIM_OK);
  ASSERT_EQ(cim_mvm(m, &A, xa, 8, ya), CIM_OK);
  ASSERT_EQ(cim_mvm(m, &B, xb, 8, yb), CIM_OK);
  EXPECT_EQ(line_of(r.out, "A:"), fmt_vec("A", ya, CHK_A_OUT));
  EXPECT_EQ(line_of(r.out, "B:"), fmt_vec("B", yb, CHK_B_OUT));
  EXPECT_EQ(line_of(r.out, "A again:"), fmt_vec("A again", ya, 4));
  // ADC windows through the driver: the same table on the host macros, the same results.
  static uint32_t win[8 * 8];
  chk_windows(win, 8, 8);
  ASSERT_EQ(cim_set_windows(&m[0], win, 8, 8), CIM_OK);
  ASSERT_EQ(cim_set_windows(&m[1], win, 8, 8), CIM_OK);
  int32_t yw[CHK_A_OUT];
  ASSERT_EQ(cim_mvm(m, &A, xa, 8, yw), CIM_OK);
  EXPECT_EQ(line_of(r.out, "A windowed:"), fmt_vec("A windowed", yw, CHK_A_OUT));
  EXPECT_NE(std::vector<int32_t>(yw, yw + CHK_A_OUT), std::vector<int32_t>(ya, ya + CHK_A_OUT)) << "the windows change the result";
  // power requests do not change results
  ASSERT_EQ(cim_matrix_power(m, &B, CIM_POWER_OFF), CIM_OK);
  int32_t yb2[CHK_B_OUT];
  ASSERT_EQ(cim_mvm(m, &B, xb, 8, yb2), CIM_OK);
  EXPECT_EQ(line_of(r.out, "B after wake:"), fmt_vec("B after wake", yb2, 4));
  EXPECT_EQ(std::vector<int32_t>(yb2, yb2 + CHK_B_OUT), std::vector<int32_t>(yb, yb + CHK_B_OUT));
  // Driver errors on the host, as on the target.
  EXPECT_EQ(cim_load(m, 4, 3, wa, CHK_A_OUT, CHK_A_IN, 4, &A), CIM_ERR_NOSPACE);
  EXPECT_EQ(cim_mvm(m, &B, xb, 9, yb), CIM_ERR_WIDTH);
  EXPECT_EQ(cim_mvm(m, &B, xb, 4, yb), CIM_ERR_VALUE);
  for (auto& mm : m) cim_close(&mm);

  // Misuse on the device: the codes of cim_ref.h, turned into driver return values.
  EXPECT_EQ(line_of(r.out, "misuse start-while-busy:"), "misuse start-while-busy: " + std::to_string(CIM_ERR_BUSY));
  EXPECT_EQ(line_of(r.out, "misuse out-of-range-tile:"), "misuse out-of-range-tile: " + std::to_string(CIM_ERR_RANGE));
  EXPECT_EQ(line_of(r.out, "misuse bad-weight-width:"), "misuse bad-weight-width: " + std::to_string(CIM_ERR_WIDTH));
  EXPECT_EQ(line_of(r.out, "misuse bad-input-width:"), "misuse bad-input-width: " + std::to_string(CIM_ERR_WIDTH));
  EXPECT_EQ(line_of(r.out, "misuse bad-program-width:"), "misuse bad-program-width: " + std::to_string(CIM_ERR_WIDTH));
  EXPECT_EQ(line_of(r.out, "after clear:"), "after clear: status 0");
  EXPECT_EQ(line_of(r.out, "driver no-space:"), "driver no-space: " + std::to_string(CIM_ERR_NOSPACE));
  EXPECT_EQ(line_of(r.out, "driver bad-width:"), "driver bad-width: " + std::to_string(CIM_ERR_WIDTH));
  EXPECT_EQ(line_of(r.out, "driver bad-value:"), "driver bad-value: " + std::to_string(CIM_ERR_VALUE) + " (y[0] 0)");
  EXPECT_EQ(line_of(r.out, "driver window-out-of-range:"), "driver window-out-of-range: " + std::to_string(CIM_ERR_WINDOW));
  EXPECT_EQ(line_of(r.out, "misuse window-out-of-range:"),
            "misuse window-out-of-range: " + std::to_string(CIM_ERR_WINDOW) + " (entry 0x00640028)");  // unchanged: 40 | 100 << 16
  EXPECT_EQ(line_of(r.out, "power state after off:"), "power state after off: " + std::to_string(CIM_POWER_OFF));
  EXPECT_EQ(line_of(r.out, "power state after mvm:"), "power state after mvm: " + std::to_string(CIM_POWER_ON));
  EXPECT_EQ(line_of(r.out, "misuse power-while-busy:"), "misuse power-while-busy: " + std::to_string(CIM_ERR_BUSY));
  EXPECT_EQ(line_of(r.out, "after busy request:"), "after busy request: 0, state " + std::to_string(CIM_POWER_ON));
  EXPECT_EQ(line_of(r.out, "misuse power-bad-state:"), "misuse power-bad-state: " + std::to_string(CIM_ERR_ARG));
  // The report: each macro's time per state; B's macros woke once and were off at the end.
  const auto j = nlohmann::json::parse(e2e::slurp(rep));
  int seen = 0;
  for (const auto& d : j["events"]["devices"]) {
    if (d["kind"] != "cim") continue;
    const auto& st = d["stats"];
    const uint64_t on = st["time_on_ps"], idle = st["time_idle_ps"], off = st["time_off_ps"];
    EXPECT_NEAR(double(on + idle + off), j["time_s"].get<double>() * 1e12, 1e6) << d["name"];  // states cover the run
    if (d["name"] == "cim2" || d["name"] == "cim3") {
      ++seen;
      EXPECT_EQ(st["wakeups"], 1) << d["name"];
      EXPECT_GT(off, 0u) << d["name"];
    } else {
      EXPECT_EQ(st["wakeups"], 0) << d["name"];
      EXPECT_EQ(off, 0u) << d["name"];
    }
  }
  EXPECT_EQ(seen, 2);
  for (const auto& c : j["energy_j"]["components"])
    if (c["name"] == "cim2") {
      // one wake-up at the preset's 50 pJ; leakage only while on (20 uW)
      EXPECT_NEAR(c["parts_j"]["wake"].get<double>(), 50e-12, 1e-18);
    }
}

TEST(CimE2E, ExactWithAWideAdcEqualsTheIntegerProduct) {
  // With 9-b ADCs (step 1 for 256 rows) the macro is exact: the firmware's A vector equals W x.
  std::string sets;
  for (int i = 0; i < 6; ++i) sets += " --set soc.devices.cim" + std::to_string(i) + ".adc.bits=9";
  const auto r = e2e::mcucim("run -q -c " + e2e::cfg("mcu-cim") + sets + " --elf " + e2e::fw("cim_check"));
  ASSERT_EQ(r.code, 0) << r.err;
  static int8_t wa[CHK_A_OUT * CHK_A_IN], xa[CHK_A_IN];
  chk_rng = 0x1234567u;
  chk_fill(wa, CHK_A_OUT * CHK_A_IN, 4);
  chk_fill(xa, CHK_A_IN, 8);
  int32_t y[CHK_A_OUT];
  for (uint32_t o = 0; o < CHK_A_OUT; ++o) {
    int32_t s = 0;
    for (uint32_t i = 0; i < CHK_A_IN; ++i) s += wa[o * CHK_A_IN + i] * xa[i];
    y[o] = s;
  }
  EXPECT_EQ(line_of(r.out, "A:"), fmt_vec("A", y, CHK_A_OUT));
}

TEST(CimE2E, BenchmarkReportsEveryVariantWithCimEnergyByPart) {
  const std::string rep = e2e::tmpdir() + "/bench_cim.json";
  const auto r = e2e::mcucim("run -c " + e2e::cfg("mcu-cim") + " --elf " + e2e::fw("bench_cim") + " --report " + rep);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("bench_cim: PASS"));
  const auto j = nlohmann::json::parse(e2e::slurp(rep));
  int cim_regions = 0;
  for (const auto& reg : j["regions"]) {
    const std::string name = reg["name"];
    if (name == "cim_program") continue;
    EXPECT_EQ(reg["declared_macs"], 65536) << name;
    EXPECT_GT(reg["tops_per_w"].get<double>(), 0) << name;
    if (name.find("_cim") != std::string::npos) {
      ++cim_regions;
      double cim_j = 0;
      for (const auto& c : reg["energy_j"]["components"])
        if (c["kind"] == "cim") {
          ASSERT_TRUE(c.contains("parts_j")) << name;
          cim_j += c["parts_j"]["adc"].get<double>();
          EXPECT_EQ(c["parts_j"]["program"].get<double>(), 0.0) << "programming is outside " << name;
        }
      EXPECT_GT(cim_j, 0) << name;
    }
  }
  EXPECT_EQ(cim_regions, 2);
  // Programming happened once per macro, before the timed regions.
  for (const auto& d : j["events"]["devices"]) {
    if (d["kind"] == "cim") {
      EXPECT_EQ(d["stats"]["programs"], 1) << d["name"];
    }
  }
}

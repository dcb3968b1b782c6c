// The CIM backend of the inference runtime: the firmware in the simulator (MRAM CIM macros as bus
// devices, configs/mcu-llm-cim.yaml) against tinyllm-host (in-memory macros through the driver's host
// build) with the same geometry and ADC, for an exact ADC and a quantizing one; with an exact ADC the
// result equals the scalar backend's (an independent path: no CIM involved); not enough macros is a
// clear error; the teacher-forced agreement METRIC; sweep path patterns for every macro.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../e2e/e2e_util.h"
#include "sweep/spec.h"

using testing::HasSubstr;

namespace {

const std::string kTools = std::string(MCUCIM_BINARY_DIR) + "/workloads/tinyllm/";
const std::string kModels = std::string(MCUCIM_SHARED_DIR) + "/models/";
const std::string kOracle = std::string(MCUCIM_SHARED_DIR) + "/oracles/stories260K_fp32_greedy_noprompt_256.ids";

bool have_models() {
  return std::filesystem::exists(kModels + "stories260K.bin") && std::filesystem::exists(kModels + "tok512.bin");
}

e2e::Result sh(const std::string& cmd) {
  const std::string base = e2e::tmpdir() + "/cimsh" + std::to_string(std::hash<std::string>{}(cmd));
  int st = std::system((cmd + " > " + base + ".out 2> " + base + ".err < /dev/null").c_str());
  e2e::Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = e2e::slurp(base + ".out");
  r.err = e2e::slurp(base + ".err");
  return r;
}

// The line starting with `key` (without the newline), or "missing ..." naming it.
std::string line_of(const std::string& out, const std::string& key) {
  size_t p = out.rfind(key, 0) == 0 ? 0 : out.find("\n" + key);
  if (p == std::string::npos) return "missing '" + key + "' in:\n" + out;
  if (out[p] == '\n') ++p;
  return out.substr(p, out.find('\n', p) - p);
}
std::string result_lines(const std::string& out) {
  return line_of(out, "ids:") + "\n" + line_of(out, "logits_fnv:") + "\n";
}

std::string pack(const std::string& name, const std::string& opts) {
  const std::string img = e2e::tmpdir() + "/" + name + ".tllm";
  if (!std::filesystem::exists(img)) {
    auto r = sh(kTools + "mcucim-pack " + kModels + "stories260K.bin " + kModels + "tok512.bin -o " + img + " " + opts);
    EXPECT_EQ(r.code, 0) << r.err;
  }
  return img;
}

// `--set` for the ADC bits of all 35 macros of mcu-llm-cim.yaml (one `cim` entry with count: 35).
std::string adc_sets(int bits) { return " --set soc.devices.cim.adc.bits=" + std::to_string(bits); }

e2e::Result sim_run(const std::string& img, const std::string& args, int adc_bits, const std::string& extra_load = "") {
  return e2e::mcucim("run -c " + e2e::cfg("mcu-llm-cim") + " --elf " + e2e::fw("tinyllm") + " -q" +
                     (adc_bits ? adc_sets(adc_bits) : "") + " --load " + img + "@0x20100000" +
                     (extra_load.empty() ? "" : " --load " + extra_load + "@0x201C0000") + " --args '" + args + "'");
}

// Host options equal to configs/cim/deaville-jssc2025.yaml (256 x 512, 1-bit cells and DAC, full scale
// 256) with B ADC bits and the 35 macros of mcu-llm-cim.yaml.
std::string host_cim(int adc_bits) {
  return " --cim-macros 35 --cim-rows 256 --cim-cols 512 --adc-full-scale 256 --adc-bits " + std::to_string(adc_bits);
}

struct Case {
  const char* name;
  const char* pack;      // mcucim-pack options
  const char* place;     // -c / --cim
  int adc_bits;          // 9: step 1 over 256 rows (exact); 6: the preset's step 5
  int steps;
};

class CimHostVsSim : public testing::TestWithParam<Case> {};

TEST_P(CimHostVsSim, SameIdsAndLogits) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: stories260K.bin/tok512.bin not found in " << kModels;
  const Case& c = GetParam();
  const std::string img = pack(c.name, c.pack);
  const std::string steps = std::to_string(c.steps);
  auto host = sh(kTools + "tinyllm-host " + img + " --steps " + steps + " --backend xmac --cim " + c.place + host_cim(c.adc_bits));
  ASSERT_EQ(host.code, 0) << host.err;
  auto sim = sim_run(img, "-n " + steps + " -b xmac -c " + c.place + " -m 35", c.adc_bits);
  ASSERT_EQ(sim.code, 0) << sim.out << sim.err;
  EXPECT_EQ(result_lines(sim.out), result_lines(host.out)) << c.name;
  EXPECT_EQ(line_of(sim.out, "cim:"), line_of(host.out, "cim:"));
  if (c.adc_bits >= 9) {
    // an exact ADC gives the integer dot products exactly: the scalar backend's bits
    auto scalar = sh(kTools + "tinyllm-host " + img + " --steps " + steps + " --backend scalar");
    ASSERT_EQ(scalar.code, 0) << scalar.err;
    EXPECT_EQ(result_lines(sim.out), result_lines(scalar.out)) << c.name << ": CIM with an exact ADC differs from scalar";
  }
}

INSTANTIATE_TEST_SUITE_P(
    IdealAndQuantizingAdc, CimHostVsSim,
    testing::Values(
        // FFN packed with group = row (one MVM per matvec), on CIM by the image's flags
        Case{"ffnrow_ideal", "--weights int8:32 --cim ffn", "image", 9, 6},
        Case{"ffnrow_adc6", "--weights int8:32 --cim ffn", "image", 6, 4},
        // group 32 everywhere: one MVM per group (inputs outside the group zero), attention on CIM
        Case{"attn_g32_ideal", "--weights int8:32", "attn", 9, 4},
        Case{"attn_g32_adc7", "--weights int8:32", "wq,wk,wv,wo", 7, 3}),
    [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(LlmCim, QuantizingAdcChangesTheResult) {
  // guards the test above against a host/sim pair that ignores the ADC: 6 bits (step 5) are not exact
  if (!have_models()) GTEST_SKIP() << "SKIPPED: models not found in " << kModels;
  const std::string img = pack("ffnrow_ideal", "--weights int8:32 --cim ffn");
  auto exact = sh(kTools + "tinyllm-host " + img + " --steps 3 --backend cim" + host_cim(9));
  auto coarse = sh(kTools + "tinyllm-host " + img + " --steps 3 --backend cim" + host_cim(6));
  ASSERT_EQ(exact.code, 0) << exact.err;
  ASSERT_EQ(coarse.code, 0) << coarse.err;
  EXPECT_THAT(exact.out, HasSubstr("step 1)"));
  EXPECT_THAT(coarse.out, HasSubstr("step 5)"));  // ceil(256 / 63)
  EXPECT_NE(line_of(exact.out, "logits_fnv:"), line_of(coarse.out, "logits_fnv:"));
}

TEST(LlmCim, NotEnoughMacrosIsAClearError) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: models not found in " << kModels;
  const std::string img = pack("g32", "--weights int8:32");
  // every matrix on 256 x 512 macros (64 INT8 outputs x 256 inputs each): per layer wq, wk, wv, wo 1
  // each, w1 and w3 ceil(172/64) = 3 each, w2 1 -> 11 x 5 layers = 55, plus the classifier
  // ceil(512/64) = 8: 63 macros
  auto sim = sim_run(img, "-n 2 -b xmac -c all -m 6", 0);
  EXPECT_EQ(sim.code, 5) << sim.out << sim.err;
  EXPECT_THAT(sim.out, HasSubstr("tinyllm: error: CIM"));
  EXPECT_THAT(sim.out, HasSubstr("need 63 macros"));
  EXPECT_THAT(sim.out, HasSubstr("6 are available"));
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 2 --cim all --cim-macros 6");
  EXPECT_EQ(host.code, 5) << host.out << host.err;
  EXPECT_THAT(host.err, HasSubstr("need 63 macros"));
  // FFN only fits the 35 macros exactly: 5 x (3 + 1 + 3)
  auto ffn = sim_run(img, "-n 1 -b xmac -c ffn -m 35", 0);
  EXPECT_EQ(ffn.code, 0) << ffn.out;
  EXPECT_THAT(ffn.out, HasSubstr("cim: 15 tensors on 35 of 35 macros"));
  auto bad = sim_run(img, "-n 1 -c w9", 0);
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.out, HasSubstr("unknown tensor 'w9'"));
}

TEST(LlmCim, AgreementMetricMatchesHostAndTheReference) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: models not found in " << kModels;
  if (!std::filesystem::exists(kOracle)) GTEST_SKIP() << "SKIPPED: " << kOracle << " not found";
  const std::string img = pack("ffnrow_ideal", "--weights int8:32 --cim ffn");
  // a reference with two ids changed, so the agreement cannot be 1 by accident
  std::vector<long> ref;
  {
    std::ifstream f(kOracle);
    for (long v; f >> v && ref.size() < 12;) ref.push_back(v);
  }
  ASSERT_EQ(ref.size(), 12u);
  ref[3] = (ref[3] + 1) % 512;
  ref[7] = (ref[7] + 1) % 512;
  const std::string ids = e2e::tmpdir() + "/ref12.ids";
  {
    std::ofstream f(ids);
    for (long v : ref) f << v << ' ';
    f << '\n';
  }
  auto sim = sim_run(img, "-a 10 -b xmac -c image -m 35", 9, ids);
  ASSERT_EQ(sim.code, 0) << sim.out << sim.err;
  auto host = sh(kTools + "tinyllm-host " + img + " --agree " + ids + " --positions 10 --backend xmac --cim image" + host_cim(9));
  ASSERT_EQ(host.code, 0) << host.err;
  EXPECT_EQ(result_lines(sim.out), result_lines(host.out));
  EXPECT_EQ(line_of(sim.out, "METRIC agreement="), line_of(host.out, "METRIC agreement="));
  // the value: count the argmax ids (the "ids:" line) equal to the reference, by hand
  std::istringstream is(line_of(sim.out, "ids:").substr(4));
  unsigned agree = 0, n = 0;
  for (long v; is >> v; ++n) agree += v == ref[n];
  ASSERT_EQ(n, 10u);
  EXPECT_LT(agree, 10u);  // positions 3 and 7 were changed
  char expect[64];
  std::snprintf(expect, sizeof expect, "METRIC agreement=0.%06u positions=10", agree * 100000u);
  EXPECT_EQ(line_of(sim.out, "METRIC agreement="), expect);
  // -a without a reference blob
  auto none = sim_run(img, "-a 4 -b xmac", 0);
  EXPECT_EQ(none.code, 2);
  EXPECT_THAT(none.out, HasSubstr("no reference ids"));
}

TEST(LlmCim, SweepPathPatternSetsEveryMacro) {
  const std::string spec = e2e::tmpdir() + "/pattern.yaml";
  {
    std::ofstream f(spec);
    f << "base: " << e2e::cfg("mcu-cim") << "\nworkload:\n  firmware: " << e2e::fw("tinyllm")
      << "\naxes:\n  - path: soc.devices.cim*.adc.bits\n    values: [4, 9]\n";
  }
  mcucim::sweep::Spec s = mcucim::sweep::load_spec(spec);
  ASSERT_EQ(s.points.size(), 2u);
  ASSERT_EQ(s.axes[0].targets.size(), 6u);  // mcu-cim.yaml lists cim0..cim5
  auto argv = mcucim::sweep::point_argv(s, s.points[1], "mcucim", "r.json");
  int sets = 0;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "--set" && argv[i + 1].rfind("soc.devices.cim", 0) == 0 && argv[i + 1].find(".adc.bits=9") != std::string::npos) ++sets;
  EXPECT_EQ(sets, 6);
  {
    std::ofstream f(spec);
    f << "base: " << e2e::cfg("mcu-cim") << "\nworkload:\n  firmware: " << e2e::fw("tinyllm")
      << "\naxes:\n  - path: soc.devices.dac*.adc.bits\n    values: [4, 9]\n";
  }
  try {
    mcucim::sweep::load_spec(spec);
    ADD_FAILURE() << "a pattern matching nothing was accepted";
  } catch (const mcucim::sim::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("matches no key"));
    EXPECT_THAT(e.what(), HasSubstr("pattern.yaml:"));
  }
}

TEST(LlmCim, SweepParamAxisPicksALoadedFile) {
  const std::string dir = e2e::tmpdir() + "/param";
  std::filesystem::create_directories(dir);
  for (const char* w : {"8", "4"}) std::ofstream(dir + "/m_w" + std::string(w) + ".bin") << "x";
  const std::string spec = dir + "/wp.yaml";
  auto write = [&](const char* values) {
    std::ofstream f(spec);
    f << "base: " << e2e::cfg("mcu-llm") << "\nworkload:\n  firmware: " << e2e::fw("tinyllm")
      << "\n  loads: ['m_w{wbits}.bin@0x20100000']\n  args: [--args, '-a {wbits}']\naxes:\n  - param: wbits\n    values: "
      << values << "\n";
  };
  write("[8, 4]");
  mcucim::sweep::Spec s = mcucim::sweep::load_spec(spec);
  ASSERT_EQ(s.points.size(), 2u);
  auto argv = mcucim::sweep::point_argv(s, s.points[1], "mcucim", "r.json");
  const std::string joined = [&] { std::string j; for (auto& a : argv) j += a + " "; return j; }();
  EXPECT_THAT(joined, HasSubstr("--load " + dir + "/m_w4.bin@0x20100000"));
  EXPECT_THAT(joined, HasSubstr("--args -a 4 "));
  EXPECT_THAT(joined, testing::Not(HasSubstr("--set wbits")));
  write("[8, 2]");  // m_w2.bin does not exist
  try {
    mcucim::sweep::load_spec(spec);
    ADD_FAILURE() << "a missing per-point file was accepted";
  } catch (const mcucim::sim::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("m_w2.bin"));
    EXPECT_THAT(e.what(), HasSubstr("wbits=2"));
  }
}

}  // namespace

// The inference runtime as firmware in the simulator against the same C built for the host
// (tinyllm-host): identical token ids and logits checksum for every precision and backend; firmware
// errors end the run with a clear message and a non-zero exit code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../e2e/e2e_util.h"

using testing::HasSubstr;

namespace {

using e2e::sh;
using e2e::result_lines;

using e2e::kTools;
using e2e::kModels;

using e2e::have_models;

std::string pack(const std::string& name, const std::string& weights) {
  const std::string img = e2e::tmpdir() + "/" + name + ".tllm";
  if (!std::filesystem::exists(img)) {
    auto r = sh(kTools + "mcucim-pack " + kModels + "stories260K.bin " + kModels + "tok512.bin -o " + img +
                " --weights " + weights);
    EXPECT_EQ(r.code, 0) << r.err;
  }
  return img;
}

struct Case {
  const char* name;
  const char* weights;
  const char* backend;
  const char* elf;
  const char* isa;
  int steps;
  bool prompt = true;  // "Once upon a time" (5 positions with BOS) or no prompt
  const char* sim_extra = "";   // more firmware options (-k INT8 KV cache / quantized attention, -P chunk)
  const char* host_extra = "";  // the same for tinyllm-host
};

class HostVsSim : public testing::TestWithParam<Case> {};

TEST_P(HostVsSim, SameIdsAndLogits) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: stories260K.bin/tok512.bin not found in " << kModels;
  const Case& c = GetParam();
  const std::string img = pack(c.weights, c.weights);
  const std::string prompt = c.prompt ? "Once upon a time" : "";
  auto host = sh(kTools + "tinyllm-host " + img + " --steps " + std::to_string(c.steps) + " --backend " + c.backend +
                 " --prompt '" + prompt + "' " + c.host_extra);
  ASSERT_EQ(host.code, 0) << host.err;
  // fp32 (1 MiB) needs more flash than mcu-base's 2 MiB leaves beside the firmware.
  auto sim = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw(c.elf) + " -q --set soc.core.isa=" + c.isa +
                         " --set soc.memories.flash.size=4MiB --load " + img + "@0x20100000 --args '-n " +
                         std::to_string(c.steps) + " -b " + c.backend + " " + c.sim_extra + (c.prompt ? " -i " + prompt : "") + "'");
  ASSERT_EQ(sim.code, 0) << sim.out << sim.err;
  EXPECT_EQ(result_lines(sim.out), result_lines(host.out)) << c.name;
  if (c.prompt) {
    EXPECT_THAT(sim.out, HasSubstr("Once upon a time"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllPrecisionsAndBackends, HostVsSim,
    testing::Values(Case{"fp32_hard", "fp32", "scalar", "tinyllm", "rv32imfc", 8},
                    Case{"fp32_soft", "fp32", "scalar", "tinyllm_soft", "rv32imc", 2, false},
                    Case{"int8_scalar", "int8:32", "scalar", "tinyllm", "rv32imfc", 8},
                    Case{"int8_xmac", "int8:32", "xmac", "tinyllm", "rv32imfc_xmac", 8},
                    Case{"int4_scalar", "int4:32", "scalar", "tinyllm", "rv32imfc", 6},
                    Case{"int4_xmac", "int4:32", "xmac", "tinyllm", "rv32imfc_xmac", 6},
                    Case{"int2_xmac", "int2:16:affine:clip", "xmac", "tinyllm", "rv32imfc_xmac", 6},
                    Case{"int2_scalar", "int2:16:affine:clip", "scalar", "tinyllm", "rv32imfc", 4, false},
                    // INT8 KV cache with quantized attention (-k), and batched prefill of the prompt's
                    // positions (-P: chunks of 2 or 3 of the 4 prompt positions before the last; the host
                    // runs one position at a time: the bits must not depend on it)
                    Case{"int8_xmac_kv8_chunk3", "int8:32", "xmac", "tinyllm", "rv32imfc_xmac", 8, true, "-k -P 3", "--kv-int8 --chunk 1"},
                    Case{"int8_scalar_kv8_chunk2", "int8:32", "scalar", "tinyllm", "rv32imfc", 7, true, "-k -P 2", "--kv-int8 --chunk 1"},
                    Case{"int4_xmac_kv8_ram", "int4:32", "xmac", "tinyllm", "rv32imfc_xmac", 6, true, "-k -P 1 -R", "--kv-int8"},
                    Case{"int8_xmac_ram", "int8:32", "xmac", "tinyllm", "rv32imfc_xmac", 6, true, "-R", ""},
                    Case{"int2_xmac_kv8_chunk4", "int2:16:affine:clip", "xmac", "tinyllm", "rv32imfc_xmac", 6, true, "-k -P 4", "--kv-int8 --chunk 1"},
                    Case{"fp32_hard_chunk3", "fp32", "scalar", "tinyllm", "rv32imfc", 6, true, "-P 3", "--chunk 1"},
                    Case{"fp32_hard_kv8", "fp32", "scalar", "tinyllm", "rv32imfc", 6, true, "-k", "--kv-int8"},
                    Case{"int8_soft_kv8_chunk2", "int8:32", "scalar", "tinyllm_soft", "rv32imc", 6, true, "-k -P 2", "--kv-int8 --chunk 1"}),
    [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// CIM backend (every matrix on 63 macros of mcu-llm-cim.yaml with a 9-bit ADC: exact) with the INT8 KV
// cache and a batched prompt: the chunk's MVMs run one vector at a time, attention on the fallback.
TEST(LlmSim, CimWithQuantizedAttentionAndChunksMatchesHost) {
  if (!have_models()) GTEST_SKIP() << "SKIPPED: stories260K.bin/tok512.bin not found in " << kModels;
  const std::string img = pack("int8_cimall", "int8:32 --cim all");
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 7 --backend xmac --cim all --kv-int8 --chunk 1 --prompt 'Once upon a time'"
                 " --cim-macros 63 --cim-rows 256 --cim-cols 512 --adc-full-scale 256 --adc-bits 9");
  ASSERT_EQ(host.code, 0) << host.err;
  auto sim = e2e::mcucim("run -c " + e2e::cfg("mcu-llm-cim") + " --elf " + e2e::fw("tinyllm") +
                         " -q --set soc.devices.cim.count=63 --set soc.devices.cim.adc.bits=9 --set soc.memories.flash.size=4MiB"
                         " --load " + img + "@0x20100000 --args '-n 7 -b xmac -c all -m 63 -k -P 3 -i Once upon a time'");
  ASSERT_EQ(sim.code, 0) << sim.out << sim.err;
  EXPECT_EQ(result_lines(sim.out), result_lines(host.out));
}

TEST(LlmSim, SyntheticMoeModelMatchesHost) {
  const std::string img = e2e::tmpdir() + "/moe.tllm";
  auto s = sh(kTools + "mcucim-synth -o " + img + " --experts 4 --shared 1 --top-k 2 --layers 2 --seed 7");
  ASSERT_EQ(s.code, 0) << s.err;
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 6 --backend xmac");
  ASSERT_EQ(host.code, 0) << host.err;
  auto sim = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("tinyllm") +
                         " -q --set soc.core.isa=rv32imfc_xmac --load " + img + "@0x20100000 --args '-n 6 -b xmac'");
  ASSERT_EQ(sim.code, 0) << sim.out << sim.err;
  EXPECT_EQ(result_lines(sim.out), result_lines(host.out));
}

TEST(LlmSim, CorruptImageIsAClearFirmwareError) {
  const std::string good = e2e::tmpdir() + "/good.tllm";
  ASSERT_EQ(sh(kTools + "mcucim-synth -o " + good).code, 0);
  std::string bytes = e2e::slurp(good);
  bytes[bytes.size() / 2] ^= 0x5a;
  const std::string bad = e2e::tmpdir() + "/corrupt.tllm";
  std::ofstream(bad, std::ios::binary) << bytes;
  auto r = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("tinyllm") +
                       " -q --set soc.core.isa=rv32imfc --load " + bad + "@0x20100000 --args '-n 4'");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("tinyllm: error"));
  EXPECT_THAT(r.out, HasSubstr("checksum"));
}

// -R copies the image into SRAM: not with streaming, and only when it fits beside the memory plan
TEST(LlmSim, ImageInRamErrorsAreClear) {
  const std::string img = e2e::tmpdir() + "/ram.tllm";
  ASSERT_EQ(sh(kTools + "mcucim-synth -o " + img).code, 0);
  auto both = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("tinyllm") + " -q --set soc.core.isa=rv32imfc --load " +
                          img + "@0x20100000 --args '-n 4 -R -S auto'");
  EXPECT_EQ(both.code, 2) << both.out;
  EXPECT_THAT(both.out, HasSubstr("-R: the image in RAM is not streamed"));
  const std::string big = e2e::tmpdir() + "/ram_big.tllm";  // 4.7 MB: more than the SRAM
  ASSERT_EQ(sh(kTools + "mcucim-synth -o " + big + " --dim 256 --hidden 768 --layers 6 --vocab 2048").code, 0);
  auto nofit = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("tinyllm") +
                           " -q --set soc.core.isa=rv32imfc --set soc.memories.flash.size=8MiB --load " + big +
                           "@0x20100000 --args '-n 2 -k -R -x'");
  EXPECT_EQ(nofit.code, 3) << nofit.out;
  EXPECT_THAT(nofit.out, HasSubstr("does not fit in RAM beside the memory plan"));
}

TEST(LlmSim, MissingImageAndTooLongPromptAreClearErrors) {
  auto none = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("tinyllm") +
                          " -q --set soc.core.isa=rv32imfc --args '-n 4'");
  EXPECT_NE(none.code, 0);
  EXPECT_THAT(none.out, HasSubstr("tinyllm: error"));
  const std::string img = e2e::tmpdir() + "/short.tllm";
  ASSERT_EQ(sh(kTools + "mcucim-synth -o " + img + " --seq-len 8").code, 0);
  auto longp = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw("tinyllm") +
                           " -q --set soc.core.isa=rv32imfc --load " + img +
                           "@0x20100000 --args '-n 4 -i one two three four five six seven eight nine ten'");
  EXPECT_EQ(longp.code, 3) << longp.out;
  EXPECT_THAT(longp.out, HasSubstr("tinyllm: error"));
}

// The options both firmware programs share (workloads/tinyllm/fw_args.h): one message each and exit 2,
// before the model image is looked at; -b cim only where the program has the CIM backend.
TEST(LlmSim, SharedFirmwareOptionErrorsAreClear) {
  struct Case {
    const char* elf;
    const char* args;
    const char* error;
  };
  const Case cases[] = {
      {"tinyllm", "-k -n", "option needs a value: -n"},
      {"tinyllm_par", "-k -n", "option needs a value: -n"},
      {"tinyllm", "-x -n 0", "-n expects a positive integer, got: 0"},
      {"tinyllm_par", "-x -n 0", "-n expects a positive integer, got: 0"},
      {"tinyllm", "-i once upon -t hot", "-t expects a number >= 0, got: hot"},
      {"tinyllm_par", "-i once upon -t hot", "-t expects a number >= 0, got: hot"},
      {"tinyllm", "-q 3", "unknown option (expected -n -i -t -p -s -b -c"},
      {"tinyllm_par", "-q 3", "unknown option (expected -R -N -M -A -n -i"},
      {"tinyllm", "-b tpu", "-b expects scalar, xmac or cim, got: tpu"},
      {"tinyllm_par", "-b cim", "-b expects scalar or xmac, got: cim"},
  };
  for (const Case& c : cases) {
    auto r = e2e::mcucim("run -c " + e2e::cfg() + " --elf " + e2e::fw(c.elf) + " -q --set soc.core.isa=rv32imfc --args '" +
                         c.args + "'");
    EXPECT_EQ(r.code, 2) << c.elf << " " << c.args << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr(std::string("tinyllm: error: ") + c.error)) << c.elf << " " << c.args;
  }
}

}  // namespace

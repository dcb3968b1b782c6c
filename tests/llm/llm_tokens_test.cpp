// Tokens as the field counts them, on the real runtime: the firmware marks start-up, prefill (prompt
// positions) and decode (generated positions); the report's tokens object must put start-up in no
// token, count one decode token per generated token and give a TTFT that covers the prompt.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"

using nlohmann::json;

namespace {
using e2e::kTools;
using e2e::kModels;
}  // namespace

TEST(LlmTokens, PromptRunSplitsStartupPrefillAndDecode) {
  if (!e2e::have_models())
    GTEST_SKIP() << "SKIPPED: stories260K.bin/tok512.bin not found in " << kModels;
  const std::string img = e2e::tmpdir() + "/tokens-int8.tllm";
  ASSERT_EQ(std::system((kTools + "mcucim-pack " + kModels + "stories260K.bin " + kModels + "tok512.bin -o " + img +
                         " --weights int8:32 > /dev/null")
                            .c_str()),
            0);
  const std::string rep_path = e2e::tmpdir() + "/tokens.json";
  const int steps = 12;
  auto r = e2e::mcucim("run -c " + e2e::cfg("mcu-llm") + " --elf " + e2e::fw("tinyllm") + " --load " + img +
                       "@0x20100000 --args '-n " + std::to_string(steps) + " -b xmac -i Once upon a time' --report " +
                       rep_path);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // The program prints one id per position (prompt positions give the next prompt token). "Once upon a
  // time" is BOS + 4 tokens of tok512 (ids 403 407 261 378): 4 prefill positions, the rest generated.
  std::istringstream ids_line(r.out.substr(r.out.find("\nids:") + 5));
  std::vector<int> ids;
  for (std::string w; ids_line >> w && w != "logits_fnv:";) ids.push_back(std::stoi(w));
  ASSERT_EQ(ids.size(), size_t(steps)) << r.out;  // no early end of text in 12 positions
  EXPECT_EQ(std::vector<int>(ids.begin(), ids.begin() + 4), (std::vector<int>{403, 407, 261, 378}));
  const size_t prompt_positions = 4, generated = ids.size() - prompt_positions;

  std::ifstream f(rep_path);
  const json rep = json::parse(f), tok = rep["tokens"];
  EXPECT_EQ(tok["prefill"]["count"], prompt_positions);
  EXPECT_EQ(tok["decode"]["count"], generated);
  EXPECT_EQ(tok["context"]["start"], prompt_positions);
  EXPECT_EQ(tok["context"]["end"], steps);

  // Start-up appears in no token: every token begins after it, and the start-up region lies within it.
  const double startup = tok["startup_s"].get<double>();
  double startup_region = -1;
  for (const auto& g : rep["regions"])
    if (g["name"] == "startup") startup_region = g["time_s"].get<double>();
  ASSERT_GT(startup_region, 0);
  EXPECT_GE(startup, startup_region);
  const json& each = tok["each"];
  ASSERT_EQ(each.size(), size_t(steps));
  EXPECT_NEAR(each[0]["begin_s"].get<double>(), startup, 1e-12);
  for (const auto& t : each) EXPECT_GE(t["begin_s"].get<double>(), startup);
  // The first prompt position costs about what the second does (it used to carry the start-up).
  EXPECT_LT(each[0]["cycles"].get<double>(), 1.5 * each[1]["cycles"].get<double>());

  // TTFT: the prompt positions plus the first generated one, measured from the end of start-up (the
  // few cycles between the prefill end and decode begin marks are in it but in no token).
  double sum = 0;
  for (size_t i = 0; i <= prompt_positions; ++i) sum += each[i]["latency_s"].get<double>();
  const double ttft = tok["ttft_s"].get<double>();
  EXPECT_GT(ttft, 0);
  EXPECT_GE(ttft, sum);
  EXPECT_LT(ttft, sum + 1000 / rep["operating_point"]["freq_hz"].get<double>());
  EXPECT_EQ(each[prompt_positions]["phase"], "decode");
  EXPECT_EQ(each[prompt_positions - 1]["phase"], "prefill");
  // The terminal summary shows both phases.
  EXPECT_THAT(r.err, testing::HasSubstr("\nprefill "));
  EXPECT_THAT(r.err, testing::HasSubstr("\ndecode "));
  EXPECT_THAT(r.err, testing::HasSubstr("\nttft "));
}

// Quantization-aware distillation end to end (scripts/qat.py -> mcucim-pack -> runtime): a short QAT
// run of stories260K lowers the distillation loss, a fixed seed and thread count give the same
// checkpoint bytes, and the packed INT2 image runs in the simulator on the Xmac INT2 kernels with the
// same ids and logits as the host build. Skips (loudly) without ../shared/models.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "../e2e/e2e_util.h"

using testing::HasSubstr;

namespace {

using e2e::sh;
using e2e::result_lines;

using e2e::kTools;
using e2e::kModels;

std::string python() { return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

// value of KEY=... on the QAT_RESULT line
double result_value(const std::string& out, const std::string& key) {
  auto p = out.find("QAT_RESULT");
  if (p == std::string::npos) return -1;
  p = out.find(key + "=", p);
  return p == std::string::npos ? -1 : std::stod(out.substr(p + key.size() + 1));
}

uint32_t u32(const std::string& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

}  // namespace

TEST(LlmQat, ShortRunLowersLossIsDeterministicAndRunsInt2XmacHostEqualsSim) {
  if (!e2e::have_models())
    GTEST_SKIP() << "SKIPPED: stories260K.bin/tok512.bin not found in " << kModels << " (see ../shared/models/README.md)";
  ASSERT_EQ(sh(python() + " -c 'import torch, numpy'").code, 0)
      << "python3-torch/python3-numpy missing for " << python() << ": run scripts/install-deps.sh";
  const std::string dir = e2e::tmpdir();
  // a few dozen steps on a handful of short sampled sequences: every matrix int2 per row, levels
  // {-2,-1,0,1} x a signed scale (the full recipe's format)
  const std::string qat = python() + " " + MCUCIM_SOURCE_DIR + "/scripts/qat.py " + kModels +
                          "stories260K.bin --weights int2:256:full --seqs 16 --eval-seqs 4 --seq-len 48 --batch 4 "
                          "--steps 36 --eval-every 36 --lr 1e-3 --seed 7 --threads 2 -o ";
  auto a = sh(qat + dir + "/a.tqc");
  ASSERT_EQ(a.code, 0) << a.out << a.err;
  double loss0 = result_value(a.out, "loss0"), loss = result_value(a.out, "loss");
  ASSERT_GT(loss0, 0) << a.out;
  EXPECT_LT(loss, 0.8 * loss0) << "held-out distillation loss did not drop by 20%:\n" << a.out;
  // the same seed and threads: the same bytes
  auto b = sh(qat + dir + "/b.tqc");
  ASSERT_EQ(b.code, 0) << b.out << b.err;
  const std::string ta = e2e::slurp(dir + "/a.tqc"), tb = e2e::slurp(dir + "/b.tqc");
  ASSERT_GT(ta.size(), 60000u);
  EXPECT_TRUE(ta == tb) << "two runs with seed 7 and 2 threads wrote different checkpoints";
  // packed as trained; every matrix INT2 in the image's tensor table
  const std::string img = dir + "/qat.tllm";
  auto p = sh(kTools + "mcucim-pack " + dir + "/a.tqc " + kModels + "tok512.bin -o " + img);
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_THAT(p.out, HasSubstr("from QAT checkpoint"));
  const std::string im = e2e::slurp(img);
  ASSERT_GT(im.size(), 128u);
  uint32_t nt = u32(im, 68), table = u32(im, 72), int2 = 0, minus2 = 0;
  for (uint32_t i = 0; i < nt; i++) {
    const size_t e = table + 32 * i;
    if (static_cast<uint8_t>(im[e + 1]) != 3) continue;  // precision byte: int2
    int2++;
    for (uint32_t k = 0; k < u32(im, e + 24); k++)  // data bytes: count the level -2 (bits 10)
      for (int j = 0; j < 4; j++) minus2 += ((static_cast<uint8_t>(im[u32(im, e + 20) + k]) >> (2 * j)) & 3u) == 2u;
  }
  EXPECT_EQ(int2, 1u + 5u * 7u) << "embedding + 7 matrices per layer";
  EXPECT_GT(minus2, 1000u) << "the full-range grid uses the level -2";
  // host build == simulator, Xmac INT2 kernels
  auto host = sh(kTools + "tinyllm-host " + img + " --steps 8 --backend xmac --prompt 'Once upon a time'");
  ASSERT_EQ(host.code, 0) << host.err;
  auto sim = e2e::mcucim("run -c " + e2e::cfg("mcu-llm") + " --elf " + e2e::fw("tinyllm") + " -q --load " + img +
                         "@0x20100000 --args '-n 8 -b xmac -i Once upon a time'");
  ASSERT_EQ(sim.code, 0) << sim.out << sim.err;
  EXPECT_EQ(result_lines(sim.out), result_lines(host.out));
  EXPECT_THAT(sim.out, HasSubstr("Once upon a time"));
}

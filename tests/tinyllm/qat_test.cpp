// Quantization-aware training (scripts/qat.py) against the runtime: the Python fake-quantizer and
// activation quantizer equal the runtime's dequantization and tllm_quantize_act() bit for bit; QAT
// checkpoints (.tqc) that are malformed, of the wrong shape or of a precision the runtime lacks are
// clear errors of mcucim-pack, and bad checkpoints/options clear errors of qat.py. None of these
// needs the model files. (The training run itself, host vs simulator: tests/llm/llm_qat_test.cpp.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tinyllm/tinyllm.h"
#include "tllm_qat.h"
#include "tllm_tools.h"

using namespace tllm_tools;
using testing::HasSubstr;

namespace {

const std::string kSrc = MCUCIM_SOURCE_DIR;
const std::string kTools = TINYLLM_TOOLS_DIR;

struct CmdResult {
  int code = -1;
  std::string out, err;
};
std::string slurp(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
std::string tmp() {
  static std::string d = [] {
    char t[] = "/tmp/mcucim-qat-XXXXXX";
    return std::string(mkdtemp(t));
  }();
  return d;
}
CmdResult sh(const std::string &cmd) {
  static int n = 0;
  std::string base = tmp() + "/cmd" + std::to_string(n++);
  int st = std::system((cmd + " > " + base + ".out 2> " + base + ".err < /dev/null").c_str());
  CmdResult r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}
// Debian's python3 (where python3-torch lives; a python3 earlier in PATH may lack it).
std::string python() { return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }
bool have_torch() { return sh(python() + " -c 'import torch, numpy'").code == 0; }
#define NEED_TORCH() \
  ASSERT_TRUE(have_torch()) << "python3-torch/python3-numpy missing for " << python() << ": run scripts/install-deps.sh"

// The random model of qat_dequant_dump.py, written once per test binary run.
const std::string &dump_dir() {
  static std::string d = [] {
    std::string dir = tmp() + "/dump";
    std::filesystem::create_directories(dir);
    CmdResult r = sh(python() + " " + kSrc + "/tests/tinyllm/qat_dequant_dump.py " + kSrc + "/scripts " + dir);
    if (r.code != 0) ADD_FAILURE() << "qat_dequant_dump.py failed:\n" << r.out << r.err;
    return dir;
  }();
  return d;
}

bool is_matrix(uint32_t kind) { return kind != TLLM_T_RMS_ATT && kind != TLLM_T_RMS_FFN && kind != TLLM_T_RMS_FINAL; }

void put32(std::string &b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
uint32_t get32(const std::string &b, size_t off) {
  uint32_t v;
  std::memcpy(&v, &b[off], 4);
  return v;
}
// Byte offset of record i of a .tqc (walking the records as the format describes them).
size_t record_offset(const std::string &b, uint32_t i) {
  size_t off = kTqcHeaderBytes;
  for (uint32_t k = 0; k < i; k++) {
    uint32_t rows = get32(b, off + 8), cols = get32(b, off + 12), prec = get32(b, off + 16), group = get32(b, off + 20),
             flags = get32(b, off + 24);
    size_t n = static_cast<size_t>(rows) * cols;
    off += kTqcRecordHeaderBytes;
    if (prec == 0) { off += 4 * n; continue; }
    off += (n + 3) / 4 * 4;
    off += static_cast<size_t>(rows) * ((cols + group - 1) / group) * 4 * (flags & 1 ? 2 : 1);
  }
  return off;
}
CmdResult pack_tqc(const std::string &bytes, const std::string &name, const std::string &extra = "") {
  std::string p = tmp() + "/" + name + ".tqc";
  std::ofstream(p, std::ios::binary) << bytes;
  return sh(kTools + "/mcucim-pack " + p + " /nonexistent-tokenizer.bin -o " + tmp() + "/" + name + ".tllm " + extra);
}

}  // namespace

// Every matrix of the random model (int2/int4/int8, sym/affine, odd and oversized groups): the
// image mcucim-pack builds from the checkpoint, dequantized by the runtime row by row, has exactly
// the float32 bits of the Python fake-quantizer's weights.
TEST(Qat, FakeQuantizerEqualsRuntimeDequantization) {
  NEED_TORCH();
  const std::string dir = dump_dir();
  QatCheckpoint qc = load_qat_checkpoint(dir + "/random.tqc");
  Dims syn = qc.d;
  ModelSpec spec = spec_from_qat(qc, spec_synthetic(syn, 1, QuantPlan()).tok);
  LoadedModel lm;
  tllm_error err{};
  ASSERT_EQ(lm.open(build_image(spec), &err), TLLM_OK) << err.msg;
  std::string deq = slurp(dir + "/deq.f32");
  size_t off = 0, compared = 0;
  std::vector<std::string> formats;
  for (const QatTensor &t : qc.tensors) {
    if (!is_matrix(t.kind)) continue;
    tllm_tensor w = tllm_model_tensor(&lm.model, t.kind, t.layer, 0);
    ASSERT_EQ(w.prec, t.q.prec);
    ASSERT_EQ(w.group, t.q.group);
    formats.push_back(qspec_str(t.q));
    std::vector<float> row(t.cols);
    for (uint32_t r = 0; r < t.rows; r++) {
      tllm_dequant_row(row.data(), &w, r);
      ASSERT_LE(off + t.cols * 4, deq.size());
      ASSERT_EQ(std::memcmp(row.data(), deq.data() + off, t.cols * 4), 0)
          << kind_name(t.kind) << " layer " << t.layer << " (" << qspec_str(t.q) << ") row " << r << ": runtime "
          << row[0] << " ... differs from the fake-quantizer";
      off += t.cols * 4;
      compared += t.cols;
    }
  }
  EXPECT_EQ(off, deq.size());
  EXPECT_EQ(compared, 300u * 48 + 2u * (48 * 48 * 2 + 24 * 48 * 2 + 3 * 72 * 48));
  // the helper covers both modes of every width
  for (const char *f : {"int2:256:affine", "int2:256", "int2:7:affine", "int4:24", "int4:5:affine", "int8:32", "int8:48:affine"})
    EXPECT_NE(std::find(formats.begin(), formats.end(), f), formats.end()) << f;
}

// tllm_quantize_act() and qat.act_levels(): the same levels and the same float32 scales, including
// exact ties (x * 127/max = k + 0.5 rounds away from zero), the near-tie 0.49999997 (rounds to 0,
// where floor(x + 0.5) would give 1) and a group too small to scale (levels 0).
TEST(Qat, ActivationQuantizerEqualsRuntime) {
  NEED_TORCH();
  std::string b = slurp(dump_dir() + "/act.bin");
  size_t off = 0;
  int cases = 0;
  while (off < b.size()) {
    uint32_t n = get32(b, off), g = get32(b, off + 4);
    off += 8;
    std::vector<float> x(n);
    std::memcpy(x.data(), &b[off], 4 * n);
    off += 4 * n;
    std::vector<int8_t> pq(n);
    std::memcpy(pq.data(), &b[off], n);
    off += (n + 3) / 4 * 4;
    uint32_t ng = (n + g - 1) / g;
    std::vector<float> ps(ng);
    std::memcpy(ps.data(), &b[off], 4 * ng);
    off += 4 * ng;
    std::vector<int8_t> q(tllm_round_up(n, 16));
    std::vector<float> s(ng);
    std::vector<int32_t> sum(ng);
    tllm_quantize_act(q.data(), s.data(), sum.data(), x.data(), n, g);
    for (uint32_t j = 0; j < n; j++) ASSERT_EQ(q[j], pq[j]) << "case " << cases << " element " << j << " x=" << x[j];
    ASSERT_EQ(std::memcmp(s.data(), ps.data(), 4 * ng), 0) << "case " << cases;
    if (cases == 7) {  // x * (127/max), not x / (max/127) (which gives 114, -48, 64, 72 here)
      const int8_t want[8] = {127, 113, 127, -47, 127, 63, 127, 73};
      for (int j = 0; j < 8; j++) EXPECT_EQ(q[j], want[j]) << "element " << j;
    }
    if (cases == 6) {  // max|x| ~ 1e-37 < 2^-121: every level 0
      for (uint32_t j = 0; j < n; j++) EXPECT_EQ(q[j], 0) << "tiny element " << j;
    }
    if (cases == 5) {  // the tie case: levels derived by hand
      const int8_t want[16] = {127, 3, -3, 1, -1, 2, 0, 0, 127, -127, 3, 0, -127, 8, 100, -34};
      for (int j = 0; j < 16; j++) EXPECT_EQ(q[j], want[j]) << "tie element " << j;
    }
    cases++;
  }
  EXPECT_EQ(cases, 8);
}

// mcucim-pack on bad QAT checkpoints: one clear message, exit 2.
TEST(Qat, BadCheckpointsAreClearPackErrors) {
  NEED_TORCH();
  const std::string good = slurp(dump_dir() + "/random.tqc");
  ASSERT_GT(good.size(), 1000u);
  {  // wrong shape: wq of layer 0 (record 2) claims 47 rows
    std::string b = good;
    put32(b, record_offset(b, 2) + 8, 47);
    CmdResult r = pack_tqc(b, "shape");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("record 2 (wq, layer 0): shape 47x48, the header's dims give 48x48"));
  }
  {  // a precision the runtime lacks (code 4)
    std::string b = good;
    put32(b, record_offset(b, 3) + 16, 4);
    CmdResult r = pack_tqc(b, "prec");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("record 3 (wk, layer 0): precision code 4, the runtime has fp32 (0), int8 (1), int4 (2) and int2 (3)"));
  }
  {  // a level outside the format's range: wq is int2 symmetric (ternary), level -2 is not allowed
    std::string b = good;
    b[record_offset(b, 2) + kTqcRecordHeaderBytes + 5] = static_cast<char>(-2);
    CmdResult r = pack_tqc(b, "level");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("level -2 at row 0, column 5 is outside [-1, 1] of int2:256"));
  }
  {  // truncated, trailing bytes, wrong version, records out of order, norm quantized
    CmdResult r = pack_tqc(good.substr(0, good.size() - 3), "trunc");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("truncated"));
    r = pack_tqc(good + "xx", "trail");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("2 trailing bytes"));
    std::string b = good;
    put32(b, 4, 9);
    r = pack_tqc(b, "version");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("version 9"));
    b = good;
    put32(b, record_offset(b, 2), 3);
    r = pack_tqc(b, "order");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("canonical order"));
    b = good;
    put32(b, record_offset(b, 1) + 16, 3);
    put32(b, record_offset(b, 1) + 20, 16);
    r = pack_tqc(b, "norm");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("norm weights must be fp32"));
  }
  {  // precision options do not apply to a QAT checkpoint
    CmdResult r = pack_tqc(good, "opts", "--weights int4:32");
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("option --weights: "));
    EXPECT_THAT(r.err, HasSubstr("is a QAT checkpoint"));
  }
}

// qat.py on bad input: a checkpoint of the wrong shape (header and size disagree), a truncated
// header, a precision the runtime lacks, a bad group: one message, exit 2, before any training.
TEST(Qat, BadInputIsAClearQatError) {
  NEED_TORCH();
  const std::string qat = python() + " " + kSrc + "/scripts/qat.py ";
  // llama2.c header of stories260K's dims followed by 1000 floats: the wrong size for those dims
  std::string ck(28 + 4000, '\0');
  int32_t h[7] = {64, 172, 5, 8, 4, 512, 512};
  std::memcpy(&ck[0], h, 28);
  std::string p = tmp() + "/short.bin";
  std::ofstream(p, std::ios::binary) << ck;
  CmdResult r = sh(qat + p + " -o " + tmp() + "/x.tqc");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("short.bin: 4028 bytes, but a checkpoint with dim 64, hidden 172, 5 layers, vocab 512, seq_len 512 has 1056540 (truncated)"));
  std::ofstream(p, std::ios::binary) << std::string(10, '\0');
  r = sh(qat + p + " -o " + tmp() + "/x.tqc");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("too short for the 28-byte llama2.c header"));
  // precision checks come before the checkpoint is read
  r = sh(qat + p + " -o " + tmp() + "/x.tqc --weights int3:32");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("precision 'int3:32': the runtime has fp32, int8, int4 and int2"));
  r = sh(qat + p + " -o " + tmp() + "/x.tqc --embedding int2:0:affine");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("precision 'int2:0:affine': '0' is neither a group size"));
  r = sh(qat + p + " -o " + tmp() + "/x.tqc --tensor wz=int2:32");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("option --tensor 'wz=int2:32'"));
  r = sh(qat + "/nonexistent.bin -o " + tmp() + "/x.tqc");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent.bin: cannot open"));
}

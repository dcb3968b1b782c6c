// Host-side tinyllm tools (see tllm_tools.h).
#include "tllm_tools.h"

#include "tinyllm/tllm_cim.h"
#include "tllm_quant.h"
#include "tinyllm/tllm_stream.h"
#include "tinyllm/tllm_cluster.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace tllm_tools {

static const char *const kKindNames[TLLM_T_KIND_COUNT] = {
    "tok_embedding", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final",
    "wcls", "router", "expert.w1", "expert.w2", "expert.w3", "shared_expert.w1", "shared_expert.w2",
    "shared_expert.w3"};
std::string kind_name(uint32_t kind) { return kind < TLLM_T_KIND_COUNT ? kKindNames[kind] : "?"; }

std::vector<uint8_t> read_file(const std::string &path) {
  // Regular files only (a device such as /dev/zero would be read without end), at most 4 GiB (the
  // image format's sizes are 32-bit; checkpoints of that size are far beyond these tools).
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    throw Error(path + ": not a regular file (" + (std::filesystem::is_directory(st) ? "a directory" : "a device, FIFO or socket") + ")");
  if (!ec && std::filesystem::exists(st) && std::filesystem::file_size(path, ec) > 0xffffffffull)
    throw Error(path + ": larger than 4 GiB");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open for reading");
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void write_file(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open for writing");
  f.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw Error(path + ": write failed");
}
std::vector<int32_t> read_ids(const std::string &path) {
  std::ifstream f(path);
  if (!f) throw Error(path + ": cannot open token id file");
  std::vector<int32_t> ids;
  long v;
  while (f >> v) ids.push_back(static_cast<int32_t>(v));
  if (!f.eof()) throw Error(path + ": expected whitespace-separated integers, found a non-number after " + std::to_string(ids.size()) + " ids");
  return ids;
}

// ---- checkpoint -------------------------------------------------------------------------------
Checkpoint load_checkpoint(const std::string &path) { return parse_checkpoint(read_file(path), path); }

Checkpoint parse_checkpoint(const std::vector<uint8_t> &b, const std::string &path) {
  if (b.size() < 28) throw Error(path + ": " + std::to_string(b.size()) + " bytes, too short for the 28-byte llama2.c header");
  int32_t h[7];
  std::memcpy(h, b.data(), 28);
  const char *names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; i++) {
    if (i == 5) continue;
    if (h[i] <= 0 || h[i] > (1 << 20)) throw Error(path + ": header field " + names[i] + " = " + std::to_string(h[i]) + ", expected 1.." + std::to_string(1 << 20) + " (not a llama2.c checkpoint?)");
  }
  Checkpoint ck;
  Dims &d = ck.d;
  d.dim = h[0]; d.hidden_dim = h[1]; d.n_layers = h[2]; d.n_heads = h[3]; d.n_kv_heads = h[4];
  d.shared_classifier = h[5] > 0;
  d.vocab_size = static_cast<uint32_t>(h[5] > 0 ? int64_t(h[5]) : -int64_t(h[5]));  // INT32_MIN: out of range below
  d.seq_len = h[6];
  if (d.vocab_size == 0 || d.vocab_size > (1u << 20)) throw Error(path + ": vocab_size " + std::to_string(h[5]) + " out of range");
  if (d.dim % d.n_heads) throw Error(path + ": dim " + std::to_string(d.dim) + " is not a multiple of n_heads " + std::to_string(d.n_heads));
  if (d.n_kv_heads > d.n_heads || d.n_heads % d.n_kv_heads) throw Error(path + ": n_heads " + std::to_string(d.n_heads) + " is not a multiple of n_kv_heads " + std::to_string(d.n_kv_heads));
  uint64_t L = d.n_layers, dim = d.dim, hid = d.hidden_dim, kv = d.kv_dim(), V = d.vocab_size;
  uint64_t hs = dim / d.n_heads;
  uint64_t floats = V * dim + L * dim + L * dim * dim + 2 * L * kv * dim + L * dim * dim + L * dim +
                    3 * L * hid * dim + dim + 2 * (uint64_t)d.seq_len * hs / 2 + (d.shared_classifier ? 0 : V * dim);
  // floats < 2^63 (no term exceeds 3 * 2^60 with every field <= 2^20), but the byte count floats * 4
  // can wrap around 2^64 and match a small file: refuse it first.
  if (floats > (b.size() - 28) / 4)
    throw Error(path + ": " + std::to_string(b.size()) + " bytes, but a checkpoint with dim " + std::to_string(dim) + ", hidden " + std::to_string(hid) + ", " +
                std::to_string(L) + " layers, vocab " + std::to_string(V) + ", seq_len " + std::to_string(d.seq_len) + " has " + std::to_string(floats) +
                " floats (truncated)");
  const uint64_t need = 28 + floats * 4;
  if (b.size() != need)
    throw Error(path + ": " + std::to_string(b.size()) + " bytes, but a checkpoint with dim " + std::to_string(dim) + ", hidden " + std::to_string(hid) + ", " +
                std::to_string(L) + " layers, vocab " + std::to_string(V) + ", seq_len " + std::to_string(d.seq_len) + " has " + std::to_string(need) +
                (b.size() < need ? " (truncated)" : " (trailing data: inconsistent header)"));
  const float *p = reinterpret_cast<const float *>(b.data() + 28);
  auto take = [&](std::vector<float> &v, uint64_t n) { v.assign(p, p + n); p += n; };
  take(ck.tok_emb, V * dim);
  take(ck.rms_att, L * dim);
  take(ck.wq, L * dim * dim);
  take(ck.wk, L * kv * dim);
  take(ck.wv, L * kv * dim);
  take(ck.wo, L * dim * dim);
  take(ck.rms_ffn, L * dim);
  take(ck.w1, L * hid * dim);
  take(ck.w2, L * dim * hid);
  take(ck.w3, L * hid * dim);
  take(ck.rms_final, dim);
  p += d.seq_len * hs;  // freq_cis_real, freq_cis_imag (unused)
  if (!d.shared_classifier) take(ck.wcls, V * dim);
  for (const float *q = reinterpret_cast<const float *>(b.data() + 28); q < p; q++)
    if (!std::isfinite(*q)) throw Error(path + ": non-finite weight at float index " + std::to_string(q - reinterpret_cast<const float *>(b.data() + 28)));
  return ck;
}

Tokenizer load_tokenizer(const std::string &path, uint32_t vocab_size) { return parse_tokenizer(read_file(path), vocab_size, path); }

Tokenizer parse_tokenizer(const std::vector<uint8_t> &b, uint32_t vocab_size, const std::string &path) {
  Tokenizer t;
  size_t off = 0;
  auto need = [&](size_t n, const std::string &what) {
    if (off + n > b.size()) throw Error(path + ": truncated at byte " + std::to_string(off) + " reading " + what + " (file has " + std::to_string(b.size()) + " bytes, vocab " + std::to_string(vocab_size) + ")");
  };
  need(4, "max_token_length");
  int32_t mtl;
  std::memcpy(&mtl, b.data(), 4);
  off = 4;
  if (mtl <= 0 || mtl > static_cast<int32_t>(TLLM_MAX_TOKEN_LENGTH_LIMIT)) throw Error(path + ": max_token_length " + std::to_string(mtl) + ", expected 1.." + std::to_string(TLLM_MAX_TOKEN_LENGTH_LIMIT));
  t.max_token_length = mtl;
  for (uint32_t i = 0; i < vocab_size; i++) {
    float sc;
    int32_t len;
    need(8, "token " + std::to_string(i));
    std::memcpy(&sc, b.data() + off, 4);
    std::memcpy(&len, b.data() + off + 4, 4);
    off += 8;
    if (len < 0 || len > mtl) throw Error(path + ": token " + std::to_string(i) + " has length " + std::to_string(len) + ", expected 0.." + std::to_string(mtl));
    need(len, "token " + std::to_string(i) + " bytes");
    std::string s(reinterpret_cast<const char *>(b.data() + off), len);
    off += len;
    if (s.find('\0') != std::string::npos) throw Error(path + ": token " + std::to_string(i) + " contains a NUL byte");
    t.vocab.push_back(s);
    t.scores.push_back(sc);
  }
  if (off != b.size()) throw Error(path + ": " + std::to_string(b.size() - off) + " trailing bytes after " + std::to_string(vocab_size) + " tokens (vocabulary size mismatch with the checkpoint?)");
  return t;
}

// ---- quantization specs ---------------------------------------------------------------------------
QSpec parse_qspec(const std::string &s) {
  QSpec q;
  std::stringstream ss(s);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(ss, part, ':')) parts.push_back(part);
  if (parts.empty()) throw Error("precision '" + s + "': empty");
  const std::string &p = parts[0];
  if (p == "fp32") q.prec = TLLM_FP32;
  else if (p == "int8") q.prec = TLLM_INT8;
  else if (p == "int4") q.prec = TLLM_INT4;
  else if (p == "int2") q.prec = TLLM_INT2;
  else throw Error("precision '" + s + "': expected fp32, int8, int4 or int2 (optionally :GROUP[:affine][:clip|:mse|:gptq])");
  for (size_t i = 1; i < parts.size(); i++) {
    const std::string &x = parts[i];
    if (x == "affine") q.mode = QMode::Affine;
    else if (x == "sym") q.mode = QMode::Sym;
    else if (x == "clip") q.clip_search = true;
    else if (x == "mse") q.mse = true;
    else if (x == "gptq") q.gptq = true;
    else {
      char *end = nullptr;
      unsigned long g = std::strtoul(x.c_str(), &end, 10);
      if (x.empty() || *end || g == 0 || g > 65536) throw Error("precision '" + s + "': group size '" + x + "' must be 1..65536");
      q.group = static_cast<uint32_t>(g);
    }
  }
  if (q.prec == TLLM_FP32) q.group = 0;
  return q;
}
std::string qspec_str(const QSpec &q) {
  static const char *n[4] = {"fp32", "int8", "int4", "int2"};
  std::string s = n[q.prec];
  if (q.prec != TLLM_FP32) {
    s += ":" + std::to_string(q.group);
    if (q.mode == QMode::Affine) s += ":affine";
    if (q.clip_search) s += ":clip";
    if (q.mse) s += ":mse";
    if (q.gptq) s += ":gptq";
  }
  return s;
}

QSpec QuantPlan::for_tensor(uint32_t kind, uint32_t layer) const {
  QSpec fp;
  fp.prec = TLLM_FP32;
  fp.group = 0;
  if (kind == TLLM_T_RMS_ATT || kind == TLLM_T_RMS_FFN || kind == TLLM_T_RMS_FINAL || kind == TLLM_T_ROUTER) return fp;
  auto it = by_name.find(kind_name(kind));
  if (it != by_name.end()) return it->second;
  bool global = kind == TLLM_T_TOK_EMB || kind == TLLM_T_WCLS;
  if (!global) {
    auto lt = by_layer.find(layer);
    if (lt != by_layer.end()) return lt->second;
  }
  return matrices;
}

// Stores q (two's complement, `bits` wide) as element j of a packed row.
static void put_q(uint8_t *row, uint32_t bits, uint32_t j, int32_t q) {
  uint32_t u = static_cast<uint32_t>(q) & ((1u << bits) - 1u);
  if (bits == 8) row[j] = static_cast<uint8_t>(u);
  else if (bits == 4) row[j >> 1] |= static_cast<uint8_t>(u << (4 * (j & 1)));
  else row[j >> 2] |= static_cast<uint8_t>(u << (2 * (j & 3)));
}

// Quantize one group with a given range; returns squared error. Sym: q in [-qmax, qmax], w = s q.
// Affine: q in [qlo, qhi] (full two's complement range), w = s q + o.
static double quant_group(const float *w, uint32_t n, uint32_t bits, QMode mode, float lo, float hi,
                          float &s_out, float &o_out, int32_t *q_out) {
  double err = 0;
  if (mode == QMode::Sym) {
    int32_t qmax = tllm_qmax(bits == 8 ? TLLM_INT8 : bits == 4 ? TLLM_INT4 : TLLM_INT2);
    float amax = std::max(std::fabs(lo), std::fabs(hi));
    float s = amax / static_cast<float>(qmax);
    for (uint32_t j = 0; j < n; j++) {
      int32_t q = s > 0 ? static_cast<int32_t>(std::lround(w[j] / s)) : 0;
      q = std::clamp(q, -qmax, qmax);
      q_out[j] = q;
      double e = w[j] - static_cast<double>(s) * q;
      err += e * e;
    }
    s_out = s;
    o_out = 0;
  } else {
    int32_t qlo = -(1 << (bits - 1)), qhi = (1 << (bits - 1)) - 1;
    float s = (hi - lo) / static_cast<float>(qhi - qlo);
    float o = lo - s * static_cast<float>(qlo);
    for (uint32_t j = 0; j < n; j++) {
      int32_t q = s > 0 ? static_cast<int32_t>(std::lround((w[j] - o) / s)) : 0;
      q = std::clamp(q, qlo, qhi);
      q_out[j] = q;
      double e = w[j] - (static_cast<double>(s) * q + o);
      err += e * e;
    }
    s_out = s;
    o_out = o;
  }
  return err;
}

void quantize_tensor(const std::vector<float> &w, uint32_t rows, uint32_t cols, const QSpec &q,
                     std::vector<uint8_t> &data, std::vector<float> &scales, std::vector<float> &offsets) {
  uint32_t bits = tllm_prec_bits(q.prec), rb = tllm_row_bytes(q.prec, cols);
  data.assign(static_cast<size_t>(rows) * rb, 0);
  scales.clear();
  offsets.clear();
  if (q.prec == TLLM_FP32) {
    std::memcpy(data.data(), w.data(), data.size());
    return;
  }
  if (q.mse) {  // weighted search without calibration: H = identity (tllm_quant.cpp)
    QuantizedTensor t;
    quantize_tensor_h(w, rows, cols, q, {}, 0.0f, false, t, nullptr);
    data = std::move(t.data);
    scales = std::move(t.scales);
    offsets = std::move(t.offsets);
    return;
  }
  uint32_t G = q.group, ng = tllm_groups_per_row(cols, G);
  scales.resize(static_cast<size_t>(rows) * ng);
  if (q.mode == QMode::Affine) offsets.resize(scales.size());
  std::vector<int32_t> qb(G), best(G);
  for (uint32_t r = 0; r < rows; r++) {
    const float *row = w.data() + static_cast<size_t>(r) * cols;
    uint8_t *out = data.data() + static_cast<size_t>(r) * rb;
    for (uint32_t g = 0; g < ng; g++) {
      uint32_t lo = g * G, n = std::min(G, cols - lo);
      float mn = row[lo], mx = row[lo];
      for (uint32_t j = 1; j < n; j++) { mn = std::min(mn, row[lo + j]); mx = std::max(mx, row[lo + j]); }
      if (q.mode == QMode::Affine) { mn = std::min(mn, 0.0f); mx = std::max(mx, 0.0f); }
      float s, o, bs = 0, bo = 0;
      double be = quant_group(row + lo, n, bits, q.mode, mn, mx, bs, bo, best.data());
      if (q.clip_search) {
        // shrink the range (both ends for affine, the magnitude for sym) and keep the best error
        for (int a = 0; a < 40; a++) {
          for (int b = 0; b < (q.mode == QMode::Affine ? 40 : 1); b++) {
            float fl = 1.0f - 0.0125f * a, fh = q.mode == QMode::Affine ? 1.0f - 0.0125f * b : fl;
            double e = quant_group(row + lo, n, bits, q.mode, mn * fl, mx * fh, s, o, qb.data());
            if (e < be) { be = e; bs = s; bo = o; best = qb; }
          }
        }
      }
      for (uint32_t j = 0; j < n; j++) put_q(out, bits, lo + j, best[j]);
      scales[static_cast<size_t>(r) * ng + g] = bs;
      if (q.mode == QMode::Affine) offsets[static_cast<size_t>(r) * ng + g] = bo;
    }
  }
}

// ---- specs ------------------------------------------------------------------------------------
static std::function<std::vector<float>()> slice(const std::vector<float> &all, uint64_t off, uint64_t n) {
  const std::vector<float> *p = &all;
  return [p, off, n]() { return std::vector<float>(p->begin() + off, p->begin() + off + n); };
}

ModelSpec spec_from_checkpoint(const Checkpoint &ck, const Tokenizer &tok, const QuantPlan &plan) {
  ModelSpec m;
  m.d = ck.d;
  m.tok = tok;
  const Dims &d = ck.d;
  uint64_t dim = d.dim, hid = d.hidden_dim, kv = d.kv_dim(), V = d.vocab_size;
  bool sep = !d.shared_classifier || plan.separate_classifier;
  m.d.shared_classifier = !sep;
  auto add = [&](uint32_t kind, uint32_t layer, uint32_t rows, uint32_t cols, std::function<std::vector<float>()> src) {
    TensorSpec t;
    t.kind = kind; t.layer = layer; t.rows = rows; t.cols = cols;
    t.q = plan.for_tensor(kind, layer);
    t.source = std::move(src);
    m.tensors.push_back(std::move(t));
  };
  add(TLLM_T_TOK_EMB, 0, V, dim, slice(ck.tok_emb, 0, V * dim));
  for (uint32_t l = 0; l < d.n_layers; l++) {
    add(TLLM_T_RMS_ATT, l, 1, dim, slice(ck.rms_att, l * dim, dim));
    add(TLLM_T_WQ, l, dim, dim, slice(ck.wq, l * dim * dim, dim * dim));
    add(TLLM_T_WK, l, kv, dim, slice(ck.wk, l * kv * dim, kv * dim));
    add(TLLM_T_WV, l, kv, dim, slice(ck.wv, l * kv * dim, kv * dim));
    add(TLLM_T_WO, l, dim, dim, slice(ck.wo, l * dim * dim, dim * dim));
    add(TLLM_T_RMS_FFN, l, 1, dim, slice(ck.rms_ffn, l * dim, dim));
    add(TLLM_T_W1, l, hid, dim, slice(ck.w1, l * hid * dim, hid * dim));
    add(TLLM_T_W2, l, dim, hid, slice(ck.w2, l * dim * hid, dim * hid));
    add(TLLM_T_W3, l, hid, dim, slice(ck.w3, l * hid * dim, hid * dim));
  }
  add(TLLM_T_RMS_FINAL, 0, 1, dim, slice(ck.rms_final, 0, dim));
  if (sep) add(TLLM_T_WCLS, 0, V, dim, d.shared_classifier ? slice(ck.tok_emb, 0, V * dim) : slice(ck.wcls, 0, V * dim));
  return m;
}

// splitmix64
static uint64_t mix(uint64_t &s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

ModelSpec spec_synthetic(const Dims &din, uint64_t seed, const QuantPlan &plan) {
  ModelSpec m;
  m.d = din;
  Dims &d = m.d;
  d.shared_classifier = !plan.separate_classifier;
  if (d.vocab_size < 259) throw Error("synthetic model: vocab " + std::to_string(d.vocab_size) + " must be >= 259 (3 specials + 256 byte tokens)");
  // tokenizer: <unk> <s> </s>, <0x00>..<0xFF>, then merges of printable pairs with decreasing score
  Tokenizer &t = m.tok;
  t.vocab = {"<unk>", "\n<s>\n", "\n</s>\n"};
  char buf[8];
  for (int b = 0; b < 256; b++) { std::snprintf(buf, sizeof buf, "<0x%02X>", b); t.vocab.push_back(buf); }
  t.scores.assign(t.vocab.size(), 0.0f);
  const std::string letters = " etaoinshrdlucmfwypvbgkjqxz";
  for (size_t i = 0; t.vocab.size() < d.vocab_size; i++) {
    std::string s;
    if (i < letters.size()) s = std::string(1, letters[i]);
    else { size_t k = i - letters.size(); s = std::string(1, letters[k % letters.size()]) + letters[(k / letters.size()) % letters.size()]; if (k >= letters.size() * letters.size()) s += std::to_string(k); }
    if (std::find(t.vocab.begin(), t.vocab.end(), s) != t.vocab.end()) continue;
    t.vocab.push_back(s);
    t.scores.push_back(-static_cast<float>(i));
  }
  t.max_token_length = 0;
  for (auto &s : t.vocab) t.max_token_length = std::max<uint32_t>(t.max_token_length, s.size());
  uint32_t counter = 0;
  auto rnd = [seed, &counter](uint32_t rows, uint32_t cols, bool norm) {
    uint64_t st = seed * 1000003ull + (counter++);
    return [st, rows, cols, norm]() {
      uint64_t s = st;
      std::vector<float> v(static_cast<size_t>(rows) * cols);
      float sc = 1.0f / std::sqrt(static_cast<float>(cols));
      for (auto &x : v) {
        float u = static_cast<float>((mix(s) >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
        x = norm ? 1.0f + 0.1f * u : u * sc * 1.7f;
      }
      return v;
    };
  };
  auto add = [&](uint32_t kind, uint32_t layer, uint32_t expert, uint32_t rows, uint32_t cols) {
    TensorSpec ts;
    ts.kind = kind; ts.layer = layer; ts.expert = expert; ts.rows = rows; ts.cols = cols;
    ts.q = plan.for_tensor(kind, layer);
    bool norm = kind == TLLM_T_RMS_ATT || kind == TLLM_T_RMS_FFN || kind == TLLM_T_RMS_FINAL;
    ts.source = rnd(rows, cols, norm);
    m.tensors.push_back(std::move(ts));
  };
  uint32_t dim = d.dim, kv = d.kv_dim();
  add(TLLM_T_TOK_EMB, 0, 0, d.vocab_size, dim);
  for (uint32_t l = 0; l < d.n_layers; l++) {
    add(TLLM_T_RMS_ATT, l, 0, 1, dim);
    add(TLLM_T_WQ, l, 0, dim, dim);
    add(TLLM_T_WK, l, 0, kv, dim);
    add(TLLM_T_WV, l, 0, kv, dim);
    add(TLLM_T_WO, l, 0, dim, dim);
    add(TLLM_T_RMS_FFN, l, 0, 1, dim);
    if (!d.n_experts) {
      add(TLLM_T_W1, l, 0, d.hidden_dim, dim);
      add(TLLM_T_W2, l, 0, dim, d.hidden_dim);
      add(TLLM_T_W3, l, 0, d.hidden_dim, dim);
    } else {
      add(TLLM_T_ROUTER, l, 0, d.n_experts, dim);
      for (uint32_t e = 0; e < d.n_shared; e++) {
        add(TLLM_T_SHX_W1, l, e, d.expert_hidden, dim);
        add(TLLM_T_SHX_W2, l, e, dim, d.expert_hidden);
        add(TLLM_T_SHX_W3, l, e, d.expert_hidden, dim);
      }
      for (uint32_t e = 0; e < d.n_experts; e++) {
        add(TLLM_T_EXP_W1, l, e, d.expert_hidden, dim);
        add(TLLM_T_EXP_W2, l, e, dim, d.expert_hidden);
        add(TLLM_T_EXP_W3, l, e, d.expert_hidden, dim);
      }
    }
  }
  add(TLLM_T_RMS_FINAL, 0, 0, 1, dim);
  if (!d.shared_classifier) add(TLLM_T_WCLS, 0, 0, d.vocab_size, dim);
  return m;
}

// ---- image writer ------------------------------------------------------------------------------
static void align16(std::vector<uint8_t> &b) { b.resize(tllm_round_up(static_cast<uint32_t>(b.size()), TLLM_ALIGN), 0); }
static void put32(std::vector<uint8_t> &b, uint32_t v) { for (int i = 0; i < 4; i++) b.push_back(static_cast<uint8_t>(v >> (8 * i))); }

std::vector<uint8_t> build_image(const ModelSpec &spec) {
  const Dims &d = spec.d;
  std::vector<uint8_t> img(TLLM_HEADER_SIZE, 0);
  uint32_t nt = static_cast<uint32_t>(spec.tensors.size());
  uint32_t table_off = static_cast<uint32_t>(img.size());
  img.resize(img.size() + static_cast<size_t>(nt) * TLLM_TENSOR_ENTRY_SIZE, 0);
  align16(img);
  // tokenizer
  uint32_t tok_off = static_cast<uint32_t>(img.size());
  const Tokenizer &t = spec.tok;
  uint32_t V = static_cast<uint32_t>(t.vocab.size());
  if (V != d.vocab_size) throw Error("tokenizer has " + std::to_string(V) + " tokens, model vocab is " + std::to_string(d.vocab_size));
  std::vector<uint8_t> tk;
  uint32_t strings_off = TLLM_TOK_HEADER_SIZE + 12u * V;
  put32(tk, V); put32(tk, t.max_token_length); put32(tk, strings_off); put32(tk, 0);
  std::vector<uint32_t> soff(V);
  std::string strings;
  for (uint32_t i = 0; i < V; i++) { soff[i] = static_cast<uint32_t>(strings.size()); strings += t.vocab[i]; strings.push_back('\0'); }
  for (uint32_t i = 0; i < V; i++) put32(tk, soff[i]);
  for (uint32_t i = 0; i < V; i++) { uint32_t u; std::memcpy(&u, &t.scores[i], 4); put32(tk, u); }
  std::vector<uint32_t> sorted(V);
  for (uint32_t i = 0; i < V; i++) sorted[i] = i;
  std::stable_sort(sorted.begin(), sorted.end(), [&](uint32_t a, uint32_t b) { return std::strcmp(t.vocab[a].c_str(), t.vocab[b].c_str()) < 0; });
  for (uint32_t i = 0; i < V; i++) put32(tk, sorted[i]);
  tk.insert(tk.end(), strings.begin(), strings.end());
  img.insert(img.end(), tk.begin(), tk.end());
  uint32_t tok_size = static_cast<uint32_t>(tk.size());
  align16(img);
  uint32_t data_off = static_cast<uint32_t>(img.size());
  std::vector<uint8_t> data;
  std::vector<float> scales, offsets;
  for (uint32_t i = 0; i < nt; i++) {
    const TensorSpec &ts = spec.tensors[i];
    std::vector<float> w = ts.source();
    if (w.size() != static_cast<size_t>(ts.rows) * ts.cols) throw Error("tensor " + kind_name(ts.kind) + ": source size mismatch");
    if (ts.packed) {
      data = ts.packed->data;
      scales = ts.packed->scales;
      offsets = ts.packed->offsets;
    } else if (ts.q.gptq && ts.q.prec != TLLM_FP32) {
      throw Error("tensor " + kind_name(ts.kind) + " (layer " + std::to_string(ts.layer) + "): precision " + qspec_str(ts.q) +
                  " needs calibration data (quantize_calibrated(), run by mcucim-pack); the synthetic generator has none");
    } else {
      quantize_tensor(w, ts.rows, ts.cols, ts.q, data, scales, offsets);
    }
    tllm_tensor_entry e{};
    e.kind = static_cast<uint8_t>(ts.kind);
    e.precision = static_cast<uint8_t>(ts.q.prec);
    e.flags = (ts.q.prec != TLLM_FP32 && ts.q.mode == QMode::Affine) ? TLLM_TFLAG_AFFINE : 0;
    if (ts.q.prec != TLLM_FP32 && ts.q.cim) e.flags |= TLLM_TFLAG_CIM;
    e.layer = static_cast<uint16_t>(ts.layer);
    e.expert = static_cast<uint16_t>(ts.expert);
    e.rows = ts.rows; e.cols = ts.cols;
    e.group_size = ts.q.prec == TLLM_FP32 ? 0 : ts.q.group;
    align16(img);
    e.data_offset = static_cast<uint32_t>(img.size());
    e.data_bytes = static_cast<uint32_t>(data.size());
    img.insert(img.end(), data.begin(), data.end());
    if (ts.q.prec != TLLM_FP32) {
      align16(img);
      e.scales_offset = static_cast<uint32_t>(img.size());
      const uint8_t *sp = reinterpret_cast<const uint8_t *>(scales.data());
      img.insert(img.end(), sp, sp + scales.size() * 4);
      const uint8_t *op = reinterpret_cast<const uint8_t *>(offsets.data());
      img.insert(img.end(), op, op + offsets.size() * 4);
    }
    if (img.size() > 0xFFFFFFF0ull) throw Error("model image exceeds 4 GiB");
    std::memcpy(img.data() + table_off + static_cast<size_t>(i) * TLLM_TENSOR_ENTRY_SIZE, &e, sizeof e);
  }
  align16(img);
  tllm_header h{};
  h.magic = TLLM_MAGIC; h.version = TLLM_VERSION_MIN; h.header_size = TLLM_HEADER_SIZE;  // version 2 only with CIM windows
  h.image_size = static_cast<uint32_t>(img.size());
  h.flags = d.shared_classifier ? TLLM_FLAG_SHARED_CLASSIFIER : 0;
  h.dim = d.dim; h.hidden_dim = d.hidden_dim; h.n_layers = d.n_layers; h.n_heads = d.n_heads;
  h.n_kv_heads = d.n_kv_heads; h.vocab_size = d.vocab_size; h.seq_len = d.seq_len;
  h.n_experts = d.n_experts; h.n_shared_experts = d.n_shared; h.top_k = d.top_k; h.expert_hidden_dim = d.expert_hidden;
  h.n_tensors = nt; h.tensor_table_offset = table_off; h.tokenizer_offset = tok_off; h.tokenizer_size = tok_size;
  h.data_offset = data_off; h.rope_theta = 10000.0f; h.norm_eps = 1e-5f; h.bos_id = 1; h.eos_id = 2;
  std::memcpy(img.data(), &h, sizeof h);
  h.checksum = tllm_fnv1a(TLLM_FNV_OFFSET, img.data() + TLLM_CHECKSUM_START, h.image_size - TLLM_CHECKSUM_START);
  std::memcpy(img.data() + 16, &h.checksum, 4);
  return img;
}

uint32_t mark_cim(ModelSpec &spec, const std::string &place, bool keep_groups) {
  tllm_cim_place p;
  tllm_error err{};
  if (tllm_cim_parse_place(place.c_str(), &p, &err) != TLLM_OK) throw Error(std::string("option --cim: ") + err.msg);
  if (p.from_image) throw Error("option --cim: 'image' is a run-time choice; name the tensors (e.g. ffn)");
  uint32_t n = 0;
  for (auto &t : spec.tensors) {
    if (t.q.prec == TLLM_FP32) continue;
    bool on;
    if (t.kind == TLLM_T_TOK_EMB) on = spec.d.shared_classifier && (p.kinds >> TLLM_T_WCLS & 1u);
    else if (t.kind == TLLM_T_WCLS) on = (p.kinds >> TLLM_T_WCLS & 1u) != 0;
    else on = (p.kinds >> t.kind & 1u) && t.layer >= p.layer_lo && t.layer <= p.layer_hi;
    if (!on) continue;
    t.q.cim = true;
    if (!keep_groups) t.q.group = t.cols;
    n++;
  }
  return n;
}

// ---- running ------------------------------------------------------------------------------------
std::vector<uint8_t> share_image(const std::vector<uint8_t> &image, uint32_t rank, uint32_t size) {
  LoadedModel lm;
  tllm_error err{};
  if (lm.open(image, &err) != TLLM_OK) throw Error(std::string("the image does not open: ") + err.msg);
  const tllm_model &m = lm.model;
  if (size < 2 || size > TLLM_TP_MAX || rank >= size)
    throw Error("--share " + std::to_string(rank) + "/" + std::to_string(size) + ": expected RANK/SIZE with SIZE 2.." +
                std::to_string(TLLM_TP_MAX) + " and RANK below SIZE");
  if (m.share_size) throw Error("the image is already a share (rank " + std::to_string(m.share_rank) + " of " +
                                std::to_string(m.share_size) + ")");
  if (m.n_experts) throw Error("shares are for dense models (this one has " + std::to_string(m.n_experts) + " experts)");
  if (m.n_kv_heads % size)
    throw Error(std::to_string(size) + " ranks do not divide the model's " + std::to_string(m.n_kv_heads) + " kv heads");
  if (lm.model.hdr->flags & TLLM_FLAG_CIM_WINDOWS) throw Error("a share of an image with CIM windows is not supported");
  const tllm_header &h0 = *m.hdr;
  // Header, table and tokenizer as they are (offsets unchanged), then the data section again.
  std::vector<uint8_t> out(lm.image, lm.image + h0.data_offset);
  // The entry of tensor i in `out` (out grows, so its address is taken anew each time).
  auto entry = [&](uint32_t i) -> tllm_tensor_entry & {
    return reinterpret_cast<tllm_tensor_entry *>(out.data() + h0.tensor_table_offset)[i];
  };
  for (uint32_t i = 0; i < h0.n_tensors; i++) {
    const tllm_tensor_entry &e = m.table[i];
    uint32_t r0 = 0, r1 = 0;
    tllm_share_rows(&m, i, rank, size, &r0, &r1);
    const size_t row_bytes = e.precision == TLLM_FP32 ? size_t(e.cols) * 4u : tllm_row_bytes(e.precision, e.cols);
    align16(out);
    entry(i).data_offset = static_cast<uint32_t>(out.size());
    entry(i).data_bytes = static_cast<uint32_t>(row_bytes * (r1 - r0));
    const uint8_t *src = lm.image + e.data_offset;
    out.insert(out.end(), src + row_bytes * r0, src + row_bytes * r1);
    if (e.precision != TLLM_FP32) {
      const size_t ng = tllm_groups_per_row(e.cols, e.group_size);
      align16(out);
      entry(i).scales_offset = static_cast<uint32_t>(out.size());
      const uint8_t *sc = lm.image + e.scales_offset;
      out.insert(out.end(), sc + ng * 4u * r0, sc + ng * 4u * r1);
      if (e.flags & TLLM_TFLAG_AFFINE) {  // the offsets follow the scales
        const uint8_t *of = sc + size_t(e.rows) * ng * 4u;
        out.insert(out.end(), of + ng * 4u * r0, of + ng * 4u * r1);
      }
    }
  }
  align16(out);
  tllm_header h = h0;
  h.flags |= TLLM_FLAG_SHARE;
  h.share_rank = rank;
  h.share_size = size;
  h.image_size = static_cast<uint32_t>(out.size());
  std::memcpy(out.data(), &h, sizeof h);
  h.checksum = tllm_fnv1a(TLLM_FNV_OFFSET, out.data() + TLLM_CHECKSUM_START, h.image_size - TLLM_CHECKSUM_START);
  std::memcpy(out.data() + 16, &h.checksum, 4);
  LoadedModel check;
  if (check.open(out, &err) != TLLM_OK) throw Error(std::string("the share does not parse (a bug): ") + err.msg);
  return out;
}

tllm_status LoadedModel::open(const std::vector<uint8_t> &bytes, tllm_error *err, unsigned flags) {
  storage.assign(bytes.size() + TLLM_ALIGN, 0);
  uintptr_t base = reinterpret_cast<uintptr_t>(storage.data());
  size_t pad = (TLLM_ALIGN - base % TLLM_ALIGN) % TLLM_ALIGN;
  std::memcpy(storage.data() + pad, bytes.data(), bytes.size());
  image = storage.data() + pad;
  size = bytes.size();
  return tllm_model_open(&model, image, size, flags, err);
}

namespace {
struct Arena {
  std::unique_ptr<uint8_t[]> mem;
  uint8_t *p = nullptr;
  explicit Arena(size_t n) : mem(new uint8_t[n + TLLM_ALIGN]) {
    uintptr_t b = reinterpret_cast<uintptr_t>(mem.get());
    p = mem.get() + (TLLM_ALIGN - b % TLLM_ALIGN) % TLLM_ALIGN;
  }
};
// Host CIM macros attached to a state; closes them on destruction.
struct HostCim {
  std::vector<cim_macro> macros;
  std::unique_ptr<uint8_t[]> mem;
  tllm_cim ctx{};
  std::string line;
  HostCim() = default;
  HostCim(const HostCim &) = delete;
  HostCim &operator=(const HostCim &) = delete;
  ~HostCim() {
    for (auto &m : macros) cim_close(&m);
  }
  // Returns TLLM_OK or an error with err filled (same messages as the firmware where it matters).
  tllm_status attach(tllm_state *s, const tllm_model &m, const CimOptions &c, tllm_backend fallback, tllm_error *err) {
    tllm_cim_place place;
    std::string spec = c.place;
    if (spec.empty()) {
      bool flagged = false;
      for (uint32_t i = 0; i < m.hdr->n_tensors; i++) flagged |= (m.table[i].flags & TLLM_TFLAG_CIM) != 0;
      spec = flagged ? "image" : "all";
    }
    if (tllm_cim_parse_place(spec.c_str(), &place, err) != TLLM_OK) return TLLM_E_ARG;
    if (!c.macros) { tllm_errorf(err, TLLM_E_CIM_CAPACITY, "no macros (--cim-macros 0)"); return TLLM_E_CIM_CAPACITY; }
    cim_ref_array arr{};
    arr.rows = c.rows; arr.cols = c.cols; arr.cell_bits = c.cell_bits; arr.adc_bits = c.adc_bits; arr.dac_bits = c.dac_bits;
    arr.rows_per_pass = c.rows_per_pass ? c.rows_per_pass : c.rows;
    arr.zero_skip = c.zero_skip ? 1u : 0u;
    arr.type = c.digital ? CIM_TYPE_DIGITAL : CIM_TYPE_ANALOG;
    arr.win_cols = c.window_cols ? c.window_cols : c.cols;
    arr.adc_step = 1;
    if (cim_ref_check_array(&arr) != CIM_OK) {
      tllm_errorf(err, TLLM_E_ARG, "CIM geometry %ux%u, %u-bit cells, %u-bit ADC, %u-bit DAC, %u rows per pass, %u columns per window group is not valid "
                  "(rows/cols 1..4096, cells 1/2/4/8, ADC 1..16, DAC 1..8, rows per pass 1..rows, window groups dividing cols, at most 256)",
                  c.rows, c.cols, c.cell_bits, c.adc_bits, c.dac_bits, arr.rows_per_pass, arr.win_cols);
      return TLLM_E_ARG;
    }
    arr.adc_step = cim_ref_step_for(arr.adc_bits, c.adc_full_scale ? c.adc_full_scale : cim_ref_analog_max(&arr, arr.rows_per_pass));
    cim_macro geo{};
    geo.arr = arr;
    uint32_t need = tllm_cim_macros_needed(&m, &place, &geo, err);
    if (need == 0 && err->code == TLLM_E_UNSUPPORTED) return TLLM_E_UNSUPPORTED;
    if (need > c.macros) {
      tllm_errorf(err, TLLM_E_CIM_CAPACITY, "not enough macros: the tensors placed on CIM (-c %s) need %u macros of %ux%u, but %u are available (-m)",
                  spec.c_str(), need, c.rows, c.cols, c.macros);
      return TLLM_E_CIM_CAPACITY;
    }
    macros.assign(need ? need : 1u, cim_macro{});
    for (auto &mc : macros)
      if (cim_open_host(&mc, &arr) != CIM_OK) { tllm_errorf(err, TLLM_E_NOMEM, "cannot allocate a host CIM macro"); return TLLM_E_NOMEM; }
    size_t bytes = tllm_cim_mem_bytes(&m, &place);
    mem.reset(new uint8_t[bytes + TLLM_ALIGN]);
    uint8_t *p = mem.get() + (TLLM_ALIGN - reinterpret_cast<uintptr_t>(mem.get()) % TLLM_ALIGN) % TLLM_ALIGN;
    tllm_cim_options o{macros.data(), static_cast<uint32_t>(macros.size()), place, fallback, c.windows ? 1 : 0, 0};
    tllm_status st = tllm_cim_attach(s, &ctx, &o, p, bytes, err);
    if (st != TLLM_OK) return st;
    char buf[200];
    std::snprintf(buf, sizeof buf, "cim: %u tensors on %u of %u macros (%ux%u, %u-bit ADC, step %u) rows/pass %u%s%s%s", ctx.n_placed,
                  ctx.used_macros, c.macros, arr.rows, arr.cols, arr.adc_bits, arr.adc_step, arr.rows_per_pass,
                  arr.type == CIM_TYPE_DIGITAL ? ", digital" : "", c.windows ? ", windows" : "", arr.zero_skip ? ", zero skipping" : "");
    line = buf;
    return TLLM_OK;
  }
};

// A runtime state on the host as the tools use it: the memory plan for `cfg` within o.ram_budget, its
// arena, the state on o.backend (optionally with other kernels) and, with o.cim.enabled, host CIM
// macros attached (the backend of what stays off CIM is then scalar for a CIM backend).
struct HostSession {
  tllm_plan plan{};
  std::unique_ptr<Arena> arena;
  tllm_state s{};
  HostCim hc;
  bool cim_failed = false;  // open() failed attaching the CIM macros (not planning or initialising)
  // TLLM_OK, or the failing call's status with err filled.
  tllm_status open(const tllm_model &m, const tllm_config &cfg, const RunOptions &o, tllm_error *err,
                   const tllm_kernels *kernels = nullptr) {
    if (tllm_plan_memory(&plan, &m, &cfg, o.ram_budget, err) != TLLM_OK) return err->code;
    arena = std::make_unique<Arena>(plan.total);
    const tllm_backend kb = o.cim.enabled && o.backend == TLLM_BACKEND_CIM ? TLLM_BACKEND_SCALAR : o.backend;
    if (tllm_state_init(&s, &m, &plan, arena->p, plan.total, o.cim.enabled ? kb : o.backend, err) != TLLM_OK) return err->code;
    if (kernels) s.kern = kernels;
    if (o.cim.enabled) {
      const tllm_status st = hc.attach(&s, m, o.cim, kb, err);
      cim_failed = st != TLLM_OK;
      if (cim_failed) return st;
    }
    return TLLM_OK;
  }
};
}  // namespace

std::string fraction6(uint32_t agree, uint32_t n) {
  uint64_t micro = n ? (static_cast<uint64_t>(agree) * 1000000u + n / 2u) / n : 0u;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(micro / 1000000u),
                static_cast<unsigned long long>(micro % 1000000u));
  return buf;
}

RunResult generate(const tllm_model &m, const RunOptions &o) {
  RunResult r;
  tllm_error err{};
  // prefill chunks hold prompt positions 0..n-2: plan for no more than the prompt can use (n <= bytes + 2)
  const uint32_t chunk = std::max<uint32_t>(1u, std::min<uint32_t>(o.chunk, static_cast<uint32_t>(o.prompt.size()) + 1u));
  tllm_config cfg{o.max_seq, o.kv_int8 ? 1 : 0, chunk, 0, o.parts};
  auto fail = [&](tllm_status st) { r.status = st; r.error = err.msg; return r; };
  HostSession hs;
  if (hs.open(m, cfg, o, &err) != TLLM_OK) return fail(err.code);
  tllm_state &s = hs.s;
  const tllm_plan &plan = hs.plan;
  HostCim &hc = hs.hc;
  r.cim_line = hc.line;
  if (o.tensor_bytes_read) { o.tensor_bytes_read->assign(m.hdr->n_tensors, 0); s.tensor_bytes_read = o.tensor_bytes_read->data(); }
  const tllm_cluster cluster{o.parts, tllm_cluster_serial};  // the firmware's -T, parts in turn
  if (o.parts > 1) s.cluster = &cluster;
  tllm_stream stream{};
  tllm_stream_config scfg{o.stream_bytes, o.expert_slots};
  const bool use_stream = o.stream_bytes || o.expert_slots;
  std::unique_ptr<Arena> smem;
  if (use_stream) {
    if (o.cim.enabled) { tllm_errorf(&err, TLLM_E_ARG, "weight streaming is not combined with CIM"); return fail(err.code); }
    size_t need = 0;
    if (tllm_stream_size(&m, &scfg, o.ram_budget - std::min(o.ram_budget, plan.total), &need, &err) != TLLM_OK) return fail(err.code);
    smem = std::make_unique<Arena>(need);
    if (tllm_stream_attach(&s, &stream, &scfg, smem->p, need, &err) != TLLM_OK) return fail(err.code);
  }
  std::vector<uint32_t> route_log;
  if (o.routes && m.n_experts) {
    route_log.resize(static_cast<size_t>(plan.cfg.max_seq) * m.n_layers * m.top_k);
    s.route_log = route_log.data();
    s.route_cap = static_cast<uint32_t>(route_log.size());
  }
  std::vector<int32_t> toks(o.prompt.size() + 3);
  uint32_t n = 0;
  if (tllm_encode(&m, o.prompt.c_str(), 1, 0, toks.data(), static_cast<uint32_t>(toks.size()), &n, &err) != TLLM_OK) return fail(err.code);
  toks.resize(n);
  r.prompt_tokens = toks;
  uint32_t steps = o.steps;
  if (steps == 0 || steps > plan.cfg.max_seq) steps = plan.cfg.max_seq;
  if (n > steps) {
    tllm_errorf(&err, TLLM_E_PROMPT_TOO_LONG, "prompt is %u tokens (with BOS) but only %u positions are available (steps/max_seq/seq_len)", n, steps);
    return fail(err.code);
  }
  tllm_sampler sp;
  tllm_sampler_init(&sp, m.vocab_size, o.temperature, o.topp, o.seed, s.probidx);
  int32_t token = toks[0];
  char bb[2];
  auto cim_failed = [&](uint32_t pos) {
    if (!o.cim.enabled || !tllm_cim_error(&hc.ctx)) return false;
    tllm_errorf(&err, TLLM_E_BACKEND, "CIM: macro error %d at position %u", tllm_cim_error(&hc.ctx), pos);
    return true;
  };
  // prefill (the firmware's loop): positions 0..n-2 in chunks, one position's logits at a time
  uint32_t pos = 0;
  while (pos + 1 < n && pos < steps) {
    uint32_t c = std::min({n - 1 - pos, chunk, steps - pos});
    float *logits = c > 1 ? tllm_forward_chunk(&s, toks.data() + pos, c, pos) : tllm_forward(&s, static_cast<uint32_t>(toks[pos]), pos);
    if (!logits) { tllm_errorf(&err, TLLM_E_ARG, "forward pass rejected positions %u..%u", pos, pos + c - 1); return fail(err.code); }
    if (cim_failed(pos)) return fail(err.code);
    for (uint32_t b = 0; b < c; b++) {
      r.logits_hash = tllm_logits_hash(r.logits_hash, logits + static_cast<size_t>(b) * m.vocab_size, m.vocab_size);
      int32_t next = toks[pos + b + 1];
      r.ids.push_back(next);
      r.text += tllm_decode(&m, token, next, bb);
      token = next;
    }
    pos += c;
  }
  for (; pos < steps; pos++) {
    float *logits = tllm_forward(&s, static_cast<uint32_t>(token), pos);
    if (o.cim.enabled && tllm_cim_error(&hc.ctx)) {
      tllm_errorf(&err, TLLM_E_BACKEND, "CIM: macro error %d at position %u", tllm_cim_error(&hc.ctx), pos);
      return fail(err.code);
    }
    r.logits_hash = tllm_logits_hash(r.logits_hash, logits, m.vocab_size);
    int32_t next = pos + 1 < n ? toks[pos + 1] : static_cast<int32_t>(tllm_sample(&sp, logits));
    if (next == static_cast<int32_t>(m.hdr->bos_id)) break;
    r.ids.push_back(next);
    r.text += tllm_decode(&m, token, next, bb);
    token = next;
  }
  // the firmware's lines (tinyllm_fw.c print_stats)
  std::ostringstream st;
  if (m.n_experts) {
    if (s.route_log) {
      st << "routes:";
      for (uint32_t i = 0; i < s.route_n; i++) st << ' ' << (s.route_log[i] >> 16) << ':' << (s.route_log[i] & 0xffffu);
      st << '\n';
    }
    st << "experts:";
    for (uint32_t e = 0; e < m.n_experts; e++) st << ' ' << s.expert_calls[e];
    st << "\nMETRIC expert_uses=" << s.expert_uses << " expert_hits=" << s.expert_hits << " expert_misses=" << s.expert_misses
       << " expert_bytes_read=" << s.expert_bytes_read << '\n';
  }
  if (use_stream && stream.streaming)
    st << "METRIC stream_bytes=" << stream.bytes_streamed << " stream_blocks=" << stream.blocks
       << " stream_prefetched=" << stream.prefetch_hits << " dma_waits=" << stream.waits << '\n';
  r.stats = st.str();
  return r;
}

double agreement(const tllm_model &m, const std::vector<int32_t> &ids, uint32_t positions, tllm_backend backend) {
  tllm_error err{};
  uint32_t n = std::min<uint32_t>(positions, static_cast<uint32_t>(ids.size()));
  n = std::min(n, m.seq_len);
  tllm_config cfg{n, 0, 1, 0, 1};
  tllm_plan plan;
  if (tllm_plan_memory(&plan, &m, &cfg, kHostRamBudget, &err) != TLLM_OK) throw Error(err.msg);
  Arena arena(plan.total);
  tllm_state s;
  if (tllm_state_init(&s, &m, &plan, arena.p, plan.total, backend, &err) != TLLM_OK) throw Error(err.msg);
  uint32_t agree = 0;
  int32_t token = static_cast<int32_t>(m.hdr->bos_id);
  for (uint32_t pos = 0; pos < n; pos++) {
    float *logits = tllm_forward(&s, static_cast<uint32_t>(token), pos);
    if (static_cast<int32_t>(tllm_argmax(logits, m.vocab_size)) == ids[pos]) agree++;
    token = ids[pos];
  }
  return n ? static_cast<double>(agree) / n : 0.0;
}

AgreeResult agreement_run(const tllm_model &m, const std::vector<int32_t> &ids, uint32_t positions, const RunOptions &o) {
  tllm_error err{};
  AgreeResult r;
  uint32_t n = std::min<uint32_t>(positions, static_cast<uint32_t>(ids.size()));
  n = std::min(n, m.seq_len);
  if (!n) throw Error("agreement: no positions (empty reference or --positions 0)");
  tllm_config cfg{n, o.kv_int8 ? 1 : 0, 1, 0, 1};
  HostSession hs;
  if (hs.open(m, cfg, o, &err) != TLLM_OK) throw Error(hs.cim_failed ? std::string("CIM: ") + err.msg : std::string(err.msg));
  tllm_state &s = hs.s;
  HostCim &hc = hs.hc;
  r.cim_line = hc.line;
  int32_t token = static_cast<int32_t>(m.hdr->bos_id);
  for (uint32_t pos = 0; pos < n; pos++) {
    float *logits = tllm_forward(&s, static_cast<uint32_t>(token), pos);
    if (o.cim.enabled && tllm_cim_error(&hc.ctx)) throw Error("CIM: macro error " + std::to_string(tllm_cim_error(&hc.ctx)));
    r.logits_hash = tllm_logits_hash(r.logits_hash, logits, m.vocab_size);
    int32_t best = static_cast<int32_t>(tllm_argmax(logits, m.vocab_size));
    r.ids.push_back(best);
    r.agree += best == ids[pos];
    token = ids[pos];
  }
  r.positions = n;
  return r;
}

void teacher_forced(const tllm_model &m, const std::vector<std::vector<int32_t>> &seqs, uint32_t max_positions,
                    const RunOptions &o, const std::function<void(const float *)> &each, const tllm_kernels *kernels) {
  tllm_error err{};
  uint32_t longest = 1;
  for (const auto &s : seqs) longest = std::max<uint32_t>(longest, static_cast<uint32_t>(s.size()));
  longest = std::min(longest, m.seq_len);
  tllm_config cfg{longest, o.kv_int8 ? 1 : 0, 1, 0, 1};
  HostSession hs;
  if (hs.open(m, cfg, o, &err, kernels) != TLLM_OK) throw Error(hs.cim_failed ? std::string("CIM: ") + err.msg : std::string(err.msg));
  tllm_state &s = hs.s;
  HostCim &hc = hs.hc;
  uint32_t done = 0;
  for (const auto &seq : seqs) {
    int32_t token = static_cast<int32_t>(m.hdr->bos_id);
    for (uint32_t pos = 0; pos < seq.size() && pos < longest && done < max_positions; pos++, done++) {
      const float *logits = tllm_forward(&s, static_cast<uint32_t>(token), pos);
      if (o.cim.enabled && tllm_cim_error(&hc.ctx)) throw Error("CIM: macro error " + std::to_string(tllm_cim_error(&hc.ctx)));
      each(logits);
      token = seq[pos];
    }
  }
}

}  // namespace tllm_tools

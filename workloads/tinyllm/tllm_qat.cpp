// QAT checkpoint reader (see tllm_qat.h and QUANTIZATION.md).
#include "tllm_qat.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>

namespace tllm_tools {

bool is_qat_checkpoint(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  uint32_t m = 0;
  return f.read(reinterpret_cast<char *>(&m), 4) && m == kTqcMagic;
}

namespace {

struct Reader {
  const std::vector<uint8_t> &b;
  const std::string &path;
  size_t off = 0;
  void need(size_t n, const std::string &what) const {
    if (off + n > b.size())
      throw Error(path + ": truncated: " + what + " needs " + std::to_string(n) + " bytes at offset " + std::to_string(off) +
                  ", the file has " + std::to_string(b.size()));
  }
  uint32_t u32(const std::string &what) {
    need(4, what);
    uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    off += 4;
    return v;
  }
  void floats(std::vector<float> &v, size_t n, const std::string &what) {
    need(n * 4, what);
    v.resize(n);
    std::memcpy(v.data(), b.data() + off, n * 4);
    off += n * 4;
    for (size_t i = 0; i < n; i++)
      if (!std::isfinite(v[i])) throw Error(path + ": " + what + ": value " + std::to_string(i) + " is not finite");
  }
};

// Expected (kind, layer, rows, cols) of the dense model's tensors, canonical order.
struct Slot {
  uint32_t kind, layer, rows, cols;
};
std::vector<Slot> expected_slots(const Dims &d) {
  std::vector<Slot> s;
  uint32_t dim = d.dim, hid = d.hidden_dim, kv = d.kv_dim();
  s.push_back({TLLM_T_TOK_EMB, 0, d.vocab_size, dim});
  for (uint32_t l = 0; l < d.n_layers; l++) {
    s.push_back({TLLM_T_RMS_ATT, l, 1, dim});
    s.push_back({TLLM_T_WQ, l, dim, dim});
    s.push_back({TLLM_T_WK, l, kv, dim});
    s.push_back({TLLM_T_WV, l, kv, dim});
    s.push_back({TLLM_T_WO, l, dim, dim});
    s.push_back({TLLM_T_RMS_FFN, l, 1, dim});
    s.push_back({TLLM_T_W1, l, hid, dim});
    s.push_back({TLLM_T_W2, l, dim, hid});
    s.push_back({TLLM_T_W3, l, hid, dim});
  }
  s.push_back({TLLM_T_RMS_FINAL, 0, 1, dim});
  return s;
}

bool is_norm(uint32_t kind) { return kind == TLLM_T_RMS_ATT || kind == TLLM_T_RMS_FFN || kind == TLLM_T_RMS_FINAL; }

}  // namespace

QatCheckpoint load_qat_checkpoint(const std::string &path) {
  std::vector<uint8_t> b = read_file(path);
  Reader r{b, path};
  if (r.u32("header") != kTqcMagic) throw Error(path + ": not a QAT checkpoint (magic is not \"TTQC\")");
  uint32_t version = r.u32("header");
  if (version != kTqcVersion)
    throw Error(path + ": QAT checkpoint version " + std::to_string(version) + ", this mcucim-pack reads version " + std::to_string(kTqcVersion));
  QatCheckpoint qc;
  Dims &d = qc.d;
  const char *names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  uint32_t *fields[7] = {&d.dim, &d.hidden_dim, &d.n_layers, &d.n_heads, &d.n_kv_heads, &d.vocab_size, &d.seq_len};
  for (int i = 0; i < 7; i++) {
    *fields[i] = r.u32("header");
    if (*fields[i] == 0 || *fields[i] > (1u << 20))
      throw Error(path + ": header field " + names[i] + " = " + std::to_string(*fields[i]) + ", expected 1.." + std::to_string(1u << 20));
  }
  if (d.dim % d.n_heads || (d.dim / d.n_heads) % 2 || d.n_kv_heads > d.n_heads || d.n_heads % d.n_kv_heads)
    throw Error(path + ": dim " + std::to_string(d.dim) + ", n_heads " + std::to_string(d.n_heads) + ", n_kv_heads " + std::to_string(d.n_kv_heads) +
                ": dim must be a multiple of n_heads with an even head size, n_heads a multiple of n_kv_heads");
  uint32_t flags = r.u32("header");
  if (flags != 1u) throw Error(path + ": header flags " + std::to_string(flags) + ", expected 1 (classifier shared with the embedding; the only layout qat.py writes)");
  d.shared_classifier = true;
  std::vector<Slot> slots = expected_slots(d);
  uint32_t n = r.u32("header");
  if (n != slots.size())
    throw Error(path + ": " + std::to_string(n) + " tensor records, a dense model with " + std::to_string(d.n_layers) + " layers has " + std::to_string(slots.size()));
  r.u32("header");  // reserved
  for (uint32_t i = 0; i < n; i++) {
    const Slot &s = slots[i];
    std::string what = "record " + std::to_string(i) + " (" + kind_name(s.kind) + ", layer " + std::to_string(s.layer) + ")";
    size_t at = r.off;
    QatTensor t;
    t.kind = r.u32(what);
    t.layer = r.u32(what);
    t.rows = r.u32(what);
    t.cols = r.u32(what);
    uint32_t prec = r.u32(what), group = r.u32(what), tflags = r.u32(what);
    r.u32(what);  // reserved
    if (t.kind != s.kind || t.layer != s.layer)
      throw Error(path + ": " + what + " at offset " + std::to_string(at) + ": found kind " + kind_name(t.kind) + " (" + std::to_string(t.kind) +
                  ") layer " + std::to_string(t.layer) + ", records must come in the image's canonical order");
    if (t.rows != s.rows || t.cols != s.cols)
      throw Error(path + ": " + what + ": shape " + std::to_string(t.rows) + "x" + std::to_string(t.cols) + ", the header's dims give " +
                  std::to_string(s.rows) + "x" + std::to_string(s.cols));
    if (prec > TLLM_INT2)
      throw Error(path + ": " + what + ": precision code " + std::to_string(prec) +
                  ", the runtime has fp32 (0), int8 (1), int4 (2) and int2 (3)");
    if (tflags > 2u) throw Error(path + ": " + what + ": mode " + std::to_string(tflags) + ", expected 0 (symmetric), 1 (affine) or 2 (full-range scale only)");
    t.q.prec = prec;
    t.q.mode = tflags == 1u ? QMode::Affine : QMode::Sym;
    t.full_range = tflags == 2u;
    t.q.group = group;
    size_t count = static_cast<size_t>(t.rows) * t.cols;
    if (prec == TLLM_FP32) {
      if (group != 0 || tflags != 0) throw Error(path + ": " + what + ": fp32 record with group " + std::to_string(group) + " / mode " + std::to_string(tflags) + ", expected 0 / 0");
      r.floats(t.fp32, count, what);
    } else {
      if (is_norm(t.kind)) throw Error(path + ": " + what + ": norm weights must be fp32 (the format keeps them fp32), found precision code " + std::to_string(prec));
      if (group == 0 || group > 65536u) throw Error(path + ": " + what + ": group size " + std::to_string(group) + ", expected 1..65536");
      int32_t lo, hi;
      if (tflags != 0u) { uint32_t bits = tllm_prec_bits(prec); lo = -(1 << (bits - 1)); hi = (1 << (bits - 1)) - 1; }
      else { hi = tllm_qmax(prec); lo = -hi; }
      r.need(count, what + " levels");
      t.levels.assign(reinterpret_cast<const int8_t *>(b.data() + r.off), reinterpret_cast<const int8_t *>(b.data() + r.off) + count);
      for (size_t j = 0; j < count; j++)
        if (t.levels[j] < lo || t.levels[j] > hi)
          throw Error(path + ": " + what + ": level " + std::to_string(t.levels[j]) + " at row " + std::to_string(j / t.cols) + ", column " + std::to_string(j % t.cols) +
                      " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "] of " + qspec_str(t.q) + (t.full_range ? ":full" : ""));
      r.off += count;
      r.off += (4 - r.off % 4) % 4;
      size_t ng = static_cast<size_t>(t.rows) * tllm_groups_per_row(t.cols, group);
      r.floats(t.scales, ng, what + " scales");
      if (t.q.mode == QMode::Affine) r.floats(t.offsets, ng, what + " offsets");
    }
    qc.tensors.push_back(std::move(t));
  }
  if (r.off != b.size())
    throw Error(path + ": " + std::to_string(b.size() - r.off) + " trailing bytes after the last record (the file has " + std::to_string(b.size()) + ")");
  return qc;
}

ModelSpec spec_from_qat(const QatCheckpoint &qc, const Tokenizer &tok) {
  ModelSpec m;
  m.d = qc.d;
  m.tok = tok;
  for (const QatTensor &t : qc.tensors) {
    TensorSpec ts;
    ts.kind = t.kind; ts.layer = t.layer; ts.rows = t.rows; ts.cols = t.cols;
    ts.q = t.q;
    if (t.q.prec == TLLM_FP32) {
      std::vector<float> v = t.fp32;
      ts.source = [v]() { return v; };
    } else {
      auto p = std::make_shared<QuantizedTensor>();
      uint32_t bits = tllm_prec_bits(t.q.prec), rb = tllm_row_bytes(t.q.prec, t.cols);
      p->data.assign(static_cast<size_t>(t.rows) * rb, 0);
      for (uint32_t r = 0; r < t.rows; r++)
        for (uint32_t j = 0; j < t.cols; j++) {
          uint32_t u = static_cast<uint32_t>(t.levels[static_cast<size_t>(r) * t.cols + j]) & ((1u << bits) - 1u);
          uint8_t *row = p->data.data() + static_cast<size_t>(r) * rb;
          if (bits == 8) row[j] = static_cast<uint8_t>(u);
          else if (bits == 4) row[j >> 1] |= static_cast<uint8_t>(u << (4 * (j & 1)));
          else row[j >> 2] |= static_cast<uint8_t>(u << (2 * (j & 3)));
        }
      p->scales = t.scales;
      p->offsets = t.offsets;
      ts.packed = p;
      uint64_t n = static_cast<uint64_t>(t.rows) * t.cols;
      ts.source = [n]() { return std::vector<float>(n, 0.0f); };  // size only: the packed data is written
    }
    m.tensors.push_back(std::move(ts));
  }
  return m;
}

}  // namespace tllm_tools

// Calibrated weight quantization (see tllm_quant.h and QUANTIZATION.md).
#include "tllm_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace tllm_tools {

// ---- group quantizer ----------------------------------------------------------------------------
namespace {

struct Levels {
  int32_t lo, hi;
  bool affine;
};
Levels levels_of(const QSpec &q) {
  uint32_t bits = tllm_prec_bits(q.prec);
  if (q.mode == QMode::Affine) return {-(1 << (bits - 1)), (1 << (bits - 1)) - 1, true};
  int32_t m = tllm_qmax(q.prec);
  return {-m, m, false};
}

inline int32_t qround(double v, const Levels &L) {
  double r = std::nearbyint(v);
  if (std::fabs(v - std::trunc(v)) == 0.5) r = v < 0 ? std::floor(v) : std::ceil(v);  // half away from 0
  return static_cast<int32_t>(std::clamp(r, static_cast<double>(L.lo), static_cast<double>(L.hi)));
}
inline int32_t quant1(double v, float s, float o, const Levels &L) {
  return s > 0 ? qround((v - o) / s, L) : 0;
}
inline double deq1(int32_t q, float s, float o) { return static_cast<double>(static_cast<float>(q) * s + o); }

// Weighted squared error of a group with given s/o; fills q.
double group_err(const double *v, const double *h, uint32_t n, float s, float o, const Levels &L, int32_t *q) {
  double e = 0;
  for (uint32_t j = 0; j < n; j++) {
    q[j] = quant1(v[j], s, o, L);
    double d = v[j] - deq1(q[j], s, o);
    e += h[j] * d * d;
  }
  return e;
}

// Scale/offset of one group. search = false: min/max range (affine range includes 0, as the plain
// quantizer); search = true: grid over both range ends (the magnitude for sym) and alternating
// least-squares refinement (fixed q -> optimal s,o -> requantize).
void fit_group(const double *v, const double *h, uint32_t n, const Levels &L, bool search, float &s_out,
               float &o_out) {
  double mn = v[0], mx = v[0];
  for (uint32_t j = 1; j < n; j++) { mn = std::min(mn, v[j]); mx = std::max(mx, v[j]); }
  std::vector<int32_t> q(n);
  auto params = [&](double lo, double hi, float &s, float &o) {
    if (L.affine) {
      s = static_cast<float>((hi - lo) / (L.hi - L.lo));
      o = static_cast<float>(lo - static_cast<double>(s) * L.lo);
      if (!(s > 0)) { s = 0; o = static_cast<float>(0.5 * (lo + hi)); }
    } else {
      s = static_cast<float>(std::max(std::fabs(lo), std::fabs(hi)) / L.hi);
      o = 0;
    }
  };
  float bs, bo;
  if (!search) {
    if (L.affine) params(std::min(mn, 0.0), std::max(mx, 0.0), bs, bo);
    else params(mn, mx, bs, bo);
    s_out = bs; o_out = bo;
    return;
  }
  params(mn, mx, bs, bo);
  double be = group_err(v, h, n, bs, bo, L, q.data());
  const int steps = 24;
  const double f = 0.02;
  float s, o;
  if (L.affine) {
    double r = mx - mn;
    for (int a = 0; a <= steps; a++)
      for (int b = 0; a + b <= steps; b++) {
        params(mn + r * f * a, mx - r * f * b, s, o);
        double e = group_err(v, h, n, s, o, L, q.data());
        if (e < be) { be = e; bs = s; bo = o; }
      }
  } else {
    double amax = std::max(std::fabs(mn), std::fabs(mx));
    for (int a = 1; a <= 2 * steps; a++) {
      params(-amax * (1 - 0.01 * a), amax * (1 - 0.01 * a), s, o);
      double e = group_err(v, h, n, s, o, L, q.data());
      if (e < be) { be = e; bs = s; bo = o; }
    }
  }
  // alternating least squares from the best grid point
  s = bs; o = bo;
  for (int it = 0; it < 6; it++) {
    group_err(v, h, n, s, o, L, q.data());
    double sh = 0, sq = 0, sqq = 0, sv = 0, sqv = 0;
    for (uint32_t j = 0; j < n; j++) {
      sh += h[j]; sq += h[j] * q[j]; sqq += h[j] * q[j] * q[j]; sv += h[j] * v[j]; sqv += h[j] * q[j] * v[j];
    }
    double ns, no = 0;
    if (L.affine) {
      double det = sh * sqq - sq * sq;
      if (!(std::fabs(det) > 1e-30 * std::max(1.0, sh * sqq))) break;
      ns = (sh * sqv - sq * sv) / det;
      no = (sqq * sv - sq * sqv) / det;
    } else {
      if (!(sqq > 0)) break;
      ns = sqv / sqq;
    }
    if (!(ns > 0)) break;
    s = static_cast<float>(ns); o = static_cast<float>(no);
    double e = group_err(v, h, n, s, o, L, q.data());
    if (e < be) { be = e; bs = s; bo = o; } else break;
  }
  s_out = bs; o_out = bo;
}

void put_q(uint8_t *row, uint32_t bits, uint32_t j, int32_t q) {
  uint32_t u = static_cast<uint32_t>(q) & ((1u << bits) - 1u);
  if (bits == 8) row[j] = static_cast<uint8_t>(u);
  else if (bits == 4) row[j >> 1] |= static_cast<uint8_t>(u << (4 * (j & 1)));
  else row[j >> 2] |= static_cast<uint8_t>(u << (2 * (j & 3)));
}
int32_t get_q(const uint8_t *row, uint32_t bits, uint32_t j) {
  int32_t u;
  if (bits == 8) return static_cast<int8_t>(row[j]);
  if (bits == 4) u = (row[j >> 1] >> (4 * (j & 1))) & 0xF;
  else u = (row[j >> 2] >> (2 * (j & 3))) & 0x3;
  int32_t sign = 1 << (bits - 1);
  return (u ^ sign) - sign;
}

// In-place Cholesky A = L L^T (lower, row-major n x n). Returns false if not positive definite.
bool cholesky(std::vector<double> &A, uint32_t n) {
  for (uint32_t j = 0; j < n; j++) {
    double d = A[j * n + j];
    for (uint32_t k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    A[j * n + j] = d;
    for (uint32_t i = j + 1; i < n; i++) {
      double x = A[i * n + j];
      for (uint32_t k = 0; k < j; k++) x -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = x / d;
    }
    for (uint32_t k = j + 1; k < n; k++) A[j * n + k] = 0;
  }
  return true;
}
// Solves (L L^T) x = b in place given the Cholesky factor L.
void chol_solve(const std::vector<double> &Lf, uint32_t n, double *b) {
  for (uint32_t i = 0; i < n; i++) {
    double x = b[i];
    for (uint32_t k = 0; k < i; k++) x -= Lf[i * n + k] * b[k];
    b[i] = x / Lf[i * n + i];
  }
  for (uint32_t i = n; i-- > 0;) {
    double x = b[i];
    for (uint32_t k = i + 1; k < n; k++) x -= Lf[k * n + i] * b[k];
    b[i] = x / Lf[i * n + i];
  }
}

// (w - d)^T H (w - d)
double h_err(const double *w, const double *d, const std::vector<double> &H, uint32_t n) {
  double e = 0;
  for (uint32_t i = 0; i < n; i++) {
    double di = w[i] - d[i], t = 0;
    for (uint32_t k = 0; k < n; k++) t += H[i * n + k] * (w[k] - d[k]);
    e += di * t;
  }
  return e;
}

}  // namespace

uint64_t tensor_bytes(uint32_t rows, uint32_t cols, const QSpec &q) {
  uint64_t b = static_cast<uint64_t>(tllm_row_bytes(q.prec, cols)) * rows;
  if (q.prec != TLLM_FP32)
    b += static_cast<uint64_t>(rows) * tllm_groups_per_row(cols, q.group) * 4u * (q.mode == QMode::Affine ? 2u : 1u);
  return b;
}

std::vector<float> dequantize(const QuantizedTensor &t, uint32_t rows, uint32_t cols, const QSpec &q) {
  std::vector<float> out(static_cast<size_t>(rows) * cols);
  if (q.prec == TLLM_FP32) { std::memcpy(out.data(), t.data.data(), out.size() * 4); return out; }
  uint32_t bits = tllm_prec_bits(q.prec), rb = tllm_row_bytes(q.prec, cols), ng = tllm_groups_per_row(cols, q.group);
  for (uint32_t r = 0; r < rows; r++)
    for (uint32_t j = 0; j < cols; j++) {
      size_t gi = static_cast<size_t>(r) * ng + j / q.group;
      float v = static_cast<float>(get_q(t.data.data() + static_cast<size_t>(r) * rb, bits, j)) * t.scales[gi];
      if (!t.offsets.empty()) v = v + t.offsets[gi];
      out[static_cast<size_t>(r) * cols + j] = v;
    }
  return out;
}

void quantize_tensor_h(const std::vector<float> &w, uint32_t rows, uint32_t cols, const QSpec &q,
                       const std::vector<double> &Hin, float damp, bool refit, QuantizedTensor &out,
                       std::vector<float> *deq) {
  const uint32_t bits = tllm_prec_bits(q.prec), rb = tllm_row_bytes(q.prec, cols);
  const uint32_t G = q.group, ng = tllm_groups_per_row(cols, G);
  const Levels L = levels_of(q);
  const bool search = q.mse || q.clip_search;
  out.data.assign(static_cast<size_t>(rows) * rb, 0);
  out.scales.assign(static_cast<size_t>(rows) * ng, 0.0f);
  out.offsets.assign(L.affine ? out.scales.size() : 0, 0.0f);
  // H: damped, dead inputs (never active) get a unit diagonal
  const size_t n2 = static_cast<size_t>(cols) * cols;
  std::vector<double> H(n2, 0.0);
  if (Hin.empty()) {
    for (uint32_t i = 0; i < cols; i++) H[i * cols + i] = 1.0;
  } else {
    if (Hin.size() != n2) throw Error("quantize_tensor_h: H has " + std::to_string(Hin.size()) + " entries, expected " + std::to_string(n2));
    H = Hin;
    double mean = 0;
    for (uint32_t i = 0; i < cols; i++) mean += H[i * cols + i];
    mean /= cols;
    if (!(mean > 0)) mean = 1;
    for (uint32_t i = 0; i < cols; i++) {
      if (!(H[i * cols + i] > 0)) H[i * cols + i] = mean;
      H[i * cols + i] += damp * mean;
    }
  }
  std::vector<double> hd(cols);
  for (uint32_t i = 0; i < cols; i++) hd[i] = H[i * cols + i];
  // U: upper Cholesky factor of H^-1 (H^-1 = U^T U); only with gptq
  std::vector<double> U;
  if (q.gptq) {
    std::vector<double> Lh = H;
    if (!cholesky(Lh, cols)) throw Error("GPTQ: the calibration Hessian is not positive definite (raise --gptq-damp)");
    std::vector<double> Hinv(n2), e(cols);
    for (uint32_t c = 0; c < cols; c++) {
      std::fill(e.begin(), e.end(), 0.0);
      e[c] = 1;
      chol_solve(Lh, cols, e.data());
      for (uint32_t r = 0; r < cols; r++) Hinv[r * cols + c] = e[r];
    }
    for (uint32_t i = 0; i < cols; i++)
      for (uint32_t k = 0; k < i; k++) Hinv[i * cols + k] = Hinv[k * cols + i] = 0.5 * (Hinv[i * cols + k] + Hinv[k * cols + i]);
    if (!cholesky(Hinv, cols)) throw Error("GPTQ: H^-1 is not positive definite (raise --gptq-damp)");
    U.assign(n2, 0.0);  // U = C^T
    for (uint32_t i = 0; i < cols; i++)
      for (uint32_t k = i; k < cols; k++) U[i * cols + k] = Hinv[k * cols + i];
  }
  if (deq) deq->assign(static_cast<size_t>(rows) * cols, 0.0f);
  std::vector<double> wr(cols), w0(cols), d(cols);
  std::vector<int32_t> qv(cols);
  std::vector<float> s(ng), o(ng);
  for (uint32_t r = 0; r < rows; r++) {
    for (uint32_t j = 0; j < cols; j++) w0[j] = wr[j] = w[static_cast<size_t>(r) * cols + j];
    for (uint32_t g = 0; g < ng; g++) {
      uint32_t lo = g * G, n = std::min(G, cols - lo);
      fit_group(wr.data() + lo, hd.data() + lo, n, L, search, s[g], o[g]);
      for (uint32_t j = lo; j < lo + n; j++) {
        qv[j] = quant1(wr[j], s[g], o[g], L);
        d[j] = deq1(qv[j], s[g], o[g]);
        if (q.gptq) {
          double err = (wr[j] - d[j]) / U[j * cols + j];
          for (uint32_t k = j + 1; k < cols; k++) wr[k] -= err * U[j * cols + k];
        }
      }
    }
    if (refit && !Hin.empty()) {
      // least-squares scales/offsets for the fixed q under H: minimise (w0 - A t)^T H (w0 - A t)
      uint32_t np = L.affine ? 2 * ng : ng;
      std::vector<double> A(static_cast<size_t>(cols) * np, 0.0);
      for (uint32_t j = 0; j < cols; j++) {
        uint32_t g = j / G;
        A[j * np + g] = qv[j];
        if (L.affine) A[j * np + ng + g] = 1.0;
      }
      std::vector<double> HA(static_cast<size_t>(cols) * np, 0.0), M(static_cast<size_t>(np) * np, 0.0), b(np, 0.0);
      for (uint32_t i = 0; i < cols; i++)
        for (uint32_t k = 0; k < cols; k++) {
          double h = H[i * cols + k];
          if (h == 0) continue;
          for (uint32_t p = 0; p < np; p++) HA[i * np + p] += h * A[k * np + p];
        }
      for (uint32_t p = 0; p < np; p++)
        for (uint32_t t = 0; t < np; t++) {
          double x = 0;
          for (uint32_t i = 0; i < cols; i++) x += A[i * np + p] * HA[i * np + t];
          M[p * np + t] = x;
        }
      for (uint32_t p = 0; p < np; p++) {
        double x = 0;
        for (uint32_t i = 0; i < cols; i++) x += HA[i * np + p] * w0[i];
        b[p] = x;
      }
      double tr = 0;
      for (uint32_t p = 0; p < np; p++) tr += M[p * np + p];
      for (uint32_t p = 0; p < np; p++) M[p * np + p] += 1e-9 * tr / np + 1e-30;
      if (cholesky(M, np)) {
        chol_solve(M, np, b.data());
        std::vector<float> s2(ng), o2(ng, 0.0f);
        bool ok = true;
        for (uint32_t g = 0; g < ng; g++) {
          s2[g] = static_cast<float>(b[g]);
          if (L.affine) o2[g] = static_cast<float>(b[ng + g]);
          if (!std::isfinite(s2[g]) || !std::isfinite(o2[g]) || s2[g] < 0) ok = false;
        }
        if (ok) {
          std::vector<double> d2(cols);
          for (uint32_t j = 0; j < cols; j++) d2[j] = deq1(qv[j], s2[j / G], o2[j / G]);
          if (h_err(w0.data(), d2.data(), H, cols) < h_err(w0.data(), d.data(), H, cols)) { s = s2; o = o2; d = d2; }
        }
      }
    }
    uint8_t *row = out.data.data() + static_cast<size_t>(r) * rb;
    for (uint32_t j = 0; j < cols; j++) put_q(row, bits, j, qv[j]);
    for (uint32_t g = 0; g < ng; g++) {
      out.scales[static_cast<size_t>(r) * ng + g] = s[g];
      if (L.affine) out.offsets[static_cast<size_t>(r) * ng + g] = o[g];
    }
    if (deq)
      for (uint32_t j = 0; j < cols; j++) (*deq)[static_cast<size_t>(r) * cols + j] = static_cast<float>(deq1(qv[j], s[j / G], o[j / G]));
  }
}

// ---- fp32 reference model ------------------------------------------------------------------------
namespace {

// Weights of a dense llama2.c model, separately for the embedding lookup and the classifier.
struct Weights {
  Dims d;
  std::vector<float> emb, cls, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final;
  explicit Weights(const Checkpoint &ck)
      : d(ck.d), emb(ck.tok_emb), cls(ck.d.shared_classifier ? ck.tok_emb : ck.wcls), rms_att(ck.rms_att), wq(ck.wq),
        wk(ck.wk), wv(ck.wv), wo(ck.wo), rms_ffn(ck.rms_ffn), w1(ck.w1), w2(ck.w2), w3(ck.w3), rms_final(ck.rms_final) {}
  // The slice a tensor of the image occupies; shared embedding = emb and cls.
  std::vector<float *> slices(uint32_t kind, uint32_t layer, bool shared) {
    uint64_t dim = d.dim, hid = d.hidden_dim, kv = d.kv_dim();
    switch (kind) {
      case TLLM_T_TOK_EMB: return shared ? std::vector<float *>{emb.data(), cls.data()} : std::vector<float *>{emb.data()};
      case TLLM_T_WCLS: return {cls.data()};
      case TLLM_T_WQ: return {wq.data() + layer * dim * dim};
      case TLLM_T_WK: return {wk.data() + layer * kv * dim};
      case TLLM_T_WV: return {wv.data() + layer * kv * dim};
      case TLLM_T_WO: return {wo.data() + layer * dim * dim};
      case TLLM_T_W1: return {w1.data() + layer * hid * dim};
      case TLLM_T_W2: return {w2.data() + layer * dim * hid};
      case TLLM_T_W3: return {w3.data() + layer * hid * dim};
      default: return {};
    }
  }
};

// Input sites of the matrices: per layer attention input (wq wk wv), attention output (wo), FFN
// input (w1 w3), FFN hidden (w2); then the classifier input.
enum { S_ATT_IN, S_ATT_OUT, S_FFN_IN, S_FFN_HID, S_PER_LAYER };
uint32_t site_of(uint32_t kind, uint32_t layer, uint32_t n_layers) {
  switch (kind) {
    case TLLM_T_WQ: case TLLM_T_WK: case TLLM_T_WV: return layer * S_PER_LAYER + S_ATT_IN;
    case TLLM_T_WO: return layer * S_PER_LAYER + S_ATT_OUT;
    case TLLM_T_W1: case TLLM_T_W3: return layer * S_PER_LAYER + S_FFN_IN;
    case TLLM_T_W2: return layer * S_PER_LAYER + S_FFN_HID;
    default: return n_layers * S_PER_LAYER;  // embedding / classifier
  }
}

struct Collector {
  std::vector<bool> want;
  std::vector<std::vector<double>> H;
  std::vector<uint64_t> count;
  void add(uint32_t site, const float *x, uint32_t n) {
    if (site >= want.size() || !want[site]) return;
    std::vector<double> &h = H[site];
    if (h.empty()) h.assign(static_cast<size_t>(n) * n, 0.0);
    for (uint32_t i = 0; i < n; i++) {
      double xi = x[i];
      if (xi == 0) continue;
      double *hr = h.data() + static_cast<size_t>(i) * n;
      for (uint32_t k = i; k < n; k++) hr[k] += xi * x[k];
    }
    count[site]++;
  }
  void finish() {
    for (auto &h : H) {
      if (h.empty()) continue;
      uint32_t n = static_cast<uint32_t>(std::lround(std::sqrt(static_cast<double>(h.size()))));
      for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < i; k++) h[i * n + k] = h[k * n + i];
    }
  }
};

void matvec(float *out, const float *W, const float *x, uint32_t rows, uint32_t cols) {
  for (uint32_t i = 0; i < rows; i++) {
    const float *r = W + static_cast<size_t>(i) * cols;
    float v = 0;
    for (uint32_t j = 0; j < cols; j++) v += r[j] * x[j];
    out[i] = v;
  }
}
void rmsnorm(float *o, const float *x, const float *w, uint32_t n) {
  float ss = 0;
  for (uint32_t j = 0; j < n; j++) ss += x[j] * x[j];
  ss = 1.0f / std::sqrt(ss / n + 1e-5f);
  for (uint32_t j = 0; j < n; j++) o[j] = w[j] * (ss * x[j]);
}
void softmax(float *x, uint32_t n) {
  float mx = *std::max_element(x, x + n), sum = 0;
  for (uint32_t i = 0; i < n; i++) { x[i] = std::exp(x[i] - mx); sum += x[i]; }
  for (uint32_t i = 0; i < n; i++) x[i] /= sum;
}

// llama2.c forward pass over one sequence (KV cache sized to it).
class Runner {
 public:
  Runner(const Weights &w, uint32_t max_seq) : w_(w), d_(w.d), S_(max_seq) {
    uint32_t dim = d_.dim, kv = d_.kv_dim();
    x_.resize(dim); xb_.resize(dim); xb2_.resize(dim); q_.resize(dim); hb_.resize(d_.hidden_dim); hb2_.resize(d_.hidden_dim);
    att_.resize(S_); logits_.resize(d_.vocab_size);
    kc_.assign(static_cast<size_t>(d_.n_layers) * S_ * kv, 0.0f);
    vc_.assign(kc_.size(), 0.0f);
  }
  // Returns the logits (nullptr when stopped early after layer stop_layer).
  const float *forward(uint32_t token, uint32_t pos, Collector *c, uint32_t stop_layer = ~0u) {
    const uint32_t dim = d_.dim, hid = d_.hidden_dim, kv = d_.kv_dim(), hs = dim / d_.n_heads, kvm = d_.n_heads / d_.n_kv_heads;
    std::memcpy(x_.data(), w_.emb.data() + static_cast<size_t>(token) * dim, dim * 4);
    for (uint32_t l = 0; l < d_.n_layers; l++) {
      const uint32_t sb = l * S_PER_LAYER;
      rmsnorm(xb_.data(), x_.data(), w_.rms_att.data() + l * dim, dim);
      if (c) c->add(sb + S_ATT_IN, xb_.data(), dim);
      float *k = kc_.data() + (static_cast<size_t>(l) * S_ + pos) * kv, *v = vc_.data() + (static_cast<size_t>(l) * S_ + pos) * kv;
      matvec(q_.data(), w_.wq.data() + static_cast<size_t>(l) * dim * dim, xb_.data(), dim, dim);
      matvec(k, w_.wk.data() + static_cast<size_t>(l) * kv * dim, xb_.data(), kv, dim);
      matvec(v, w_.wv.data() + static_cast<size_t>(l) * kv * dim, xb_.data(), kv, dim);
      for (uint32_t i = 0; i < dim; i += 2) {
        uint32_t hd = i % hs;
        float freq = 1.0f / std::pow(10000.0f, static_cast<float>(hd) / hs), val = pos * freq;
        float fcr = std::cos(val), fci = std::sin(val);
        for (uint32_t vi = 0; vi < (i < kv ? 2u : 1u); vi++) {
          float *vec = vi == 0 ? q_.data() : k;
          float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (uint32_t h = 0; h < d_.n_heads; h++) {
        const float *qh = q_.data() + h * hs;
        uint32_t kvh = h / kvm;
        for (uint32_t t = 0; t <= pos; t++) {
          const float *kk = kc_.data() + (static_cast<size_t>(l) * S_ + t) * kv + kvh * hs;
          float sc = 0;
          for (uint32_t i = 0; i < hs; i++) sc += qh[i] * kk[i];
          att_[t] = sc / std::sqrt(static_cast<float>(hs));
        }
        softmax(att_.data(), pos + 1);
        float *xb = xb_.data() + h * hs;
        std::fill(xb, xb + hs, 0.0f);
        for (uint32_t t = 0; t <= pos; t++) {
          const float *vv = vc_.data() + (static_cast<size_t>(l) * S_ + t) * kv + kvh * hs;
          for (uint32_t i = 0; i < hs; i++) xb[i] += att_[t] * vv[i];
        }
      }
      if (c) c->add(sb + S_ATT_OUT, xb_.data(), dim);
      matvec(xb2_.data(), w_.wo.data() + static_cast<size_t>(l) * dim * dim, xb_.data(), dim, dim);
      for (uint32_t i = 0; i < dim; i++) x_[i] += xb2_[i];
      rmsnorm(xb_.data(), x_.data(), w_.rms_ffn.data() + l * dim, dim);
      if (c) c->add(sb + S_FFN_IN, xb_.data(), dim);
      matvec(hb_.data(), w_.w1.data() + static_cast<size_t>(l) * hid * dim, xb_.data(), hid, dim);
      matvec(hb2_.data(), w_.w3.data() + static_cast<size_t>(l) * hid * dim, xb_.data(), hid, dim);
      for (uint32_t i = 0; i < hid; i++) {
        float a = hb_[i];
        hb_[i] = a * (1.0f / (1.0f + std::exp(-a))) * hb2_[i];
      }
      if (c) c->add(sb + S_FFN_HID, hb_.data(), hid);
      matvec(xb_.data(), w_.w2.data() + static_cast<size_t>(l) * dim * hid, hb_.data(), dim, hid);
      for (uint32_t i = 0; i < dim; i++) x_[i] += xb_[i];
      if (l >= stop_layer) return nullptr;
    }
    rmsnorm(x_.data(), x_.data(), w_.rms_final.data(), dim);
    if (c) c->add(d_.n_layers * S_PER_LAYER, x_.data(), dim);
    matvec(logits_.data(), w_.cls.data(), x_.data(), d_.vocab_size, dim);
    return logits_.data();
  }

 private:
  const Weights &w_;
  Dims d_;
  uint32_t S_;
  std::vector<float> x_, xb_, xb2_, q_, hb_, hb2_, att_, logits_, kc_, vc_;
};

uint64_t mix(uint64_t &s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint32_t max_len(const std::vector<std::vector<int32_t>> &seqs) {
  size_t m = 1;
  for (auto &s : seqs) m = std::max(m, s.size());
  return static_cast<uint32_t>(m);
}

// Runs every sequence (BOS, then ids[0..n-2]) collecting the wanted sites.
void collect(const Weights &w, const std::vector<std::vector<int32_t>> &seqs, Collector &c, uint32_t stop_layer) {
  Runner run(w, max_len(seqs));
  for (const auto &s : seqs) {
    int32_t tok = 1;
    for (uint32_t p = 0; p < s.size(); p++) {
      run.forward(static_cast<uint32_t>(tok), p, &c, stop_layer);
      tok = s[p];
    }
  }
  c.finish();
}

// Log-softmax of the logits of every position of the sequences (flattened).
std::vector<float> all_logprobs(const Weights &w, const std::vector<std::vector<int32_t>> &seqs) {
  Runner run(w, max_len(seqs));
  std::vector<float> out;
  uint32_t V = w.d.vocab_size;
  for (const auto &s : seqs) {
    int32_t tok = 1;
    for (uint32_t p = 0; p < s.size(); p++) {
      const float *lg = run.forward(static_cast<uint32_t>(tok), p, nullptr);
      float mx = *std::max_element(lg, lg + V);
      double sum = 0;
      for (uint32_t i = 0; i < V; i++) sum += std::exp(static_cast<double>(lg[i] - mx));
      float lse = mx + static_cast<float>(std::log(sum));
      for (uint32_t i = 0; i < V; i++) out.push_back(lg[i] - lse);
      tok = s[p];
    }
  }
  return out;
}

double mean_kl(const std::vector<float> &ref, const std::vector<float> &test, uint32_t V) {
  double kl = 0;
  size_t n = ref.size() / V;
  for (size_t p = 0; p < n; p++)
    for (uint32_t i = 0; i < V; i++) {
      double lr = ref[p * V + i];
      kl += std::exp(lr) * (lr - test[p * V + i]);
    }
  return n ? kl / n : 0;
}

}  // namespace

std::vector<std::vector<int32_t>> calib_sequences(const Checkpoint &ck, const CalibOptions &o) {
  if (o.sequences == 0 || o.length == 0) throw Error("calibration: --calib and --calib-len must be >= 1");
  if (o.length > ck.d.seq_len) throw Error("calibration: --calib-len " + std::to_string(o.length) + " exceeds the model's seq_len " + std::to_string(ck.d.seq_len));
  Weights w(ck);
  Runner run(w, o.length);
  uint64_t rng = o.seed;
  std::vector<std::vector<int32_t>> seqs;
  std::vector<float> p(ck.d.vocab_size);
  for (uint32_t n = 0; n < o.sequences; n++) {
    std::vector<int32_t> s;
    int32_t tok = 1;
    for (uint32_t pos = 0; pos < o.length; pos++) {
      const float *lg = run.forward(static_cast<uint32_t>(tok), pos, nullptr);
      int32_t next;
      if (o.temperature <= 0) {
        next = static_cast<int32_t>(std::max_element(lg, lg + ck.d.vocab_size) - lg);
      } else {
        for (uint32_t i = 0; i < ck.d.vocab_size; i++) p[i] = lg[i] / o.temperature;
        softmax(p.data(), ck.d.vocab_size);
        double u = static_cast<double>(mix(rng) >> 11) * (1.0 / 9007199254740992.0), c = 0;
        next = static_cast<int32_t>(ck.d.vocab_size - 1);
        for (uint32_t i = 0; i < ck.d.vocab_size; i++) { c += p[i]; if (u < c) { next = static_cast<int32_t>(i); break; } }
      }
      if (next == 1) break;  // BOS: the story ended
      s.push_back(next);
      tok = next;
    }
    if (!s.empty()) seqs.push_back(std::move(s));
  }
  return seqs;
}

bool needs_calibration(const ModelSpec &spec) {
  for (const auto &t : spec.tensors)
    if (t.q.prec != TLLM_FP32 && t.q.gptq) return true;
  return false;
}

namespace {

bool is_matrix(uint32_t kind) {
  return kind == TLLM_T_TOK_EMB || kind == TLLM_T_WCLS || kind == TLLM_T_WQ || kind == TLLM_T_WK || kind == TLLM_T_WV ||
         kind == TLLM_T_WO || kind == TLLM_T_W1 || kind == TLLM_T_W2 || kind == TLLM_T_W3;
}

// H for a tensor from its site's collected moments (the shared embedding adds a lookup term).
std::vector<double> tensor_h(const TensorSpec &t, const Collector &c, uint32_t n_layers, bool shared, float emb_identity) {
  if (t.kind == TLLM_T_TOK_EMB && !shared) return {};  // lookup only: plain squared error
  std::vector<double> H = c.H[site_of(t.kind, t.layer, n_layers)];
  if (H.empty()) return H;
  if (t.kind == TLLM_T_TOK_EMB && shared) {
    double tr = 0;
    for (uint32_t i = 0; i < t.cols; i++) tr += H[i * t.cols + i];
    double sc = tr > 0 ? t.cols / tr : 1.0;
    for (auto &x : H) x *= sc;
    for (uint32_t i = 0; i < t.cols; i++) H[i * t.cols + i] += emb_identity;
  }
  return H;
}

// Quantizes one tensor (calibrated when its spec says gptq) and returns packed + dequantized.
std::shared_ptr<QuantizedTensor> quant_one(const TensorSpec &t, const QSpec &q, const std::vector<double> &H,
                                           const AdvancedQuantOptions &o, std::vector<float> &deq) {
  auto qt = std::make_shared<QuantizedTensor>();
  std::vector<float> w = t.source();
  if (q.gptq || q.mse) {
    quantize_tensor_h(w, t.rows, t.cols, q, q.gptq ? H : std::vector<double>{}, o.damp, o.refit, *qt, &deq);
  } else {
    quantize_tensor(w, t.rows, t.cols, q, qt->data, qt->scales, qt->offsets);
    deq = dequantize(*qt, t.rows, t.cols, q);
  }
  return qt;
}

void store(Weights &w, const TensorSpec &t, bool shared, const std::vector<float> &deq) {
  for (float *p : w.slices(t.kind, t.layer, shared)) std::memcpy(p, deq.data(), deq.size() * 4);
}

std::vector<QSpec> default_candidates() {
  std::vector<QSpec> c;
  for (const char *s : {"int2:8:affine:mse:gptq", "int2:16:affine:mse:gptq", "int2:32:affine:mse:gptq", "int2:256:affine:mse:gptq",
                        "int2:256:mse:gptq", "int4:16:affine:mse:gptq", "int4:32:affine:mse:gptq", "int4:256:affine:mse:gptq",
                        "int4:256:mse:gptq", "int8:256:mse:gptq"})
    c.push_back(parse_qspec(s));
  return c;
}

}  // namespace

void quantize_calibrated(ModelSpec &spec, const Checkpoint &ck, const AdvancedQuantOptions &o, std::FILE *log) {
  const Dims &d = ck.d;
  if (d.n_experts) throw Error("calibrated quantization supports dense checkpoints only");
  const bool shared = spec.d.shared_classifier;
  const uint32_t nsites = d.n_layers * S_PER_LAYER + 1;
  std::vector<std::vector<int32_t>> seqs = calib_sequences(ck, o.calib);
  if (seqs.empty()) throw Error("calibration: the sampled sequences are all empty (the model produced BOS at once)");
  size_t ntok = 0;
  for (auto &s : seqs) ntok += s.size();
  if (log) std::fprintf(log, "calibration: %zu sequences, %zu positions (fp32 model, temperature %g, seed %llu)\n", seqs.size(), ntok,
                        o.calib.temperature, static_cast<unsigned long long>(o.calib.seed));

  // ---- mixed precision under a budget ----
  if (o.budget_bits > 0) {
    std::vector<QSpec> cand = o.candidates.empty() ? default_candidates() : o.candidates;
    std::sort(cand.begin(), cand.end(), [](const QSpec &a, const QSpec &b) { return tllm_prec_bits(a.prec) * 1000 + 1000 / a.group < tllm_prec_bits(b.prec) * 1000 + 1000 / b.group; });
    Weights ref(ck);
    Collector c;
    c.want.assign(nsites, true);
    c.H.resize(nsites);
    c.count.assign(nsites, 0);
    collect(ref, seqs, c, ~0u);
    // sensitivity subset: the first sens_positions positions
    std::vector<std::vector<int32_t>> sub;
    size_t left = o.sens_positions;
    for (auto &s : seqs) {
      if (!left) break;
      size_t n = std::min(left, s.size());
      sub.emplace_back(s.begin(), s.begin() + n);
      left -= n;
    }
    std::vector<float> lp_ref = all_logprobs(ref, sub);
    uint64_t fixed = 0, n_params = 0;
    std::vector<size_t> mats;
    for (size_t i = 0; i < spec.tensors.size(); i++) {
      const TensorSpec &t = spec.tensors[i];
      n_params += static_cast<uint64_t>(t.rows) * t.cols;
      if (is_matrix(t.kind)) mats.push_back(i);
      else fixed += tensor_bytes(t.rows, t.cols, t.q);
    }
    std::vector<std::vector<double>> kl(mats.size(), std::vector<double>(cand.size()));
    std::vector<std::vector<uint64_t>> bytes(mats.size(), std::vector<uint64_t>(cand.size()));
    for (size_t m = 0; m < mats.size(); m++) {
      const TensorSpec &t = spec.tensors[mats[m]];
      std::vector<double> H = tensor_h(t, c, d.n_layers, shared, o.emb_identity);
      for (size_t k = 0; k < cand.size(); k++) {
        Weights w = ref;
        std::vector<float> deq;
        quant_one(t, cand[k], H, o, deq);
        store(w, t, shared, deq);
        kl[m][k] = mean_kl(lp_ref, all_logprobs(w, sub), d.vocab_size);
        bytes[m][k] = tensor_bytes(t.rows, t.cols, cand[k]);
      }
      if (log) {
        std::fprintf(log, "sensitivity %-13s layer %u:", kind_name(t.kind).c_str(), t.layer);
        for (size_t k = 0; k < cand.size(); k++) std::fprintf(log, " %s=%.4f", qspec_str(cand[k]).c_str(), kl[m][k]);
        std::fprintf(log, "\n");
      }
    }
    // greedy: start at each tensor's cheapest candidate, take the upgrade with the largest KL
    // reduction per added byte while it fits
    const double budget = o.budget_bits * static_cast<double>(n_params) / 8.0;
    std::vector<size_t> choice(mats.size());
    uint64_t total = fixed;
    for (size_t m = 0; m < mats.size(); m++) {
      size_t b = 0;
      for (size_t k = 1; k < cand.size(); k++)
        if (bytes[m][k] < bytes[m][b] || (bytes[m][k] == bytes[m][b] && kl[m][k] < kl[m][b])) b = k;
      choice[m] = b;
      total += bytes[m][b];
    }
    if (total > budget)
      throw Error("--budget-bits " + std::to_string(o.budget_bits) + ": the smallest choice already needs " +
                  std::to_string(8.0 * total / n_params) + " bits/parameter");
    for (;;) {
      double best = 0;
      size_t bm = 0, bk = 0;
      for (size_t m = 0; m < mats.size(); m++)
        for (size_t k = 0; k < cand.size(); k++) {
          uint64_t cur = bytes[m][choice[m]];
          double gain = kl[m][choice[m]] - kl[m][k];
          if (gain <= 0 || total - cur + bytes[m][k] > budget) continue;
          double ratio = bytes[m][k] > cur ? gain / static_cast<double>(bytes[m][k] - cur) : std::numeric_limits<double>::infinity();
          if (ratio > best) { best = ratio; bm = m; bk = k; }
        }
      if (best <= 0) break;
      total = total - bytes[bm][choice[bm]] + bytes[bm][bk];
      choice[bm] = bk;
    }
    for (size_t m = 0; m < mats.size(); m++) {
      TensorSpec &t = spec.tensors[mats[m]];
      t.q = cand[choice[m]];
      if (log) std::fprintf(log, "budget: %-13s layer %u -> %s\n", kind_name(t.kind).c_str(), t.layer, qspec_str(t.q).c_str());
    }
    if (log) std::fprintf(log, "budget: %.3f bits/parameter chosen (budget %.3f)\n", 8.0 * total / n_params, o.budget_bits);
  }

  if (!needs_calibration(spec)) return;
  // ---- calibrated quantization, stage by stage in forward order ----
  Weights cur(ck);
  // stages: per layer {wq wk wv} {wo} {w1 w3} {w2}, then the embedding/classifier (last: its H is
  // the classifier input, which needs the whole network)
  for (uint32_t site = 0; site < nsites; site++) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < spec.tensors.size(); i++) {
      const TensorSpec &t = spec.tensors[i];
      if (is_matrix(t.kind) && t.q.prec != TLLM_FP32 && site_of(t.kind, t.layer, d.n_layers) == site) idx.push_back(i);
    }
    if (idx.empty()) continue;
    bool any_gptq = false;
    for (size_t i : idx) any_gptq |= spec.tensors[i].q.gptq;
    Collector c;
    c.want.assign(nsites, false);
    c.H.resize(nsites);
    c.count.assign(nsites, 0);
    if (any_gptq) {
      c.want[site] = true;
      uint32_t layer = site / S_PER_LAYER;
      collect(o.sequential ? cur : Weights(ck), seqs, c, layer < d.n_layers ? layer : ~0u);
    }
    for (size_t i : idx) {
      TensorSpec &t = spec.tensors[i];
      std::vector<float> deq;
      std::vector<double> H = any_gptq ? tensor_h(t, c, d.n_layers, shared, o.emb_identity) : std::vector<double>{};
      t.packed = quant_one(t, t.q, H, o, deq);
      if (o.sequential) store(cur, t, shared, deq);
    }
  }
}

}  // namespace tllm_tools

#include "tllm_cim_pack.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <sstream>

#include "cim_ref.h"
#include "tinyllm/tllm_cim.h"

namespace tllm_tools {

namespace {

uint32_t parse_u32(const std::string &opt, const std::string &key, const std::string &v) {
  char *end = nullptr;
  unsigned long x = std::strtoul(v.c_str(), &end, 10);
  if (v.empty() || *end || x > 65536) throw Error(opt + ": " + key + "=" + v + " is not an integer in 0..65536");
  return static_cast<uint32_t>(x);
}

// Signed element j of a packed quantized row (MODEL_FORMAT.md; the CIM backend's unpacking).
int8_t qelem(const uint8_t *row, uint32_t prec, uint32_t j) {
  switch (prec) {
    case TLLM_INT8: return static_cast<int8_t>(row[j]);
    case TLLM_INT4: { int32_t v = (row[j >> 1] >> (4u * (j & 1u))) & 0xF; return static_cast<int8_t>(v >= 8 ? v - 16 : v); }
    default: { int32_t v = (row[j >> 2] >> (2u * (j & 3u))) & 0x3; return static_cast<int8_t>(v >= 2 ? v - 4 : v); }
  }
}

// The CIM-flagged matrix entries of an image (the shared classifier is entry 0).
std::vector<uint32_t> cim_entries(const tllm_model &m) {
  std::vector<uint32_t> v;
  for (uint32_t i = 0; i < m.hdr->n_tensors; i++) {
    const tllm_tensor_entry &e = m.table[i];
    if (!(e.flags & TLLM_TFLAG_CIM) || e.precision == TLLM_FP32) continue;
    if (e.kind == TLLM_T_TOK_EMB && !m.shared_classifier) continue;
    v.push_back(i);
  }
  return v;
}

// ---- recording the matvec inputs ------------------------------------------------------------------
// The vectors the CIM backend would send to cim_mvm() for each wanted tensor (kernels_cim.c): per
// group with a non-zero activation, the INT8 vector (the other groups zeroed when the row has several).
struct Recorder {
  std::vector<char> want;                           // per entry
  std::map<uint32_t, std::vector<std::vector<int8_t>>> vecs;
};
Recorder *g_rec = nullptr;

void record_matvec(float *out, const tllm_tensor *w, const tllm_qact *a) {
  if (g_rec && w->index < g_rec->want.size() && g_rec->want[w->index]) {
    auto &list = g_rec->vecs[w->index];
    const uint32_t n = w->cols, G = w->group, ng = w->ngroups;
    for (uint32_t g = 0; g < ng; g++) {
      const uint32_t lo = g * G, hi = std::min(n, lo + G);
      bool any = false;
      for (uint32_t j = lo; j < hi && !any; j++) any = a->q[j] != 0;
      if (!any) continue;
      std::vector<int8_t> x(n, 0);
      if (ng > 1) std::memcpy(x.data() + lo, a->q + lo, hi - lo);
      else std::memcpy(x.data(), a->q, n);
      list.push_back(std::move(x));
    }
  }
  tllm_kernels_scalar.matvec_q(out, w, a);
}
// Batched (prefill chunks): one vector at a time, de-interleaved as kernels_cim.c does.
void record_matmul(float *out, uint32_t out_stride, const tllm_tensor *w, const tllm_qact *a) {
  const uint32_t nb = a->nb ? a->nb : 1u, npad = tllm_round_up(w->cols, TLLM_ROW_ALIGN_ELEMS);
  std::vector<int8_t> xd(npad);
  for (uint32_t b = 0; b < nb; b++) {
    for (uint32_t j = 0; j < npad; j++) xd[j] = a->q[((j >> 2) * nb + b) * 4u + (j & 3u)];
    tllm_qact one = {xd.data(), a->scale + size_t(b) * w->ngroups, a->sum + size_t(b) * w->ngroups, a->n, a->group, w->ngroups, 1u};
    record_matvec(out + size_t(b) * out_stride, w, &one);
  }
}
void record_dot(int32_t *out, const int8_t *rows, uint32_t stride, uint32_t nrows, const int8_t *x, uint32_t len) {
  tllm_kernels_scalar.dot_i8(out, rows, stride, nrows, x, len);
}
const tllm_kernels kRecorder = {"cim-recorder", record_matvec, record_matmul, record_dot};

// ---- windows of one tensor on one macro shape -------------------------------------------------------
struct Geometry {
  cim_ref_array arr{};
  uint32_t groups = 0, passes = 0;
};

Geometry geometry(const CimMacroSpec &s, uint32_t rpp, uint32_t abits) {
  Geometry g;
  cim_ref_array_defaults(&g.arr, s.rows, s.cols, s.adc_bits);
  g.arr.cell_bits = s.cell_bits;
  g.arr.dac_bits = s.dac_bits;
  g.arr.rows_per_pass = rpp;
  g.arr.win_cols = s.win_cols;
  g.arr.adc_step = cim_ref_step_for(s.adc_bits, cim_ref_analog_max(&g.arr, rpp));
  if (cim_ref_check_array(&g.arr) != CIM_OK)
    throw Error("--cim-macro " + s.text + ": rows_per_pass " + std::to_string(rpp) +
                ": not a valid macro (rows/cols 1..4096, cell 1/2/4/8, dac 1..8, adc 1..16, rpp 1..rows, wcols dividing cols into at most 256 groups)");
  if (cim_ref_analog_max(&g.arr, rpp) > CIM_REF_WIN_FIELD_MAX)
    throw Error("--cim-macro " + s.text + ": the ADC range of " + std::to_string(rpp) + " rows exceeds the 16-bit window fields");
  g.groups = s.cols / s.win_cols;
  g.passes = cim_ref_passes(abits, s.dac_bits);
  return g;
}

// Window words (tiles x groups x passes, driver tile order) of one tensor.
std::vector<uint32_t> tensor_windows(const tllm_model &m, uint32_t index, const std::vector<std::vector<int8_t>> &xs,
                                     const Geometry &geo, uint32_t abits, double pct) {
  const tllm_tensor_entry &e = m.table[index];
  const uint32_t wbits = tllm_prec_bits(e.precision), n_in = e.cols, n_out = e.rows;
  const cim_ref_array &a = geo.arr;
  if (!cim_ref_valid_wbits(&a, wbits))
    throw Error("tensor " + std::to_string(index) + " is INT" + std::to_string(wbits) + ", which " +
                std::to_string(a.cell_bits) + "-bit cells cannot hold");
  const uint32_t tile_outs = cim_ref_max_outputs(&a, wbits), S = cim_ref_slices(&a, wbits);
  const uint32_t tiles_in = (n_in + a.rows - 1) / a.rows, tiles_out = (n_out + tile_outs - 1) / tile_outs;
  std::vector<int8_t> w(size_t(n_out) * n_in);
  const uint32_t rb = tllm_row_bytes(e.precision, e.cols);
  for (uint32_t r = 0; r < n_out; r++)
    for (uint32_t j = 0; j < n_in; j++) w[size_t(r) * n_in + j] = qelem(m.image + e.data_offset + size_t(r) * rb, e.precision, j);
  const uint64_t amax = cim_ref_analog_max(&a, a.rows_per_pass);
  const uint32_t words = geo.groups * geo.passes;
  std::vector<uint32_t> out(size_t(tiles_in) * tiles_out * words, cim_ref_win_full(&a));
  std::vector<uint64_t> cells(cim_ref_cell_words(&a));
  std::vector<uint64_t> hist(size_t(words) * (amax + 1));
  cim_ref_input in;
  cim_ref_step st;
  for (uint32_t to = 0; to < tiles_out; to++)
    for (uint32_t ti = 0; ti < tiles_in; ti++) {
      const uint32_t r0 = ti * a.rows, o0 = to * tile_outs;
      const uint32_t nr = std::min(a.rows, n_in - r0), no = std::min(tile_outs, n_out - o0);
      std::fill(cells.begin(), cells.end(), 0);
      if (cim_ref_program(&a, cells.data(), wbits, 0, nr, 0, no, w.data() + size_t(o0) * n_in + r0, n_in) != CIM_OK)
        throw Error("internal: programming tile of tensor " + std::to_string(index) + " failed");
      std::fill(hist.begin(), hist.end(), 0);
      const uint32_t groups = cim_ref_row_groups(&a, nr);
      for (const auto &x : xs) {
        cim_ref_input_prepare(&in, x.data() + r0, nr, abits);
        for (uint32_t k = 0; k < geo.passes; k++)
          for (uint32_t g = 0; g < groups; g++) {
            cim_ref_step_prepare(&a, &in, k, g, &st);
            if (st.insum == 0) continue;  // skipped by zero skipping: exact, needs no window
            for (uint32_t c = 0; c < no * S; c++) {
              const uint64_t v = cim_ref_step_column(&a, cells.data(), &st, c);
              hist[(size_t(c / a.win_cols) * geo.passes + k) * (amax + 1) + v]++;
            }
          }
      }
      uint32_t *blk = out.data() + size_t(to * tiles_in + ti) * words;
      for (uint32_t g = 0; g < geo.groups; g++)
        for (uint32_t k = 0; k < geo.passes; k++) {
          const uint64_t *h = hist.data() + (size_t(g) * geo.passes + k) * (amax + 1);
          uint64_t total = 0;
          for (uint64_t v = 0; v <= amax; v++) total += h[v];
          if (!total) continue;  // never converted: keep the full range
          // lo: the (1-p) quantile, hi: the p quantile (p = pct / 100)
          const double p = pct / 100.0;
          const uint64_t rank_lo = static_cast<uint64_t>(std::floor((1.0 - p) * double(total - 1)));
          const uint64_t rank_hi = static_cast<uint64_t>(std::ceil(p * double(total - 1)));
          uint64_t cum = 0, lo = 0, hi = amax;
          bool have_lo = false;
          for (uint64_t v = 0; v <= amax; v++) {
            cum += h[v];
            if (!have_lo && cum > rank_lo) { lo = v; have_lo = true; }
            if (cum > rank_hi) { hi = v; break; }
          }
          uint64_t fs = hi > lo ? hi - lo : 1;
          if (lo + fs > amax) lo = amax - fs;
          blk[g * geo.passes + k] = cim_ref_win_pack(static_cast<uint32_t>(lo), static_cast<uint32_t>(fs));
        }
    }
  return out;
}

void put32(std::vector<uint8_t> &b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
size_t up16(size_t x) { return (x + 15u) & ~size_t(15); }

}  // namespace

CimMacroSpec parse_cim_macro(const std::string &s) {
  CimMacroSpec m;
  m.text = s;
  std::stringstream ss(s);
  std::string kv;
  while (std::getline(ss, kv, ',')) {
    if (kv.empty()) continue;
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw Error("--cim-macro " + s + ": '" + kv + "' is not key=value (keys rows cols cell dac adc wcols rpp)");
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "rows") m.rows = parse_u32("--cim-macro", k, v);
    else if (k == "cols") m.cols = parse_u32("--cim-macro", k, v);
    else if (k == "cell") m.cell_bits = parse_u32("--cim-macro", k, v);
    else if (k == "dac") m.dac_bits = parse_u32("--cim-macro", k, v);
    else if (k == "adc") m.adc_bits = parse_u32("--cim-macro", k, v);
    else if (k == "wcols") m.win_cols = parse_u32("--cim-macro", k, v);
    else if (k == "rpp") {
      std::stringstream rs(v);
      std::string r;
      while (std::getline(rs, r, '/')) m.rpps.push_back(parse_u32("--cim-macro", k, r));
    } else {
      throw Error("--cim-macro " + s + ": unknown key '" + k + "' (expected rows cols cell dac adc wcols rpp)");
    }
  }
  if (m.rpps.empty()) m.rpps.push_back(m.rows);
  for (uint32_t r : m.rpps) (void)geometry(m, r, 8);  // validates
  return m;
}

std::vector<uint8_t> add_cim_windows(const std::vector<uint8_t> &image, const std::vector<std::vector<int32_t>> &seqs,
                                     const CimPackOptions &o, std::FILE *log) {
  LoadedModel lm;
  tllm_error err{};
  if (lm.open(image, &err) != TLLM_OK) throw Error(std::string("CIM windows: the image does not open: ") + err.msg);
  const tllm_model &m = lm.model;
  const std::vector<uint32_t> placed = cim_entries(m);
  if (placed.empty()) throw Error("--cim-windows: no tensor is flagged for CIM (give --cim LIST or --cim-budget N)");
  if (o.macros.empty()) throw Error("--cim-windows: no target macro (give --cim-macro rows=...,rpp=...)");
  if (!(o.percentile > 50 && o.percentile <= 100)) throw Error("--cim-percentile: expected a value in (50, 100]");
  // the inputs of every placed tensor over the calibration text
  Recorder rec;
  rec.want.assign(m.hdr->n_tensors, 0);
  for (uint32_t i : placed) rec.want[i] = 1;
  g_rec = &rec;
  RunOptions ro;
  try {
    teacher_forced(m, seqs, o.calib_positions, ro, [](const float *) {}, &kRecorder);
  } catch (...) {
    g_rec = nullptr;
    throw;
  }
  g_rec = nullptr;
  // one set per (macro, rows per pass)
  struct Set {
    tllm_cimw_set hdr{};
    std::vector<std::vector<uint32_t>> blocks;  // per placed tensor
  };
  std::vector<Set> sets;
  for (const auto &spec : o.macros)
    for (uint32_t rpp : spec.rpps) {
      const Geometry geo = geometry(spec, rpp, o.abits);
      Set s;
      s.hdr = {spec.rows, spec.cols, spec.cell_bits, spec.dac_bits, rpp, spec.win_cols, o.abits, geo.groups, geo.passes,
               static_cast<uint32_t>(std::lround(o.percentile * 10000)), 0, 0};
      uint64_t clipped_est = 0, samples = 0;
      for (uint32_t i : placed) {
        s.blocks.push_back(tensor_windows(m, i, rec.vecs[i], geo, o.abits, o.percentile));
        samples += rec.vecs[i].size();
      }
      (void)clipped_est;
      if (log)
        std::fprintf(log, "cim windows: %ux%u, %u-bit cells, %u rows/pass, %u groups x %u passes per tile, %zu tensors, %llu input vectors, percentile %g\n",
                     spec.rows, spec.cols, spec.cell_bits, rpp, geo.groups, geo.passes, placed.size(),
                     static_cast<unsigned long long>(samples), o.percentile);
      sets.push_back(std::move(s));
    }
  // the section
  const uint32_t nt = m.hdr->n_tensors;
  std::vector<uint8_t> sec(16 + sets.size() * TLLM_CIMW_SET_SIZE, 0);
  put32(sec, 0, TLLM_CIMW_MAGIC);
  put32(sec, 4, static_cast<uint32_t>(sets.size()));
  put32(sec, 8, nt);
  for (size_t si = 0; si < sets.size(); si++) {
    Set &s = sets[si];
    sec.resize(up16(sec.size()), 0);
    s.hdr.dir_offset = static_cast<uint32_t>(sec.size());
    sec.resize(sec.size() + up16(size_t(nt) * 4), 0);
    for (size_t pi = 0; pi < placed.size(); pi++) {
      sec.resize(up16(sec.size()), 0);
      put32(sec, s.hdr.dir_offset + placed[pi] * 4u, static_cast<uint32_t>(sec.size()));
      const auto &b = s.blocks[pi];
      const size_t at = sec.size();
      sec.resize(at + b.size() * 4);
      std::memcpy(sec.data() + at, b.data(), b.size() * 4);
    }
    std::memcpy(sec.data() + 16 + si * TLLM_CIMW_SET_SIZE, &s.hdr, TLLM_CIMW_SET_SIZE);
  }
  sec.resize(up16(sec.size()), 0);
  // appended to the image (header: version 2, flag, offsets, size, checksum)
  std::vector<uint8_t> out(image.begin(), image.begin() + m.hdr->image_size);
  out.resize(up16(out.size()), 0);
  const uint32_t off = static_cast<uint32_t>(out.size());
  out.insert(out.end(), sec.begin(), sec.end());
  tllm_header h;
  std::memcpy(&h, out.data(), sizeof h);
  h.version = TLLM_VERSION;
  h.flags |= TLLM_FLAG_CIM_WINDOWS;
  h.cim_offset = off;
  h.cim_size = static_cast<uint32_t>(sec.size());
  h.image_size = static_cast<uint32_t>(out.size());
  std::memcpy(out.data(), &h, sizeof h);
  h.checksum = tllm_fnv1a(TLLM_FNV_OFFSET, out.data() + TLLM_CHECKSUM_START, h.image_size - TLLM_CHECKSUM_START);
  std::memcpy(out.data(), &h, sizeof h);
  LoadedModel check;
  if (check.open(out, &err) != TLLM_OK) throw Error(std::string("internal: the image with CIM windows does not open: ") + err.msg);
  return out;
}

namespace {
// The tllm_cim_parse_place word of a tensor kind.
std::string place_word(uint32_t kind) {
  switch (kind) {
    case TLLM_T_TOK_EMB: case TLLM_T_WCLS: return "wcls";
    case TLLM_T_EXP_W1: case TLLM_T_SHX_W1: return "w1";
    case TLLM_T_EXP_W2: case TLLM_T_SHX_W2: return "w2";
    case TLLM_T_EXP_W3: case TLLM_T_SHX_W3: return "w3";
    default: return kind_name(kind);
  }
}
double mean_kl_logits(const std::vector<float> &ref_lp, const std::vector<float> &logits, uint32_t V) {
  const size_t n = ref_lp.size() / V;
  double kl = 0;
  for (size_t p = 0; p < n; p++) {
    const float *lg = logits.data() + p * V;
    const float mx = *std::max_element(lg, lg + V);
    double sum = 0;
    for (uint32_t i = 0; i < V; i++) sum += std::exp(double(lg[i] - mx));
    const double lse = mx + std::log(sum);
    for (uint32_t i = 0; i < V; i++) {
      const double lr = ref_lp[p * V + i];
      kl += std::exp(lr) * (lr - (lg[i] - lse));
    }
  }
  return n ? kl / double(n) : 0;
}
std::vector<float> to_logprobs(const std::vector<float> &logits, uint32_t V) {
  std::vector<float> out(logits.size());
  for (size_t p = 0; p < logits.size() / V; p++) {
    const float *lg = logits.data() + p * V;
    const float mx = *std::max_element(lg, lg + V);
    double sum = 0;
    for (uint32_t i = 0; i < V; i++) sum += std::exp(double(lg[i] - mx));
    const float lse = mx + static_cast<float>(std::log(sum));
    for (uint32_t i = 0; i < V; i++) out[p * V + i] = lg[i] - lse;
  }
  return out;
}
}  // namespace

uint32_t place_cim_by_sensitivity(ModelSpec &spec, const std::string &pool, const std::vector<std::vector<int32_t>> &seqs,
                                  const CimPackOptions &o, std::FILE *log) {
  if (o.macros.empty()) throw Error("--cim-budget: no target macro (give --cim-macro rows=...,adc=...,rpp=...)");
  const CimMacroSpec &tgt = o.macros.front();
  // The candidates flagged (group = row length); GPTQ rounding is left out of the sensitivity runs
  // (round-to-nearest / MSE-fitted only): it needs the calibration pass that runs after the choice.
  ModelSpec cand = spec;
  for (auto &t : cand.tensors) t.q.gptq = false;
  if (!mark_cim(cand, pool.empty() ? "all" : pool)) throw Error("--cim-budget: the candidate list selects no quantized tensor");
  std::vector<uint8_t> img = build_image(cand);
  if (o.windows) {
    CimPackOptions one = o;
    one.macros = {tgt};
    one.macros[0].rpps = {tgt.rpps.front()};
    img = add_cim_windows(img, seqs, one, log);
  }
  LoadedModel lm;
  tllm_error err{};
  if (lm.open(img, &err) != TLLM_OK) throw Error(std::string("--cim-budget: internal image error: ") + err.msg);
  const tllm_model &m = lm.model;
  const uint32_t V = m.vocab_size;
  auto run = [&](const RunOptions &ro) {
    std::vector<float> logits;
    teacher_forced(m, seqs, o.sens_positions, ro, [&](const float *lg) { logits.insert(logits.end(), lg, lg + V); });
    return logits;
  };
  const std::vector<float> ref_lp = to_logprobs(run(RunOptions{}), V);
  struct Cand {
    uint32_t entry;
    double kl;
    uint32_t macros;
    uint64_t macs;
  };
  std::vector<Cand> cands;
  cim_macro geo{};
  geo.arr = geometry(tgt, tgt.rpps.front(), o.abits).arr;
  for (uint32_t i : cim_entries(m)) {
    const tllm_tensor_entry &e = m.table[i];
    RunOptions ro;
    ro.cim.enabled = true;
    ro.cim.place = place_word(e.kind) + (e.kind == TLLM_T_TOK_EMB || e.kind == TLLM_T_WCLS ? "" : ":" + std::to_string(e.layer));
    ro.cim.macros = 4096;
    ro.cim.rows = tgt.rows;
    ro.cim.cols = tgt.cols;
    ro.cim.cell_bits = tgt.cell_bits;
    ro.cim.dac_bits = tgt.dac_bits;
    ro.cim.adc_bits = tgt.adc_bits;
    ro.cim.rows_per_pass = tgt.rpps.front();
    ro.cim.window_cols = tgt.win_cols;
    ro.cim.zero_skip = true;
    ro.cim.windows = o.windows;
    const double kl = mean_kl_logits(ref_lp, run(ro), V);
    const uint32_t need = cim_tiles_needed(&geo, e.rows, e.cols, tllm_prec_bits(e.precision));
    cands.push_back({i, kl, need, uint64_t(e.rows) * e.cols});
    if (log) std::fprintf(log, "cim sensitivity %-6s layer %u: KL %.5f, %u macros\n", place_word(e.kind).c_str(), e.layer, kl, need);
  }
  // least sensitive first (ties: more MACs first), while the budget holds
  std::stable_sort(cands.begin(), cands.end(), [](const Cand &a, const Cand &b) { return a.kl != b.kl ? a.kl < b.kl : a.macs > b.macs; });
  std::vector<char> chosen(m.hdr->n_tensors, 0);
  uint32_t used = 0, n = 0;
  for (const auto &c : cands)
    if (used + c.macros <= o.budget_macros) {
      chosen[c.entry] = 1;
      used += c.macros;
      n++;
    }
  // spec tensors are in table order: entry i is spec.tensors[i]
  for (size_t i = 0; i < spec.tensors.size() && i < chosen.size(); i++)
    if (chosen[i]) {
      spec.tensors[i].q.cim = true;
      spec.tensors[i].q.group = spec.tensors[i].cols;
    }
  if (log) std::fprintf(log, "cim budget: %u tensors on %u of %u macros (%ux%u, %u-bit ADC, %u rows/pass%s)\n", n, used, o.budget_macros,
                        tgt.rows, tgt.cols, tgt.adc_bits, tgt.rpps.front(), o.windows ? ", windows" : "");
  return n;
}

}  // namespace tllm_tools

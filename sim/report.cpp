#include "sim/report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mcucim::sim {

using nlohmann::json;

double tops_per_w(uint64_t macs, double energy_j) {
  if (macs == 0 || !(energy_j > 0)) return 0;
  return 2.0 * double(macs) / energy_j / 1e12;
}

namespace {

json breakdown_json(const EnergyBreakdown& e) {
  json by = json::object(), parts = json::array();
  const double total = e.total_j();
  for (const auto& p : e.parts) {
    by[p.name] = p.total_j();
    parts.push_back({{"name", p.name},
                     {"kind", p.kind},
                     {"dynamic_j", p.dynamic_j},
                     {"leakage_j", p.leakage_j},
                     {"total_j", p.total_j()},
                     {"share", total > 0 ? p.total_j() / total : 0.0}});
    if (!p.parts_j.empty()) {  // devices with their own energy model (CIM macros): dynamic energy by part
      json pj = json::object();
      for (const auto& [name, j] : p.parts_j) pj[name] = j;
      parts.back()["parts_j"] = pj;
    }
  }
  return {{"total", total},
          {"dynamic", e.dynamic_j()},
          {"leakage", e.leakage_j()},
          {"by_component", by},
          {"components", parts}};
}

// Summary of a set of values: mean, min, max and nearest-rank percentiles (p-th percentile = the
// smallest value with at least p% of the values at or below it).
struct Dist {
  size_t n = 0;
  double mean = 0, min = 0, max = 0, p50 = 0, p90 = 0, sum = 0;
};
Dist distribution(std::vector<double> v) {
  Dist d;
  d.n = v.size();
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  for (double x : v) d.sum += x;
  d.mean = d.sum / v.size();
  d.min = v.front();
  d.max = v.back();
  auto rank = [&](double p) { return v[static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * v.size()))) - 1]; };
  d.p50 = rank(50);
  d.p90 = rank(90);
  return d;
}

struct TokenGroup {
  size_t count = 0;
  Dist latency, energy;
  double tokens_per_s = 0;
};
// The tokens of one phase (or all tokens, with all = true).
TokenGroup summarize_tokens(const Stats& st, bool all, TokenPhase phase) {
  std::vector<double> lat, e;
  for (const auto& k : st.tokens()) {
    if (!all && k.phase != phase) continue;
    lat.push_back((k.end_cycle - k.begin_cycle) / st.freq_hz());
    e.push_back(k.energy_j);
  }
  TokenGroup g;
  g.count = lat.size();
  g.latency = distribution(lat);
  g.energy = distribution(e);
  g.tokens_per_s = g.latency.sum > 0 ? g.count / g.latency.sum : 0;
  return g;
}

// Per CIM macro: its counters, busy time and utilization, and dynamic energy by part.
std::string cim_table(const RunSummary& run) {
  std::string s;
  for (size_t i = 0; i < run.counters.devs.size(); ++i) {
    const DevCounters& d = run.counters.devs[i];
    if (d.stats.empty()) continue;
    auto stat = [&](const char* k) -> uint64_t {
      for (const auto& [n, v] : d.stats)
        if (n == k) return v;
      return 0;
    };
    if (d.kind == "dma") {
      if (stat("bytes_copied") == 0 && stat("bus_transactions") == 0) continue;
      s += fmt::format("\n--- DMA {} ---\n{} bytes copied in {} bus transactions, busy {} cycles\n", d.name,
                       stat("bytes_copied"), stat("bus_transactions"), stat("busy_cycles"));
      continue;
    }
    if (d.kind != "cim") continue;
    const double busy_s = stat("busy_ps") * 1e-12;
    s += fmt::format("\n--- CIM macro {} ---\n", d.name);
    s += fmt::format("MVMs {}  MACs {}  ADC conversions {} ({} clipped)  rows activated {}\n", stat("mvms"),
                     stat("macs"), stat("adc_conversions"), stat("adc_clipped"), stat("rows_activated"));
    s += fmt::format("weight bits written {} in {} programs ({}), max writes per cell {}, errors {}\n",
                     stat("weight_bits_written"), stat("programs"), si(stat("program_busy_ps") * 1e-12, "s"),
                     stat("max_cell_writes"), stat("errors"));
    s += fmt::format("busy {} ({:.2f}% of the run)\n", si(busy_s, "s"),
                     run.time_s > 0 ? 100 * busy_s / run.time_s : 0.0);
    s += fmt::format("steps {} ({} skipped: all-zero inputs); power states: on {}, idle {}, off {}, wake-ups {}\n",
                     stat("steps"), stat("steps_skipped"), si(stat("time_on_ps") * 1e-12, "s"),
                     si(stat("time_idle_ps") * 1e-12, "s"), si(stat("time_off_ps") * 1e-12, "s"),
                     stat("wakeups") + stat("idle_wakeups"));
    for (const auto& p : run.energy.parts)
      if (p.name == d.name)
        for (const auto& [n, j] : p.parts_j)
          if (j > 0) s += fmt::format("  {:<12} {:>14}\n", n, si(j, "J"));
  }
  return s;
}

}  // namespace

std::string si(double v, const char* unit) {
  const double a = std::fabs(v);
  if (a == 0) return fmt::format("0 {}", unit);
  struct P { double f; const char* p; };
  static const P ps[] = {{1, ""}, {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}};
  for (const auto& p : ps)
    if (a >= p.f) return fmt::format("{:.3f} {}{}", v / p.f, p.p, unit);
  return fmt::format("{:.3e} {}", v, unit);
}

json report_json(const RunSummary& run, const Stats& st) {
  json j;
  j["config"] = run.config;
  j["status"] = run.status;
  j["exit_code"] = run.exit_code;
  j["cycles"] = run.cycles;
  j["instret"] = run.instret;
  j["time_s"] = run.time_s;
  const EnergyModel& m = st.model();
  j["operating_point"] = {{"tech", m.tech().name},
                          {"tech_file", m.tech().file},
                          {"vref_v", m.tech().vref_v},
                          {"voltage_v", m.op().voltage_v},
                          {"freq_hz", m.op().freq_hz},
                          {"idle", idle_mode_name(m.op().idle)}};
  j["energy_j"] = breakdown_json(run.energy);
  j["power_w"] = {{"average", run.time_s > 0 ? run.energy.total_j() / run.time_s : 0.0}};

  // Events behind the energy.
  const Counters& c = run.counters;
  json cls = json::object();
  for (size_t i = 0; i < kNumClasses; ++i) cls[isa::kTimingClassNames[i]] = c.by_class[i];
  json mems = json::array();
  for (const auto& mc : c.mems) {
    mems.push_back({{"name", mc.name},
                    {"kind", mc.kind},
                    {"reads", {{"byte", mc.reads[0]}, {"half", mc.reads[1]}, {"word", mc.reads[2]}}},
                    {"writes", {{"byte", mc.writes[0]}, {"half", mc.writes[1]}, {"word", mc.writes[2]}}},
                    {"fetch_fills", mc.fetch_fills},
                    {"fetch_words", mc.fetch_words}});
    if (!mc.bank_accesses.empty()) {  // tcdm shared by several harts (docs/CLUSTER.md)
      uint64_t conflicts = 0, wait = 0;
      for (uint64_t v : mc.bank_conflicts) conflicts += v;
      for (uint64_t v : mc.bank_wait_cycles) wait += v;
      mems.back()["banks"] = {{"count", mc.bank_accesses.size()},
                              {"conflicts", conflicts},
                              {"wait_cycles", wait},
                              {"accesses_per_bank", mc.bank_accesses},
                              {"conflicts_per_bank", mc.bank_conflicts},
                              {"wait_cycles_per_bank", mc.bank_wait_cycles}};
    }
  }
  json devs = json::array();
  for (const auto& d : c.devs) {
    devs.push_back({{"name", d.name}, {"kind", d.kind}, {"reads", d.reads}, {"writes", d.writes}});
    if (!d.stats.empty()) {  // CIM macros and DMA engines: their event counters (cim/CIM.md, mcucim/dma.h)
      json st = json::object();
      for (const auto& [name, v] : d.stats) st[std::string(name)] = v;
      devs.back()["stats"] = st;
    }
  }
  j["events"] = {{"instructions_by_class", cls}, {"idle_cycles", c.idle_cycles}, {"memories", mems},
                 {"devices", devs},   {"bus_transfers", c.bus_transfers}};
  if (!c.per_hart.empty()) {  // clusters: each hart's counts (the totals above are their sums)
    json harts = json::array();
    for (size_t h = 0; h < c.per_hart.size(); ++h) {
      const HartCounters& k = c.per_hart[h];
      harts.push_back({{"hart", h},
                       {"cycles", k.cycles},
                       {"instret", k.instret},
                       {"idle_cycles", k.idle_cycles},
                       {"bank_wait_cycles", k.bank_wait_cycles},
                       {"sc_failures", k.sc_failures}});
    }
    j["harts"] = harts;
  }

  json regions = json::array();
  for (const auto& r : st.regions()) {
    const double t = r.cycles / st.freq_hz();
    regions.push_back({{"id", r.id},
                       {"name", r.name},
                       {"parent", r.parent < 0 ? json(nullptr) : json(r.parent)},
                       {"depth", r.depth},
                       {"calls", r.calls},
                       {"cycles", r.cycles},
                       {"min_cycles", r.min_cycles},
                       {"max_cycles", r.max_cycles},
                       {"instret", r.instret},
                       {"time_s", t},
                       {"energy_j", breakdown_json(r.energy)},
                       {"avg_power_w", t > 0 ? r.energy.total_j() / t : 0.0},
                       {"hw_macs", r.hw_macs},
                       {"declared_macs", r.declared_macs},
                       {"tops_per_w", tops_per_w(r.declared_macs, r.energy.total_j())},
                       {"tops_per_w_hw", tops_per_w(r.hw_macs, r.energy.total_j())}});
  }
  j["regions"] = regions;

  json each = json::array();
  for (const auto& k : st.tokens()) {
    const char* ph = token_phase_name(k.phase);
    each.push_back({{"id", k.id},
                    {"phase", ph ? json(ph) : json(nullptr)},
                    {"position", k.position >= 0 ? json(k.position) : json(nullptr)},
                    {"begin_s", k.begin_cycle / st.freq_hz()},
                    {"cycles", k.end_cycle - k.begin_cycle},
                    {"latency_s", (k.end_cycle - k.begin_cycle) / st.freq_hz()},
                    {"instret", k.instret},
                    {"energy_j", k.energy_j}});
  }
  auto dist = [](const TokenGroup& g, const Dist& d) -> json {
    if (!g.count) return nullptr;
    return {{"mean", d.mean}, {"p50", d.p50}, {"p90", d.p90}, {"min", d.min}, {"max", d.max}};
  };
  auto group = [&](const TokenGroup& g) -> json {
    return {{"count", g.count},
            {"tokens_per_s", g.tokens_per_s},
            {"latency_s", dist(g, g.latency)},
            {"energy_j_per_token", dist(g, g.energy)}};
  };
  const TokenGroup all = summarize_tokens(st, true, TokenPhase::None);
  const TokenGroup pre = summarize_tokens(st, false, TokenPhase::Prefill);
  const TokenGroup dec = summarize_tokens(st, false, TokenPhase::Decode);
  json tokens = group(all);
  const auto p0 = st.phase_start_cycle(), d1 = st.first_decode_end_cycle();
  tokens["startup_s"] = p0 ? json(*p0 / st.freq_hz()) : json(nullptr);
  tokens["ttft_s"] = p0 && d1 ? json((*d1 - *p0) / st.freq_hz()) : json(nullptr);
  if (pre.count + dec.count)
    tokens["context"] = {{"start", pre.count}, {"end", pre.count + dec.count}};
  else
    tokens["context"] = nullptr;
  tokens["prefill"] = group(pre);
  tokens["decode"] = group(dec);
  tokens["each"] = each;
  j["tokens"] = tokens;

  j["macs"] = {{"declared", st.declared_macs()},
               {"hardware", c.hw_macs()},
               {"hardware_by_width", {{"int8", c.xmac_macs[0]}, {"int4", c.xmac_macs[1]}, {"int2", c.xmac_macs[2]}}}};
  j["tops_per_w"] = tops_per_w(st.declared_macs(), run.energy.total_j());
  j["tops_per_w_hw"] = tops_per_w(c.hw_macs(), run.energy.total_j());
  j["warnings"] = st.warnings();
  j["sim"] = {{"host_s", run.host_s}, {"mips", run.mips}};
  j["provenance"] = run.provenance;
  return j;
}

std::string report_table(const RunSummary& run, const Stats& st) {
  const EnergyModel& m = st.model();
  const double total = run.energy.total_j();
  std::string s;
  s += fmt::format("\n--- energy ({} at {:.3f} V, {:.1f} MHz, idle {}) ---\n", m.tech().name, m.op().voltage_v,
                   m.op().freq_hz / 1e6, idle_mode_name(m.op().idle));
  s += fmt::format("{:<12} {:>14} {:>14} {:>14} {:>7}\n", "component", "dynamic", "leakage", "total", "share");
  for (const auto& p : run.energy.parts)
    s += fmt::format("{:<12} {:>14} {:>14} {:>14} {:>6.1f}%\n", p.name, si(p.dynamic_j, "J"), si(p.leakage_j, "J"),
                     si(p.total_j(), "J"), total > 0 ? 100 * p.total_j() / total : 0.0);
  s += fmt::format("{:<12} {:>14} {:>14} {:>14} {:>6.1f}%\n", "total", si(run.energy.dynamic_j(), "J"),
                   si(run.energy.leakage_j(), "J"), si(total, "J"), 100.0);
  s += fmt::format("average power  {}\n", si(run.time_s > 0 ? total / run.time_s : 0, "W"));
  s += fmt::format("energy/instr   {}\n", si(run.instret ? total / run.instret : 0, "J"));
  const uint64_t declared = st.declared_macs(), hw = run.counters.hw_macs();
  s += fmt::format("MACs           {} declared, {} hardware (Xmac + CIM)\n", declared, hw);
  if (declared) s += fmt::format("TOPS/W         {:.4f} (2 x declared MACs / energy)\n", tops_per_w(declared, total));
  if (hw) s += fmt::format("TOPS/W (hw)    {:.4f} (2 x hardware MACs / energy)\n", tops_per_w(hw, total));
  if (!run.counters.per_hart.empty()) {
    s += fmt::format("\n{:<6} {:>14} {:>14} {:>14} {:>12} {:>10}\n", "hart", "cycles", "instret", "idle", "bank wait",
                     "sc fails");
    for (size_t h = 0; h < run.counters.per_hart.size(); ++h) {
      const HartCounters& k = run.counters.per_hart[h];
      s += fmt::format("{:<6} {:>14} {:>14} {:>14} {:>12} {:>10}\n", h, k.cycles, k.instret, k.idle_cycles,
                       k.bank_wait_cycles, k.sc_failures);
    }
  }
  for (const auto& mc : run.counters.mems) {
    if (mc.bank_accesses.empty()) continue;
    uint64_t acc = 0, conflicts = 0, wait = 0;
    for (size_t b = 0; b < mc.bank_accesses.size(); ++b) {
      acc += mc.bank_accesses[b];
      conflicts += mc.bank_conflicts[b];
      wait += mc.bank_wait_cycles[b];
    }
    s += fmt::format("{} banks     {} banks, {} accesses, {} conflicts ({:.2f}%), {} wait cycles\n", mc.name,
                     mc.bank_accesses.size(), acc, conflicts, acc ? 100.0 * conflicts / acc : 0.0, wait);
  }

  const auto regions = st.regions();
  if (!regions.empty()) {
    s += fmt::format("\n{:<26} {:>6} {:>12} {:>12} {:>12} {:>12} {:>10}\n", "region", "calls", "cycles", "instret",
                     "energy", "power", "TOPS/W");
    for (const auto& r : regions) {
      const double t = r.cycles / st.freq_hz();
      const double e = r.energy.total_j();
      s += fmt::format("{:<26} {:>6} {:>12} {:>12} {:>12} {:>12} {:>10}\n",
                       std::string(2 * r.depth, ' ') + r.name, r.calls, r.cycles, r.instret, si(e, "J"),
                       si(t > 0 ? e / t : 0, "W"),
                       r.declared_macs ? fmt::format("{:.4f}", tops_per_w(r.declared_macs, e)) : std::string("-"));
    }
  }
  const TokenGroup all = summarize_tokens(st, true, TokenPhase::None);
  if (all.count) {
    const TokenGroup pre = summarize_tokens(st, false, TokenPhase::Prefill);
    const TokenGroup dec = summarize_tokens(st, false, TokenPhase::Decode);
    s += fmt::format("\ntokens         {} ({:.2f} tokens/s)", all.count, all.tokens_per_s);
    if (pre.count + dec.count)
      s += fmt::format(": {} prefill + {} decode, context {} -> {}", pre.count, dec.count, pre.count,
                       pre.count + dec.count);
    s += "\n";
    const auto p0 = st.phase_start_cycle(), d1 = st.first_decode_end_cycle();
    if (p0 && d1)
      s += fmt::format("ttft           {} (prompt included; start-up {} excluded)\n", si((*d1 - *p0) / st.freq_hz(), "s"),
                       si(*p0 / st.freq_hz(), "s"));
    s += fmt::format("{:<8} {:>6} {:>10}  {:>10} {:>10} {:>10} {:>10}  {:>10} {:>10} {:>10} {:>10}\n", "", "count",
                     "tokens/s", "lat mean", "p50", "p90", "max", "E/tok mean", "p50", "p90", "max");
    auto line = [&](const char* name, const TokenGroup& g) {
      if (!g.count) return;
      s += fmt::format("{:<8} {:>6} {:>10.2f}  {:>10} {:>10} {:>10} {:>10}  {:>10} {:>10} {:>10} {:>10}\n", name,
                       g.count, g.tokens_per_s, si(g.latency.mean, "s"), si(g.latency.p50, "s"),
                       si(g.latency.p90, "s"), si(g.latency.max, "s"), si(g.energy.mean, "J"), si(g.energy.p50, "J"),
                       si(g.energy.p90, "J"), si(g.energy.max, "J"));
    };
    line("prefill", pre);
    line("decode", dec);
    line("all", all);
  }
  s += cim_table(run);
  for (const auto& w : st.warnings()) s += "warning: " + w + "\n";
  return s;
}

json trace_json(const RunSummary& run, const Stats& st) {
  const double us_per_cycle = 1e6 / st.freq_hz();
  json ev = json::array();
  auto meta = [&](int tid, const std::string& name) {
    ev.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", tid}, {"args", {{"name", name}}}});
  };
  ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 0}, {"args", {{"name", run.soc_name}}}});
  meta(1, "regions");
  meta(2, "tokens");
  const auto regions = st.regions();
  auto name_of = [&](uint32_t id) {
    for (const auto& r : regions)
      if (r.id == id) return r.name;
    return fmt::format("region{}", id);
  };
  // Region slices carry their call's energy (total and by component, as the report's regions).
  const auto& comps = run.energy.parts;
  for (const auto& i : st.instances()) {
    double total = 0;
    json by = json::object();
    for (size_t k = 0; k < i.energy_j.size(); ++k) {
      total += i.energy_j[k];
      if (k < comps.size()) by[comps[k].name] = i.energy_j[k] * 1e6;
    }
    ev.push_back({{"name", name_of(i.id)},
                  {"cat", "region"},
                  {"ph", "X"},
                  {"pid", 1},
                  {"tid", 1},
                  {"ts", i.begin_cycle * us_per_cycle},
                  {"dur", (i.end_cycle - i.begin_cycle) * us_per_cycle},
                  {"args", {{"id", i.id},
                            {"cycles", i.end_cycle - i.begin_cycle},
                            {"instret", i.instret},
                            {"energy_uj", total * 1e6},
                            {"energy_uj_by_component", by}}}});
  }
  for (const auto& t : st.tokens())
    ev.push_back({{"name", fmt::format("token {}", t.id)},
                  {"cat", "token"},
                  {"ph", "X"},
                  {"pid", 1},
                  {"tid", 2},
                  {"ts", t.begin_cycle * us_per_cycle},
                  {"dur", (t.end_cycle - t.begin_cycle) * us_per_cycle},
                  {"args", {{"id", t.id}, {"energy_uj", t.energy_j * 1e6}, {"instret", t.instret}}}});
  // One counter track per component: power in mW over each interval between marks.
  const auto& parts = run.energy.parts;
  for (const auto& p : st.power())
    for (size_t k = 0; k < parts.size() && k < p.watts.size(); ++k)
      ev.push_back({{"name", "power " + parts[k].name},
                    {"ph", "C"},
                    {"pid", 1},
                    {"ts", p.begin_cycle * us_per_cycle},
                    {"args", {{"mW", p.watts[k] * 1e3}}}});
  for (const auto& part : parts)
    ev.push_back({{"name", "power " + part.name},
                  {"ph", "C"},
                  {"pid", 1},
                  {"ts", run.cycles * us_per_cycle},
                  {"args", {{"mW", 0.0}}}});
  return {{"traceEvents", ev}, {"displayTimeUnit", "ns"}, {"otherData", {{"soc", run.soc_name}}}};
}

}  // namespace mcucim::sim

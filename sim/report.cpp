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

struct TokenSummary {
  size_t count = 0;
  double lat_mean = 0, lat_min = 0, lat_max = 0, e_mean = 0, e_min = 0, e_max = 0, lat_sum = 0, tokens_per_s = 0;
};
TokenSummary summarize_tokens(const Stats& st) {
  TokenSummary s;
  const auto& t = st.tokens();
  s.count = t.size();
  if (t.empty()) return s;
  s.lat_min = s.e_min = INFINITY;
  double e_sum = 0;
  for (const auto& k : t) {
    const double lat = (k.end_cycle - k.begin_cycle) / st.freq_hz();
    s.lat_sum += lat;
    e_sum += k.energy_j;
    s.lat_min = std::min(s.lat_min, lat);
    s.lat_max = std::max(s.lat_max, lat);
    s.e_min = std::min(s.e_min, k.energy_j);
    s.e_max = std::max(s.e_max, k.energy_j);
  }
  s.lat_mean = s.lat_sum / t.size();
  s.e_mean = e_sum / t.size();
  s.tokens_per_s = s.lat_sum > 0 ? t.size() / s.lat_sum : 0;
  return s;
}

std::string si(double v, const char* unit) {
  const double a = std::fabs(v);
  if (a == 0) return fmt::format("0 {}", unit);
  struct P { double f; const char* p; };
  static const P ps[] = {{1, ""}, {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}};
  for (const auto& p : ps)
    if (a >= p.f) return fmt::format("{:.3f} {}{}", v / p.f, p.p, unit);
  return fmt::format("{:.3e} {}", v, unit);
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
    for (const auto& p : run.energy.parts)
      if (p.name == d.name)
        for (const auto& [n, j] : p.parts_j)
          if (j > 0) s += fmt::format("  {:<12} {:>14}\n", n, si(j, "J"));
  }
  return s;
}

}  // namespace

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
  for (const auto& mc : c.mems)
    mems.push_back({{"name", mc.name},
                    {"kind", mc.kind},
                    {"reads", {{"byte", mc.reads[0]}, {"half", mc.reads[1]}, {"word", mc.reads[2]}}},
                    {"writes", {{"byte", mc.writes[0]}, {"half", mc.writes[1]}, {"word", mc.writes[2]}}},
                    {"fetch_fills", mc.fetch_fills}});
  json devs = json::array();
  for (const auto& d : c.devs) {
    devs.push_back({{"name", d.name}, {"kind", d.kind}, {"reads", d.reads}, {"writes", d.writes}});
    if (!d.stats.empty()) {  // CIM macros and DMA engines: their event counters (cim/CIM.md, mcucim/dma.h)
      json st = json::object();
      for (const auto& [name, v] : d.stats) st[name] = v;
      devs.back()["stats"] = st;
    }
  }
  j["events"] = {{"instructions_by_class", cls}, {"idle_cycles", c.idle_cycles}, {"memories", mems},
                 {"devices", devs},   {"bus_transfers", c.bus_transfers}};

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

  const TokenSummary ts = summarize_tokens(st);
  json each = json::array();
  for (const auto& k : st.tokens())
    each.push_back({{"id", k.id},
                    {"begin_s", k.begin_cycle / st.freq_hz()},
                    {"cycles", k.end_cycle - k.begin_cycle},
                    {"latency_s", (k.end_cycle - k.begin_cycle) / st.freq_hz()},
                    {"instret", k.instret},
                    {"energy_j", k.energy_j}});
  auto stat3 = [&](double mean, double mn, double mx) -> json {
    if (!ts.count) return nullptr;
    return {{"mean", mean}, {"min", mn}, {"max", mx}};
  };
  j["tokens"] = {{"count", ts.count},
                 {"latency_s", stat3(ts.lat_mean, ts.lat_min, ts.lat_max)},
                 {"energy_j_per_token", stat3(ts.e_mean, ts.e_min, ts.e_max)},
                 {"tokens_per_s", ts.tokens_per_s},
                 {"each", each}};

  j["macs"] = {{"declared", st.declared_macs()},
               {"hardware", c.hw_macs()},
               {"hardware_by_width", {{"int8", c.xmac_macs[0]}, {"int4", c.xmac_macs[1]}, {"int2", c.xmac_macs[2]}}}};
  j["tops_per_w"] = tops_per_w(st.declared_macs(), run.energy.total_j());
  j["tops_per_w_hw"] = tops_per_w(c.hw_macs(), run.energy.total_j());
  j["warnings"] = st.warnings();
  j["sim"] = {{"host_s", run.host_s}, {"mips", run.mips}};
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
  const TokenSummary ts = summarize_tokens(st);
  if (ts.count) {
    s += fmt::format("\ntokens         {} ({:.2f} tokens/s)\n", ts.count, ts.tokens_per_s);
    s += fmt::format("latency        mean {}  min {}  max {}\n", si(ts.lat_mean, "s"), si(ts.lat_min, "s"),
                     si(ts.lat_max, "s"));
    s += fmt::format("energy/token   mean {}  min {}  max {}\n", si(ts.e_mean, "J"), si(ts.e_min, "J"),
                     si(ts.e_max, "J"));
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
  for (const auto& i : st.instances())
    ev.push_back({{"name", name_of(i.id)},
                  {"cat", "region"},
                  {"ph", "X"},
                  {"pid", 1},
                  {"tid", 1},
                  {"ts", i.begin_cycle * us_per_cycle},
                  {"dur", (i.end_cycle - i.begin_cycle) * us_per_cycle},
                  {"args", {{"id", i.id}, {"cycles", i.end_cycle - i.begin_cycle}}}});
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

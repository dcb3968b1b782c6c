#include "sim/energy.h"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

namespace mcucim::sim {

namespace fs = std::filesystem;

const char* idle_mode_name(IdleMode m) {
  switch (m) {
    case IdleMode::None: return "none";
    case IdleMode::ClockGated: return "clock_gated";
    case IdleMode::PowerGated: return "power_gated";
  }
  return "?";
}

namespace {
// A non-negative number (energy, power); a missing key, a non-number or a negative value is an error
// naming file:line and key.
double nonneg(const Config& t, const std::string& key) {
  const double v = t.get<double>(key);
  if (!(v >= 0) || !std::isfinite(v))
    t.fail(key, fmt::format("expected a non-negative number (pJ, uW or a fraction), found {}", v));
  return v;
}
double positive(const Config& t, const std::string& key) {
  const double v = t.get<double>(key);
  if (!(v > 0) || !std::isfinite(v)) t.fail(key, fmt::format("expected a positive number, found {}", v));
  return v;
}
std::array<double, 3> sized(const Config& t, const std::string& key) {
  return {nonneg(t, key + ".byte"), nonneg(t, key + ".half"), nonneg(t, key + ".word")};
}
}  // namespace

TechTable load_tech_file(const std::string& path, const std::vector<std::string>& memory_kinds) {
  Config t = Config::load(path);
  TechTable tt;
  tt.file = path;
  tt.name = t.get<std::string>("tech.name");
  t.get<double>("tech.node_nm", 0);
  tt.vref_v = positive(t, "tech.vref_v");
  for (size_t i = 0; i < kNumClasses; ++i)
    tt.insn_pj[i] = nonneg(t, std::string("tech.core.insn_pj.") + isa::kTimingClassNames[i]);
  tt.mac_pj = {nonneg(t, "tech.core.mac_pj.int8"), nonneg(t, "tech.core.mac_pj.int4"),
               nonneg(t, "tech.core.mac_pj.int2")};
  tt.clock_pj_per_cycle = nonneg(t, "tech.core.clock_pj_per_cycle");
  tt.core_leakage_uw = nonneg(t, "tech.core.leakage_uw");
  tt.core_leakage_efold_v = positive(t, "tech.core.leakage_efold_v");
  tt.core_retention_fraction = nonneg(t, "tech.core.retention_fraction");
  if (tt.core_retention_fraction > 1)
    t.fail("tech.core.retention_fraction",
           fmt::format("expected a fraction in [0, 1], found {}", tt.core_retention_fraction));
  for (const auto& kind : memory_kinds) {
    const std::string p = "tech.memories." + kind;
    if (!t.has(p))
      t.fail(p, fmt::format("the SoC config uses a memory of kind '{}' but the technology table has no "
                            "'memories.{}' entry (expected read_pj, write_pj, fetch_word_pj, "
                            "scales_with_vdd, leakage_uw_per_kib, leakage_efold_v)",
                            kind, kind));
    MemoryTech m;
    m.read_pj = sized(t, p + ".read_pj");
    m.write_pj = sized(t, p + ".write_pj");
    m.fetch_word_pj = nonneg(t, p + ".fetch_word_pj");
    m.scales_with_vdd = t.get<bool>(p + ".scales_with_vdd");
    m.leakage_uw_per_kib = nonneg(t, p + ".leakage_uw_per_kib");
    m.leakage_efold_v = positive(t, p + ".leakage_efold_v");
    tt.memories[kind] = m;
  }
  // Kinds the SoC does not use are still part of the table: mark them read (not "unknown keys").
  t.mark_used("tech.memories");
  tt.fetch.icache_word_pj = nonneg(t, "tech.icache.data_word_pj");
  tt.fetch.icache_tag_pj = nonneg(t, "tech.icache.tag_pj");
  tt.fetch.icache_ref_bytes = positive(t, "tech.icache.ref_bytes");
  tt.fetch.icache_capacity_exponent = nonneg(t, "tech.icache.capacity_exponent");
  if (tt.fetch.icache_capacity_exponent > 1)
    t.fail("tech.icache.capacity_exponent",
           fmt::format("expected an exponent in [0, 1], found {}", tt.fetch.icache_capacity_exponent));
  tt.fetch.icache_leakage_uw_per_kib = nonneg(t, "tech.icache.leakage_uw_per_kib");
  tt.fetch.icache_leakage_efold_v = positive(t, "tech.icache.leakage_efold_v");
  tt.fetch.buffer_read_word_pj = nonneg(t, "tech.fetch_buffer.read_word_pj");
  tt.fetch.buffer_write_word_pj = nonneg(t, "tech.fetch_buffer.write_word_pj");
  tt.bus_transfer_pj = nonneg(t, "tech.bus.transfer_pj");
  tt.bus_leakage_uw = nonneg(t, "tech.bus.leakage_uw");
  tt.bus_leakage_efold_v = positive(t, "tech.bus.leakage_efold_v");
  tt.periph_access_pj = nonneg(t, "tech.peripherals.access_pj");
  tt.periph_leakage_uw = nonneg(t, "tech.peripherals.leakage_uw");
  tt.periph_leakage_efold_v = positive(t, "tech.peripherals.leakage_efold_v");
  t.check_all_used();
  return tt;
}

TechTable load_tech(const Config& cfg, const std::string& name, const std::vector<std::string>& memory_kinds) {
  // soc.tech names a preset (configs/tech/<name>.yaml) or a path; absent, the default `name`.
  const std::string path = cfg.has("soc.tech")
                               ? resolve_preset(cfg, "soc.tech", "tech", "technology table")
                               : (fs::path(MCUCIM_SOURCE_DIR) / "configs" / "tech" / (name + ".yaml")).string();
  return load_tech_file(path, memory_kinds);
}

Counters operator-(const Counters& a, const Counters& b) {
  Counters d = a;
  d.cycles -= b.cycles;
  d.instret -= b.instret;
  d.idle_cycles -= b.idle_cycles;
  for (size_t i = 0; i < kNumClasses; ++i) d.by_class[i] -= b.by_class[i];
  for (size_t i = 0; i < 3; ++i) d.xmac_macs[i] -= b.xmac_macs[i];
  for (size_t m = 0; m < d.mems.size() && m < b.mems.size(); ++m) {
    for (size_t i = 0; i < 3; ++i) {
      d.mems[m].reads[i] -= b.mems[m].reads[i];
      d.mems[m].writes[i] -= b.mems[m].writes[i];
    }
    d.mems[m].fetch_fills -= b.mems[m].fetch_fills;
    d.mems[m].fetch_words -= b.mems[m].fetch_words;
    auto sub = [](std::vector<uint64_t>& x, const std::vector<uint64_t>& y) {
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) x[i] -= y[i];
    };
    sub(d.mems[m].bank_accesses, b.mems[m].bank_accesses);
    sub(d.mems[m].bank_conflicts, b.mems[m].bank_conflicts);
    sub(d.mems[m].bank_wait_cycles, b.mems[m].bank_wait_cycles);
  }
  for (size_t h = 0; h < d.per_hart.size() && h < b.per_hart.size(); ++h) {
    d.per_hart[h].cycles -= b.per_hart[h].cycles;
    d.per_hart[h].instret -= b.per_hart[h].instret;
    d.per_hart[h].idle_cycles -= b.per_hart[h].idle_cycles;
    d.per_hart[h].bank_wait_cycles -= b.per_hart[h].bank_wait_cycles;
    d.per_hart[h].sc_failures -= b.per_hart[h].sc_failures;
  }
  for (size_t k = 0; k < d.devs.size() && k < b.devs.size(); ++k) {
    d.devs[k].reads -= b.devs[k].reads;
    d.devs[k].writes -= b.devs[k].writes;
    for (size_t i = 0; i < d.devs[k].part_pj.size() && i < b.devs[k].part_pj.size(); ++i)
      d.devs[k].part_pj[i] -= b.devs[k].part_pj[i];
    for (size_t i = 0; i < d.devs[k].stats.size() && i < b.devs[k].stats.size(); ++i)
      d.devs[k].stats[i].second -= b.devs[k].stats[i].second;
    d.devs[k].leakage_pj -= b.devs[k].leakage_pj;
  }
  d.bus_transfers -= b.bus_transfers;
  return d;
}

double EnergyBreakdown::total_j() const {
  double s = 0;
  for (const auto& p : parts) s += p.total_j();
  return s;
}
double EnergyBreakdown::dynamic_j() const {
  double s = 0;
  for (const auto& p : parts) s += p.dynamic_j;
  return s;
}
double EnergyBreakdown::leakage_j() const {
  double s = 0;
  for (const auto& p : parts) s += p.leakage_j;
  return s;
}

EnergyModel::EnergyModel(TechTable tech, PowerPoint op, uint32_t fetch_line_bytes, uint32_t fetch_lines)
    : tech_(std::move(tech)),
      op_(op),
      fetch_words_per_line_(std::max<uint32_t>(1, fetch_line_bytes / 4)),
      icache_(fetch_lines > 1) {
  const double r = op_.voltage_v / tech_.vref_v;
  dyn_scale_ = r * r;
  const FetchTech& f = tech_.fetch;
  if (icache_) {
    // Direct-mapped: per line a tag of 32 - log2(capacity) bits plus a valid bit. Per-access energies
    // scale with the capacity; a hit reads the tag and one data word, a fill reads the tag (the lookup
    // that missed), writes the line's words and writes the tag.
    const double bytes = double(fetch_lines) * fetch_line_bytes;
    const double scale = std::pow(bytes / f.icache_ref_bytes, f.icache_capacity_exponent);
    fetch_hit_pj_ = (f.icache_word_pj + f.icache_tag_pj) * scale;
    fetch_fill_pj_ = (fetch_words_per_line_ * f.icache_word_pj + 2 * f.icache_tag_pj) * scale;
    const double tag_bits = 32 - std::log2(bytes) + 1;
    const double kib = (bytes * 8 + fetch_lines * tag_bits) / 8 / 1024;
    fetch_leakage_uw_ = f.icache_leakage_uw_per_kib * kib;
  } else {
    fetch_hit_pj_ = f.buffer_read_word_pj;
    fetch_fill_pj_ = fetch_words_per_line_ * f.buffer_write_word_pj;
    fetch_leakage_uw_ = 0;  // a line of flip-flops: part of the core's leakage
  }
}

double EnergyModel::leakage_scale(double efold_v) const {
  return op_.voltage_v / tech_.vref_v * std::exp((op_.voltage_v - tech_.vref_v) / efold_v);
}

namespace {
ComponentEnergy component(const std::string& name, const std::string& kind) {
  ComponentEnergy c;
  c.name = name;
  c.kind = kind;
  return c;
}
}  // namespace

EnergyBreakdown EnergyModel::compute(const Counters& c) const {
  constexpr double pJ = 1e-12, uW = 1e-6;
  const double t_total = c.cycles / op_.freq_hz;
  // Core clock and leakage per hart: hart-cycles = harts x cycles, of which idle_cycles (summed over
  // the harts) are idle.
  const uint64_t hart_cycles = uint64_t(c.harts ? c.harts : 1) * c.cycles;
  const uint64_t idle = std::min(c.idle_cycles, hart_cycles);
  const double t_idle = idle / op_.freq_hz, t_harts = hart_cycles / op_.freq_hz;
  EnergyBreakdown b;

  ComponentEnergy core = component("core", "core");
  double e = 0;
  for (size_t i = 0; i < kNumClasses; ++i) e += c.by_class[i] * tech_.insn_pj[i];
  for (size_t i = 0; i < 3; ++i) e += c.xmac_macs[i] * tech_.mac_pj[i];
  const uint64_t clocked = op_.idle == IdleMode::None ? hart_cycles : hart_cycles - idle;
  e += clocked * tech_.clock_pj_per_cycle;
  core.dynamic_j = e * pJ * dyn_scale_;
  const double core_leak_w = tech_.core_leakage_uw * uW * leakage_scale(tech_.core_leakage_efold_v);
  const double idle_leak_factor = op_.idle == IdleMode::PowerGated ? tech_.core_retention_fraction : 1.0;
  core.leakage_j = core_leak_w * ((t_harts - t_idle) + t_idle * idle_leak_factor);
  b.parts.push_back(core);

  // The fetch buffer / I-cache: every word the core reads from it (a hit), every line written into it.
  ComponentEnergy ic = component("icache", icache_ ? "icache" : "fetch_buffer");
  uint64_t words = 0, fills = 0;
  for (const auto& m : c.mems) {
    words += m.fetch_words;
    fills += m.fetch_fills;
  }
  const uint64_t hits = words > fills ? words - fills : 0;
  ic.dynamic_j = (hits * fetch_hit_pj_ + fills * fetch_fill_pj_) * pJ * dyn_scale_;
  ic.leakage_j = fetch_leakage_uw_ * uW * leakage_scale(tech_.fetch.icache_leakage_efold_v) * t_total;
  b.parts.push_back(ic);

  for (const auto& m : c.mems) {
    auto it = tech_.memories.find(m.kind);
    if (it == tech_.memories.end()) continue;  // load_tech_file() checked every kind in use
    const MemoryTech& mt = it->second;
    ComponentEnergy ce = component(m.name, m.kind);
    double em = 0;
    for (size_t i = 0; i < 3; ++i) em += m.reads[i] * mt.read_pj[i] + m.writes[i] * mt.write_pj[i];
    em += double(m.fetch_fills) * fetch_words_per_line_ * mt.fetch_word_pj;
    ce.dynamic_j = em * pJ * (mt.scales_with_vdd ? dyn_scale_ : 1.0);
    ce.leakage_j = mt.leakage_uw_per_kib * (m.size_bytes / 1024.0) * uW * leakage_scale(mt.leakage_efold_v) * t_total;
    b.parts.push_back(ce);
  }

  ComponentEnergy bus = component("bus", "bus");
  bus.dynamic_j = c.bus_transfers * tech_.bus_transfer_pj * pJ * dyn_scale_;
  bus.leakage_j = tech_.bus_leakage_uw * uW * leakage_scale(tech_.bus_leakage_efold_v) * t_total;
  b.parts.push_back(bus);

  for (const auto& d : c.devs) {
    ComponentEnergy ce = component(d.name, d.kind);
    ce.dynamic_j = (d.reads + d.writes) * tech_.periph_access_pj * pJ * dyn_scale_;
    ce.leakage_j = tech_.periph_leakage_uw * uW * leakage_scale(tech_.periph_leakage_efold_v) * t_total;
    for (size_t i = 0; i < d.part_pj.size(); ++i) {
      ce.dynamic_j += d.part_pj[i] * pJ;
      ce.parts_j.emplace_back(i < d.part_names.size() ? std::string(d.part_names[i]) : "part" + std::to_string(i), d.part_pj[i] * pJ);
    }
    ce.leakage_j += d.leakage_counted ? d.leakage_pj * pJ : d.leakage_uw * uW * t_total;
    b.parts.push_back(ce);
  }
  return b;
}

}  // namespace mcucim::sim

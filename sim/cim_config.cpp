#include "sim/cim_config.h"

#include <cmath>

#include <fmt/format.h>

namespace mcucim::sim {

namespace {
struct Reader {
  const Config& pre;
  const Config* over;
  std::string prefix;
  // The config holding key k and its full path there.
  std::pair<const Config*, std::string> where(const std::string& k) const {
    if (over && over->has(prefix + "." + k)) {
      if (pre.has("cim." + k)) pre.mark_used("cim." + k);  // overridden, not unknown
      return {over, prefix + "." + k};
    }
    return {&pre, "cim." + k};
  }
  template <typename T>
  T get(const std::string& k) const {
    auto [c, p] = where(k);
    return c->get<T>(p);
  }
  template <typename T>
  T get(const std::string& k, T def) const {
    auto [c, p] = where(k);
    return c->has(p) ? c->get<T>(p) : def;
  }
  double num(const std::string& k, bool positive = false) const {
    auto [c, p] = where(k);
    const double v = c->get<double>(p);
    if (!std::isfinite(v) || v < 0 || (positive && v == 0))
      c->fail(p, fmt::format("expected a {} number, found {}", positive ? "positive" : "non-negative", v));
    return v;
  }
  double num(const std::string& k, double def, bool positive = false) const {
    auto [c, p] = where(k);
    return c->has(p) ? num(k, positive) : def;
  }
};
}  // namespace

cim::MacroConfig read_cim_config(const Config& preset, const Config* over, const std::string& prefix) {
  Reader r{preset, over, prefix};
  cim::MacroConfig m;
  m.name = r.get<std::string>("name");
  r.get<std::string>("source", "");
  {
    auto [c, path] = r.where("type");
    m.array.type = c->get_enum(path, {"analog", "digital"}, "analog") == "digital" ? cim::MacroType::Digital
                                                                                    : cim::MacroType::Analog;
  }
  const bool digital = m.array.type == cim::MacroType::Digital;
  auto& a = m.array;
  a.rows = r.get<uint32_t>("array.rows");
  a.cols = r.get<uint32_t>("array.cols");
  a.cell_bits = r.get<uint32_t>("array.cell_bits", 1u);
  {
    auto [c, path] = r.where("array.rows_per_pass");
    if (c->has(path)) {
      a.rows_per_pass = c->get<uint32_t>(path);
      if (a.rows_per_pass < 1 || a.rows_per_pass > a.rows)
        c->fail(path, fmt::format("{} rows per conversion: expected 1..{} (array.rows)", a.rows_per_pass, a.rows));
    }
  }
  a.adc_bits = digital ? r.get<uint32_t>("adc.bits", 8u) : r.get<uint32_t>("adc.bits");
  a.adc_full_scale = r.get<uint64_t>("adc.full_scale", uint64_t(0));
  a.columns_per_adc = r.get<uint32_t>("adc.columns_per_adc");
  a.dac_bits = r.get<uint32_t>("adc.dac_bits", 1u);
  a.zero_skip = r.get<bool>("adc.zero_skip", false);
  {
    auto [c, path] = r.where("adc.window_cols");
    if (c->has(path)) {
      a.window_cols = c->get<uint32_t>(path);
      if (a.window_cols < 1) c->fail(path, "expected at least 1 column per ADC window group");
    }
  }
  auto& d = m.device;
  d.r_p_ohm = r.num("device.r_p_ohm", true);
  d.r_ap_ohm = r.num("device.r_ap_ohm", true);
  d.v_read_v = r.num("device.v_read_v");
  d.t_read_ns = r.num("device.t_read_ns");
  auto& e = m.energy;
  e.wordline_pj = r.num("energy.wordline_pj");
  e.precharge_pj = r.num("energy.precharge_pj");
  {
    // The ADC model (analog macros; a digital preset may leave it out: the defaults are unused).
    auto adc = [&](const std::string& k, double def, bool positive = false) {
      return digital ? r.num("energy.adc." + k, def, positive) : r.num("energy.adc." + k, positive);
    };
    e.adc_a_uw_per_bit = adc("a_uw_per_bit", e.adc_a_uw_per_bit);
    e.adc_b_uw = adc("b_uw", e.adc_b_uw);
    e.adc_c_w_ohm = adc("c_w_ohm", e.adc_c_w_ohm);
    e.adc_r_col_ohm = adc("r_col_ohm", e.adc_r_col_ohm, true);
    e.adc_t_ns_per_bit = adc("t_ns_per_bit", e.adc_t_ns_per_bit);
    e.adc_t_ns_fixed = adc("t_ns_fixed", e.adc_t_ns_fixed);
  }
  e.adc_scale = r.num("energy.adc.scale", 1.0);
  e.mux_pj = r.num("energy.mux_pj");
  e.shift_add_pj = r.num("energy.shift_add_pj");
  e.accumulate_pj = r.num("energy.accumulate_pj");
  e.control_pj_per_mvm = r.num("energy.control_pj_per_mvm");
  e.control_pj_per_pass = r.num("energy.control_pj_per_pass");
  e.buffer_pj_per_byte = r.num("energy.buffer_pj_per_byte");
  e.sense_pj = r.num("energy.sense_pj", 0.0);
  e.adder_pj_per_input = digital ? r.num("energy.adder_pj_per_input") : r.num("energy.adder_pj_per_input", 0.0);
  e.leakage_uw = r.num("energy.leakage_uw");
  auto& t = m.timing;
  t.t_precharge_ns = r.num("timing.t_precharge_ns");
  t.t_wordline_ns = r.num("timing.t_wordline_ns");
  t.t_control_ns = r.num("timing.t_control_ns");
  t.t_accumulate_ns = r.num("timing.t_accumulate_ns", 0.0);
  t.t_adder_ns = digital ? r.num("timing.t_adder_ns") : r.num("timing.t_adder_ns", 1.0);
  auto& p = m.program;
  p.write_pj_per_bit = r.num("program.write_pj_per_bit");
  p.write_ns = r.num("program.write_ns");
  p.bits_per_write = r.get<uint32_t>("program.bits_per_write");
  p.endurance_writes = r.num("program.endurance_writes", true);
  auto& pw = m.power;
  pw.idle_leakage_uw = r.num("power.idle_leakage_uw", m.energy.leakage_uw);  // default: gating the clock saves no leakage
  pw.wake_ns = r.num("power.wake_ns", 0.0);
  pw.wake_pj = r.num("power.wake_pj", 0.0);
  pw.idle_wake_ns = r.num("power.idle_wake_ns", 0.0);
  pw.idle_wake_pj = r.num("power.idle_wake_pj", 0.0);
  pw.auto_idle_ns = r.num("power.auto_idle_ns", 0.0);
  pw.auto_off_ns = r.num("power.auto_off_ns", 0.0);
  {
    auto [c, path] = r.where("power.initial");
    pw.start_off = c->get_enum(path, {"on", "off"}, "on") == "off";
  }
  if (pw.idle_leakage_uw > m.energy.leakage_uw) {
    auto [c, path] = r.where("power.idle_leakage_uw");
    c->fail(path, fmt::format("{} uW is more than energy.leakage_uw {} (idle is the clock-gated state)",
                              pw.idle_leakage_uw, m.energy.leakage_uw));
  }
  // Non-idealities: nonideal.<key>, else (with nonideal.typical: true) the preset's
  // nonideal_typical.<key> (the cited typical values), else 0.
  auto& n = m.nonideal;
  const bool typical = r.get<bool>("nonideal.typical", false);
  auto ni = [&](const std::string& k, bool allow_negative = false) -> double {
    auto [c, path] = r.where("nonideal." + k);
    const Config* src = c;
    std::string sp = path;
    if (!c->has(path)) {
      if (preset.has("cim.nonideal_typical." + k)) {
        if (!typical) {
          preset.mark_used("cim.nonideal_typical." + k);
          return 0.0;
        }
        src = &preset;
        sp = "cim.nonideal_typical." + k;
      } else {
        return 0.0;
      }
    }
    const double v = src->get<double>(sp);
    if (!std::isfinite(v) || (!allow_negative && v < 0))
      src->fail(sp, fmt::format("expected a {}finite number, found {}", allow_negative ? "" : "non-negative ", v));
    return v;
  };
  n.seed = r.get<uint64_t>("nonideal.seed", uint64_t(1));
  n.sigma_r_p = ni("sigma_r_p");
  n.sigma_r_ap = ni("sigma_r_ap");
  n.read_noise_sigma = ni("read_noise_sigma");
  n.stuck_at_rate = ni("stuck_at_rate");
  n.adc_offset_lsb = ni("adc_offset_lsb", true);
  n.adc_gain_error = ni("adc_gain_error", true);
  n.sigma_level = ni("sigma_level");
  if (preset.has("cim.nonideal_typical")) preset.mark_used("cim.nonideal_typical");
  const std::string err = cim::validate(m);
  if (!err.empty()) {
    const std::string key = err.substr(0, err.find(':'));
    auto [c, path] = r.where(key);
    c->fail(path, err.substr(err.find(':') + 2));
  }
  return m;
}

cim::MacroConfig load_cim_preset(const std::string& path, CimCalibration* cal) {
  Config pre = Config::load(path);
  cim::MacroConfig m = read_cim_config(pre, nullptr, "");
  if (pre.has("calibration")) {
    if (cal) {
      cal->paper = pre.get<std::string>("calibration.paper");
      cal->convention = pre.get_enum("calibration.convention", {"1b", "native"}, "native");
      auto point = [&](const std::string& b) {
        CimCalPoint p;
        p.label = pre.get<std::string>(b + "label", "");
        p.tops_per_w_lo = pre.get<double>(b + "tops_per_w.0");
        p.tops_per_w_hi = pre.get<double>(b + "tops_per_w.1");
        p.wbits = pre.get<uint32_t>(b + "wbits");
        p.abits = pre.get<uint32_t>(b + "abits");
        p.rows = pre.get<uint32_t>(b + "rows");
        p.outputs = pre.get<uint32_t>(b + "outputs");
        p.input_density = pre.get<double>(b + "input_density", 0.5);
        p.weight_density = pre.get<double>(b + "weight_density", 0.5);
        if (pre.has(b + "latency_ns")) {
          p.latency_ns_lo = pre.get<double>(b + "latency_ns.0");
          p.latency_ns_hi = pre.get<double>(b + "latency_ns.1");
        }
        return p;
      };
      if (pre.has("calibration.points")) {
        for (size_t i = 0, n = pre.list_size("calibration.points"); i < n; ++i)
          cal->points.push_back(point("calibration.points." + std::to_string(i) + "."));
      } else {
        cal->points.push_back(point("calibration."));
      }
      if (cal->points.empty()) pre.fail("calibration.points", "expected at least one published point");
      const CimCalPoint& f = cal->points.front();
      cal->tops_per_w_lo = f.tops_per_w_lo;
      cal->tops_per_w_hi = f.tops_per_w_hi;
      cal->wbits = f.wbits;
      cal->abits = f.abits;
      cal->rows = f.rows;
      cal->outputs = f.outputs;
      cal->input_density = f.input_density;
      cal->weight_density = f.weight_density;
    }
    pre.mark_used("calibration");
  }
  pre.mark_used("published");
  pre.check_all_used();
  return m;
}

}  // namespace mcucim::sim

namespace mcucim::sim {
cim::MacroConfig read_cim_device(const Config& cfg, const std::string& prefix) {
  const std::string path = resolve_preset(cfg, prefix + ".preset", "cim", "CIM macro preset");
  Config pre = Config::load(path);
  cim::MacroConfig m = read_cim_config(pre, &cfg, prefix);
  if (pre.has("calibration")) pre.mark_used("calibration");
  if (pre.has("published")) pre.mark_used("published");
  pre.check_all_used();
  return m;
}
}  // namespace mcucim::sim

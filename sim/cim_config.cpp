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
  auto& a = m.array;
  a.rows = r.get<uint32_t>("array.rows");
  a.cols = r.get<uint32_t>("array.cols");
  a.cell_bits = r.get<uint32_t>("array.cell_bits", 1u);
  a.adc_bits = r.get<uint32_t>("adc.bits");
  a.adc_full_scale = r.get<uint64_t>("adc.full_scale", uint64_t(0));
  a.columns_per_adc = r.get<uint32_t>("adc.columns_per_adc");
  a.dac_bits = r.get<uint32_t>("adc.dac_bits", 1u);
  auto& d = m.device;
  d.r_p_ohm = r.num("device.r_p_ohm", true);
  d.r_ap_ohm = r.num("device.r_ap_ohm", true);
  d.v_read_v = r.num("device.v_read_v");
  d.t_read_ns = r.num("device.t_read_ns");
  auto& e = m.energy;
  e.wordline_pj = r.num("energy.wordline_pj");
  e.precharge_pj = r.num("energy.precharge_pj");
  e.adc_a_uw_per_bit = r.num("energy.adc.a_uw_per_bit");
  e.adc_b_uw = r.num("energy.adc.b_uw");
  e.adc_c_w_ohm = r.num("energy.adc.c_w_ohm");
  e.adc_r_col_ohm = r.num("energy.adc.r_col_ohm", true);
  e.adc_t_ns_per_bit = r.num("energy.adc.t_ns_per_bit");
  e.adc_t_ns_fixed = r.num("energy.adc.t_ns_fixed");
  e.adc_scale = r.num("energy.adc.scale", 1.0);
  e.mux_pj = r.num("energy.mux_pj");
  e.shift_add_pj = r.num("energy.shift_add_pj");
  e.accumulate_pj = r.num("energy.accumulate_pj");
  e.control_pj_per_mvm = r.num("energy.control_pj_per_mvm");
  e.control_pj_per_pass = r.num("energy.control_pj_per_pass");
  e.buffer_pj_per_byte = r.num("energy.buffer_pj_per_byte");
  e.leakage_uw = r.num("energy.leakage_uw");
  auto& t = m.timing;
  t.t_precharge_ns = r.num("timing.t_precharge_ns");
  t.t_wordline_ns = r.num("timing.t_wordline_ns");
  t.t_control_ns = r.num("timing.t_control_ns");
  t.t_accumulate_ns = r.num("timing.t_accumulate_ns", 0.0);
  auto& p = m.program;
  p.write_pj_per_bit = r.num("program.write_pj_per_bit");
  p.write_ns = r.num("program.write_ns");
  p.bits_per_write = r.get<uint32_t>("program.bits_per_write");
  p.endurance_writes = r.num("program.endurance_writes", true);
  auto& n = m.nonideal;
  n.seed = r.get<uint64_t>("nonideal.seed", uint64_t(1));
  n.sigma_r_p = r.num("nonideal.sigma_r_p", 0.0);
  n.sigma_r_ap = r.num("nonideal.sigma_r_ap", 0.0);
  n.read_noise_sigma = r.num("nonideal.read_noise_sigma", 0.0);
  n.stuck_at_rate = r.num("nonideal.stuck_at_rate", 0.0);
  {
    auto [c, path] = r.where("nonideal.adc_offset_lsb");
    n.adc_offset_lsb = c->has(path) ? c->get<double>(path) : 0.0;
  }
  {
    auto [c, path] = r.where("nonideal.adc_gain_error");
    n.adc_gain_error = c->has(path) ? c->get<double>(path) : 0.0;
  }
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
      cal->tops_per_w_lo = pre.get<double>("calibration.tops_per_w.0");
      cal->tops_per_w_hi = pre.get<double>("calibration.tops_per_w.1");
      cal->wbits = pre.get<uint32_t>("calibration.wbits");
      cal->abits = pre.get<uint32_t>("calibration.abits");
      cal->rows = pre.get<uint32_t>("calibration.rows");
      cal->outputs = pre.get<uint32_t>("calibration.outputs");
      cal->input_density = pre.get<double>("calibration.input_density", 0.5);
      cal->weight_density = pre.get<double>("calibration.weight_density", 0.5);
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

// Sweep specs: parsing and validation, point expansion (product, zip, seeded random, exclusions),
// point ids and command lines.
#include "sweep/spec.h"

#include <fnmatch.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sim/soc.h"

namespace mcucim::sweep {

namespace fs = std::filesystem;
using nlohmann::json;
using sim::read_soc_spec;

bool constraint_true(const Constraint& c, const Point& p, const Config& base) {
  return constraint_true(c, [&](const std::string& name) -> Value {
    for (const auto& kv : p.values)
      if (kv.first == name) return value_of_text(kv.second);
    if (base.has(name) && !base.is_map(name) && !base.is_list(name)) return value_of_text(base.get<std::string>(name));
    throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": '" + name +
                      "' is neither an axis of the sweep nor a value of the base config");
  });
}

// ------------------------------------------------------------------------------------------------
// Spec loading.
std::string point_id(std::vector<std::string> overrides) {
  std::sort(overrides.begin(), overrides.end());
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (const auto& o : overrides) {
    for (unsigned char c : o + "\n") {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  }
  // Finalizer (MurmurHash3 fmix64) so ids differing in one character differ everywhere.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return fmt::format("{:016x}", h);
}

namespace {

std::string firmware_dir_default() {
  if (const char* e = std::getenv("MCUCIM_FIRMWARE_DIR")) return e;
  return (fs::path(self_exe()).parent_path() / "firmware").string();
}

// The text a spec value gives to --set: scalars as written, lists and maps as JSON flow (valid YAML).
std::string value_text_at(const Config& sc, const std::string& path, const std::string& axis) {
  if (sc.is_map(path) || sc.is_list(path)) {
    sc.mark_used(path);
    return sc.sub(path).to_json().dump();
  }
  if (!sc.has(path)) sc.fail(path, "axis '" + axis + "': empty value");
  return sc.get<std::string>(path);
}

// Values of a range {from, to, step}: integers when all three are integers, else rounded to 12
// significant digits so 0.6 + 3 x 0.1 is written 0.9.
std::vector<std::string> range_values(const Config& sc, const std::string& rp, const std::string& axis) {
  for (const char* k : {"from", "to", "step"})
    if (!sc.has(rp + "." + k))
      sc.fail(rp, "axis '" + axis + "': a range needs from, to and step (missing '" + k + "')");
  const std::string tf = sc.get<std::string>(rp + ".from"), tt = sc.get<std::string>(rp + ".to"),
                    ts = sc.get<std::string>(rp + ".step");
  double from, to, step;
  if (!to_number(tf, from)) sc.fail(rp + ".from", "axis '" + axis + "': expected a number, found '" + tf + "'");
  if (!to_number(tt, to)) sc.fail(rp + ".to", "axis '" + axis + "': expected a number, found '" + tt + "'");
  if (!to_number(ts, step) || step <= 0)
    sc.fail(rp + ".step", "axis '" + axis + "': expected a positive number, found '" + ts + "'");
  std::vector<std::string> out;
  const bool ints = std::floor(from) == from && std::floor(to) == to && std::floor(step) == step &&
                    std::fabs(from) < 9e15 && std::fabs(to) < 9e15;
  const double n = std::floor((to - from) / step + 1e-9);
  if (n > 100000) sc.fail(rp, "axis '" + axis + "': the range has more than 100000 values");
  for (long i = 0; i <= static_cast<long>(n); ++i) {
    const double v = from + i * step;
    out.push_back(ints ? fmt::format("{}", static_cast<long long>(v)) : fmt::format("{:.12g}", v));
  }
  return out;
}

// What a base config value is, to check axis values against it.
enum class VType { Bool, Int, Number, String, List, Map, Unknown };
VType base_type(const Config& base, const std::string& path) {
  if (!base.has(path)) return VType::Unknown;
  if (base.is_map(path)) return VType::Map;
  if (base.is_list(path)) return VType::List;
  const std::string t = base.get<std::string>(path);
  if (is_bool_text(t)) return VType::Bool;
  double d;
  const bool hex = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
  if (!hex && t.find_first_of(".eE") != std::string::npos && to_number(t, d)) return VType::Number;
  if (to_integer(t)) return VType::Int;
  if (to_number(t, d)) return VType::Number;
  return VType::String;
}
const char* vtype_name(VType t) {
  switch (t) {
    case VType::Bool: return "a boolean (true or false)";
    case VType::Int: return "an integer";
    case VType::Number: return "a number";
    case VType::String: return "a string";
    case VType::List: return "a list";
    case VType::Map: return "a map";
    default: return "a value";
  }
}
bool value_fits(VType t, const std::string& text) {
  const bool structured = !text.empty() && (text[0] == '[' || text[0] == '{');
  double d;
  switch (t) {
    case VType::Bool: return is_bool_text(text);
    case VType::Int: return !structured && to_integer(text);
    case VType::Number: return !structured && to_number(text, d);
    case VType::String: return !structured;
    case VType::List: return !text.empty() && text[0] == '[';
    case VType::Map: return !text.empty() && text[0] == '{';
    default: return true;
  }
}

// The base config's paths matching `path`, whose segments after the first may hold * and ? (fnmatch):
// "soc.devices.cim*.adc.bits" -> soc.devices.cim0.adc.bits, soc.devices.cim1.adc.bits, ... (segments
// after the last pattern need not exist in the base: they may be keys read with a default).
bool is_path_pattern(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }
std::vector<std::string> expand_path_pattern(const Config& base, const std::string& path) {
  std::vector<std::string> parts, frontier;
  std::stringstream ss(path);
  for (std::string x; std::getline(ss, x, '.');) parts.push_back(x);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    std::vector<std::string> next;
    if (i == 0) {
      if (is_path_pattern(part)) return {};
      next.push_back(part);
    } else {
      for (const auto& pre : frontier) {
        if (!is_path_pattern(part)) {
          next.push_back(pre + "." + part);
        } else if (base.is_map(pre)) {
          for (const auto& k : base.keys(pre))
            if (fnmatch(part.c_str(), k.c_str(), 0) == 0) next.push_back(pre + "." + k);
        }
      }
    }
    frontier = std::move(next);
  }
  return frontier;
}

// Read the base config with `sets` the way `mcucim run` does; "" if fine, else the error.
std::string probe_config(const std::string& base, const std::vector<std::string>& sets) {
  try {
    Config c = Config::load(base, sets);
    read_soc_spec(c);
    c.check_all_used();
    return "";
  } catch (const ConfigError& e) {
    return e.what();
  }
}

std::string resolve_relative(const std::string& name, const fs::path& spec_dir) {
  fs::path p(name);
  if (p.is_absolute()) return p.string();
  if (fs::exists(spec_dir / p)) return fs::absolute(spec_dir / p).lexically_normal().string();
  if (fs::exists(p)) return fs::absolute(p).lexically_normal().string();
  return "";
}

}  // namespace

const std::vector<std::string>& fixed_columns() {
  static const std::vector<std::string> cols = {
      "id", "status", "exit_code", "error", "cycles", "instret", "time_s", "energy_j", "energy_dynamic_j",
      "energy_leakage_j", "power_w", "tokens", "latency_per_token_s", "energy_per_token_j", "tokens_per_s",
      "tops_per_w", "macs", "macs_hw"};
  return cols;
}

namespace {

// The report's JSON schema (docs/report.schema.json in the source tree), to check report: selectors;
// null when it is not there (an installed binary without the source tree checks nothing).
const json& report_schema() {
  static const json schema = [] {
    const fs::path p = fs::path(MCUCIM_SOURCE_DIR) / "docs" / "report.schema.json";
    try {
      return fs::exists(p) ? json::parse(slurp(p.string())) : json(nullptr);
    } catch (const json::exception&) {
      return json(nullptr);
    }
  }();
  return schema;
}

// The energy components of the base config: core, bus, each memory, each device (as the report names them).
std::vector<std::string> component_names(const std::string& base, const std::vector<std::string>& sets) {
  std::vector<std::string> names = {"core", "bus"};
  try {
    Config c = Config::load(base, sets);
    const sim::SocSpec soc = read_soc_spec(c);
    for (const auto& m : soc.memories) names.push_back(m.name);
    for (const auto& d : soc.devices) names.push_back(d.name);
  } catch (const ConfigError&) {
  }
  return names;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string list_text(const std::vector<std::string>& v, size_t max = 12) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > max) out += fmt::format(", ... ({} more)", v.size() - max);
  return out.empty() ? "none" : out;
}

Spec build_spec(const Config& sc, const std::string& file, const fs::path& spec_dir, const LoadOptions& opt);

}  // namespace

Spec load_spec(const std::string& path, const LoadOptions& opt) {
  if (!fs::exists(path)) throw ConfigError("sweep spec '" + path + "' does not exist");
  return build_spec(Config::load(path), path, fs::absolute(path).parent_path(), opt);
}

Spec parse_spec(const std::string& yaml, const std::string& name, const LoadOptions& opt) {
  try {
    return build_spec(Config::parse(yaml, name), name, fs::absolute(opt.dir.empty() ? "." : opt.dir), opt);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(name + ": " + e.what());
  }
}

namespace {

Spec build_spec(const Config& sc, const std::string& file, const fs::path& spec_dir, const LoadOptions& opt) {
  Spec s;
  s.file = file;
  s.name = fs::path(file).stem().string();

  // base: a path relative to the spec file (or the current directory), or a preset name in configs/.
  const std::string base_name = sc.get<std::string>("base");
  s.base_config = resolve_relative(base_name, spec_dir);
  if (s.base_config.empty() && base_name.find('/') == std::string::npos) {
    fs::path preset = fs::path(MCUCIM_SOURCE_DIR) / "configs" / (base_name + ".yaml");
    if (fs::exists(preset)) s.base_config = preset.string();
  }
  if (s.base_config.empty())
    sc.fail("base", "base config '" + base_name + "' not found (looked beside the spec, in the current directory "
                    "and for configs/" + base_name + ".yaml)");

  // prepare: a shell command run once, in the spec's folder, before anything else is checked (e.g. to
  // generate the data files the workload loads). {build} is the folder of the mcucim binary.
  if (sc.has("prepare") && opt.run_prepare) {
    std::string cmd = sc.get<std::string>("prepare");
    for (size_t at; (at = cmd.find("{build}")) != std::string::npos;)
      cmd.replace(at, 7, fs::path(self_exe()).parent_path().string());
    const std::string full = "cd '" + spec_dir.string() + "' && " + cmd + " 1>&2";
    const int st = std::system(full.c_str());
    if (st != 0)
      sc.fail("prepare", "the prepare command failed (exit status " + std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : -1) +
                             "): " + cmd);
  } else if (sc.has("prepare")) {
    sc.mark_used("prepare");
  }

  // workload
  if (!sc.has("workload.firmware")) sc.fail("workload", "expected workload.firmware: the ELF to run");
  const std::string fw = sc.get<std::string>("workload.firmware");
  const bool is_path = fw.find('/') != std::string::npos;
  if (is_path) {
    s.firmware = resolve_relative(fw, spec_dir);
  } else {
    const std::string dir = opt.firmware_dir.empty() ? firmware_dir_default() : opt.firmware_dir;
    const std::string file = fw.size() > 4 && fw.substr(fw.size() - 4) == ".elf" ? fw : fw + ".elf";
    if (fs::exists(fs::path(dir) / file)) s.firmware = fs::absolute(fs::path(dir) / file).string();
    else if (fs::exists(spec_dir / file)) s.firmware = (spec_dir / file).string();
    if (s.firmware.empty())
      sc.fail("workload.firmware", "firmware '" + fw + "' not found as " + (fs::path(dir) / file).string() +
                                       " (build it first, or give a path)");
  }
  if (s.firmware.empty()) sc.fail("workload.firmware", "firmware file '" + fw + "' does not exist");
  for (size_t i = 0, n = sc.list_size("workload.args"); i < n; ++i)
    s.args.push_back(sc.get<std::string>("workload.args." + std::to_string(i)));
  s.timeout_s = sc.get<double>("workload.timeout_s", 0.0);
  if (s.timeout_s < 0) sc.fail("workload.timeout_s", "expected a time in seconds >= 0 (0 = no limit)");
  for (size_t i = 0, n = sc.list_size("workload.metrics"); i < n; ++i) {
    const std::string k = "workload.metrics." + std::to_string(i);
    const std::string m = sc.get<std::string>(k);
    if (m.compare(0, 7, "report:") != 0) {
      if (m.empty() || m.find_first_of("=. \t") != std::string::npos)
        sc.fail(k, "expected a METRIC name (a word such as agreement) or report:<field of the JSON report>, found '" +
                       m + "'");
      s.metrics.push_back(m);
      continue;
    }
    ReportMetric rm;
    rm.column = m.substr(7);
    rm.origin = sc.origin(k);
    const std::string e = parse_selector(rm.column, rm.sel);
    if (!e.empty()) sc.fail(k, "'" + m + "': " + e + " (expected e.g. report:regions[name=ffn].cycles)");
    for (const auto& other : s.report_metrics)
      if (other.column == rm.column) sc.fail(k, "'" + m + "' is listed twice");
    rm.origin = sc.origin(k);
    s.report_metrics.push_back(std::move(rm));
  }
  // data files placed in memory for every point (`mcucim run --load FILE@ADDR`, in order: blob 0, 1, ...)
  for (size_t i = 0, n = sc.list_size("workload.loads"); i < n; ++i) {
    const std::string k = "workload.loads." + std::to_string(i);
    const std::string v = sc.get<std::string>(k);
    const auto at = v.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == v.size())
      sc.fail(k, "expected FILE@ADDRESS (FILE relative to the spec), e.g. ../../sweeps/models/model.tllm@0x20100000, found '" + v + "'");
    const bool templated = v.find('{') != std::string::npos;  // {param}: checked per point below
    const std::string file = templated ? (fs::path(v.substr(0, at)).is_absolute() ? fs::path(v.substr(0, at)) : spec_dir / v.substr(0, at)).lexically_normal().string()
                                       : resolve_relative(v.substr(0, at), spec_dir);
    if (file.empty())
      sc.fail(k, "file '" + v.substr(0, at) + "' not found beside the spec (" + spec_dir.string() +
                     ") or in the current directory (generate it first: see the comment at the top of the spec)");
    s.args.push_back("--load");
    s.args.push_back(file + "@" + v.substr(at + 1));
  }
  for (const auto& a : s.args)
    if (a == "--report" || a == "-c" || a == "--config" || a == "--elf" || a == "-e")
      sc.fail("workload.args", "'" + a + "' is set by the sweep itself; use base/workload.firmware/axes instead");

  // fixed overrides
  for (size_t i = 0, n = sc.list_size("set"); i < n; ++i) {
    const std::string k = "set." + std::to_string(i);
    const std::string v = sc.get<std::string>(k);
    if (v.find('=') == std::string::npos || v.find('=') == 0)
      sc.fail(k, "expected 'dotted.path=value', found '" + v + "'");
    s.sets.push_back(v);
  }
  if (opt.validate_paths && !s.sets.empty()) {
    const std::string e = probe_config(s.base_config, s.sets);
    if (!e.empty()) sc.fail("set", "the fixed overrides do not apply to " + s.base_config + ": " + e);
  }
  Config base = Config::load(s.base_config, s.sets);

  // axes
  const size_t naxes = sc.list_size("axes");
  if (naxes == 0) sc.fail("axes", "expected a list of axes (each '- path: dotted.config.path' with values or range)");
  for (size_t i = 0; i < naxes; ++i) {
    const std::string ap = "axes." + std::to_string(i);
    Axis ax;
    ax.param = sc.has(ap + ".param");
    ax.origin = sc.origin(ap + (ax.param ? ".param" : ".path"));
    if (ax.param && sc.has(ap + ".path")) sc.fail(ap, "axis " + std::to_string(i + 1) + ": give either 'path:' or 'param:', not both");
    if (!ax.param && !sc.has(ap + ".path")) sc.fail(ap, "axis " + std::to_string(i + 1) + ": expected 'path: dotted.config.path' (or 'param: NAME')");
    ax.path = sc.get<std::string>(ap + (ax.param ? ".param" : ".path"));
    const std::string where = ax.origin.str() + ": axis '" + ax.path + "'";
    for (const auto& other : s.axes)
      if (other.path == ax.path) throw ConfigError(where + ": the same path is already an axis at " + other.origin.str());
    const bool has_values = sc.has(ap + ".values"), has_range = sc.has(ap + ".range");
    if (has_values == has_range)
      throw ConfigError(where + ": expected exactly one of 'values: [...]' or 'range: {from, to, step}'");
    if (has_range) ax.values = range_values(sc, ap + ".range", ax.path);
    else if (sc.is_map(ap + ".values")) ax.values = range_values(sc, ap + ".values", ax.path);
    else {
      if (!sc.is_list(ap + ".values"))
        throw ConfigError(where + ": 'values' must be a list (or {from, to, step}), found '" +
                          sc.get<std::string>(ap + ".values") + "'");
      for (size_t j = 0, n = sc.list_size(ap + ".values"); j < n; ++j)
        ax.values.push_back(value_text_at(sc, ap + ".values." + std::to_string(j), ax.path));
    }
    if (ax.values.empty()) throw ConfigError(where + ": the axis has no values (empty list or empty range)");
    for (size_t j = 0; j < ax.values.size(); ++j)
      for (size_t k = 0; k < j; ++k)
        if (ax.values[j] == ax.values[k])
          throw ConfigError(where + ": value '" + ax.values[j] + "' appears twice");
    if (ax.path.find('=') != std::string::npos || ax.path.empty() || ax.path.front() == '.' || ax.path.back() == '.')
      throw ConfigError(where + ": expected a dotted config path such as soc.clock.freq_hz");

    if (ax.param) {
      if (ax.path.empty() || ax.path.find_first_of("{}=. ") != std::string::npos)
        throw ConfigError(where + ": a param name is a plain word (used as {NAME} in workload.args/loads)");
      s.axes.push_back(std::move(ax));
      continue;
    }
    ax.targets = {ax.path};
    if (is_path_pattern(ax.path)) {
      ax.targets = expand_path_pattern(base, ax.path);
      if (ax.targets.empty())
        throw ConfigError(where + ": the pattern matches no key of " + s.base_config +
                          " (wildcards * ? are allowed in the segments after the first, e.g. soc.devices.cim*.adc.bits)");
    }
    // Known path? Type? (a pattern: every key it matches)
    for (const std::string& target : ax.targets) {
    if (opt.validate_paths) {
      const VType t = base_type(base, target);
      if (t == VType::Unknown) {
        // Not in the base file: maybe a key read with a default (e.g. timing.cycles.load). Read the
        // config with the first value the way `mcucim run` does; an unknown key is an error now.
        const std::string e = probe_config(s.base_config, [&] {
          auto v = s.sets;
          v.push_back(target + "=" + ax.values[0]);
          return v;
        }());
        if (e.find("unknown key '") != std::string::npos) {
          bool ours = false;
          std::string prefix;
          for (const std::string& part : [&] {
                 std::vector<std::string> v;
                 std::stringstream ss(target);
                 std::string x;
                 while (std::getline(ss, x, '.')) v.push_back(x);
                 return v;
               }()) {
            prefix += (prefix.empty() ? "" : ".") + part;
            if (e.find("unknown key '" + prefix + "'") != std::string::npos) ours = true;
          }
          if (ours)
            throw ConfigError(where + ": unknown config path: " + s.base_config + " has no key '" + target +
                              "' and no model reads it (" + e + ")");
        }
      } else {
        for (const auto& v : ax.values)
          if (!value_fits(t, v))
            throw ConfigError(where + ": value '" + v + "' does not fit the key's type: " + s.base_config +
                              " has " + target + " = " +
                              (t == VType::Map || t == VType::List ? std::string(vtype_name(t))
                                                                   : "'" + base.get<std::string>(target) + "'") +
                              ", so expected " + vtype_name(t));
      }
    }
    }
    s.axes.push_back(std::move(ax));
  }

  // combine
  if (sc.is_map("combine")) {
    auto ks = sc.keys("combine");
    if (ks.size() != 1 || ks[0] != "random")
      sc.fail("combine", "expected product, zip or {random: {count: N, seed: S}}");
    s.combine = "random";
    if (!sc.has("combine.random.count")) sc.fail("combine.random", "random sampling needs 'count'");
    s.random_count = sc.get<uint64_t>("combine.random.count");
    s.random_seed = sc.get<uint64_t>("combine.random.seed", 0);
  } else {
    s.combine = sc.get_enum("combine", {"product", "zip"}, "product");
  }

  // exclude: expressions over config values
  for (size_t i = 0, n = sc.list_size("exclude"); i < n; ++i) {
    const std::string k = "exclude." + std::to_string(i);
    Constraint c = parse_constraint(sc.get<std::string>(k), sc.origin(k));
    for (const auto& name : c.names) {
      bool known = std::any_of(s.axes.begin(), s.axes.end(), [&](const Axis& a) { return a.path == name; });
      if (!known && !(base.has(name) && !base.is_map(name) && !base.is_list(name)))
        throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": '" + name +
                          "' is neither an axis of the sweep nor a value of the base config " + s.base_config);
    }
    s.excludes.push_back(std::move(c));
  }

  // report: metrics name real report fields (the schema) and, for matches, real regions/components.
  std::vector<std::string> components;
  bool have_components = false;
  auto get_components = [&]() -> const std::vector<std::string>& {
    if (!have_components) components = component_names(s.base_config, s.sets);
    have_components = true;
    return components;
  };
  std::vector<std::string> fw_strings;
  bool have_strings = false;
  for (const auto& rm : s.report_metrics) {
    const std::string where = rm.origin.str() + ": workload.metrics: report:" + rm.column;
    if (report_schema().is_null()) break;
    std::vector<MatchStep> matches;
    const std::string e = check_selector(rm.sel, report_schema(), matches);
    if (!e.empty()) throw ConfigError(where + ": " + e + " (fields of the report: docs/REPORT.md)");
    for (const auto& m : matches) {
      if (m.list == "regions" && m.field == "name") {
        if (!have_strings) {
          try {
            fw_strings = elf_strings(s.firmware);
          } catch (const std::exception& x) {
            throw ConfigError(where + ": cannot read the firmware to check the region name: " + x.what());
          }
          have_strings = true;
        }
        if (!region_name_possible(m.value, fw_strings)) {
          const std::string near = closest(m.value, fw_strings);
          throw ConfigError(where + ": no region named '" + m.value + "' in the firmware " + s.firmware +
                            " (region names are the strings it passes to sim_region_name, and it holds no string \"" +
                            m.value + "\")" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
        }
      } else if (m.field == "name" && (ends_with(m.list, "energy_j.components") || m.list == "events.memories" ||
                                       m.list == "events.devices")) {
        const auto& names = get_components();
        if (std::find(names.begin(), names.end(), m.value) == names.end()) {
          const std::string near = closest(m.value, names);
          throw ConfigError(where + ": no component named '" + m.value + "' in " + s.base_config +
                            " (components: " + list_text(names, 40) + ")" +
                            (near.empty() ? "" : "; did you mean '" + near + "'?"));
        }
      }
    }
  }

  // constraints: expressions over result columns; a point that fails one is off the Pareto front
  for (size_t i = 0, n = sc.list_size("constraints"); i < n; ++i) {
    const std::string k = "constraints." + std::to_string(i);
    Constraint c = parse_constraint(sc.get<std::string>(k), sc.origin(k));
    for (const auto& name : c.names) {
      const auto& fixed = fixed_columns();
      bool known = std::find(fixed.begin(), fixed.end(), name) != fixed.end() ||
                   std::any_of(s.axes.begin(), s.axes.end(), [&](const Axis& a) { return a.path == name; }) ||
                   std::any_of(s.report_metrics.begin(), s.report_metrics.end(),
                               [&](const ReportMetric& r) { return r.column == name; });
      if (name.compare(0, 7, "metric.") == 0) {
        if (std::find(s.metrics.begin(), s.metrics.end(), name.substr(7)) != s.metrics.end()) continue;
        throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": '" + name + "' is not a declared metric " +
                          "(list '" + name.substr(7) + "' in workload.metrics; declared: " + list_text(s.metrics) + ")");
      }
      if (name.compare(0, 9, "energy_j.") == 0) {
        const auto& names = get_components();
        if (std::find(names.begin(), names.end(), name.substr(9)) != names.end()) continue;
      }
      if (known) continue;
      std::vector<std::string> all = fixed;
      for (const auto& a : s.axes) all.push_back(a.path);
      for (const auto& m : s.metrics) all.push_back("metric." + m);
      for (const auto& r : s.report_metrics) all.push_back(r.column);
      const std::string near = closest(name, all);
      throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": '" + name +
                        "' is not a column of the results (columns: " + list_text(all, 40) +
                        ", energy_j.<component>)" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    s.constraints.push_back(std::move(c));
  }
  sc.check_all_used();

  // Expand.
  auto make_point = [&](const std::vector<size_t>& idx) {
    Point p;
    std::vector<std::string> ov = s.sets;
    for (size_t a = 0; a < s.axes.size(); ++a) {
      p.values.emplace_back(s.axes[a].path, s.axes[a].values[idx[a]]);
      ov.push_back(s.axes[a].path + "=" + s.axes[a].values[idx[a]]);
    }
    p.id = point_id(ov);
    return p;
  };
  auto excluded = [&](const Point& p) {
    for (const auto& c : s.excludes)
      if (constraint_true(c, p, base)) {
        ++s.excluded;
        return true;
      }
    return false;
  };
  if (s.combine == "zip") {
    const size_t n = s.axes[0].values.size();
    for (const auto& a : s.axes)
      if (a.values.size() != n)
        throw ConfigError(a.origin.str() + ": axis '" + a.path + "' has " + std::to_string(a.values.size()) +
                          " values but combine: zip needs every axis to have " + std::to_string(n) + " (as '" +
                          s.axes[0].path + "')");
    for (size_t i = 0; i < n; ++i) {
      Point p = make_point(std::vector<size_t>(s.axes.size(), i));
      if (!excluded(p)) s.points.push_back(std::move(p));
    }
  } else {
    uint64_t total = 1;
    for (const auto& a : s.axes) {
      if (total > (uint64_t(1) << 62) / a.values.size())
        throw ConfigError(a.origin.str() + ": the product of the axes is too large to enumerate");
      total *= a.values.size();
    }
    auto decode = [&](uint64_t k) {
      std::vector<size_t> idx(s.axes.size());
      for (size_t a = s.axes.size(); a-- > 0;) {
        idx[a] = k % s.axes[a].values.size();
        k /= s.axes[a].values.size();
      }
      return idx;
    };
    if (s.combine == "product") {
      if (total > 1000000) sc.fail("axes", "the product has " + std::to_string(total) +
                                               " points (more than 1000000); use combine: {random: ...}");
      for (uint64_t k = 0; k < total; ++k) {
        Point p = make_point(decode(k));
        if (!excluded(p)) s.points.push_back(std::move(p));
      }
    } else {
      // Seeded sample without replacement: mt19937_64 (its output sequence is fixed by the C++
      // standard) with our own index arithmetic, so the sample is the same on every platform.
      std::mt19937_64 rng(s.random_seed);
      std::vector<uint64_t> chosen;
      if (total <= 1000000) {
        std::vector<uint64_t> allowed;
        for (uint64_t k = 0; k < total; ++k)
          if (!excluded(make_point(decode(k)))) allowed.push_back(k);
        const uint64_t m = std::min<uint64_t>(s.random_count, allowed.size());
        for (uint64_t i = 0; i < m; ++i) {
          const uint64_t j = i + rng() % (allowed.size() - i);
          std::swap(allowed[i], allowed[j]);
        }
        chosen.assign(allowed.begin(), allowed.begin() + m);
      } else {
        std::set<uint64_t> seen;
        for (uint64_t tries = 0; chosen.size() < s.random_count && tries < s.random_count * 100; ++tries) {
          const uint64_t k = rng() % total;
          if (!seen.insert(k).second) continue;
          if (!excluded(make_point(decode(k)))) chosen.push_back(k);
        }
      }
      std::sort(chosen.begin(), chosen.end());
      for (uint64_t k : chosen) s.points.push_back(make_point(decode(k)));
      s.excluded = 0;  // (sampling: the count is not meaningful)
    }
  }
  // files loaded with a {param} in their name must exist for every point
  for (const auto& p : s.points) {
    const auto argv = point_argv(s, p, "mcucim", "r.json");
    for (size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == "--load") {
        const std::string file = argv[i + 1].substr(0, argv[i + 1].rfind('@'));
        if (!fs::exists(file))
          sc.fail("workload.loads", "file '" + file + "' (for the point " + [&] {
            std::string t;
            for (const auto& kv : p.values) t += (t.empty() ? "" : ", ") + kv.first + "=" + kv.second;
            return t;
          }() + ") does not exist (generate it first: see the comment at the top of the spec)");
      }
  }
  return s;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Command lines.
std::vector<std::string> point_argv(const Spec& s, const Point& p, const std::string& binary,
                                          const std::string& report_path, const std::string& semihost_root) {
  std::vector<std::string> v = {binary, "run", "-c", s.base_config, "--elf", s.firmware};
  for (const auto& set : s.sets) v.insert(v.end(), {"--set", set});
  for (const auto& kv : p.values) {
    const Axis* ax = nullptr;
    for (const auto& a : s.axes)
      if (a.path == kv.first) ax = &a;
    if (ax && ax->param) continue;  // substituted into the arguments below
    if (ax && !ax->targets.empty()) {
      for (const auto& t : ax->targets) v.insert(v.end(), {"--set", t + "=" + kv.second});
    } else {
      v.insert(v.end(), {"--set", kv.first + "=" + kv.second});
    }
  }
  v.insert(v.end(), {"--report", report_path, "-q", "--no-progress"});
  if (!semihost_root.empty()) v.insert(v.end(), {"--semihost-root", semihost_root});
  const size_t first_arg = v.size();
  v.insert(v.end(), s.args.begin(), s.args.end());
  for (const auto& kv : p.values)
    for (const auto& a : s.axes)
      if (a.param && a.path == kv.first)
        for (size_t i = first_arg; i < v.size(); ++i)
          for (size_t at; (at = v[i].find("{" + a.path + "}")) != std::string::npos;)
            v[i].replace(at, a.path.size() + 2, kv.second);
  return v;
}

std::string point_shell(const Spec& s, const Point& p, const std::string& binary,
                              const std::string& out_dir) {
  const std::string base = (fs::absolute(out_dir) / "points" / p.id).lexically_normal().string();
  // workload.timeout_s: coreutils' timeout stops the run with SIGTERM (exit 124, and no report,
  // which is how --collect tells it from a cycle limit, whose exit code is also 124).
  std::string line = "mkdir -p " + shell_quote(base) + " && ";
  if (s.timeout_s > 0) line += fmt::format("timeout -k 10 {} ", s.timeout_s);
  for (const auto& a : point_argv(s, p, binary, base + ".json", base)) line += shell_quote(a) + " ";
  line.pop_back();
  line += " > " + shell_quote(base + ".out") + " 2> " + shell_quote(base + ".err") + "; echo $? > " +
          shell_quote(base + ".rc");
  return line;
}

}  // namespace mcucim::sweep

// Sweep results: the table of all points from their point files.
#include "sweep/results.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace mcucim::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

// ------------------------------------------------------------------------------------------------
// Results.
namespace {

const json* jpath(const json& j, const std::string& path) {
  const json* cur = &j;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (cur->is_object()) {
      auto it = cur->find(part);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      size_t i = std::stoul(part);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}
json jget(const json& j, const std::string& path) {
  const json* v = jpath(j, path);
  return v ? *v : json(nullptr);
}

std::string csv_field(const json& v) {
  std::string s;
  if (v.is_null()) return "";
  if (v.is_string()) s = v.get<std::string>();
  else if (v.is_boolean()) s = v.get<bool>() ? "true" : "false";
  else if (v.is_number_integer()) s = v.dump();
  else if (v.is_number_float()) s = fmt::format("{}", v.get<double>());
  else s = v.dump();
  if (s.find_first_of(",\"\n\r") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}


// METRIC lines on the program's stdout: "METRIC name=value [name=value ...]".
std::vector<std::pair<std::string, std::string>> parse_metric_lines(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> m;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 7, "METRIC ") != 0) continue;
    std::istringstream words(line.substr(7));
    std::string w;
    while (words >> w) {
      const size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      m.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
  }
  return m;
}

}  // namespace

namespace {

// What index.html opens with: the spec (axes, combine, constraints), the counts and the run history
// (DIR/sweep.json, written by the backends).
json summary_json(const Spec& s, const std::string& out_dir, const Results& r) {
  json axes = json::array();
  for (const auto& a : s.axes) axes.push_back({{"path", a.path}, {"values", a.values}, {"param", a.param}});
  json constraints = json::array(), excludes = json::array();
  for (const auto& c : s.constraints) constraints.push_back(c.text);
  for (const auto& c : s.excludes) excludes.push_back(c.text);
  json runs = json::array();
  try {
    const json m = json::parse(slurp((fs::path(out_dir) / "sweep.json").string()));
    if (m.contains("runs") && m["runs"].is_array()) runs = m["runs"];
  } catch (const json::exception&) {
  }
  return {{"name", s.name},          {"spec", fs::absolute(s.file).lexically_normal().string()},
          {"base_config", s.base_config}, {"firmware", s.firmware},
          {"args", s.args},          {"combine", s.combine},
          {"axes", axes},            {"excludes", excludes},
          {"excluded", s.excluded},  {"constraints", constraints},
          {"points", s.points.size()}, {"ok", r.ok},
          {"failed", r.failed},      {"missing", r.missing},
          {"infeasible", r.infeasible}, {"timeout_s", s.timeout_s},
          {"runs", runs},            {"written", now_utc()},
          {"report_columns", [&] {
             json v = json::array();
             for (const auto& rm : s.report_metrics) v.push_back(rm.column);
             return v;
           }()}};
}

}  // namespace

Results collect_results(const Spec& s, const std::string& out_dir) {
  Results r;
  const fs::path pdir = fs::path(out_dir) / "points";
  std::vector<std::string> components, metric_names = s.metrics, prov_columns;
  struct LongRow {
    std::string point;
    const Point* p;
    std::string component, kind;
    double dynamic_j, leakage_j;
  };
  std::vector<LongRow> long_rows;
  std::vector<std::map<std::string, json>> rows;
  for (const auto& p : s.points) {
    std::map<std::string, json> row;
    row["id"] = p.id;
    for (const auto& kv : p.values) row[kv.first] = kv.second;  // as written (results.jsonl: numbers)
    const std::string base = (pdir / p.id).string();
    json rec;
    const bool have = read_point_file(base + ".json", rec);
    const std::string err_text = slurp(base + ".err");
    std::string status;
    json exit_code = nullptr;
    std::string error;
    if (have) {
      exit_code = rec.value("exit_code", json(nullptr));
      const std::string st = rec["status"].get<std::string>();
      if (st == "exit") status = exit_code.is_number() ? status_for_exit(exit_code.get<int>()) : "exit";
      else status = st;
      if (status == "exit" && exit_code.is_number()) error = "program exit code " + exit_code.dump();
      if (rec.contains("error") && rec["error"].is_string()) error = rec["error"].get<std::string>();
    } else if (fs::exists(base + ".rc")) {  // a run from --list (e.g. Slurm) that wrote no report
      int code = -1;
      std::ifstream(base + ".rc") >> code;
      exit_code = code;
      status = code == 0 ? "error" : status_for_exit(code);
      if (code == 0) error = "exit code 0 but no report";
      if (code == 124) {  // no report: coreutils' timeout (a cycle limit writes its report)
        status = "timeout";
        error = fmt::format("killed after {} s (workload.timeout_s)", s.timeout_s);
      }
    } else {
      status = "missing";
    }
    if (status != "ok" && status != "missing" && error.empty()) error = first_lines(err_text);
    if (status != "ok" && status != "missing" && error.empty() && exit_code.is_number())
      error = "exit code " + exit_code.dump();
    row["status"] = status;
    row["exit_code"] = exit_code;
    row["error"] = error.empty() ? json(nullptr) : json(error);
    if (status == "ok") r.ok++;
    else if (status == "missing") r.missing++;
    else r.failed++;
    if (have && rec.contains("cycles")) {
      row["cycles"] = jget(rec, "cycles");
      row["instret"] = jget(rec, "instret");
      row["time_s"] = jget(rec, "time_s");
      row["energy_j"] = jget(rec, "energy_j.total");
      row["energy_dynamic_j"] = jget(rec, "energy_j.dynamic");
      row["energy_leakage_j"] = jget(rec, "energy_j.leakage");
      row["power_w"] = jget(rec, "power_w.average");
      row["tokens"] = jget(rec, "tokens.count");
      row["latency_per_token_s"] = jget(rec, "tokens.latency_s.mean");
      row["energy_per_token_j"] = jget(rec, "tokens.energy_j_per_token.mean");
      row["tokens_per_s"] = jget(rec, "tokens.tokens_per_s");
      row["tops_per_w"] = jget(rec, "tops_per_w");
      row["macs"] = jget(rec, "macs.declared");
      row["macs_hw"] = jget(rec, "macs.hardware");
      row["host_s"] = jget(rec, "sim.host_s");
      if (const json* bc = jpath(rec, "energy_j.by_component"); bc && bc->is_object())
        for (auto it = bc->begin(); it != bc->end(); ++it) {
          if (std::find(components.begin(), components.end(), it.key()) == components.end())
            components.push_back(it.key());
          row["energy_j." + it.key()] = it.value();
        }
      for (const auto& rm : s.report_metrics) {
        const json* v = select(rec, rm.sel);
        row[rm.column] = v ? *v : json(nullptr);
      }
      if (const json* comps = jpath(rec, "energy_j.components"); comps && comps->is_array() && status == "ok")
        for (const auto& cj : *comps)
          long_rows.push_back({p.id, &p, cj.value("name", ""), cj.value("kind", ""), cj.value("dynamic_j", 0.0),
                               cj.value("leakage_j", 0.0)});
      // Provenance of the run (docs/REPORT.md): the nested object in results.jsonl; in results.csv its
      // scalar fields as provenance.<key> columns (objects flattened: provenance.mcucim.commit), lists
      // as compact JSON (provenance.inputs).
      if (const json* pv = jpath(rec, "provenance"); pv && pv->is_object()) {
        row["provenance"] = *pv;
        std::function<void(const json&, const std::string&)> flatten = [&](const json& o, const std::string& pre) {
          for (auto it = o.begin(); it != o.end(); ++it) {
            const std::string col = pre + "." + it.key();
            if (it.value().is_object()) {
              flatten(it.value(), col);
              continue;
            }
            if (std::find(prov_columns.begin(), prov_columns.end(), col) == prov_columns.end()) prov_columns.push_back(col);
            row[col] = it.value().is_array() ? json(it.value().dump()) : it.value();
          }
        };
        flatten(*pv, "provenance");
      }
    }
    for (const auto& kv : parse_metric_lines(slurp(base + ".out"))) {
      if (std::find(metric_names.begin(), metric_names.end(), kv.first) == metric_names.end())
        metric_names.push_back(kv.first);
      double d;
      row["metric." + kv.first] = to_number(kv.second, d) ? json(d) : json(kv.second);
    }
    rows.push_back(std::move(row));
  }

  // constraints: feasible = every constraint holds (ok points only; empty otherwise)
  if (!s.constraints.empty()) {
    for (auto& row : rows) {
      if (row["status"] != "ok") continue;
      std::string violated;
      for (const auto& c : s.constraints) {
        bool holds = false;
        std::string missing;
        try {
          holds = constraint_true(c, [&](const std::string& name) -> Value {
            auto it = row.find(name);
            if (it == row.end() || it->second.is_null()) {
              missing = name;
              throw ConfigError("missing");
            }
            const json& v = it->second;
            if (v.is_number()) return Value{true, v.get<double>(), ""};
            if (v.is_boolean()) return Value{true, v.get<bool>() ? 1.0 : 0.0, ""};
            return value_of_text(v.is_string() ? v.get<std::string>() : v.dump());
          });
        } catch (const ConfigError& e) {
          holds = false;
          if (missing.empty()) missing = e.what();
        }
        if (!holds) violated += (violated.empty() ? "" : "; ") + c.text + (missing.empty() ? "" : " (" + missing + ": no value)");
      }
      row["feasible"] = violated.empty();
      row["violated"] = violated.empty() ? json(nullptr) : json(violated);
      if (!violated.empty()) r.infeasible++;
    }
  }

  r.columns = {"id"};
  for (const auto& a : s.axes) r.columns.push_back(a.path);
  for (size_t i = 1; i < fixed_columns().size(); ++i) r.columns.push_back(fixed_columns()[i]);
  if (!s.constraints.empty()) {
    r.columns.push_back("feasible");
    r.columns.push_back("violated");
  }
  for (const auto& c : components) r.columns.push_back("energy_j." + c);
  for (const auto& m : metric_names) r.columns.push_back("metric." + m);
  for (const auto& rm : s.report_metrics) r.columns.push_back(rm.column);
  for (const auto& c : prov_columns) r.columns.push_back(c);
  r.columns.push_back("host_s");

  std::string csv, jsonl;
  for (size_t i = 0; i < r.columns.size(); ++i) csv += (i ? "," : "") + csv_field(r.columns[i]);
  csv += "\n";
  for (auto& row : rows) {
    json o = json::object();
    for (size_t i = 0; i < r.columns.size(); ++i) {
      auto it = row.find(r.columns[i]);
      const json v = it == row.end() ? json(nullptr) : it->second;
      csv += (i ? "," : "") + csv_field(v);
      if (r.columns[i].compare(0, 11, "provenance.") != 0) o[r.columns[i]] = v;
    }
    csv += "\n";
    // In results.jsonl, numeric axis values are numbers (the CSV keeps them as written), and the
    // provenance is one nested object.
    for (const auto& a : s.axes) {
      const std::string t = o[a.path].get<std::string>();
      double d;
      if (!is_bool_text(t) && to_number(t, d)) o[a.path] = d;
    }
    if (row.count("provenance")) o["provenance"] = row["provenance"];
    jsonl += o.dump() + "\n";
    r.rows.push_back(std::move(o));
  }

  // Long format: one row per point and energy component (ok points).
  std::string lcsv = "point";
  for (const auto& a : s.axes) lcsv += "," + csv_field(a.path);
  lcsv += ",component,kind,dynamic_j,leakage_j\n";
  for (const auto& lr : long_rows) {
    lcsv += lr.point;
    for (const auto& kv : lr.p->values) lcsv += "," + csv_field(kv.second);
    lcsv += "," + csv_field(lr.component) + "," + csv_field(lr.kind) + "," + csv_field(lr.dynamic_j) + "," +
            csv_field(lr.leakage_j) + "\n";
  }

  fs::create_directories(out_dir);
  write_atomic((fs::path(out_dir) / "results.csv").string(), csv);
  write_atomic((fs::path(out_dir) / "results.jsonl").string(), jsonl);
  write_atomic((fs::path(out_dir) / "results_long.csv").string(), lcsv);
  write_atomic((fs::path(out_dir) / "summary.json").string(), summary_json(s, out_dir, r).dump(2) + "\n");
  return r;
}

}  // namespace mcucim::sweep

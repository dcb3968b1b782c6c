// Sweep results: the table of all points from their point files.
#include "sweep/results.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
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

Results collect_results(const Spec& s, const std::string& out_dir) {
  Results r;
  const fs::path pdir = fs::path(out_dir) / "points";
  std::vector<std::string> components, metric_names;
  for (const auto& m : s.metrics)
    if (m.compare(0, 7, "report:") != 0) metric_names.push_back(m);
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
      for (const auto& m : s.metrics)
        if (m.compare(0, 7, "report:") == 0) row[m.substr(7)] = jget(rec, m.substr(7));
    }
    for (const auto& kv : parse_metric_lines(slurp(base + ".out"))) {
      if (std::find(metric_names.begin(), metric_names.end(), kv.first) == metric_names.end())
        metric_names.push_back(kv.first);
      double d;
      row["metric." + kv.first] = to_number(kv.second, d) ? json(d) : json(kv.second);
    }
    rows.push_back(std::move(row));
  }

  r.columns = {"id"};
  for (const auto& a : s.axes) r.columns.push_back(a.path);
  for (const char* c : {"status", "exit_code", "error", "cycles", "instret", "time_s", "energy_j", "energy_dynamic_j",
                        "energy_leakage_j", "power_w", "tokens", "latency_per_token_s", "energy_per_token_j",
                        "tokens_per_s", "tops_per_w", "macs", "macs_hw"})
    r.columns.push_back(c);
  for (const auto& c : components) r.columns.push_back("energy_j." + c);
  for (const auto& m : metric_names) r.columns.push_back("metric." + m);
  for (const auto& m : s.metrics)
    if (m.compare(0, 7, "report:") == 0) r.columns.push_back(m.substr(7));
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
      o[r.columns[i]] = v;
    }
    csv += "\n";
    // In results.jsonl, numeric axis values are numbers (the CSV keeps them as written).
    for (const auto& a : s.axes) {
      const std::string t = o[a.path].get<std::string>();
      double d;
      if (!is_bool_text(t) && to_number(t, d)) o[a.path] = d;
    }
    jsonl += o.dump() + "\n";
    r.rows.push_back(std::move(o));
  }
  fs::create_directories(out_dir);
  write_atomic((fs::path(out_dir) / "results.csv").string(), csv);
  write_atomic((fs::path(out_dir) / "results.jsonl").string(), jsonl);
  return r;
}

}  // namespace mcucim::sweep

// Small helpers shared by the sweep engine's parts.
#include "sweep/util.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace mcucim::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Cached: constraints and tables parse the same texts many times.
bool to_number(const std::string& text, double& out) {
  static std::map<std::string, std::pair<bool, double>> cache;
  auto it = cache.find(text);
  if (it == cache.end()) {
    std::pair<bool, double> r{false, 0.0};
    if (!text.empty() && text.find_first_of("\n\r") == std::string::npos) {
      try {
        Config c = Config::parse("{}", "number", {"v=" + text});
        r = {true, c.get<double>("v")};
      } catch (const ConfigError&) {
      }
    }
    it = cache.emplace(text, r).first;
  }
  out = it->second.second;
  return it->second.first;
}
bool to_integer(const std::string& text) {
  try {
    Config c = Config::parse("{}", "number", {"v=" + text});
    try {
      c.get<int64_t>("v");
    } catch (const ConfigError&) {
      c.get<uint64_t>("v");
    }
    return true;
  } catch (const ConfigError&) {
    return false;
  }
}
bool is_bool_text(const std::string& s) { return s == "true" || s == "false" || s == "True" || s == "False"; }

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Write a file atomically: a temporary beside it, then rename (a reader sees the old or the new file).
void write_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw ConfigError("cannot write " + tmp + ": " + std::strerror(errno));
    f << text;
    f.flush();
    if (!f) throw ConfigError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw ConfigError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
}

// A point file is valid when it is a complete JSON object with a status (a run killed while writing
// its report leaves an invalid file, which counts as not done).
bool read_point_file(const std::string& path, json& out) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;
  try {
    out = json::parse(slurp(path));
  } catch (const json::exception&) {
    return false;
  }
  return out.is_object() && out.contains("status") && out["status"].is_string();
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "mcucim";
  buf[n] = 0;
  return buf;
}

// First lines of a stderr capture, for the results table.
std::string first_lines(const std::string& text, size_t max_lines, size_t max_chars) {
  std::istringstream in(text);
  std::string line, out;
  size_t n = 0;
  while (n < max_lines && std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t b = line.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    out += (out.empty() ? "" : " | ") + line.substr(b);
    ++n;
  }
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

std::string fmt_duration(double s) {
  if (s < 0) s = 0;
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

std::string status_for_exit(int code) {
  switch (code) {
    case 0: return "ok";
    case 2: return "config_error";
    case 124: return "cycle_limit";
    case 125: return "fault";
    case 126: return "deadlock";
    default: return code > 128 ? "crashed" : "exit";
  }
}

}  // namespace mcucim::sweep

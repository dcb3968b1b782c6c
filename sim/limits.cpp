#include "sim/limits.h"

#include <fmt/format.h>

#include "sim/config.h"

namespace mcucim::sim {

Limits& limits() {
  static Limits l;
  return l;
}

const std::vector<LimitInfo>& limit_infos() {
  static const std::vector<LimitInfo> infos = {
      {"config_bytes", &Limits::config_bytes, "bytes of one YAML file"},
      {"include_depth", &Limits::include_depth, "nesting depth of include:"},
      {"config_nodes", &Limits::config_nodes, "values of one YAML document after alias expansion"},
      {"elf_bytes", &Limits::elf_bytes, "bytes of the ELF file"},
      {"memory_bytes", &Limits::memory_bytes,
       "host memory for the simulated memories (plus 8 bytes per executable byte for the decode cache)"},
  };
  return infos;
}

namespace {
bool is_bytes(const std::string& name) { return name.size() > 6 && name.compare(name.size() - 6, 6, "_bytes") == 0; }
}  // namespace

std::string limit_value_str(const std::string& name, uint64_t v) {
  if (!is_bytes(name)) return std::to_string(v);
  if (v >= (1ull << 30) && v % (1ull << 30) == 0) return fmt::format("{} GiB", v >> 30);
  if (v >= (1ull << 20) && v % (1ull << 20) == 0) return fmt::format("{} MiB", v >> 20);
  if (v >= (1ull << 10) && v % (1ull << 10) == 0) return fmt::format("{} KiB", v >> 10);
  return fmt::format("{} bytes", v);
}

std::string limit_hint(const std::string& name) {
  return "(raise it with --limit " + name + "=VALUE)";
}

void set_limit(const std::string& arg) {
  const std::string shown = "--limit " + arg;
  const auto eq = arg.find('=');
  std::string names;
  for (const auto& i : limit_infos()) names += (names.empty() ? "" : ", ") + std::string(i.name);
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(shown + ": expected NAME=VALUE with NAME one of " + names);
  const std::string name = arg.substr(0, eq);
  for (const auto& i : limit_infos()) {
    if (name != i.name) continue;
    uint64_t v = 0;
    try {
      v = Config::parse("{}", shown, {"value=" + arg.substr(eq + 1)}).get<uint64_t>("value");
    } catch (const ConfigError&) {
      throw ConfigError(shown + ": expected a non-negative integer (suffixes KiB, MiB, GiB allowed), found '" +
                        arg.substr(eq + 1) + "'");
    }
    if (v == 0) throw ConfigError(shown + ": a limit must be at least 1");
    limits().*(i.field) = v;
    return;
  }
  throw ConfigError(shown + ": unknown limit '" + name + "' (expected one of " + names + ")");
}

}  // namespace mcucim::sim

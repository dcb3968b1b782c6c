#include "sim/provenance.h"

#include <ctime>
#include <filesystem>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/build_info.h"
#include "sim/sha256.h"

namespace mcucim::sim {

using nlohmann::json;

std::string version_line() {
  const BuildInfo& b = build_info();
  const std::string d = b.dirty;
  const char* state = d == "true" ? "dirty" : d == "false" ? "clean" : "dirty flag unknown";
  return fmt::format("mcucim {} (commit {}, {})", b.version, b.commit, state);
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789@%+=:,./_-") == std::string::npos;
    if (plain) {
      s += a;
      continue;
    }
    s += '\'';
    for (char c : a) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
    s += '\'';
  }
  return s;
}

json provenance_json(const std::vector<std::string>& argv, const std::vector<InputFile>& inputs) {
  const BuildInfo& b = build_info();
  const std::string dirty = b.dirty;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();

  json files = json::array();
  for (const auto& in : inputs) {
    json f = {{"role", in.role}, {"path", in.path}};
    if (in.address) f["address"] = fmt::format("0x{:08x}", *in.address);
    std::string hex;
    uint64_t size = 0;
    if (sha256_file(in.path, hex, size)) {
      f["size_bytes"] = size;
      f["sha256"] = hex;
    } else {
      f["size_bytes"] = nullptr;
      f["sha256"] = nullptr;
      f["error"] = "cannot read the file";
    }
    files.push_back(std::move(f));
  }
  return {{"mcucim", {{"version", b.version},
                      {"commit", b.commit},
                      {"dirty", dirty == "true" ? json(true) : dirty == "false" ? json(false) : json(nullptr)}}},
          {"argv", argv},
          {"command_line", shell_join(argv)},
          {"cwd", cwd},
          {"host", host},
          {"date", date},
          {"inputs", files}};
}

}  // namespace mcucim::sim

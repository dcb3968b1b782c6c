// Small helpers shared by the sweep engine's parts.
#include "sweep/util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
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

int run_command(const std::vector<std::string>& argv, std::string& out, std::string& err) {
  out.clear();
  err.clear();
  int po[2], pe[2];
  if (pipe(po) != 0) return 127;
  if (pipe(pe) != 0) {
    ::close(po[0]);
    ::close(po[1]);
    return 127;
  }
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(po[1], 1);
    dup2(pe[1], 2);
    ::close(po[0]);
    ::close(pe[0]);
    execvp(av[0], av.data());
    const std::string msg = std::string("cannot run ") + av[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    _exit(127);
  }
  ::close(po[1]);
  ::close(pe[1]);
  if (pid < 0) {
    ::close(po[0]);
    ::close(pe[0]);
    return 127;
  }
  struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 127;
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string d; std::getline(ss, d, ':');) {
    const std::string p = (d.empty() ? "." : d) + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace mcucim::sweep

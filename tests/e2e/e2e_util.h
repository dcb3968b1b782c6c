// Helpers for end-to-end tests: run the mcucim binary as a child process and capture its output.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <filesystem>

namespace e2e {

struct Result {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string tmpdir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/mcucim-e2e-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return dir;
}

// Run `mcucim <args>` (args are passed to /bin/sh, quote as needed).
inline Result mcucim(const std::string& args) {
  static int n = 0;
  const std::string base = tmpdir() + "/run" + std::to_string(n++);
  const std::string cmd = std::string(MCUCIM_BINARY_DIR) + "/mcucim " + args + " > " + base + ".out 2> " + base +
                          ".err < /dev/null";
  int st = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

inline std::string fw(const std::string& name) { return std::string(MCUCIM_FIRMWARE_DIR) + "/" + name + ".elf"; }
inline std::string cfg(const std::string& name = "mcu-base") {
  return std::string(MCUCIM_SOURCE_DIR) + "/configs/" + name + ".yaml";
}
inline std::string run_args(const std::string& firmware, const std::string& extra = "") {
  return "run -c " + cfg() + " --elf " + fw(firmware) + " " + extra;
}

}  // namespace e2e

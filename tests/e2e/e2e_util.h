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

// Where the LLM tests find the tinyllm host tools (mcucim-pack, mcucim-synth, tinyllm-host) and the
// team's models (../shared/models: stories260K.bin, tok512.bin; tests that need them skip loudly).
inline const std::string kTools = std::string(MCUCIM_BINARY_DIR) + "/workloads/tinyllm/";
inline const std::string kModels = std::string(MCUCIM_SHARED_DIR) + "/models/";
inline bool have_models() {
  return std::filesystem::exists(kModels + "stories260K.bin") && std::filesystem::exists(kModels + "tok512.bin");
}

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

// Run a shell command (/bin/sh), capturing stdout and stderr (each in its own file of tmpdir()).
inline Result sh(const std::string& cmd) {
  static int n = 0;
  const std::string base = tmpdir() + "/sh" + std::to_string(n++);
  int st = std::system((cmd + " > " + base + ".out 2> " + base + ".err < /dev/null").c_str());
  Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

// Run `mcucim <args>` (args are passed to /bin/sh, quote as needed).
inline Result mcucim(const std::string& args) { return sh(std::string(MCUCIM_BINARY_DIR) + "/mcucim " + args); }

// The first line of `out` that starts with `key` (without its newline), or "missing 'key' in:" + out.
inline std::string line_of(const std::string& out, const std::string& key) {
  size_t p = out.rfind(key, 0) == 0 ? 0 : out.find("\n" + key);
  if (p == std::string::npos) return "missing '" + key + "' in:\n" + out;
  if (out[p] == '\n') ++p;
  return out.substr(p, out.find('\n', p) - p);
}

// The "ids: ..." and "logits_fnv: ..." lines of a tinyllm run (host or simulator), for comparing runs.
inline std::string result_lines(const std::string& out) {
  return line_of(out, "ids:") + "\n" + line_of(out, "logits_fnv:") + "\n";
}

inline std::string fw(const std::string& name) { return std::string(MCUCIM_FIRMWARE_DIR) + "/" + name + ".elf"; }
inline std::string cfg(const std::string& name = "mcu-base") {
  return std::string(MCUCIM_SOURCE_DIR) + "/configs/" + name + ".yaml";
}
inline std::string run_args(const std::string& firmware, const std::string& extra = "") {
  return "run -c " + cfg() + " --elf " + fw(firmware) + " " + extra;
}

}  // namespace e2e

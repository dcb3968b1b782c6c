// sim::Config: a validated configuration tree loaded from YAML, with includes and --set overrides.
// Every value remembers where it came from (file:line, or "--set"), every error names it, and keys
// that nobody read are reported as unknown (see check_all_used()).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcucim::sim {

// Where a value came from: a file and 1-based line, or the command line ("--set", line 0).
struct Origin {
  std::string file;
  int line = 0;
  std::string str() const;  // "configs/mcu-base.yaml:12" or "--set soc.clock.freq_hz=1e8"
};

// Every configuration problem: the message already names file:line, the key, what was found and what
// was expected. The CLI prints what() and exits 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Config;
// Resolve a named preset such as soc.core.timing = "picorv32" to a file: a value containing '/' or
// ending in .yaml is a path; a bare name is looked up as <folder>/<name>.yaml beside the config file,
// then in the source tree's configs/<folder>/. `what` names the kind in the error ("timing profile").
std::string resolve_preset(const Config& cfg, const std::string& key, const std::string& folder,
                           const std::string& what);

class Config {
 public:
  // Load `path`. A file may contain a top-level `include:` (a string or a list of strings, paths
  // relative to the including file); included files are merged first, in order, then the including
  // file's own keys override them (maps merge recursively; scalars and lists replace). Include cycles
  // are an error. Then each `sets` entry "dotted.path=value" is applied in order (the value is parsed as
  // YAML, so "1e8", "true", "[1,2]" and "0x2000_0000" work; a set may create a new key, which is then
  // subject to the unknown-key check like any other).
  static Config load(const std::string& path, const std::vector<std::string>& sets = {});
  // Same, from YAML text (name is used in messages as the file name). Includes resolve relative to
  // the current directory.
  static Config parse(const std::string& yaml_text, const std::string& name,
                      const std::vector<std::string>& sets = {});

  Config();
  ~Config();
  Config(const Config&);
  Config& operator=(const Config&);
  Config(Config&&) noexcept;
  Config& operator=(Config&&) noexcept;

  bool has(const std::string& path) const;
  // Typed getters; T is one of bool, int64_t, uint64_t, uint32_t, int, double, std::string.
  // Integers accept decimal, 0x hex, '_' digit separators ("0x2000_0000") and size suffixes
  // KiB/MiB/GiB (and KB/MB/GB as powers of 1000) ("512KiB"); integer getters accept a float literal
  // only if it is integral ("200e6"). doubles accept SI suffixes on request of get_quantity().
  // A missing required key, a wrong type or an out-of-range value throws ConfigError naming
  // origin, key, found and expected. Reading a key marks it (and its parents) as used.
  template <typename T>
  T get(const std::string& path) const;
  template <typename T>
  T get(const std::string& path, const T& default_value) const;
  // One of `allowed` (e.g. {"trap","emulate"}), else ConfigError listing them.
  std::string get_enum(const std::string& path, const std::vector<std::string>& allowed,
                       const std::string& default_value) const;

  // Children of a map, in file order (empty if the path is absent). Throws if path is not a map.
  std::vector<std::string> keys(const std::string& path) const;
  // Number of elements of a list (0 if absent); elements are addressed as "path.0", "path.1", ...
  size_t list_size(const std::string& path) const;
  bool is_map(const std::string& path) const;
  bool is_list(const std::string& path) const;

  Origin origin(const std::string& path) const;  // of the value (or of the nearest existing parent)
  std::string file() const;                      // the top-level file loaded

  // Throws ConfigError for the first key (in file order) that was never read: "unknown key 'x.y' at
  // file:line". Call after elaboration has read everything it understands. Subtrees that are data
  // to be consumed wholesale can be marked with mark_used(path).
  void check_all_used() const;
  void mark_used(const std::string& path) const;

  // The fully resolved tree (after includes and sets) as JSON, for reports.
  nlohmann::json to_json() const;
  // A sub-tree as its own Config (shares origins; used-marks propagate back to this Config).
  Config sub(const std::string& path) const;

  // Throw a ConfigError about `path` with `what` (prefixing origin and key), for checks done by
  // the caller (e.g. overlapping memory regions).
  [[noreturn]] void fail(const std::string& path, const std::string& what) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::string prefix_;  // for sub()
};

}  // namespace mcucim::sim

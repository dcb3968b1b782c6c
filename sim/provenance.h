// Where a report came from: the mcucim build (version, git commit, dirty flag), the command line, the
// host, the date, and every input file by path, size and SHA-256 (docs/REPORT.md, "provenance").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcucim::sim {

struct InputFile {
  std::string role;  // "elf", "load" (a --load / soc.load data file), "config"
  std::string path;  // as given
  std::optional<uint32_t> address;  // where a data file was placed
};

// The provenance object of a report. Files are hashed here (a file that cannot be read gets
// "sha256": null and "error"); `argv` is the full command line, `started` the run's start time.
nlohmann::json provenance_json(const std::vector<std::string>& argv, const std::vector<InputFile>& inputs);

// The command line as one string a POSIX shell reads back into the same words.
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace mcucim::sim

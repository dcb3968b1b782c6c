// Small helpers shared by the sweep engine's parts (files, numbers, shell quoting, child status).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config.h"

namespace mcucim::sweep {

using sim::Config;
using sim::ConfigError;
using sim::Origin;

// The whole file ("" if it cannot be read).
std::string slurp(const std::string& path);
// Parse a number the way config files do (1e6, 0x2000_0000, 512KiB, 0.8).
bool to_number(const std::string& text, double& out);
bool to_integer(const std::string& text);
bool is_bool_text(const std::string& s);
// A word for a POSIX shell: as is when it needs no quoting, else in single quotes.
std::string shell_quote(const std::string& s);
// Write a file atomically: a temporary beside it, then rename (a reader sees the old or the new file).
void write_atomic(const std::string& path, const std::string& text);
// A point file is valid when it is a complete JSON object with a status (a run killed while writing
// its report leaves an invalid file, which counts as not done).
bool read_point_file(const std::string& path, nlohmann::json& out);
// The running binary (/proc/self/exe).
std::string self_exe();
// First lines of a stderr capture, for the results table.
std::string first_lines(const std::string& text, size_t max_lines = 3, size_t max_chars = 400);
// "12s", "3m05s", "2h10m".
std::string fmt_duration(double s);
// The result status for a `mcucim run` exit code (ok, config_error, cycle_limit, fault, deadlock, crashed, exit).
std::string status_for_exit(int code);

// Run a program (argv[0] looked up in PATH) and capture its stdout and stderr; returns its exit code
// (127 when it cannot be started, 128+N when killed by signal N).
int run_command(const std::vector<std::string>& argv, std::string& out, std::string& err);
// The full path of a program found in PATH, or "".
std::string find_program(const std::string& name);
// The current time as "2025-01-31T12:34:56Z", and this machine's host name.
std::string now_utc();
std::string host_name();

}  // namespace mcucim::sweep

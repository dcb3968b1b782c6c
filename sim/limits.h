// Resource limits: what one `mcucim` process accepts from its inputs before it refuses them with a
// clear error (exit 2) instead of running out of memory, stack or time. One process-wide set, with
// defaults that every shipped config and workload stays far below; `--limit NAME=VALUE` on the command
// line raises or lowers one (README, "Limits"). The values are not physical: they bound what a
// careless or hostile input can make the host do.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mcucim::sim {

struct Limits {
  // Bytes of one YAML file (config, include, timing profile, technology table, sweep spec); files
  // that are not regular files (devices such as /dev/zero, directories) are refused outright.
  uint64_t config_bytes = 16ull << 20;
  // Nesting depth of `include:` (a cycle is an error whatever the depth).
  uint64_t include_depth = 32;
  // Values (map entries, list elements, scalars) of one YAML document after alias expansion: a
  // "billion laughs" alias bomb stops here instead of growing without bound.
  uint64_t config_nodes = 1000000;
  // Bytes of the ELF file (a firmware image with debug information is a few MiB).
  uint64_t elf_bytes = 256ull << 20;
  // Host memory for the simulated memories: their bytes plus the decode cache of executable
  // memories (isa::Insn, 16 bytes per halfword: 8 bytes per byte).
  uint64_t memory_bytes = 2ull << 30;
};

// The process-wide limits (read by Config::load, read_soc_spec, ...).
Limits& limits();

// A limit by name, for messages and --limit: "config_bytes", "include_depth", "config_nodes",
// "elf_bytes", "memory_bytes".
struct LimitInfo {
  const char* name;
  uint64_t Limits::*field;
  const char* what;
};
const std::vector<LimitInfo>& limit_infos();

// Apply "NAME=VALUE" (VALUE: an integer with optional KiB/MiB/GiB suffix) to limits(). Throws
// ConfigError naming the option for an unknown name or a bad value.
void set_limit(const std::string& name_eq_value);

// "16 MiB" / "1000000": a limit's value as shown in messages.
std::string limit_value_str(const std::string& name, uint64_t v);
// "(raise it with --limit NAME=VALUE)", for the end of an error message.
std::string limit_hint(const std::string& name);

}  // namespace mcucim::sim

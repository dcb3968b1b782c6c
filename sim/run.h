// One simulation run: load config and ELF, elaborate, run, report. Used by `mcucim run`.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sim/soc.h"

namespace mcucim::sim {

struct RunOptions {
  std::string config_path;
  std::string elf_path;
  std::vector<std::string> sets;
  std::vector<std::string> loads;  // --load FILE@ADDR
  std::string args;                // --args: the program's command line after argv[0] (semihosting)
  std::string semihost_root;       // --semihost-root: the folder the program's files live in ("" = none)
  bool semihost_write = false;     // --semihost-write: the program may create/write/remove files there
  uint64_t max_cycles = 0;
  double timeout_s = 0;     // --timeout: wall-clock limit of the simulation in seconds (0: none)
  std::string report_path;  // JSON report ("" = none)
  bool energy = true;        // false (--no-energy): no region/token marks, energy or power (for
                             // measuring what the accounting costs; the report then has no energy)
  bool profile = false;      // flat profile per function (cycles, instructions, estimated energy)
  bool progress = true;      // progress line on a terminal (never when stderr is not a terminal)
  std::string trace_path;   // Chrome trace-event JSON ("" = none)
  bool quiet = false;       // no summary
  // Debugging and observing (docs/DEBUGGING.md).
  std::string log_commits_path;  // --log-commits: Spike-format commit log ("" = none)
  std::string log_from, log_to;  // --log-from / --log-to: cycle:N, pc:ADDR|SYMBOL or region:NAME ("" = run start / end)
  std::string vcd_path;          // --vcd: waveforms ("" = none)
  std::string vcd_from, vcd_to;  // --vcd-from / --vcd-to: the waveforms' window (as --log-from / --log-to)
  uint64_t vcd_power_interval = 10000;  // --vcd-power-interval: cycles per power value
  uint64_t stats_interval = 0;   // --stats-interval N: a CSV row every N cycles (0 = none)
  std::string stats_path;        // --stats-file: where the rows go
  int gdb_port = -1;             // --gdb PORT: GDB remote serial protocol on 127.0.0.1 (-1 = none, 0 = any free port)
  std::vector<std::string> argv;  // the full command line, for the report's provenance
};

// Returns the process exit code (the program's, or one of sim::ExitCode). Throws ConfigError/ElfError
// for bad inputs (the caller maps them to exit 2).
int run_program(const RunOptions& opt, std::ostream& out, std::ostream& err);

// --load FILE@ADDR as a blob (ConfigError naming the option if malformed).
BlobSpec parse_load_option(const std::string& option);

// The trap report (cause, PC, instruction, registers, last PCs) of a faulted run.
std::string trap_report(const models::Core& core, const ElfImage& elf);
const char* cause_name(uint32_t mcause);

}  // namespace mcucim::sim

// mcucim: the command-line front end.
//   mcucim run -c CONFIG --elf FILE [--set k=v]... [--max-cycles N] [--report out.json]
//              [--trace trace.json] [--quiet]
//   mcucim memmap -c CONFIG [--set k=v]...     (linker --defsym flags for the config's memory map)
//   mcucim sweep SPEC [-j N] [--out DIR] ...   (design-space sweeps, sweep/)
//   mcucim plot DIR                            (charts of a sweep's results)
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <systemc>

#include "sim/build_info.h"
#include "sim/limits.h"
#include "sim/run.h"
#include "sweep/cli.h"

namespace po = boost::program_options;
using namespace mcucim;

namespace {

const char* kUsage =
    "usage: mcucim <command> [options]\n"
    "commands:\n"
    "  run     simulate a program:  mcucim run -c CONFIG --elf FILE [--set k=v]... [--max-cycles N]\n"
    "                               [--report out.json] [--trace trace.json] [--profile] [--quiet]\n"
    "                               [--log-commits FILE] [--vcd FILE] [--stats-interval N --stats-file FILE] [--gdb PORT]\n"
    "  memmap  print linker flags for a config's memory map:  mcucim memmap -c CONFIG\n"
    "  sweep   run a design-space sweep:  mcucim sweep SPEC [-j N] [--out DIR] [--list] (docs/SWEEPS.md)\n"
    "  plot    charts and index.html for a sweep's results:  mcucim plot DIR\n"
    "  --version  version and git commit of this build\n"
    "exit codes: the program's exit code; 2 usage/config/ELF error; 3 internal error; 123 wall-clock\n"
    "            limit; 124 cycle limit; 125 fault in the simulated program (trap report on stderr);\n"
    "            126 deadlock\n";

// --limit NAME=VALUE (repeatable): sim/limits.h.
void apply_limits(const po::variables_map& vm) {
  if (vm.count("limit"))
    for (const auto& l : vm["limit"].as<std::vector<std::string>>()) sim::set_limit(l);
}

int cmd_memmap(int argc, char** argv) {
  po::options_description opts("memmap options");
  opts.add_options()("help,h", "this help")("config,c", po::value<std::string>()->required(), "SoC config (YAML)")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a config value: dotted.path=value")(
      "limit", po::value<std::vector<std::string>>()->composing(), "change a resource limit: NAME=VALUE (README, Limits)");
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  po::notify(vm);
  apply_limits(vm);
  auto sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  sim::Config cfg = sim::Config::load(vm["config"].as<std::string>(), sets);
  sim::SocSpec spec = sim::read_soc_spec(cfg);
  // picolibc.ld's symbols: code and read-only data in the first executable read-only memory (flash),
  // data in the first SRAM.
  const sim::MemorySpec *flash = nullptr, *ram = nullptr;
  for (const auto& m : spec.memories) {
    if (!flash && m.kind == "flash") flash = &m;
    if (!ram && m.kind == "sram") ram = &m;
  }
  if (!ram) cfg.fail("soc.memories", "expected an sram memory for the program's data");
  if (!flash) flash = ram;
  std::cout << fmt::format("-Wl,--defsym=__flash=0x{:08x} -Wl,--defsym=__flash_size=0x{:x} "
                           "-Wl,--defsym=__ram=0x{:08x} -Wl,--defsym=__ram_size=0x{:x}\n",
                           flash->base, flash->size, ram->base, ram->size);
  return 0;
}

std::vector<std::string> g_argv;  // the full command line (for the report's provenance)

int cmd_run(int argc, char** argv) {
  po::options_description opts("run options");
  opts.add_options()("help,h", "this help")("config,c", po::value<std::string>()->required(),
                                            "SoC config (YAML)")(
      "elf,e", po::value<std::string>()->required(), "RV32 ELF program to run")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a config value: dotted.path=value")(
      "max-cycles", po::value<uint64_t>()->default_value(0), "stop after N core cycles (0: no limit); exit 124")(
      "timeout", po::value<double>()->default_value(0), "stop after S seconds of wall-clock time (0: no limit); exit 123")(
      "limit", po::value<std::vector<std::string>>()->composing(), "change a resource limit: NAME=VALUE (README, Limits)")(
      "report", po::value<std::string>(), "write a JSON report to this file (docs/REPORT.md)")(
      "trace", po::value<std::string>(), "write a Chrome/Perfetto trace-event timeline to this file")(
      "load", po::value<std::vector<std::string>>()->composing(), "place a data file in memory: FILE@ADDR (repeatable; firmware finds it through sim-control BLOB registers)")(
      "args", po::value<std::string>(), "the program's command line after argv[0] (semihosting SYS_GET_CMDLINE)")(
      "semihost-root", po::value<std::string>(), "the folder the program may read files in through semihosting (default: no host files)")(
      "semihost-write", "allow the program to create, write, remove and rename files below --semihost-root")(
      "log-commits", po::value<std::string>(), "write a commit log (Spike --log-commits format plus a cycle column) to FILE (docs/DEBUGGING.md)")(
      "log-from", po::value<std::string>(), "start the commit log at cycle:N, pc:ADDR|SYMBOL or region:NAME")(
      "log-to", po::value<std::string>(), "end the commit log at cycle:N (excluded), pc:ADDR|SYMBOL or region:NAME (included)")(
      "vcd", po::value<std::string>(), "write waveforms (VCD: pc, core state, bus, interrupts, DMA/CIM busy, power) to FILE (docs/DEBUGGING.md)")(
      "vcd-from", po::value<std::string>(), "start the waveforms at cycle:N, pc:ADDR|SYMBOL or region:NAME")(
      "vcd-to", po::value<std::string>(), "end the waveforms at cycle:N (excluded), pc:ADDR|SYMBOL or region:NAME (included)")(
      "vcd-power-interval", po::value<uint64_t>()->default_value(10000), "cycles per power value in the waveforms (1..1000000)")(
      "stats-interval", po::value<uint64_t>()->default_value(0), "write a CSV row every N cycles to --stats-file (instructions, cycles, energy by component, region)")(
      "stats-file", po::value<std::string>(), "the CSV file of --stats-interval")(
      "gdb", po::value<int>(), "serve GDB on 127.0.0.1:PORT, halted at reset (0: any free port; docs/DEBUGGING.md)")(
      "profile", "print a flat profile: cycles, instructions and estimated energy per function")(
      "no-progress", "no progress line even on a terminal")(
      "no-energy", "no energy model, regions or tokens (to measure what the accounting costs)")(
      "quiet,q", "print no summary (the program's output only)");
  po::positional_options_description pos;
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: mcucim run -c CONFIG --elf FILE [options]\n" << opts;
    return 0;
  }
  po::notify(vm);
  apply_limits(vm);
  sim::RunOptions ro;
  ro.config_path = vm["config"].as<std::string>();
  ro.elf_path = vm["elf"].as<std::string>();
  if (vm.count("set")) ro.sets = vm["set"].as<std::vector<std::string>>();
  ro.max_cycles = vm["max-cycles"].as<uint64_t>();
  ro.timeout_s = vm["timeout"].as<double>();
  if (!(ro.timeout_s >= 0) || ro.timeout_s > 1e9)
    throw sim::ConfigError(fmt::format("--timeout {}: expected seconds >= 0 (0: no limit)", ro.timeout_s));
  if (vm.count("report")) ro.report_path = vm["report"].as<std::string>();
  if (vm.count("trace")) ro.trace_path = vm["trace"].as<std::string>();
  ro.quiet = vm.count("quiet") > 0;
  ro.profile = vm.count("profile") > 0;
  if (vm.count("log-commits")) ro.log_commits_path = vm["log-commits"].as<std::string>();
  if (vm.count("log-from")) ro.log_from = vm["log-from"].as<std::string>();
  if (vm.count("log-to")) ro.log_to = vm["log-to"].as<std::string>();
  ro.stats_interval = vm["stats-interval"].as<uint64_t>();
  if (vm.count("vcd")) ro.vcd_path = vm["vcd"].as<std::string>();
  if (vm.count("vcd-from")) ro.vcd_from = vm["vcd-from"].as<std::string>();
  if (vm.count("vcd-to")) ro.vcd_to = vm["vcd-to"].as<std::string>();
  ro.vcd_power_interval = vm["vcd-power-interval"].as<uint64_t>();
  if (vm.count("gdb")) {
    ro.gdb_port = vm["gdb"].as<int>();
    if (ro.gdb_port < 0 || ro.gdb_port > 65535)
      throw sim::ConfigError(fmt::format("--gdb {}: expected a TCP port 0..65535", ro.gdb_port));
  }
  if (vm.count("stats-file")) ro.stats_path = vm["stats-file"].as<std::string>();
  if (vm.count("load")) ro.loads = vm["load"].as<std::vector<std::string>>();
  if (vm.count("args")) ro.args = vm["args"].as<std::string>();
  if (vm.count("semihost-root")) ro.semihost_root = vm["semihost-root"].as<std::string>();
  ro.semihost_write = vm.count("semihost-write") > 0;
  ro.progress = vm.count("no-progress") == 0;
  ro.energy = vm.count("no-energy") == 0;
  ro.argv = g_argv;
  return sim::run_program(ro, std::cout, std::cerr);
}

}  // namespace

int sc_main(int argc, char** argv) {
  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::cerr << kUsage;
    return argc < 2 ? sim::kExitUsage : 0;
  }
  const std::string cmd = argv[1];
  g_argv.assign(argv, argv + argc);
  try {
    if (cmd == "run") return cmd_run(argc - 1, argv + 1);
    if (cmd == "memmap") return cmd_memmap(argc - 1, argv + 1);
    if (cmd == "sweep") return sweep::cmd_sweep(argc - 1, argv + 1);
    if (cmd == "plot") return sweep::cmd_plot(argc - 1, argv + 1);
    if (cmd == "--version") {
      std::cout << sim::version_line() << "\n";
      return 0;
    }
    std::cerr << "mcucim: unknown command '" << cmd << "'\n" << kUsage;
    return sim::kExitUsage;
  } catch (const po::error& e) {
    std::cerr << "mcucim " << cmd << ": " << e.what() << "\n(see mcucim " << cmd << " --help)\n";
    return sim::kExitUsage;
  } catch (const sim::ConfigError& e) {
    std::cerr << "mcucim: config error: " << e.what() << "\n";
    return sim::kExitUsage;
  } catch (const sim::ElfError& e) {
    std::cerr << "mcucim: ELF error: " << e.what() << "\n";
    return sim::kExitUsage;
  } catch (const std::bad_alloc&) {
    std::cerr << "mcucim: out of host memory (a --limit set too high for this machine?)\n";
    return sim::kExitInternal;
  } catch (const std::exception& e) {
    // Anything else is a bug (inputs are validated into ConfigError/ElfError): say so, never abort.
    std::cerr << "mcucim: internal error: " << e.what() << "\n(please report it with the command line)\n";
    return sim::kExitInternal;
  } catch (...) {
    std::cerr << "mcucim: internal error: unknown exception\n(please report it with the command line)\n";
    return sim::kExitInternal;
  }
}

// Our own entry point: silence SystemC's banner (it is printed before sc_main runs), then hand over.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}

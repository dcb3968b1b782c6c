#include "sim/run.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <cmath>
#include <fstream>
#include <memory>
#include <unistd.h>

#include "sim/profile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "isa/disasm.h"
#include "sim/commit_log.h"
#include "sim/gdb_server.h"
#include "sim/stats_interval.h"
#include "sim/vcd.h"
#include "sim/build_info.h"
#include "sim/energy.h"
#include "sim/provenance.h"
#include "sim/report.h"
#include "sim/stats.h"
#include "sim/system.h"
#include "sim/watchdog.h"

namespace mcucim::sim {

const char* cause_name(uint32_t c) {
  if (c & isa::kInterruptBit) {
    switch (c & 0x7fffffff) {
      case 3: return "machine software interrupt";
      case 7: return "machine timer interrupt";
      case 11: return "machine external interrupt";
      default: return "interrupt";
    }
  }
  switch (c) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store/AMO address misaligned";
    case 7: return "store/AMO access fault";
    case 11: return "environment call from M-mode";
    default: return "exception";
  }
}

namespace {
std::string where(const ElfImage& elf, uint32_t pc) {
  if (const ElfSymbol* f = elf.function_at(pc)) return fmt::format(" <{}+0x{:x}>", f->name, pc - f->addr);
  return "";
}
}  // namespace

std::string trap_report(const models::Core& core, const ElfImage& elf) {
  const isa::Cpu& cpu = core.cpu();
  const isa::FatalTrap& t = cpu.fatal();
  std::string s;
  s += fmt::format("mcucim: FATAL: {} (mcause {}) at pc 0x{:08x}{}\n", cause_name(t.cause), t.cause, t.pc,
                   where(elf, t.pc));
  s += fmt::format("  reason:      {}\n", t.reason);
  isa::Insn in = const_cast<isa::Cpu&>(cpu).decode_at(t.pc);
  s += fmt::format("  instruction: 0x{:0{}x}  {}\n", in.raw, in.len == 2 ? 4 : 8, isa::disassemble(in, t.pc));
  s += fmt::format("  mtval:       0x{:08x}\n", t.tval);
  s += fmt::format("  cycle {} instret {}\n  registers:\n", cpu.cycle(), cpu.instret());
  for (unsigned r = 0; r < 32; ++r) {
    s += fmt::format("    {:>4} x{:<2} 0x{:08x}", isa::reg_name(r), r, cpu.x(r));
    if (r % 4 == 3) s += "\n";
  }
  if (cpu.config().features.f) {
    for (unsigned r = 0; r < 32; ++r) {
      s += fmt::format("    {:>4} f{:<2} 0x{:08x}", isa::freg_name(r), r, cpu.f(r));
      if (r % 4 == 3) s += "\n";
    }
  }
  auto hist = cpu.pc_history();
  s += fmt::format("  last {} PCs (oldest first):\n", hist.size());
  for (uint32_t pc : hist) {
    isa::Insn h = const_cast<isa::Cpu&>(cpu).decode_at(pc);
    s += fmt::format("    0x{:08x}{:<24} {}\n", pc, where(elf, pc), isa::disassemble(h, pc));
  }
  return s;
}

BlobSpec parse_load_option(const std::string& l) {
  const auto at = l.rfind('@');
  BlobSpec b;
  b.origin = "--load " + l;
  if (at == std::string::npos || at == 0) throw ConfigError(b.origin + ": expected FILE@ADDRESS, e.g. model.bin@0x60000000");
  b.file = l.substr(0, at);
  try {
    size_t used = 0;
    const unsigned long long a = std::stoull(l.substr(at + 1), &used, 0);
    if (used != l.size() - at - 1 || a > 0xffffffffull) throw std::invalid_argument("range");
    b.addr = static_cast<uint32_t>(a);
  } catch (const std::exception&) {
    throw ConfigError(b.origin + ": expected a 32-bit address after '@' (e.g. 0x60000000), found '" + l.substr(at + 1) + "'");
  }
  return b;
}

int run_program(const RunOptions& opt, std::ostream& out, std::ostream& err) {
  // fs time resolution: cycle periods of non-integer picoseconds stay exact to 1e-7.
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  Config cfg = Config::load(opt.config_path, opt.sets);
  // A system of several MCUs joined by links (sim/system.h).
  if (is_system_config(cfg)) return run_system(opt, cfg, out, err);
  SocSpec spec = read_soc_spec(cfg);
  cfg.check_all_used();
  for (const auto& l : opt.loads) spec.blobs.push_back(parse_load_option(l));
  ElfImage elf = load_elf(opt.elf_path);
  // The report's provenance: the files this run read, hashed when the report is written.
  std::vector<InputFile> inputs = {{"config", opt.config_path, std::nullopt}, {"elf", opt.elf_path, std::nullopt}};
  for (const auto& b : spec.blobs) inputs.push_back({"load", b.file, b.addr});

  spec.core.cpu.profile = opt.profile;
  Soc soc("soc", spec, out);
  soc.load(elf);
  soc.load_blobs(elf);
  if (opt.max_cycles)
    for (uint32_t h = 0; h < soc.harts(); ++h) soc.core(h).set_max_cycles(opt.max_cycles);
  // picolibc's semihost crt0 splits the command line into argv[1..] (argv[0] is its own).
  soc.core().semihosting().set_cmdline(opt.args);
  // Host files: only below --semihost-root, writable only with --semihost-write (README, Security).
  soc.core().semihosting().set_note_stream(&err);
  if (opt.semihost_write && opt.semihost_root.empty())
    throw ConfigError("--semihost-write needs --semihost-root DIR (the folder the program may write in)");
  if (const std::string e = soc.core().semihosting().set_sandbox({opt.semihost_root, opt.semihost_write}); !e.empty())
    throw ConfigError("--semihost-root " + opt.semihost_root + ": " + e);

  // Energy model and per-region statistics: counters are snapshotted at sim-control marks only.
  EnergyModel model(spec.tech, spec.power, spec.core.cpu.fetch_line_bytes, spec.core.cpu.fetch_lines);
  Stats stats(
      model, [&soc] { return soc.sample_counters(); },
      [&soc](uint32_t id) {
        if (!soc.simctrl()) return std::string();
        auto it = soc.simctrl()->names().find(id);
        return it == soc.simctrl()->names().end() ? std::string() : it->second;
      });
  const sc_core::sc_time period = soc.core().cycle_time();
  // Observers of the core (docs/DEBUGGING.md): files are opened before the run, so a bad path fails
  // before any simulation time is spent.
  struct FileCloser {
    void operator()(std::FILE* f) const { if (f) std::fclose(f); }
  };
  auto open_out = [](const std::string& option, const std::string& path) {
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "w"));
    if (!f) throw ConfigError(fmt::format("{} {}: cannot open for writing", option, path));
    return f;
  };
  std::unique_ptr<std::FILE, FileCloser> log_file, stats_file;
  std::unique_ptr<CommitLog> commit_log;
  std::unique_ptr<StatsInterval> stats_interval;
  if (opt.log_commits_path.empty() && (!opt.log_from.empty() || !opt.log_to.empty()))
    throw ConfigError("--log-from/--log-to need --log-commits FILE");
  if (!opt.log_commits_path.empty()) {
    auto sym = [&elf](const std::string& name) { return elf.symbol(name); };
    const LogBound from = opt.log_from.empty() ? LogBound{} : parse_log_bound("--log-from", opt.log_from, sym);
    const LogBound to = opt.log_to.empty() ? LogBound{} : parse_log_bound("--log-to", opt.log_to, sym);
    log_file = open_out("--log-commits", opt.log_commits_path);
    std::setvbuf(log_file.get(), nullptr, _IOFBF, 1 << 16);
    commit_log = std::make_unique<CommitLog>(log_file.get(), from, to);
    soc.core().add_observer(commit_log.get());
  }
  if ((opt.stats_interval != 0) != !opt.stats_path.empty())
    throw ConfigError("--stats-interval N and --stats-file FILE go together");
  if (!opt.energy && !opt.trace_path.empty())
    throw ConfigError("--trace needs the energy model (its tracks are regions, tokens and power): drop --no-energy");
  if (opt.stats_interval) {
    if (!opt.energy) throw ConfigError("--stats-interval needs the energy model (drop --no-energy)");
    stats_file = open_out("--stats-file", opt.stats_path);
    stats_interval = std::make_unique<StatsInterval>(
        stats_file.get(), opt.stats_interval, model, [&soc] { return soc.sample_counters(); },
        [&stats] { return stats.open_region(); });
    soc.core().add_observer(stats_interval.get());
  }

  std::unique_ptr<std::FILE, FileCloser> vcd_file;
  std::unique_ptr<VcdWriter> vcd;
  if (opt.vcd_path.empty() && (!opt.vcd_from.empty() || !opt.vcd_to.empty()))
    throw ConfigError("--vcd-from/--vcd-to need --vcd FILE");
  if (!opt.vcd_path.empty()) {
    if (opt.vcd_power_interval == 0 || opt.vcd_power_interval > VcdWriter::kMaxPowerInterval)
      throw ConfigError(fmt::format("--vcd-power-interval {}: expected 1..{} cycles", opt.vcd_power_interval,
                                    VcdWriter::kMaxPowerInterval));
    auto sym = [&elf](const std::string& name) { return elf.symbol(name); };
    VcdWriter::Options vo;
    vo.freq_hz = spec.freq_hz;
    vo.from = opt.vcd_from.empty() ? LogBound{} : parse_log_bound("--vcd-from", opt.vcd_from, sym);
    vo.to = opt.vcd_to.empty() ? LogBound{} : parse_log_bound("--vcd-to", opt.vcd_to, sym);
    vo.power_interval = opt.vcd_power_interval;
    vo.version = version_line();
    if (opt.energy) {
      vo.model = &model;
      vo.sampler = [&soc] { return soc.sample_counters(); };
    }
    std::vector<models::Device*> busy;
    for (models::Device* d : soc.devices())
      if (d->reports_busy()) {
        busy.push_back(d);
        vo.busy_devices.push_back(d->basename());
      }
    vcd_file = open_out("--vcd", opt.vcd_path);
    std::setvbuf(vcd_file.get(), nullptr, _IOFBF, 1 << 16);
    vcd = std::make_unique<VcdWriter>(vcd_file.get(), std::move(vo));
    for (size_t i = 0; i < busy.size(); ++i)
      busy[i]->on_busy = [w = vcd.get(), i](const sc_core::sc_time& b, const sc_core::sc_time& e) {
        w->device_busy(i, b, e);
      };
    soc.core().add_observer(vcd.get());
  }

  // Sim-control marks: region/token statistics, and region:NAME windows of the observers.
  auto region_name = [&soc](uint32_t id) {
    if (!soc.simctrl()) return std::string();
    auto it = soc.simctrl()->names().find(id);
    return it == soc.simctrl()->names().end() ? std::string() : it->second;
  };
  if (opt.energy || commit_log || vcd)
    soc.set_mark_listener([&stats, &opt, period, region_name, cl = commit_log.get(), vw = vcd.get()](
                              const models::SimCtrl::Event& e) {
      using K = models::SimCtrl::EventKind;
      if (e.kind == K::RegionBegin || e.kind == K::RegionEnd) {
        if (cl || vw) {
          const std::string name = region_name(static_cast<uint32_t>(e.value));
          if (cl) cl->region_mark(e.kind == K::RegionBegin, name);
          if (vw) vw->region_mark(e.kind == K::RegionBegin, name);
        }
      }
      if (!opt.energy) return;
      const uint64_t cycle = static_cast<uint64_t>(std::llround(e.time / period));
      switch (e.kind) {
        case K::RegionBegin: stats.mark(MarkKind::RegionBegin, e.value, cycle); break;
        case K::RegionEnd: stats.mark(MarkKind::RegionEnd, e.value, cycle); break;
        case K::Token: stats.mark(MarkKind::Token, e.value, cycle); break;
        case K::WorkMacs: stats.mark(MarkKind::WorkMacs, e.value, cycle); break;
        case K::TokenCount: stats.mark(MarkKind::TokenCount, e.value, cycle); break;
        default: break;
      }
    });

  std::unique_ptr<GdbServer> gdb;
  if (opt.gdb_port >= 0) {
    if (opt.gdb_port > 65535) throw ConfigError(fmt::format("--gdb {}: expected a TCP port 0..65535", opt.gdb_port));
    const double freq = spec.freq_hz;
    auto monitor = [&soc, &model, &stats, freq, &opt](const std::string& line) -> std::string {
      const isa::Cpu& cpu = soc.core().cpu();
      std::string cmd = line;
      while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
      if (cmd == "help")
        return "monitor cycles   cycles, instructions and simulated time so far\n"
               "monitor energy   energy so far, by component (the run's energy model)\n"
               "monitor region   the innermost region open now\n";
      if (cmd == "cycles")
        return fmt::format("cycles {} instret {} simulated time {:.9f} s pc 0x{:08x}\n", cpu.cycle(), cpu.instret(),
                           cpu.cycle() / freq, cpu.pc());
      if (cmd == "energy") {
        if (!opt.energy) return "no energy model in this run (--no-energy)\n";
        Counters c = soc.sample_counters();
        c.cycles = cpu.cycle();
        const EnergyBreakdown e = model.compute(c);
        std::string s = fmt::format("energy so far {:.6e} J over {} cycles\n", e.total_j(), c.cycles);
        for (const auto& p : e.parts) s += fmt::format("  {:<12} {:.6e} J\n", p.name, p.total_j());
        return s;
      }
      if (cmd == "region") {
        const std::string r = stats.open_region();
        return r.empty() ? "no region open\n" : "in region " + r + "\n";
      }
      return "";
    };
    gdb = std::make_unique<GdbServer>(soc.core(), static_cast<uint16_t>(opt.gdb_port), monitor);
    err << fmt::format("mcucim: waiting for GDB on 127.0.0.1:{} (gdb-multiarch: target remote :{})\n", gdb->port(),
                       gdb->port())
        << std::flush;
    soc.core().add_observer(gdb.get());
  }

  const auto t0 = std::chrono::steady_clock::now();
  // At quantum boundaries (the core's counters are consistent there): a progress line on a terminal
  // (at most twice a second), power samples for the trace's counter tracks, and the wall-clock limit.
  const bool show_progress = opt.progress && isatty(fileno(stderr));
  const bool sample_power = opt.energy && !opt.trace_path.empty();
  stats.set_power_samples(sample_power);
  const bool timed = opt.timeout_s > 0;
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(timed ? opt.timeout_s : 0.0));
  Watchdog watchdog(timed ? opt.timeout_s : 0.0, err);
  if (show_progress || sample_power || timed) {
    auto last = std::make_shared<std::chrono::steady_clock::time_point>(t0);
    const double freq = spec.freq_hz;
    soc.core().on_quantum = [&soc, &stats, last, t0, freq, &err, show_progress, sample_power, timed, deadline,
                             &opt](uint64_t cycle) {
      if (sample_power) stats.tick(cycle);
      if (timed && std::chrono::steady_clock::now() >= deadline)
        soc.core().stop(models::EndReason::TimeLimit, fmt::format("wall-clock limit of {} s reached (--timeout)", opt.timeout_s));
      if (!show_progress) return;
      const auto now = std::chrono::steady_clock::now();
      if (now - *last < std::chrono::milliseconds(500)) return;
      *last = now;
      const double host = std::chrono::duration<double>(now - t0).count();
      err << fmt::format("\r[mcucim] simulated {:.4f} s | {:.1f} MIPS | tokens {}   ", cycle / freq,
                         soc.core().cpu().instret() / host / 1e6, stats.tokens().size())
          << std::flush;
    };
  }
  soc.run();
  watchdog.disarm();
  if (show_progress) err << "\r" << std::string(60, ' ') << "\r" << std::flush;
  const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.flush();

  // The hart whose end ended the run (any hart's fault or exit ends it); cycles are hart 0's (the
  // program's), instructions the sum over harts.
  models::Core& core = soc.ended_core();
  const isa::Cpu& cpu = core.cpu();
  const uint64_t cycles = soc.core().cpu().cycle();
  uint64_t instret = 0;
  for (uint32_t h = 0; h < soc.harts(); ++h) instret += soc.core(h).cpu().instret();
  if (soc.harts() > 1 && core.end_reason() != models::EndReason::Exit && &core != &soc.core())
    err << fmt::format("mcucim: hart {} ended the run:\n", cpu.config().hartid);
  const double time_s = cycles / spec.freq_hz;
  const double mips = host_s > 0 ? instret / host_s / 1e6 : 0;

  int code = 0;
  std::string status;
  switch (core.end_reason()) {
    case models::EndReason::Exit: code = core.exit_code() & 0xff; status = "exit"; break;
    case models::EndReason::Fatal:
      code = kExitFault;
      status = "fault";
      if (!cpu.fatal().reason.empty()) err << trap_report(core, elf);
      else err << "mcucim: FATAL: " << core.end_message() << "\n";
      break;
    case models::EndReason::MaxCycles:
      code = kExitCycleLimit;
      status = "cycle_limit";
      err << fmt::format("mcucim: cycle limit of {} reached at pc 0x{:08x}{}\n", opt.max_cycles, cpu.pc(),
                         where(elf, cpu.pc()));
      break;
    case models::EndReason::TimeLimit:
      code = kExitTimeLimit;
      status = "time_limit";
      err << fmt::format("mcucim: {} at pc 0x{:08x}{} after {} cycles\n", core.end_message(), cpu.pc(),
                         where(elf, cpu.pc()), cpu.cycle());
      break;
    case models::EndReason::Deadlock:
      code = kExitDeadlock;
      status = "deadlock";
      err << fmt::format("mcucim: deadlock: {} (pc 0x{:08x}{})\n", core.end_message(), cpu.pc(), where(elf, cpu.pc()));
      break;
    case models::EndReason::Stall:
      code = kExitStall;
      status = "stall";
      err << fmt::format("mcucim: {} (pc 0x{:08x}{})\n", core.end_message(), cpu.pc(), where(elf, cpu.pc()));
      break;
    case models::EndReason::HostError:
      code = kExitFault;
      status = "stopped";
      err << fmt::format("mcucim: {} at pc 0x{:08x}{} after {} cycles\n", core.end_message(), cpu.pc(),
                         where(elf, cpu.pc()), cpu.cycle());
      break;
    default: code = kExitFault; status = "error"; break;
  }

  if (!opt.quiet) {
    err << fmt::format(
        "\n--- mcucim summary ({}) ---\n"
        "status         {}{}\n"
        "cycles         {}\n"
        "instructions   {}\n"
        "CPI            {:.3f}\n"
        "simulated time {:.6f} s at {:.1f} MHz\n"
        "host time      {:.3f} s\n"
        "speed          {:.1f} MIPS\n",
        spec.name, status, status == "exit" ? fmt::format(" (code {})", core.exit_code()) : "", cycles, instret,
        instret ? double(cycles) / instret : 0.0, time_s, spec.freq_hz / 1e6, host_s, mips);
  }

  RunSummary sum;
  sum.soc_name = spec.name;
  sum.status = status;
  sum.exit_code = code;
  sum.cycles = cycles;
  sum.instret = instret;
  sum.time_s = time_s;
  sum.host_s = host_s;
  sum.mips = mips;
  // --profile: energy per function is each instruction's class energy plus clock energy per cycle, at
  // the operating point (memory-access energy is not attributed per function: an approximation; no
  // energy column with --no-energy).
  auto print_profile = [&] {
    if (!opt.profile) return;
    EnergyEstimator estimator;
    if (opt.energy) {
      const TechTable& t = model.tech();
      const double scale = model.dyn_scale() * 1e-12;
      estimator = [&t, scale](isa::TClass c, uint64_t n, uint64_t cyc) {
        return (t.insn_pj[static_cast<size_t>(c)] * n + t.clock_pj_per_cycle * cyc) * scale;
      };
    }
    err << format_profile(flat_profile(soc.core().cpu(), elf, estimator), cycles);
  };
  if (!opt.energy) {
    // Accounting off: the basic counts only.
    print_profile();
    if (!opt.report_path.empty()) {
      nlohmann::json j = {{"config", cfg.to_json()}, {"status", status},   {"exit_code", code},
                          {"cycles", cycles},        {"instret", instret}, {"time_s", time_s},
                          {"energy_j", nullptr},     {"sim", {{"host_s", host_s}, {"mips", mips}}},
                          {"provenance", provenance_json(opt.argv, inputs)}};
      std::ofstream f(opt.report_path);
      if (!f) throw ConfigError(fmt::format("--report {}: cannot open for writing", opt.report_path));
      f << j.dump(2) << "\n";
    }
    return code;
  }
  sum.counters = soc.sample_counters();
  sum.counters.cycles = cycles;
  stats.finish(sum.counters);
  sum.energy = model.compute(sum.counters);
  if (!opt.quiet) err << report_table(sum, stats);
  print_profile();
  if (!opt.report_path.empty()) {
    sum.config = cfg.to_json();
    sum.provenance = provenance_json(opt.argv, inputs);
    std::ofstream f(opt.report_path);
    if (!f) throw ConfigError(fmt::format("--report {}: cannot open for writing", opt.report_path));
    f << report_json(sum, stats).dump(2) << "\n";
  }
  if (!opt.trace_path.empty()) {
    std::ofstream f(opt.trace_path);
    if (!f) throw ConfigError(fmt::format("--trace {}: cannot open for writing", opt.trace_path));
    f << trace_json(sum, stats).dump() << "\n";
  }
  return code;
}

}  // namespace mcucim::sim

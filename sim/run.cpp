#include "sim/run.h"

#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "isa/disasm.h"

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

int run_program(const RunOptions& opt, std::ostream& out, std::ostream& err) {
  // fs time resolution: cycle periods of non-integer picoseconds stay exact to 1e-7.
  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  Config cfg = Config::load(opt.config_path, opt.sets);
  SocSpec spec = read_soc_spec(cfg);
  cfg.check_all_used();
  ElfImage elf = load_elf(opt.elf_path);

  Soc soc(spec, out);
  soc.load(elf);
  if (opt.max_cycles) soc.core().set_max_cycles(opt.max_cycles);
  soc.core().semihosting().set_cmdline(opt.elf_path);

  const auto t0 = std::chrono::steady_clock::now();
  soc.run();
  const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.flush();

  models::Core& core = soc.core();
  const isa::Cpu& cpu = core.cpu();
  const uint64_t cycles = cpu.cycle(), instret = cpu.instret();
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
    case models::EndReason::Deadlock:
      code = kExitDeadlock;
      status = "deadlock";
      err << fmt::format("mcucim: deadlock: {} (pc 0x{:08x}{})\n", core.end_message(), cpu.pc(), where(elf, cpu.pc()));
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

  if (!opt.report_path.empty()) {
    nlohmann::json j;
    j["config"] = cfg.to_json();
    j["status"] = status;
    j["exit_code"] = code;
    j["cycles"] = cycles;
    j["instret"] = instret;
    j["time_s"] = time_s;
    j["sim"] = {{"host_s", host_s}, {"mips", mips}};
    std::ofstream f(opt.report_path);
    if (!f) throw ConfigError(fmt::format("--report {}: cannot open for writing", opt.report_path));
    f << j.dump(2) << "\n";
  }
  return code;
}

}  // namespace mcucim::sim

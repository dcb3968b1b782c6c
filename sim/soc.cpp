#include "sim/soc.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "models/cim_macro.h"
#include "models/clint.h"
#include "models/event_unit.h"
#include "models/link.h"
#include "models/memory.h"
#include "models/router.h"
#include "models/simctrl.h"
#include "models/uart.h"
#include "sim/cim_config.h"
#include "sim/limits.h"

namespace mcucim::sim {

namespace fs = std::filesystem;

isa::IsaFeatures parse_isa(const Config& cfg, const std::string& path) {
  const std::string s = cfg.get<std::string>(path);
  isa::IsaFeatures f;
  f.m = f.c = f.f = f.xmac = f.a = false;
  std::string base = s, ext;
  if (auto u = s.find('_'); u != std::string::npos) {
    base = s.substr(0, u);
    ext = s.substr(u + 1);
  }
  if (base.rfind("rv32i", 0) != 0)
    cfg.fail(path, fmt::format("expected an ISA string like 'rv32imc' or 'rv32imfc_xmac', found '{}'", s));
  for (char c : base.substr(5)) {
    switch (c) {
      case 'm': f.m = true; break;
      case 'f': f.f = true; break;
      case 'c': f.c = true; break;
      case 'a': f.a = true; break;
      default:
        cfg.fail(path, fmt::format("unsupported extension '{}' in '{}' (supported: m, a, f, c, and _xmac)", c, s));
    }
  }
  if (!ext.empty()) {
    if (ext != "xmac")
      cfg.fail(path, fmt::format("unknown non-standard extension '{}' in '{}' (supported: xmac)", ext, s));
    f.xmac = true;
  }
  return f;
}

isa::TimingProfile load_timing(const Config& cfg, const std::string& profile) {
  const std::string path = resolve_preset(cfg, "soc.core.timing", "timing", "timing profile");
  Config p = Config::load(path);
  isa::TimingProfile t;
  // A key in the main config under `timing.` overrides the profile's value. `src` names the config
  // that supplied it (for range errors).
  auto src = [&](const std::string& key) -> const Config& {
    if (cfg.has("timing." + key)) {
      if (p.has("timing." + key)) p.mark_used("timing." + key);  // overridden, not unknown
      return cfg;
    }
    return p;
  };
  auto u32 = [&](const std::string& key, uint32_t lo, uint32_t hi) -> uint32_t {
    const Config& c = src(key);
    const uint32_t v = c.get<uint32_t>("timing." + key);
    if (v < lo || v > hi)
      c.fail("timing." + key, fmt::format("expected {}..{} cycles, found {}", lo, hi, v));
    return v;
  };
  // Cycle counts: any class or penalty must stay far below the 64-bit cycle counter's range.
  constexpr uint32_t kMaxCycles = 100000;
  t.name = p.get<std::string>("timing.name");
  if (cfg.has("timing.name")) t.name = cfg.get<std::string>("timing.name");
  for (size_t i = 0; i < static_cast<size_t>(isa::TClass::COUNT); ++i)
    t.base[i] = u32(std::string("cycles.") + isa::kTimingClassNames[i], 1, kMaxCycles);
  t.branch_taken_penalty = u32("branch_taken_penalty", 0, kMaxCycles);
  t.load_use_stall = u32("load_use_stall", 0, kMaxCycles);
  t.shift_per_4 = u32("shift_per_4", 0, kMaxCycles);
  t.shift_per_1 = u32("shift_per_1", 0, kMaxCycles);
  t.div_fast_zero = u32("div_fast_zero", 0, kMaxCycles);
  t.wfi_wakeup = u32("wfi_wakeup", 0, kMaxCycles);
  // At least 1: with instruction classes of at least 1 cycle, every step of the core then advances
  // simulated time (a loop of traps into a trapping handler at 0 cycles would never end).
  t.trap_entry = u32("trap_entry", 1, kMaxCycles);
  t.mret = u32("mret", 0, kMaxCycles);
  t.fence = u32("fence", 1, kMaxCycles);
  t.fence_i = u32("fence_i", 1, kMaxCycles);
  t.fence_flushes_fetch = src("fence_flushes_fetch").get<bool>("timing.fence_flushes_fetch");
  {
    const Config& c = src("fetch.width_bytes");
    t.fetch_width = c.get<uint32_t>("timing.fetch.width_bytes");
    if (t.fetch_width < 4 || t.fetch_width > 64 || (t.fetch_width & (t.fetch_width - 1)))
      c.fail("timing.fetch.width_bytes",
             fmt::format("expected a power of two between 4 and 64 bytes, found {}", t.fetch_width));
  }
  t.straddle_sequential = u32("fetch.straddle_sequential", 0, kMaxCycles);
  t.straddle_target = u32("fetch.straddle_target", 0, kMaxCycles);
  t.branch_fallthrough_straddle = u32("fetch.branch_fallthrough_straddle", 0, kMaxCycles);
  if (t.straddle_target < t.straddle_sequential)
    src("fetch.straddle_target").fail("timing.fetch.straddle_target",
        fmt::format("expected at least fetch.straddle_sequential ({}): a fetch after a flush cannot be "
                    "faster than one the prefetcher prepared, found {}", t.straddle_sequential, t.straddle_target));
  {
    const Config& c = src("misaligned.mode");
    c.get<std::string>("timing.misaligned.mode");  // required
    const std::string m = c.get_enum("timing.misaligned.mode", {"trap", "split", "emulate"}, "");
    t.misaligned = m == "split" ? isa::Misaligned::Split : m == "emulate" ? isa::Misaligned::Emulate
                                                                          : isa::Misaligned::Trap;
  }
  t.misaligned_split_cycles = u32("misaligned.split_cycles", 0, kMaxCycles);
  p.mark_used("features");  // read by load_core_features()
  t.atomic_lr = u32("atomic.lr", 1, kMaxCycles);
  t.atomic_sc = u32("atomic.sc", 1, kMaxCycles);
  t.atomic_amo = u32("atomic.amo", 1, kMaxCycles);
  p.check_all_used();
  return t;
}

CoreFeatures load_core_features(const Config& cfg) {
  const std::string path = resolve_preset(cfg, "soc.core.timing", "timing", "timing profile");
  Config p = Config::load(path);
  CoreFeatures f;
  f.profile = path;
  f.user_mode = p.get<bool>("features.user_mode", false);
  f.pmp_entries_max = p.get<uint32_t>("features.pmp_entries_max", 0);
  f.pmp_granularity_max = p.get<uint32_t>("features.pmp_granularity_max", 0);
  f.triggers_max = p.get<uint32_t>("features.triggers_max", 0);
  if (f.pmp_entries_max > isa::Pmp::kMaxEntries)
    p.fail("features.pmp_entries_max", fmt::format("expected 0..{} PMP entries", isa::Pmp::kMaxEntries));
  if (f.pmp_granularity_max > 31) p.fail("features.pmp_granularity_max", "expected a granularity G of 0..31");
  if (f.triggers_max > isa::Triggers::kMaxTriggers)
    p.fail("features.triggers_max", fmt::format("expected 0..{} triggers", isa::Triggers::kMaxTriggers));
  p.mark_used("timing");  // read by load_timing()
  p.check_all_used();
  return f;
}

void read_core_privilege(const Config& cfg, isa::CpuConfig& cpu) {
  const CoreFeatures f = load_core_features(cfg);
  const std::string core = fmt::format("the timing profile '{}' ({})", cfg.get<std::string>("soc.core.timing"), f.profile);
  cpu.user_mode = cfg.get<bool>("soc.core.user_mode", false);
  if (cpu.user_mode && !f.user_mode)
    cfg.fail("soc.core.user_mode", fmt::format("{} is a core without U-mode; expected false", core));
  cpu.pmp_entries = cfg.get<uint32_t>("soc.core.pmp.entries", 0);
  if (cpu.pmp_entries > isa::Pmp::kMaxEntries)
    cfg.fail("soc.core.pmp.entries", fmt::format("expected 0..{} PMP entries, found {}", isa::Pmp::kMaxEntries, cpu.pmp_entries));
  if (cpu.pmp_entries > f.pmp_entries_max)
    cfg.fail("soc.core.pmp.entries",
             f.pmp_entries_max ? fmt::format("{} has at most {} PMP entries, found {}", core, f.pmp_entries_max, cpu.pmp_entries)
                               : fmt::format("{} is a core without PMP; expected 0", core));
  cpu.pmp_granularity = cfg.get<uint32_t>("soc.core.pmp.granularity", 0);
  if (cpu.pmp_granularity > 31)
    cfg.fail("soc.core.pmp.granularity", fmt::format("expected G = 0..31 (regions of 2^(G+2) bytes), found {}", cpu.pmp_granularity));
  if (cpu.pmp_granularity && !cpu.pmp_entries)
    cfg.fail("soc.core.pmp.granularity", "a PMP granularity needs PMP entries (soc.core.pmp.entries is 0)");
  if (cpu.pmp_granularity > f.pmp_granularity_max)
    cfg.fail("soc.core.pmp.granularity", fmt::format("{} supports G = 0..{}, found {}", core, f.pmp_granularity_max, cpu.pmp_granularity));
  cpu.triggers = cfg.get<uint32_t>("soc.core.triggers", 0);
  if (cpu.triggers > isa::Triggers::kMaxTriggers)
    cfg.fail("soc.core.triggers", fmt::format("expected 0..{} triggers, found {}", isa::Triggers::kMaxTriggers, cpu.triggers));
  if (cpu.triggers > f.triggers_max)
    cfg.fail("soc.core.triggers",
             f.triggers_max ? fmt::format("{} has at most {} debug triggers, found {}", core, f.triggers_max, cpu.triggers)
                            : fmt::format("{} is a core without debug triggers; expected 0", core));
}

SocSpec read_soc_spec(const Config& cfg) {
  SocSpec s;
  s.name = cfg.get<std::string>("soc.name", "soc");
  s.freq_hz = cfg.get<double>("soc.clock.freq_hz");
  if (!(s.freq_hz > 0) || s.freq_hz > 10e9)
    cfg.fail("soc.clock.freq_hz", fmt::format("expected a frequency in (0, 10 GHz], found {}", s.freq_hz));

  auto& c = s.core;
  c.freq_hz = s.freq_hz;
  c.cpu.features = parse_isa(cfg, "soc.core.isa");
  c.cpu.timing = load_timing(cfg, cfg.get<std::string>("soc.core.timing"));
  read_core_privilege(cfg, c.cpu);
  const double quantum_ns = cfg.get<double>("soc.core.quantum_ns", 1e6);
  if (!(quantum_ns > 0)) cfg.fail("soc.core.quantum_ns", "expected a positive duration in ns");
  c.quantum = sc_core::sc_time(quantum_ns, sc_core::SC_NS);
  // The core's own behaviour (from its timing profile) unless the config says otherwise.
  {
    const char* def = c.cpu.timing.misaligned == isa::Misaligned::Split     ? "split"
                      : c.cpu.timing.misaligned == isa::Misaligned::Emulate ? "emulate"
                                                                            : "trap";
    const std::string m = cfg.get_enum("soc.core.misaligned", {"trap", "split", "emulate"}, def);
    c.cpu.misaligned = m == "split" ? isa::Misaligned::Split : m == "emulate" ? isa::Misaligned::Emulate
                                                                              : isa::Misaligned::Trap;
  }
  c.cpu.history = cfg.get<uint32_t>("soc.core.trap_history", 16);
  if (c.cpu.history == 0 || c.cpu.history > 4096)
    cfg.fail("soc.core.trap_history", "expected 1..4096 PCs");
  c.cpu.fetch_lines = cfg.get<uint32_t>("soc.core.fetch_buffer.lines", 1);
  c.cpu.fetch_line_bytes = cfg.get<uint32_t>("soc.core.fetch_buffer.line_bytes", 16);
  auto pow2 = [](uint32_t v) { return v && !(v & (v - 1)); };
  if (!pow2(c.cpu.fetch_lines) || c.cpu.fetch_lines > 65536)
    cfg.fail("soc.core.fetch_buffer.lines", "expected a power of two between 1 and 65536");
  if (!pow2(c.cpu.fetch_line_bytes) || c.cpu.fetch_line_bytes < 4 || c.cpu.fetch_line_bytes > 4096)
    cfg.fail("soc.core.fetch_buffer.line_bytes", "expected a power of two between 4 and 4096");
  c.cpu.xmac.lanes = cfg.get<uint32_t>("soc.xmac.lanes", 4);
  c.cpu.xmac.latency = cfg.get<uint32_t>("soc.xmac.latency", 1);
  if (c.cpu.xmac.lanes == 0 || c.cpu.xmac.lanes > 64) cfg.fail("soc.xmac.lanes", "expected 1..64 MAC lanes");
  if (c.cpu.xmac.latency == 0 || c.cpu.xmac.latency > 64) cfg.fail("soc.xmac.latency", "expected 1..64 cycles");
  s.bus_latency = cfg.get<uint32_t>("soc.bus.latency_cycles", 0);
  s.harts = cfg.get<uint32_t>("soc.core.count", 1);
  if (s.harts == 0 || s.harts > kMaxHarts)
    cfg.fail("soc.core.count", fmt::format("expected 1..{} harts, found {}", kMaxHarts, s.harts));
  {
    // Bank model window (isa/shared.h): a power of two >= 4 quanta, bounded so that its state stays small.
    const double qc = quantum_ns * 1e-9 * s.freq_hz;
    uint64_t w = 64;
    while (w < 4 * qc && w <= (1u << 16)) w <<= 1;
    s.bank_window = static_cast<uint32_t>(w);
  }

  struct Range { std::string path; uint64_t base, size; };
  std::vector<Range> ranges;
  auto range = [&](const std::string& path, const std::string& kind, uint64_t& size, uint32_t& base) {
    base = cfg.get<uint32_t>(path + ".base");
    if (size == 0) cfg.fail(path + ".size", "expected a non-zero size");
    if (uint64_t(base) + size > (1ull << 32))
      cfg.fail(path + ".size", fmt::format("region 0x{:08x} + {} bytes runs past the 4 GiB address space", base, size));
    ranges.push_back({path, base, size});
  };
  uint64_t host_bytes = 0;
  if (const size_t n = cfg.keys("soc.memories").size(); n > kMaxMemories)
    cfg.fail("soc.memories", fmt::format("{} memories, expected at most {}", n, kMaxMemories));
  if (const size_t n = cfg.keys("soc.devices").size(); n > kMaxDevices)
    cfg.fail("soc.devices", fmt::format("{} devices, expected at most {}", n, kMaxDevices));
  for (const auto& name : cfg.keys("soc.memories")) {
    const std::string p = "soc.memories." + name;
    MemorySpec m;
    m.name = name;
    m.kind = cfg.get_enum(p + ".kind", {"sram", "flash", "mram", "tcdm"}, "sram");
    m.size = cfg.get<uint64_t>(p + ".size");
    range(p, m.kind, m.size, m.base);
    m.read_wait = cfg.get<uint32_t>(p + ".read_wait", 0);
    m.write_wait = cfg.get<uint32_t>(p + ".write_wait", 0);
    m.burst_wait = cfg.get<uint32_t>(p + ".burst_wait", 0);
    m.executable = cfg.get<bool>(p + ".executable", m.kind != "mram");
    if (m.size % 4) cfg.fail(p + ".size", "expected a multiple of 4 bytes");
    if (m.kind == "tcdm") {
      m.banks = cfg.get<uint32_t>(p + ".banks");
      if (m.banks == 0 || m.banks > 1024) cfg.fail(p + ".banks", fmt::format("expected 1..1024 banks, found {}", m.banks));
      if ((m.size / 4) % m.banks)
        cfg.fail(p + ".banks", fmt::format("{} banks do not divide the memory ({} words of 4 bytes): expected a "
                                           "bank count that divides the word count", m.banks, m.size / 4));
      if (s.harts > 1 && s.bank_window > (1u << 16))
        cfg.fail("soc.core.quantum_ns", fmt::format("{} ns is {:.0f} cycles: with several harts and a tcdm memory "
                                                    "the quantum must be at most 16384 cycles (the bank model "
                                                    "remembers 4 quanta)", quantum_ns, quantum_ns * 1e-9 * s.freq_hz));
    }
    if (m.size > 0xfffffffcull) cfg.fail(p + ".size", fmt::format("{} bytes: a memory is at most 4 GiB - 4 bytes", m.size));
    // Host memory: the bytes, plus the decode cache of an executable memory (16-byte isa::Insn per halfword).
    const uint64_t host = m.size + (m.executable ? m.size / 2 * sizeof(isa::Insn) : 0);  // harts share it
    host_bytes += host;
    if (host_bytes > limits().memory_bytes)
      cfg.fail(p + ".size", fmt::format("the memories up to '{}' need {:.1f} MiB of host memory ({} bytes simulated{}), "
                                        "more than the limit of {} {}", name, host_bytes / 1048576.0, m.size,
                                        m.executable ? ", executable: its decode cache takes 8 bytes per byte" : "",
                                        limit_value_str("memory_bytes", limits().memory_bytes),
                                        limit_hint("memory_bytes")));
    s.memories.push_back(m);
  }
  if (s.memories.empty()) cfg.fail("soc.memories", "expected at least one memory");
  for (const auto& name : cfg.keys("soc.devices")) {
    const std::string p = "soc.devices." + name;
    DeviceSpec d;
    d.name = name;
    d.kind = cfg.get_enum(p + ".kind", {"clint", "uart", "simctrl", "cim", "dma", "link", "event_unit"}, "");
    d.size = d.kind == "clint" ? 0x10000 : d.kind == "uart" ? 0x1000 : d.kind == "cim" ? 0x8000 : 0x100;
    if (d.kind == "cim") d.cim = read_cim_device(cfg, p);
    range(p, d.kind, d.size, d.base);
    // APB-style peripheral: setup + access phase = 2 cycles (AMBA APB protocol specification).
    d.access_wait = cfg.get<uint32_t>(p + ".access_wait", 2);
    if (d.kind == "link") {
      // The endpoint's own DMA moves messages between memory and the link at this many bytes per cycle.
      d.dma.bytes_per_cycle = cfg.get<uint32_t>(p + ".bytes_per_cycle", 4);
      if (d.dma.bytes_per_cycle == 0) cfg.fail(p + ".bytes_per_cycle", "expected a positive bus width in bytes");
    }
    if (d.kind == "dma") {
      d.dma.burst_bytes = cfg.get<uint32_t>(p + ".burst_bytes", 32);
      d.dma.setup_cycles = cfg.get<uint32_t>(p + ".setup_cycles", 4);
      d.dma.bytes_per_cycle = cfg.get<uint32_t>(p + ".bytes_per_cycle", 4);
      if (d.dma.burst_bytes == 0 || d.dma.burst_bytes % 4 || d.dma.burst_bytes > 4096)
        cfg.fail(p + ".burst_bytes", "expected a multiple of 4 between 4 and 4096");
      if (d.dma.bytes_per_cycle == 0) cfg.fail(p + ".bytes_per_cycle", "expected a positive bus width in bytes");
    }
    if (d.kind == "event_unit") {
      // No defaults: the barrier's timing and energy come from the config, with their source.
      d.eu.harts = s.harts;
      d.eu.wake_cycles = cfg.get<uint32_t>(p + ".wake_cycles");
      d.eu.arrival_pj = cfg.get<double>(p + ".arrival_pj");
      if (d.eu.wake_cycles > 100000) cfg.fail(p + ".wake_cycles", "expected 0..100000 cycles");
      if (!(d.eu.arrival_pj >= 0) || d.eu.arrival_pj > 1e6) cfg.fail(p + ".arrival_pj", "expected 0..1e6 pJ");
    }
    if (d.kind == "clint") {
      d.timebase_hz = cfg.get<double>(p + ".timebase_hz", 1e6);
      if (!(d.timebase_hz > 0)) cfg.fail(p + ".timebase_hz", "expected a positive frequency");
    }
    // An array of identical devices: `count: N` and `stride: BYTES` give devices <name>0..<name>N-1 at
    // base + i * stride (e.g. 35 CIM macros in one entry; the driver finds macro i at the same stride).
    const uint32_t count = cfg.get<uint32_t>(p + ".count", 1);
    if (count == 0 || count > 4096) cfg.fail(p + ".count", "expected 1..4096 devices");
    if (count == 1) {
      s.devices.push_back(d);
      continue;
    }
    if (d.kind == "clint" || d.kind == "simctrl" || d.kind == "event_unit")
      cfg.fail(p + ".count", "only one " + d.kind + " is supported");
    const uint64_t stride = cfg.get<uint64_t>(p + ".stride");
    if (stride < d.size)
      cfg.fail(p + ".stride", fmt::format("expected at least the device's size (0x{:x} bytes), found 0x{:x}", d.size, stride));
    for (uint32_t i = 0; i < count; ++i) {
      DeviceSpec di = d;
      di.name = name + std::to_string(i);
      const uint64_t b = uint64_t(d.base) + i * stride;
      if (b + d.size > (1ull << 32))
        cfg.fail(p + ".count", fmt::format("device {} of {} at 0x{:x} runs past the 4 GiB address space", i, count, b));
      di.base = static_cast<uint32_t>(b);
      if (i > 0) ranges.push_back({p + "[" + std::to_string(i) + "]", di.base, di.size});
      s.devices.push_back(di);
      if (s.devices.size() > kMaxDevices)
        cfg.fail(p + ".count", fmt::format("more than {} devices in all", kMaxDevices));
    }
  }
  for (size_t i = 0; i < ranges.size(); ++i)
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      const auto &a = ranges[i], &b = ranges[j];
      if (a.base < b.base + b.size && b.base < a.base + a.size)
        cfg.fail(b.path + ".base",
                 fmt::format("'{}' [0x{:08x}, 0x{:08x}) overlaps '{}' [0x{:08x}, 0x{:08x}) at {}", b.path,
                             b.base, b.base + b.size, a.path, a.base, a.base + a.size,
                             cfg.origin(a.path + ".base").str()));
    }
  for (size_t i = 0; i < cfg.list_size("soc.load"); ++i) {
    const std::string p = "soc.load." + std::to_string(i);
    BlobSpec b;
    b.file = cfg.get<std::string>(p + ".file");
    if (!b.file.empty() && b.file[0] != '/') b.file = (fs::path(cfg.origin(p + ".file").file).parent_path() / b.file).string();
    b.addr = cfg.get<uint32_t>(p + ".address");
    b.origin = cfg.origin(p + ".file").str();
    s.blobs.push_back(b);
  }
  int nclint = 0, nsim = 0, neu = 0;
  for (auto& d : s.devices) {
    nclint += d.kind == "clint";
    nsim += d.kind == "simctrl";
    neu += d.kind == "event_unit";
  }
  if (neu > 1) cfg.fail("soc.devices", "at most one event_unit is supported");
  if (s.harts > 1 && neu == 0)
    cfg.fail("soc.core.count", fmt::format("{} harts need an event_unit device (soc.devices.<name>.kind: "
                                           "event_unit) to start harts 1..{}", s.harts, s.harts - 1));
  if (nclint > 1) cfg.fail("soc.devices", "at most one clint is supported");
  if (nsim > 1) cfg.fail("soc.devices", "at most one simctrl is supported");

  // Energy: technology table and operating point.
  std::vector<std::string> kinds;
  for (const auto& m : s.memories)
    if (std::find(kinds.begin(), kinds.end(), m.kind) == kinds.end()) kinds.push_back(m.kind);
  s.tech = load_tech(cfg, cfg.get<std::string>("soc.tech", "22nm-lp"), kinds);
  s.power.freq_hz = s.freq_hz;
  s.power.voltage_v = cfg.get<double>("soc.power.voltage_v", s.tech.vref_v);
  if (!(s.power.voltage_v > 0) || s.power.voltage_v > 5)
    cfg.fail("soc.power.voltage_v", fmt::format("expected a supply voltage in (0, 5] V, found {}", s.power.voltage_v));
  const std::string idle = cfg.get_enum("soc.power.idle", {"clock_gated", "power_gated", "none"}, "clock_gated");
  s.power.idle = idle == "none" ? IdleMode::None : idle == "power_gated" ? IdleMode::PowerGated : IdleMode::ClockGated;
  return s;
}

Soc::Soc(sc_core::sc_module_name name, const SocSpec& spec, std::ostream& out) : sc_module(name), spec_(spec) {
  const sc_core::sc_time cycle(1.0 / spec.freq_hz, sc_core::SC_SEC);
  // Harts: hart 0 is "core" (runs from the ELF entry); harts 1..N-1 ("core1"...) start parked. Harts
  // are elaborated in hart order, which is the order SystemC runs their threads (docs/CLUSTER.md).
  const bool cluster = spec.harts > 1;
  if (cluster) reservations_ = std::make_unique<isa::Reservations>(spec.harts);
  router_ = std::make_unique<models::Router>("bus", cycle * spec.bus_latency);
  for (uint32_t h = 0; h < spec.harts; ++h) {
    models::CoreParams cp = spec.core;
    cp.cpu.hartid = h;
    cp.parked = h > 0;
    cp.shared = cluster;
    const std::string name = h == 0 ? "core" : "core" + std::to_string(h);
    cores_.push_back(std::make_unique<models::Core>(name.c_str(), cp, out));
    cores_.back()->socket.bind(router_->target);
    if (cluster) cores_.back()->cpu().set_reservations(reservations_.get());
  }
  core_ = cores_.front().get();
  for (const auto& m : spec.memories) {
    models::MemoryParams p;
    p.kind = m.kind;
    p.size = m.size;
    p.program_writable = m.kind != "flash";
    p.read_wait = m.read_wait;
    p.write_wait = m.write_wait;
    p.burst_wait = m.burst_wait;
    p.cycle = cycle;
    mems_.push_back(std::make_unique<models::Memory>(m.name.c_str(), p));
    router_->map({m.name, m.base, m.size});
    router_->initiator.bind(mems_.back()->socket);
    arbiters_.push_back(cluster && m.banks ? std::make_unique<isa::BankArbiter>(m.base, m.banks, spec.bank_window)
                                           : nullptr);
    // One decode cache per executable memory for all harts (stores by any hart invalidate it).
    auto cache = cluster && m.executable ? std::make_shared<std::vector<isa::Insn>>(m.size / 2 + 1) : nullptr;
    for (auto& c : cores_) c->add_dmi_region({m.name, m.base, m.size, m.executable, arbiters_.back().get(), cache});
  }
  for (const auto& d : spec.devices) {
    const sc_core::sc_time lat = cycle * d.access_wait;
    std::unique_ptr<models::Device> dev;
    if (d.kind == "clint") {
      auto c = std::make_unique<models::Clint>(d.name.c_str(), d.timebase_hz, lat, spec.harts);
      for (auto& k : cores_) k->set_clint(c.get());
      if (cluster)
        c->set_wake_hook([this](uint32_t h, const sc_core::sc_time& t) { cores_[h]->wake(t); });
      dev = std::move(c);
    } else if (d.kind == "event_unit") {
      models::EventUnitParams ep = d.eu;
      ep.cycle = cycle;
      auto e = std::make_unique<models::EventUnit>(d.name.c_str(), ep, lat);
      e->set_launcher([this](uint32_t h, uint32_t pc, uint32_t sp, uint32_t arg, sc_core::sc_time at) {
        return h < cores_.size() && cores_[h]->launch(pc, sp, arg, at);
      });
      dev = std::move(e);
    } else if (d.kind == "cim") {
      auto c = std::make_unique<models::CimMacro>(d.name.c_str(), d.cim, lat);
      core_->add_irq_source(c.get());
      // Weight programming reads memory like a bus master: the words read are counted by the memory
      // (energy), though the data moves by debug access (no timing: programming time is the macro's).
      c->set_mem_reader([this](uint32_t a, void* p, uint32_t n) {
        if (!core_->cpu().debug_read(a, p, n)) return false;
        for (size_t i = 0; i < spec_.memories.size(); ++i) {
          const auto& m = spec_.memories[i];
          if (a >= m.base && uint64_t(a) + n <= uint64_t(m.base) + m.size) mems_[i]->transport_reads += (n + 3) / 4;
        }
        return true;
      });
      dev = std::move(c);
    } else if (d.kind == "link") {
      auto l = std::make_unique<models::LinkEndpoint>(d.name.c_str(), lat, cycle, d.dma.bytes_per_cycle);
      l->bus.bind(router_->target);
      core_->add_irq_source(l.get());
      dev = std::move(l);
    } else if (d.kind == "uart") {
      dev = std::make_unique<models::Uart>(d.name.c_str(), out, lat);
    } else if (d.kind == "dma") {
      models::DmaParams dp = d.dma;
      dp.cycle = cycle;
      auto dm = std::make_unique<models::Dma>(d.name.c_str(), dp, lat);
      dm->bus.bind(router_->target);
      core_->add_irq_source(dm.get());
      dev = std::move(dm);
    } else {
      auto s = std::make_unique<models::SimCtrl>(d.name.c_str(), out, lat);
      simctrl_ = s.get();
      s->set_mem_reader([this](uint32_t a, void* p, uint32_t n) { return core_->cpu().debug_read(a, p, n); });
      s->set_listener([this](const models::SimCtrl::Event& e) {
        if (e.kind == models::SimCtrl::EventKind::Exit) core_->request_exit(static_cast<int>(e.value));
        else if (mark_listener_) mark_listener_(e);
      });
      dev = std::move(s);
    }
    router_->map({d.name, d.base, d.size});
    router_->initiator.bind(dev->socket);
    devs_.push_back(std::move(dev));
  }
}

Soc::~Soc() = default;

std::vector<models::Memory*> Soc::memories() const {
  std::vector<models::Memory*> v;
  for (auto& m : mems_) v.push_back(m.get());
  return v;
}
std::vector<models::Device*> Soc::devices() const {
  std::vector<models::Device*> v;
  for (auto& d : devs_) v.push_back(d.get());
  return v;
}

namespace {
// A CIM macro's energy by part, its event counters and its power-state times and leakage up to `now`
// (docs/REPORT.md, cim/CIM.md).
void cim_counters(const models::CimMacro& dev, const sc_core::sc_time& now, DevCounters& d) {
  const cim::Macro& m = dev.macro();
  const cim::PartEnergy e = m.energy();
  for (size_t i = 0; i < cim::kNumParts; ++i) {
    d.part_names.push_back(cim::kPartNames[i]);
    d.part_pj.push_back(e[i]);
  }
  const cim::MacroCounters& k = m.counters();
  const cim::PowerState::Times t = dev.power_times(now);
  d.stats = {{"mvms", k.mvms},
             {"macs", k.macs},
             {"adc_conversions", k.conversions},
             {"adc_clipped", k.clipped},
             {"steps", k.steps},
             {"steps_skipped", k.skipped},
             {"rows_activated", k.rows_driven},
             {"weight_bits_written", k.bits_written},
             {"programs", k.programs},
             {"errors", k.errors},
             {"busy_ps", k.busy_ps},
             {"program_busy_ps", k.program_busy_ps},
             {"array_cells_used", k.array_cells_used},
             {"max_cell_writes", m.max_cell_writes()},
             {"time_on_ps", t.on_ps},
             {"time_idle_ps", t.idle_ps},
             {"time_off_ps", t.off_ps},
             {"wakeups", k.wakeups},
             {"idle_wakeups", k.idle_wakeups}};
  d.leakage_uw = m.config().energy.leakage_uw;
  d.leakage_counted = true;
  d.leakage_pj = dev.leakage_pj(now);
}
}  // namespace

Counters Soc::sample_counters() const {
  const isa::Cpu& cpu = core_->cpu();
  Counters c;
  c.cycles = cpu.cycle();
  const uint64_t c_cycle = c.cycles;
  c.harts = static_cast<uint32_t>(cores_.size());
  // A hart that is parked, in wfi or blocked at a barrier has not advanced its cycle count: the time
  // from there to the kernel's time counts as idle (it cannot resume earlier than that).
  const uint64_t kernel_cycle =
      static_cast<uint64_t>(std::llround(sc_core::sc_time_stamp() / core_->cycle_time()));
  for (const auto& core : cores_) {
    const isa::Cpu& h = core->cpu();
    const isa::CpuCounters& k = h.counters();
    HartCounters hc;
    hc.cycles = h.cycle();
    for (size_t i = 0; i < k.by_class.size(); ++i) {
      c.by_class[i] += k.by_class[i];
      hc.instret += k.by_class[i];
    }
    const uint64_t since = core->asleep_since();
    const uint64_t lag = core->asleep() && kernel_cycle > since ? kernel_cycle - since : 0;
    hc.cycles = since + lag;
    hc.idle_cycles = k.idle_cycles + lag;
    hc.bank_wait_cycles = k.bank_wait_cycles;
    hc.sc_failures = k.sc_failures;
    c.instret += hc.instret;
    c.idle_cycles += hc.idle_cycles;
    for (size_t i = 0; i < 3; ++i) c.xmac_macs[i] += k.xmac_macs[i];
    if (cores_.size() > 1) c.per_hart.push_back(hc);
  }
  for (size_t i = 0; i < spec_.memories.size(); ++i) {
    const MemorySpec& ms = spec_.memories[i];
    MemCounters m;
    m.name = ms.name;
    m.kind = ms.kind;
    m.size_bytes = ms.size;
    for (const auto& core : cores_) {
      isa::Cpu& mcpu = const_cast<isa::Cpu&>(core->cpu());
      for (size_t r = 0; r < mcpu.region_count(); ++r) {
        const isa::MemRegion& reg = mcpu.region(r);
        if (reg.name != ms.name) continue;
        for (size_t b = 0; b < 3; ++b) {
          m.reads[b] += reg.reads[b];
          m.writes[b] += reg.writes[b];
        }
        m.fetch_fills += reg.fetch_fills;
        m.fetch_words += reg.fetch_words;
      }
    }
    if (const isa::BankArbiter* a = arbiters_[i].get()) {
      m.bank_accesses = a->accesses();
      m.bank_conflicts = a->conflicts();
      m.bank_wait_cycles = a->wait_cycles();
    }
    // Accesses through the bus (not DMI) are counted by the memory, as words.
    m.reads[2] += mems_[i]->transport_reads;
    m.writes[2] += mems_[i]->transport_writes;
    c.mems.push_back(std::move(m));
  }
  for (size_t i = 0; i < spec_.devices.size(); ++i) {
    DevCounters d;
    d.name = spec_.devices[i].name;
    d.kind = spec_.devices[i].kind;
    d.reads = devs_[i]->reads;
    d.writes = devs_[i]->writes;
    if (auto* c = dynamic_cast<const models::CimMacro*>(devs_[i].get())) cim_counters(*c, core_->cycle_time() * static_cast<double>(c_cycle), d);
    if (auto* dm = dynamic_cast<const models::Dma*>(devs_[i].get()))
      d.stats = {{"bytes_copied", dm->bytes_copied}, {"bus_transactions", dm->transfers}, {"busy_cycles", dm->busy_cycles}};
    if (auto* l = dynamic_cast<const models::LinkEndpoint*>(devs_[i].get())) {
      // Link energy (models/link_model.h) charged to this MCU: what it sent and what it received.
      d.part_names = {"link_tx", "link_rx", "link_listen"};
      d.part_pj = {l->tx_pj, l->rx_pj, l->listen_pj};
      d.stats = {{"tx_messages", l->tx_messages}, {"tx_bytes", l->tx_bytes},     {"rx_messages", l->rx_messages},
                 {"rx_bytes", l->rx_bytes},       {"tx_busy_ps", l->tx_busy_ps}, {"errors", l->errors},
                 {"syncs", l->syncs},             {"max_queue_bytes", l->max_queue_bytes},
                 {"listen_ps", l->listen_ps}};
    }
    if (auto* eu = dynamic_cast<const models::EventUnit*>(devs_[i].get())) {
      d.stats = {{"barriers", eu->barriers()}, {"arrivals", eu->arrivals()}};
      d.part_names = {"barrier"};
      d.part_pj = {eu->energy_pj()};
    }
    c.devs.push_back(std::move(d));
  }
  c.bus_transfers = router_->transfers;
  return c;
}

void Soc::load(const ElfImage& elf) {
  for (const auto& seg : elf.segments) {
    // The whole segment (file bytes and zero fill) must lie in one memory.
    const MemorySpec* target = nullptr;
    size_t index = 0;
    for (size_t i = 0; i < spec_.memories.size(); ++i) {
      const auto& m = spec_.memories[i];
      if (seg.paddr >= m.base && uint64_t(seg.paddr) + seg.memsz <= uint64_t(m.base) + m.size) {
        target = &m;
        index = i;
      }
    }
    if (!target) {
      std::string map;
      for (const auto& m : spec_.memories)
        map += fmt::format("\n  {:<8} [0x{:08x}, 0x{:08x})", m.name, m.base, uint64_t(m.base) + m.size);
      throw ElfError(fmt::format("{}: segment at physical address 0x{:08x} ({} bytes) is outside the memory map:{}",
                                 elf.path, seg.paddr, seg.memsz, map));
    }
    uint8_t* dst = mems_[index]->data() + (seg.paddr - target->base);
    std::copy(seg.data.begin(), seg.data.end(), dst);
    std::fill(dst + seg.data.size(), dst + seg.memsz, 0);
  }
  core_->set_reset_pc(elf.entry);
  core_->set_tohost(elf.symbol("tohost"));
}

void Soc::load_blobs(const ElfImage& elf) {
  for (const auto& b : spec_.blobs) {
    // Regular files only, and no bigger than the memory they go to: checked before reading a byte
    // (a --load of /dev/zero or a FIFO would otherwise be read without end).
    std::error_code ec;
    const fs::file_status st = fs::status(b.file, ec);
    if (ec || !fs::exists(st)) throw ConfigError(fmt::format("{}: data file '{}' not found", b.origin, b.file));
    if (!fs::is_regular_file(st))
      throw ConfigError(fmt::format("{}: data file '{}' is not a regular file ({}); expected a file to place in memory",
                                    b.origin, b.file, fs::is_directory(st) ? "a directory" : "a device, FIFO or socket"));
    const uint64_t size = fs::file_size(b.file, ec);
    if (ec) throw ConfigError(fmt::format("{}: cannot read data file '{}': {}", b.origin, b.file, ec.message()));
    size_t index = spec_.memories.size();
    for (size_t i = 0; i < spec_.memories.size(); ++i) {
      const auto& m = spec_.memories[i];
      if (b.addr >= m.base && uint64_t(b.addr) + size <= uint64_t(m.base) + m.size) index = i;
    }
    if (index == spec_.memories.size())
      throw ConfigError(fmt::format("{}: data file '{}' ({} bytes) does not fit in one memory at 0x{:08x}", b.origin,
                                    b.file, size, b.addr));
    for (const auto& seg : elf.segments)
      if (b.addr < uint64_t(seg.paddr) + seg.memsz && seg.paddr < uint64_t(b.addr) + size)
        throw ConfigError(fmt::format("{}: data file '{}' at [0x{:08x}, 0x{:08x}) overlaps the program's segment at "
                                      "0x{:08x} ({} bytes)", b.origin, b.file, b.addr, b.addr + size,
                                      seg.paddr, seg.memsz));
    const auto& m = spec_.memories[index];
    std::ifstream f(b.file, std::ios::binary);
    if (!f) throw ConfigError(fmt::format("{}: cannot read data file '{}'", b.origin, b.file));
    f.read(reinterpret_cast<char*>(mems_[index]->data() + (b.addr - m.base)), static_cast<std::streamsize>(size));
    if (static_cast<uint64_t>(f.gcount()) != size)
      throw ConfigError(fmt::format("{}: data file '{}' changed while it was read ({} of {} bytes)", b.origin, b.file,
                                    f.gcount(), size));
    if (simctrl_) simctrl_->add_blob(b.addr, static_cast<uint32_t>(size));
  }
}

void Soc::run() {
  sc_core::sc_start();
  bool ended = false;
  for (auto& c : cores_) ended = ended || c->end_reason() != models::EndReason::Running;
  if (!ended)
    core_->stop(models::EndReason::Deadlock,
                fmt::format("all {} harts wait (wfi, barrier or not started) with nothing that can wake them",
                            cores_.size()));
}

models::Core& Soc::ended_core() {
  for (auto& c : cores_)
    if (c->end_reason() != models::EndReason::Running) return *c;
  return *core_;
}

}  // namespace mcucim::sim

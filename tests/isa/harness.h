// Test harness for the ISS (isa::Cpu) without SystemC: RAM/ROM regions backed by std::vector, a
// recording Bus for device accesses, run helpers, and timing profiles read from configs/timing/*.yaml.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/cpu.h"
#include "tests/isa/asm.h"

namespace isatest {

namespace isa = mcucim::isa;
using isa::Stop;
using isa::TClass;

constexpr uint32_t kRamBase = 0x80000000u;  // executable, writable
constexpr uint32_t kRamSize = 0x10000u;
constexpr uint32_t kData = kRamBase + 0x8000;  // data area inside RAM
constexpr uint32_t kHandler = kRamBase + 0x4000;  // where tests put trap handlers
constexpr uint32_t kRomBase = 0x20000000u;  // readable, executable, NOT writable
constexpr uint32_t kRomSize = 0x1000u;
constexpr uint32_t kDevBase = 0x10000000u;  // served by TestBus
constexpr uint32_t kDevSize = 0x100u;
constexpr uint32_t kUnmapped = 0x30000000u;  // nothing there: TestBus returns false

// A bus with one small device window; everything else is an access fault. Records every access.
class TestBus : public isa::Bus {
 public:
  struct Access {
    bool write;
    uint32_t addr;
    unsigned len;
    uint32_t data;
    bool ok;
  };
  std::vector<Access> log;
  uint8_t dev[kDevSize] = {};
  uint32_t delay = 0;  // latency reported for device accesses

  bool read(uint32_t addr, void* data, unsigned len, uint64_t, uint32_t& delay_cycles) override {
    const bool ok = addr >= kDevBase && addr - kDevBase + len <= kDevSize;
    uint32_t v = 0;
    if (ok) {
      std::memcpy(&v, dev + (addr - kDevBase), len);
      std::memcpy(data, &v, len);
      delay_cycles = delay;
    }
    log.push_back({false, addr, len, v, ok});
    return ok;
  }
  bool write(uint32_t addr, const void* data, unsigned len, uint64_t, uint32_t& delay_cycles) override {
    const bool ok = addr >= kDevBase && addr - kDevBase + len <= kDevSize;
    uint32_t v = 0;
    std::memcpy(&v, data, len);
    if (ok) {
      std::memcpy(dev + (addr - kDevBase), &v, len);
      delay_cycles = delay;
    }
    log.push_back({true, addr, len, v, ok});
    return ok;
  }
};

// A profile where every class costs one cycle and nothing else costs anything (functional tests).
inline isa::TimingProfile unit_timing() {
  isa::TimingProfile t;
  t.name = "unit";
  t.base.fill(1);
  return t;
}

inline isa::CpuConfig default_config() {
  isa::CpuConfig c;
  c.features.m = true;
  c.features.c = true;
  c.features.f = false;
  c.features.xmac = false;
  c.timing = unit_timing();
  return c;
}

// A region over host bytes (all of `bytes`), for isa::Cpu::add_region.
inline isa::MemRegion host_region(const std::string& name, uint32_t base, std::vector<uint8_t>& bytes, bool writable,
                                  bool executable) {
  isa::MemRegion r;
  r.name = name;
  r.base = base;
  r.size = uint32_t(bytes.size());
  r.host = bytes.data();
  r.writable = writable;
  r.executable = executable;
  return r;
}

// One core with RAM at kRamBase and ROM at kRomBase, plus any extra regions the test adds.
class Machine {
 public:
  explicit Machine(const isa::CpuConfig& cfg = default_config())
      : ram_(kRamSize, 0), rom_(kRomSize, 0), cpu_(std::make_unique<isa::Cpu>(cfg, &bus)) {
    ram_index = cpu_->add_region(host_region("ram", kRamBase, ram_, true, true));
    rom_index = cpu_->add_region(host_region("rom", kRomBase, rom_, false, true));
  }

  // Add another region backed by host memory owned by the machine; returns its region index.
  size_t add_region(const std::string& name, uint32_t base, uint32_t size, bool writable, bool executable,
                    uint32_t read_wait = 0, uint32_t write_wait = 0) {
    extra_.emplace_back(size, 0);
    isa::MemRegion r = host_region(name, base, extra_.back(), writable, executable);
    r.read_wait = read_wait;
    r.write_wait = write_wait;
    return cpu_->add_region(r);
  }

  isa::Cpu& cpu() { return *cpu_; }
  std::vector<uint8_t>& ram() { return ram_; }
  std::vector<uint8_t>& rom() { return rom_; }

  // Write the program into memory (through the debugger path: ignores write protection, invalidates
  // the decode cache) and reset the core to its first instruction.
  void load(const Asm& a) {
    write(a);
    cpu_->reset(a.base());
  }
  // Write code or data without resetting the core (e.g. a trap handler).
  void write(const Asm& a) {
    const std::vector<uint8_t> img = a.finish();
    if (!cpu_->debug_write(a.base(), img.data(), uint32_t(img.size())))
      throw std::runtime_error("harness.h: program at 0x" + hex(a.base()) + " does not fit in mapped memory");
  }
  // Install a trap handler at kHandler that stops with Stop::Semihost, and point mtvec at it.
  // Call after load() (reset clears mtvec).
  void halt_on_trap() {
    Asm h(kHandler);
    h.halt();
    write(h);
    cpu_->csr_write(0x305, kHandler);
  }
  void poke32(uint32_t addr, uint32_t v) { cpu_->debug_write(addr, &v, 4); }
  uint32_t peek32(uint32_t addr) {
    uint32_t v = 0;
    cpu_->debug_read(addr, &v, 4);
    return v;
  }
  uint8_t peek8(uint32_t addr) {
    uint8_t v = 0;
    cpu_->debug_read(addr, &v, 1);
    return v;
  }

  // Run until something other than the cycle limit stops the core (run() also returns Limit early
  // after device accesses and CSR writes), or until `max_cycles`.
  Stop run(uint64_t max_cycles = 100000) {
    Stop s;
    do {
      s = cpu_->run(max_cycles);
    } while (s == Stop::Limit && cpu_->cycle() < max_cycles);
    return s;
  }

  static std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
  }

  TestBus bus;
  size_t ram_index = 0, rom_index = 0;

 private:
  std::vector<uint8_t> ram_, rom_;
  std::deque<std::vector<uint8_t>> extra_;
  std::unique_ptr<isa::Cpu> cpu_;
};

// ---- Timing profiles from configs/timing/<name>.yaml ----------------------------------------------
inline std::string source_dir() {
#ifdef MCUCIM_SOURCE_DIR
  return MCUCIM_SOURCE_DIR;
#else
  // Standalone build: this file is <src>/tests/isa/harness.h.
  std::string f = __FILE__;
  return f.substr(0, f.rfind("/tests/isa/"));
#endif
}

inline uint32_t yaml_u32(const YAML::Node& n, const std::string& file, const std::string& key) {
  if (!n || !n.IsScalar())
    throw std::runtime_error(file + ": key '" + key + "' is missing or not a number (expected an unsigned integer)");
  try {
    return n.as<uint32_t>();
  } catch (const YAML::Exception&) {
    throw std::runtime_error(file + ": key '" + key + "' is '" + n.Scalar() + "', expected an unsigned integer");
  }
}

// Merge `over` into `base` (maps recursively, scalars replace), as a profile's `include:` does.
inline YAML::Node yaml_merge(YAML::Node base, const YAML::Node& over) {
  if (!base || !base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& kv : over) {
    const std::string k = kv.first.as<std::string>();
    out[k] = out[k] ? yaml_merge(out[k], kv.second) : YAML::Clone(kv.second);
  }
  return out;
}

inline YAML::Node load_profile_yaml(const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(file + ": cannot read timing profile: " + e.what());
  }
  if (root["include"]) {
    const std::string inc = file.substr(0, file.rfind('/') + 1) + root["include"].as<std::string>();
    YAML::Node own = YAML::Clone(root);
    own.remove("include");
    return yaml_merge(load_profile_yaml(inc), own);
  }
  return root;
}

// Parse a shipped timing profile independently of sim/ (the test follows the file's numbers).
inline isa::TimingProfile load_profile(const std::string& name) {
  const std::string file = source_dir() + "/configs/timing/" + name + ".yaml";
  const YAML::Node root = load_profile_yaml(file);
  const YAML::Node t = root["timing"];
  if (!t) throw std::runtime_error(file + ": no top-level key 'timing'");
  isa::TimingProfile p;
  p.name = t["name"] ? t["name"].as<std::string>() : name;
  for (size_t i = 0; i < size_t(TClass::COUNT); ++i) {
    const std::string k = isa::kTimingClassNames[i];
    p.base[i] = yaml_u32(t["cycles"][k], file, "timing.cycles." + k);
  }
  p.branch_taken_penalty = yaml_u32(t["branch_taken_penalty"], file, "timing.branch_taken_penalty");
  p.load_use_stall = yaml_u32(t["load_use_stall"], file, "timing.load_use_stall");
  p.shift_per_4 = yaml_u32(t["shift_per_4"], file, "timing.shift_per_4");
  p.shift_per_1 = yaml_u32(t["shift_per_1"], file, "timing.shift_per_1");
  p.div_fast_zero = yaml_u32(t["div_fast_zero"], file, "timing.div_fast_zero");
  p.wfi_wakeup = yaml_u32(t["wfi_wakeup"], file, "timing.wfi_wakeup");
  p.trap_entry = yaml_u32(t["trap_entry"], file, "timing.trap_entry");
  p.mret = yaml_u32(t["mret"], file, "timing.mret");
  p.fence = yaml_u32(t["fence"], file, "timing.fence");
  p.fence_i = yaml_u32(t["fence_i"], file, "timing.fence_i");
  if (!t["fence_flushes_fetch"]) throw std::runtime_error(file + ": key 'timing.fence_flushes_fetch' is missing");
  p.fence_flushes_fetch = t["fence_flushes_fetch"].as<bool>();
  p.fetch_width = yaml_u32(t["fetch"]["width_bytes"], file, "timing.fetch.width_bytes");
  p.straddle_sequential = yaml_u32(t["fetch"]["straddle_sequential"], file, "timing.fetch.straddle_sequential");
  p.straddle_target = yaml_u32(t["fetch"]["straddle_target"], file, "timing.fetch.straddle_target");
  p.branch_fallthrough_straddle =
      yaml_u32(t["fetch"]["branch_fallthrough_straddle"], file, "timing.fetch.branch_fallthrough_straddle");
  if (!t["misaligned"] || !t["misaligned"]["mode"])
    throw std::runtime_error(file + ": key 'timing.misaligned.mode' is missing");
  const std::string mode = t["misaligned"]["mode"].as<std::string>();
  if (mode == "trap") p.misaligned = isa::Misaligned::Trap;
  else if (mode == "split") p.misaligned = isa::Misaligned::Split;
  else if (mode == "emulate") p.misaligned = isa::Misaligned::Emulate;
  else throw std::runtime_error(file + ": timing.misaligned.mode is '" + mode + "', expected trap, split or emulate");
  p.misaligned_split_cycles = yaml_u32(t["misaligned"]["split_cycles"], file, "timing.misaligned.split_cycles");
  p.atomic_lr = yaml_u32(t["atomic"]["lr"], file, "timing.atomic.lr");
  p.atomic_sc = yaml_u32(t["atomic"]["sc"], file, "timing.atomic.sc");
  p.atomic_amo = yaml_u32(t["atomic"]["amo"], file, "timing.atomic.amo");
  return p;
}

}  // namespace isatest

// sim::Soc: the SoC elaborated from a sim::Config: core, bus, memories and devices, plus loading a
// program and running it. A Soc is a named SystemC module (its parts are `<name>.core`, `<name>.bus`,
// ...) holding no global state, so a system (sim/system.h) elaborates several in one kernel; SystemC
// elaborates once per process, so all Socs of a process are built before the first sc_start().
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cim/config.h"
#include "isa/cpu.h"
#include "models/core.h"
#include "models/dma.h"
#include "models/event_unit.h"
#include "sim/config.h"
#include "sim/elf.h"
#include "sim/energy.h"
#include "models/simctrl.h"

namespace mcucim::models {
class Router;
class Memory;
class Device;
class Clint;
class Uart;
class SimCtrl;
}  // namespace mcucim::models

namespace mcucim::sim {

// Process exit codes of `mcucim run` besides the program's own exit code.
enum ExitCode : int {
  kExitUsage = 2,        // bad command line, config, ELF or model file
  kExitInternal = 3,     // an internal error (a bug: please report) or the host ran out of memory
  kExitTimeLimit = 123,  // --timeout (wall clock) reached
  kExitCycleLimit = 124, // --max-cycles reached
  kExitFault = 125,      // the simulated program faulted: unhandled trap, bad semihosting call
  kExitDeadlock = 126,   // wfi with nothing that can wake the core
  kExitStall = 122,      // simulated time stopped advancing (a 0-cycle loop; isa::Cpu::kStallSteps)
};

// The core's page table holds an 8-bit memory index (isa::Cpu::add_region); devices are bounded so that
// elaboration (an overlap check over all pairs) stays quick.
constexpr size_t kMaxMemories = 255;
constexpr size_t kMaxDevices = 4096;
// Harts of one SoC (soc.core.count): a PULP-style cluster has 8-16; 32 bounds host memory (each hart
// has its own decode caches) and the bank model's state.
constexpr uint32_t kMaxHarts = 32;

struct MemorySpec {
  std::string name, kind;
  uint32_t base = 0;
  uint64_t size = 0;
  uint32_t read_wait = 0, write_wait = 0, burst_wait = 0;
  bool executable = false;
  uint32_t banks = 0;  // kind tcdm: word-interleaved banks (docs/CLUSTER.md)
};
struct DeviceSpec {
  std::string name, kind;
  uint32_t base = 0;
  uint64_t size = 0;
  double timebase_hz = 0;   // clint
  uint32_t access_wait = 0;
  cim::MacroConfig cim;     // kind cim: the macro (preset + overrides, sim/cim_config.h)
  models::DmaParams dma;    // dma
  models::EventUnitParams eu;  // event_unit
};

// A data file placed in memory before the run (soc.load list or --load FILE@ADDR).
struct BlobSpec {
  std::string file;
  uint32_t addr = 0;
  std::string origin;  // where it was named, for messages
};

// Everything elaboration needs, validated (every error names file:line and key).
struct SocSpec {
  std::string name;
  double freq_hz = 0;
  models::CoreParams core;
  uint32_t harts = 1;          // soc.core.count
  uint32_t bank_window = 0;    // cycles each bank remembers (tcdm with several harts): >= 4 quanta
  uint32_t bus_latency = 0;
  std::vector<MemorySpec> memories;
  std::vector<DeviceSpec> devices;
  std::vector<BlobSpec> blobs;
  TechTable tech;    // soc.tech (configs/tech/<name>.yaml), default 22nm-lp
  PowerPoint power;  // soc.power.voltage_v (default: the table's vref_v), soc.power.idle, clock
};

// Resolve a timing profile name ("picorv32") or path to a file and read it (overridable per key
// through the main config's `timing.*`).
isa::TimingProfile load_timing(const Config& cfg, const std::string& profile);
// What the core of a timing profile can be built with (the profile's `features:` section; absent
// keys: nothing), against which soc.core.user_mode, soc.core.pmp.* and soc.core.triggers are checked.
struct CoreFeatures {
  std::string profile;  // the profile file
  bool user_mode = false;
  uint32_t pmp_entries_max = 0, pmp_granularity_max = 0, triggers_max = 0;
};
CoreFeatures load_core_features(const Config& cfg);
// soc.core.user_mode, soc.core.pmp.entries / granularity, soc.core.triggers into `cpu`, checked
// against the profile's features (a ConfigError names the key and what the core can have).
void read_core_privilege(const Config& cfg, isa::CpuConfig& cpu);
// Parse "rv32imfc_xmac" style strings.
isa::IsaFeatures parse_isa(const Config& cfg, const std::string& path);
SocSpec read_soc_spec(const Config& cfg);

class Soc : public sc_core::sc_module {
 public:
  Soc(sc_core::sc_module_name name, const SocSpec& spec, std::ostream& out);
  ~Soc();

  // Load an ELF's PT_LOAD segments at their physical addresses; throws ElfError naming the segment if
  // one is outside the memories. Sets the reset PC to the entry point and HTIF tohost if present.
  void load(const ElfImage& elf);
  // Place the spec's data blobs (after the ELF, so they may not overlap its segments); each must lie
  // in one memory. Registers them with the sim-control device. Throws ConfigError naming the file.
  void load_blobs(const ElfImage& elf);
  // Run to completion (one Soc: sc_start until its core ends). If every hart waits with nothing to wake
  // it, hart 0 ends as a deadlock.
  void run();

  // Hart 0 (the one that runs the program's main; it ends the run on exit).
  models::Core& core() { return *core_; }
  models::Core& core(uint32_t hart) { return *cores_.at(hart); }
  uint32_t harts() const { return static_cast<uint32_t>(cores_.size()); }
  // The hart whose end ended the run (a fault or exit on any hart stops them all); hart 0 if none.
  models::Core& ended_core();
  models::SimCtrl* simctrl() { return simctrl_; }
  const SocSpec& spec() const { return spec_; }
  const models::Router& router() const { return *router_; }
  std::vector<models::Memory*> memories() const;
  std::vector<models::Device*> devices() const;
  // Sim-control marks (regions, tokens, work) besides Exit, forwarded as they happen.
  void set_mark_listener(std::function<void(const models::SimCtrl::Event&)> l) { mark_listener_ = std::move(l); }
  // The models' event counters now (plain reads; cycles = the core's cycle count, which lags inside an
  // instruction: callers at a mark override it with the mark's cycle).
  Counters sample_counters() const;

 private:
  SocSpec spec_;
  std::unique_ptr<isa::Reservations> reservations_;         // shared by the harts (several harts only)
  std::vector<std::unique_ptr<isa::BankArbiter>> arbiters_;  // per memory (tcdm with several harts), or null
  std::vector<std::unique_ptr<models::Core>> cores_;
  models::Core* core_ = nullptr;
  std::unique_ptr<models::Router> router_;
  std::vector<std::unique_ptr<models::Memory>> mems_;
  std::vector<std::unique_ptr<models::Device>> devs_;
  models::SimCtrl* simctrl_ = nullptr;
  std::function<void(const models::SimCtrl::Event&)> mark_listener_;
};

}  // namespace mcucim::sim

// Core: the ISS (isa::Cpu) as a TLM-2.0 LT initiator with temporal decoupling. Memories are reached
// through DMI (latencies from the target's DMI descriptor become wait states); devices through
// b_transport with the core's local time annotated. The core synchronises with the SystemC kernel at
// quantum boundaries (tlm_utils::tlm_quantumkeeper) and after device accesses only when the quantum is
// used up, services semihosting, sleeps in wfi until the next timer event, and stops on exit, fatal
// traps or the cycle limit.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "isa/cpu.h"
#include "models/clint.h"
#include "models/irq.h"
#include "models/semihosting.h"

namespace mcucim::models {

struct CoreParams {
  isa::CpuConfig cpu;
  double freq_hz = 200e6;
  sc_core::sc_time quantum = sc_core::sc_time(1, sc_core::SC_MS);
  uint64_t max_cycles = 0;  // 0: unlimited
  uint32_t reset_pc = 0;
  // Multi-hart cluster (docs/CLUSTER.md): `parked` harts wait (clock-gated) until started by the event
  // unit; with `shared`, wfi with no armed timer waits for another hart's msip/mtimecmp write instead of
  // ending the run as a deadlock (the run deadlocks when every hart waits).
  bool parked = false;
  bool shared = false;
};

// A memory the core should access by DMI; `executable` marks where code may run.
struct DmiRegion {
  std::string name;
  uint64_t base = 0, size = 0;
  bool executable = false;
  isa::BankArbiter* banks = nullptr;  // shared banked memory (tcdm): bank conflicts with other harts
  std::shared_ptr<std::vector<isa::Insn>> decode_cache;  // shared by the harts (null: the core's own)
};

// Stall: simulated time stopped advancing (isa::Stop::Stall: a 0-cycle loop), which no cycle limit ends.
enum class EndReason { Running, Exit, Fatal, MaxCycles, Deadlock, HostError, TimeLimit, Stall };

// Something that watches the core between instructions: the commit log, interval statistics, the GDB
// stub (sim/). Costs nothing unless one is attached: without observers the core loop is unchanged.
class CoreObserver {
 public:
  virtual ~CoreObserver() = default;
  // Called before each run of the core. Return true to execute the next instruction alone
  // (isa::Cpu::set_single_step), with before_step()/after_step() around it. Or return false and lower
  // `until` (a cycle > cpu.cycle(); it starts at the core's own limit) to be polled again at the
  // first instruction boundary at or after that cycle.
  virtual bool poll(isa::Cpu& cpu, uint64_t& until) = 0;
  virtual void before_step(isa::Cpu& /*cpu*/) {}
  // `stop`: what ended the step (Stop::Limit for an ordinary instruction).
  virtual void after_step(isa::Cpu& /*cpu*/, isa::Stop /*stop*/) {}
  // run() returned Stop::Debug (a debugger trigger or ebreak; isa::Cpu::debug_event()). Return true if
  // this observer handles it (a debugger); if none does, the run ends with a fault.
  virtual bool on_debug_stop(isa::Cpu& /*cpu*/) { return false; }
  // The run ended (flush files; tell a debugger).
  virtual void finish(isa::Cpu& /*cpu*/) {}
};

class Core : public sc_core::sc_module, public isa::Bus {
 public:
  tlm_utils::simple_initiator_socket<Core> socket;

  Core(sc_core::sc_module_name name, const CoreParams& p, std::ostream& out);
  ~Core() override;

  // Before sc_start: which address ranges are memories to map by DMI.
  void add_dmi_region(const DmiRegion& r) { dmi_regions_.push_back(r); }
  void set_clint(Clint* c) { clint_ = c; }
  // Devices whose lines are ORed into mip.MEIP.
  void add_irq_source(IrqSource* s) { irq_sources_.push_back(s); }
  void set_reset_pc(uint32_t pc) { p_.reset_pc = pc; }
  void set_max_cycles(uint64_t n) { p_.max_cycles = n; }
  // Called for writes to the `tohost` symbol's address (HTIF): polled at every slice end.
  void set_tohost(std::optional<uint32_t> addr) { tohost_ = addr; }

  // End the run (from the sim-control device or semihosting exit) with an exit code.
  void request_exit(int code);
  // Start a parked hart at `pc` with sp and a0 at simulated time `at` (false if it is not parked).
  bool launch(uint32_t pc, uint32_t sp, uint32_t arg, const sc_core::sc_time& at);
  // Re-evaluate interrupts of a hart sleeping in wfi at simulated time `at` (CLINT writes).
  void wake(const sc_core::sc_time& at);
  // The hart is not running: parked, sleeping in wfi, or blocked in a device access (a barrier). Its
  // cycle count then lags the others'; the time up to now counts as idle (Soc::sample_counters).
  bool asleep() const { return parked_ || sleeping_ || blocked_; }
  // The cycle from which an asleep hart has been idle (its count lags while it waits).
  uint64_t asleep_since() const { return blocked_ ? blocked_cycle_ : cpu_->cycle(); }
  // End the run now for a host-side reason (e.g. the wall-clock limit, from on_quantum).
  void stop(EndReason r, const std::string& msg) {
    if (end_ == EndReason::Running) end(r, 0, msg);
  }

  isa::Cpu& cpu() { return *cpu_; }
  const isa::Cpu& cpu() const { return *cpu_; }
  EndReason end_reason() const { return end_; }
  int exit_code() const { return exit_code_; }
  const std::string& end_message() const { return end_message_; }
  double freq_hz() const { return p_.freq_hz; }
  sc_core::sc_time cycle_time() const { return period_; }
  Semihosting& semihosting() { return *semihost_; }
  // Attach an observer (not owned; must outlive the run).
  void add_observer(CoreObserver* o) { observers_.push_back(o); }
  // Progress hook, called at quantum boundaries with the cycle count.
  std::function<void(uint64_t cycle)> on_quantum;
  // Called once when the core's run ends (exit, fault, limit); unset: sc_stop() ends the simulation
  // (one SoC). A system of several SoCs decides itself when the simulation ends (sim/system.h).
  std::function<void()> on_end;

 private:
  void thread();
  void map_dmi();
  // isa::Bus
  bool read(uint32_t addr, void* data, unsigned len, uint64_t now_cycle, uint32_t& delay_cycles) override;
  bool write(uint32_t addr, const void* data, unsigned len, uint64_t now_cycle,
             uint32_t& delay_cycles) override;
  uint64_t mtime(uint64_t now_cycle) override;
  bool transport(tlm::tlm_command cmd, uint32_t addr, void* data, unsigned len, uint64_t now_cycle,
                 uint32_t& delay_cycles);
  sc_core::sc_time time_at(uint64_t cycle) const { return period_ * static_cast<double>(cycle); }
  void update_irqs();
  // wfi with no interrupt scheduled: if a source can be raised from outside (another MCU's message),
  // synchronise and sleep until it is; false if no source can.
  bool wait_external(uint64_t max_cycles);
  void end(EndReason r, int code, std::string msg);
  uint64_t kernel_cycle() const {
    return static_cast<uint64_t>(std::llround(sc_core::sc_time_stamp() / period_));
  }

  CoreParams p_;
  sc_core::sc_time period_;
  std::unique_ptr<isa::Cpu> cpu_;
  std::unique_ptr<Semihosting> semihost_;
  std::vector<DmiRegion> dmi_regions_;
  Clint* clint_ = nullptr;
  std::vector<IrqSource*> irq_sources_;
  std::vector<CoreObserver*> observers_;
  // Earliest cycle > now at which an interrupt line rises by itself (timer or device); false if none.
  bool next_irq_cycle(uint64_t& cycle) const;
  std::optional<uint32_t> tohost_;
  tlm::tlm_generic_payload trans_;
  // A quantum keeper with this core's own quantum (not the process-wide tlm_global_quantum), so the
  // several cores of a system (sim/system.h) can each have their own.
  class QuantumKeeper : public tlm_utils::tlm_quantumkeeper {
   public:
    sc_core::sc_time quantum;
   protected:
    sc_core::sc_time compute_local_quantum() override {
      if (quantum == sc_core::SC_ZERO_TIME) return sc_core::SC_ZERO_TIME;
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      // The next multiple of the quantum after now (as tlm_quantumkeeper does with the global one).
      const double n = std::floor(now / quantum) + 1;
      return quantum * n - now;
    }
  };
  QuantumKeeper qk_;
  uint64_t synced_cycle_ = 0;
  EndReason end_ = EndReason::Running;
  int exit_code_ = 0;
  std::string end_message_;
  bool exit_requested_ = false;
  // Cluster state.
  uint32_t hart_ = 0;
  bool parked_ = false, sleeping_ = false, launched_ = false;
  bool blocked_ = false;       // in a device access that may block (a barrier), since blocked_cycle_
  uint64_t blocked_cycle_ = 0;
  uint32_t launch_pc_ = 0, launch_sp_ = 0, launch_arg_ = 0;
  sc_core::sc_event start_ev_, wake_ev_;
};

}  // namespace mcucim::models

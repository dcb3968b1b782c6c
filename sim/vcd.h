// Waveforms (`mcucim run --vcd FILE`): a Value Change Dump (IEEE 1364-2005 clause 18, the four-state
// VCD GTKWave reads) of the core and the SoC around it, instruction by instruction:
//
//   soc.core.pc, soc.core.insn      the instruction at its first cycle (32 bits each)
//   soc.core.state                  0 running, 1 stalled (the instruction's wait-state and stall cycles,
//                                   drawn at its end), 2 sleeping (wfi)
//   soc.core.priv                   privilege (3 M, 0 U)
//   soc.bus.read, .write, .addr,    the core's data access (loads, stores, xmac.ldot*): high for the
//   soc.bus.size                    cycles of the instruction; addr and size held until the next access
//   soc.irq.mtip, .msip, .meip      interrupt lines (mip), sampled at instruction boundaries
//   soc.<device>.busy               devices that work on their own (DMA, CIM macros): from the command's
//                                   start to its modelled completion (models::Device::on_busy)
//   soc.power.<component>_mW, .total_mW   (real) average power of each component over each interval of
//                                   --vcd-power-interval cycles, from the energy model (as --stats-interval)
//
// Timescale 1 ps; time = cycle / core frequency. The core single-steps while the waveform is being
// recorded (like the commit log); a window (--vcd-from/--vcd-to, sim/window.h) bounds a long run.
// Events are buffered and written in time order (device completions and power values are known after
// the instructions they overlap).
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <systemc>

#include "isa/cpu.h"
#include "models/core.h"
#include "sim/energy.h"
#include "sim/window.h"

namespace mcucim::sim {

class VcdWriter : public models::CoreObserver {
 public:
  using Sampler = std::function<Counters()>;
  struct Options {
    double freq_hz = 200e6;
    std::vector<std::string> busy_devices;  // names of the devices with a busy signal (device_busy index)
    const EnergyModel* model = nullptr;     // power signals; null: none
    Sampler sampler;                        // the models' counters now (with `model`)
    uint64_t power_interval = 10000;        // cycles per power value
    LogBound from, to;                      // the window
    std::string version;                    // written to $version
  };
  static constexpr uint64_t kMaxPowerInterval = 1000000;  // events are buffered over one interval

  // `out` is not owned (flushed by finish()).
  VcdWriter(std::FILE* out, Options opt);

  bool poll(isa::Cpu& cpu, uint64_t& until) override;
  void before_step(isa::Cpu& cpu) override;
  void after_step(isa::Cpu& cpu, isa::Stop stop) override;
  void finish(isa::Cpu& cpu) override;

  // Device `index` (of Options::busy_devices) is busy over [begin, end).
  void device_busy(size_t index, const sc_core::sc_time& begin, const sc_core::sc_time& end);
  // A sim-control region mark (for region:NAME windows).
  void region_mark(bool begin, const std::string& name) { window_.region_mark(begin, name); }
  uint64_t changes() const { return changes_; }

 private:
  struct Event {
    uint64_t t_ps;
    uint64_t seq;
    uint32_t var;
    int32_t delta;  // busy signals: +1 / -1 (level = count > 0); else 0 and `value` / `real`
    uint64_t value;
    double real;
  };
  struct Var {
    std::string scope, name;
    unsigned width;  // 0: real
    std::string id;
    bool written = false;
    uint64_t value = 0;
    double real = 0;
    bool counted = false;  // a busy signal: high while count > 0
    int64_t count = 0;
  };
  uint32_t add_var(const std::string& scope, const std::string& name, unsigned width);
  uint64_t ps(uint64_t cycle) const;
  void push(uint64_t t_ps, uint32_t var, uint64_t value) { events_.push_back({t_ps, seq_++, var, 0, value, 0}); }
  void push_real(uint64_t t_ps, uint32_t var, double v) { events_.push_back({t_ps, seq_++, var, 0, 0, v}); }
  void push_delta(uint64_t t_ps, uint32_t var, int32_t d) { events_.push_back({t_ps, seq_++, var, d, 0, 0}); }
  void open_window(isa::Cpu& cpu);
  void close_window(isa::Cpu& cpu);
  void power_sample(uint64_t cycle);
  // Write the events before time `horizon_ps` (all of them if `all`).
  void flush(uint64_t horizon_ps, bool all = false);
  uint64_t stall_cycles(const isa::Cpu& cpu) const;

  std::FILE* out_;
  Options opt_;
  ObserveWindow window_;
  enum class State : uint8_t { Before, Open, Closed } state_ = State::Before;
  std::vector<Var> vars_;
  std::vector<Event> events_;
  uint64_t seq_ = 0, changes_ = 0;
  bool header_done_ = false, dumpvars_done_ = false;
  uint64_t last_written_ps_ = 0;
  bool any_time_written_ = false;
  uint32_t v_pc_ = 0, v_insn_ = 0, v_state_ = 0, v_priv_ = 0, v_rd_ = 0, v_wr_ = 0, v_addr_ = 0, v_size_ = 0;
  uint32_t v_irq_[3] = {0, 0, 0};
  std::vector<uint32_t> v_busy_;
  std::vector<uint32_t> v_power_;  // per component, then the total
  std::vector<sc_core::sc_time> busy_until_;
  // The instruction being stepped.
  bool armed_ = false;
  uint64_t c0_ = 0, instret0_ = 0, stall0_ = 0, irqs0_ = 0;
  uint32_t pc0_ = 0;
  isa::Insn in_;
  uint32_t rs1v_ = 0;
  uint8_t priv0_ = 3;
  uint64_t last_end_cycle_ = 0, idle_last_ = 0;
  // Power.
  Counters power_prev_;
  uint64_t power_next_ = 0;
};

}  // namespace mcucim::sim

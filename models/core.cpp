#include "models/core.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace mcucim::models {

Core::Core(sc_core::sc_module_name name, const CoreParams& p, std::ostream& out)
    : sc_module(name), socket("socket"), p_(p), hart_(p.cpu.hartid) {
  period_ = sc_core::sc_time(1.0 / p.freq_hz, sc_core::SC_SEC);
  cpu_ = std::make_unique<isa::Cpu>(p.cpu, this);
  semihost_ = std::make_unique<Semihosting>(
      out, [this](uint32_t a, void* d, uint32_t n) { return cpu_->debug_read(a, d, n); },
      [this](uint32_t a, const void* d, uint32_t n) {
        // The program's buffers: only memory it may write itself (not read-only flash, not devices).
        for (uint64_t at = a, end = uint64_t(a) + n; at < end;) {
          const isa::MemRegion* r = at <= 0xffffffffu ? cpu_->find_region(static_cast<uint32_t>(at), 1) : nullptr;
          if (!r || !r->writable) return false;
          at = uint64_t(r->base) + r->size;
        }
        return cpu_->debug_write(a, d, n);
      });
  qk_.quantum = p.quantum;
  qk_.reset();
  SC_HAS_PROCESS(Core);
  SC_THREAD(thread);
}

Core::~Core() = default;

void Core::map_dmi() {
  for (const auto& r : dmi_regions_) {
    tlm::tlm_generic_payload t;
    tlm::tlm_dmi dmi;
    t.set_address(r.base);
    t.set_command(tlm::TLM_READ_COMMAND);
    if (!socket->get_direct_mem_ptr(t, dmi) || dmi.get_start_address() > r.base ||
        dmi.get_end_address() < r.base + r.size - 1) {
      SC_REPORT_FATAL("mcucim/core", ("memory '" + r.name + "' refused DMI").c_str());
    }
    isa::MemRegion m;
    m.name = r.name;
    m.base = static_cast<uint32_t>(r.base);
    m.size = static_cast<uint32_t>(r.size);
    m.host = dmi.get_dmi_ptr() + (r.base - dmi.get_start_address());
    m.writable = dmi.is_write_allowed();
    m.executable = r.executable;
    m.banks = r.banks;
    m.decode_cache = r.decode_cache;
    m.read_wait = static_cast<uint32_t>(std::llround(dmi.get_read_latency() / period_));
    m.write_wait = static_cast<uint32_t>(std::llround(dmi.get_write_latency() / period_));
    cpu_->add_region(m);
  }
}

bool Core::launch(uint32_t pc, uint32_t sp, uint32_t arg, const sc_core::sc_time& at) {
  if (!p_.parked || launched_) return false;
  launched_ = true;
  launch_pc_ = pc;
  launch_sp_ = sp;
  launch_arg_ = arg;
  start_ev_.notify(at > sc_core::sc_time_stamp() ? at - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME);
  return true;
}

void Core::wake(const sc_core::sc_time& at) {
  wake_ev_.notify(at > sc_core::sc_time_stamp() ? at - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME);
}

void Core::request_exit(int code) {
  if (!exit_requested_) {
    exit_requested_ = true;
    exit_code_ = code;
  }
}

void Core::end(EndReason r, int code, std::string msg) {
  end_ = r;
  exit_code_ = code;
  end_message_ = std::move(msg);
}

uint64_t Core::mtime(uint64_t now_cycle) { return clint_ ? clint_->mtime(time_at(now_cycle)) : 0; }

bool Core::transport(tlm::tlm_command cmd, uint32_t addr, void* data, unsigned len, uint64_t now_cycle,
                     uint32_t& delay_cycles) {
  trans_.set_command(cmd);
  trans_.set_address(addr);
  trans_.set_data_ptr(static_cast<unsigned char*>(data));
  trans_.set_data_length(len);
  trans_.set_streaming_width(len);
  trans_.set_byte_enable_ptr(nullptr);
  trans_.set_dmi_allowed(false);
  trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // Local time offset of this access relative to the kernel's time. A target may synchronise (wait)
  // inside b_transport: a link endpoint that must know what other cores sent before it answers, or a
  // barrier that blocks this hart until the others arrive.
  const sc_core::sc_time start = time_at(now_cycle), kernel0 = sc_core::sc_time_stamp();
  sc_core::sc_time delay = start - kernel0;
  // Only seen by other threads if the target blocks this one (a barrier); the ISS's cycle count is not
  // updated during run(), so the access's cycle is kept for them.
  blocked_ = true;
  blocked_cycle_ = now_cycle;
  socket->b_transport(trans_, delay);
  blocked_ = false;
  // The target may have waited (advancing the kernel's time): the access ends at kernel time + delay.
  const sc_core::sc_time kernel1 = sc_core::sc_time_stamp();
  delay_cycles = static_cast<uint32_t>(std::llround((kernel1 + delay - start) / period_));
  if (kernel1 > kernel0 && kernel1 > start) {
    // Blocked (clock-gated) from the access until the kernel woke this thread.
    cpu_->add_gated_cycles(std::min<uint64_t>(delay_cycles, std::llround((kernel1 - start) / period_)));
  }
  return trans_.is_response_ok();
}

bool Core::read(uint32_t addr, void* data, unsigned len, uint64_t now_cycle, uint32_t& delay_cycles) {
  return transport(tlm::TLM_READ_COMMAND, addr, data, len, now_cycle, delay_cycles);
}

bool Core::write(uint32_t addr, const void* data, unsigned len, uint64_t now_cycle,
                 uint32_t& delay_cycles) {
  return transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len, now_cycle, delay_cycles);
}

void Core::update_irqs() {
  const sc_core::sc_time now = time_at(cpu_->cycle());
  if (clint_) {
    cpu_->set_irq(isa::kIrqMTimer, clint_->mtip(now, hart_));
    cpu_->set_irq(isa::kIrqMSoft, clint_->msip(hart_));
  }
  bool ext = false;
  for (const IrqSource* s : irq_sources_) ext = ext || s->irq_level(now);
  cpu_->set_irq(isa::kIrqMExt, ext);
}

bool Core::next_irq_cycle(uint64_t& cycle) const {
  const uint64_t now_cycle = cpu_->cycle();
  bool any = false;
  auto consider = [&](double t_s) {
    if (!(t_s * p_.freq_hz < 1.8e19)) return;
    const uint64_t c = static_cast<uint64_t>(std::ceil(t_s * p_.freq_hz - 1e-6));
    if (c > now_cycle && (!any || c < cycle)) {
      cycle = c;
      any = true;
    }
  };
  if (clint_ && clint_->armed(hart_)) consider(clint_->mtip_time_s(hart_));
  const sc_core::sc_time now = time_at(now_cycle);
  for (const IrqSource* s : irq_sources_) {
    sc_core::sc_time when;
    if (s->irq_next(now, when)) consider(when.to_seconds());
  }
  return any;
}

bool Core::wait_external(uint64_t max_cycles) {
  sc_core::sc_event_or_list events;
  bool any = false;
  for (const IrqSource* s : irq_sources_)
    if (const sc_core::sc_event* e = s->irq_event()) {
      events |= *e;
      any = true;
    }
  if (!any) return false;
  isa::Cpu& cpu = *cpu_;
  // Catch up with the kernel first: then every message other cores send to arrive by now is known.
  const sc_core::sc_time local = time_at(cpu.cycle());
  if (local > sc_core::sc_time_stamp()) sc_core::wait(local - sc_core::sc_time_stamp());
  synced_cycle_ = cpu.cycle();
  update_irqs();
  if (cpu.irq_pending()) return true;
  uint64_t wake = 0;
  if (!next_irq_cycle(wake)) {
    // Nothing scheduled: sleep until a message is sent to this core (or the cycle limit). If no core
    // can ever send one, the kernel runs out of events and the system reports the deadlock.
    if (max_cycles != std::numeric_limits<uint64_t>::max()) {
      const sc_core::sc_time limit = time_at(max_cycles);
      if (limit <= sc_core::sc_time_stamp()) return false;
      sc_core::wait(limit - sc_core::sc_time_stamp(), events);
    } else {
      sc_core::wait(events);
    }
    wake = static_cast<uint64_t>(std::ceil(sc_core::sc_time_stamp() / period_ - 1e-9));
  }
  if (wake > max_cycles) wake = max_cycles;
  if (wake > cpu.cycle()) cpu.idle(wake - cpu.cycle());
  cpu.idle(p_.cpu.timing.wfi_wakeup);
  return true;
}

void Core::thread() {
  map_dmi();
  cpu_->reset(p_.reset_pc);
  if (p_.parked) {
    // Clock-gated until the event unit starts this hart; the time until then is idle.
    parked_ = true;
    while (!launched_) wait(start_ev_);
    parked_ = false;
    cpu_->reset(launch_pc_);
    cpu_->set_x(2, launch_sp_);
    cpu_->set_x(10, launch_arg_);
    if (kernel_cycle() > cpu_->cycle()) cpu_->idle(kernel_cycle() - cpu_->cycle());
    synced_cycle_ = cpu_->cycle();
  }
  const uint64_t quantum_cycles =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(p_.quantum / period_)));
  const uint64_t max_cycles = p_.max_cycles ? p_.max_cycles : std::numeric_limits<uint64_t>::max();
  isa::Cpu& cpu = *cpu_;
  uint32_t tohost_last = 0;

  while (end_ == EndReason::Running) {
    update_irqs();
    // Run until the end of the quantum, the next timer event, or the cycle limit.
    uint64_t limit = std::min(synced_cycle_ + quantum_cycles, max_cycles);
    if (uint64_t c; next_irq_cycle(c) && c < limit) limit = c;
    isa::Stop stop = isa::Stop::Limit;
    if (observers_.empty()) {
      if (cpu.cycle() < limit) stop = cpu.run(limit);
    } else {
      // Observers (commit log, interval statistics, debugger): single-step while one asks for it,
      // else run at full speed up to the earliest cycle one wants to be polled at.
      bool step = false;
      for (CoreObserver* o : observers_) {
        uint64_t until = limit;
        if (o->poll(cpu, until)) step = true;
        else if (until < limit) limit = std::max(until, cpu.cycle() + 1);
      }
      if (end_ != EndReason::Running) break;  // an observer ended the run (debugger: kill)
      if (step != cpu.single_step()) cpu.set_single_step(step);
      if (cpu.cycle() < limit) {
        if (step)
          for (CoreObserver* o : observers_) o->before_step(cpu);
        stop = cpu.run(limit);
        if (step)
          for (CoreObserver* o : observers_) o->after_step(cpu, stop);
      }
    }
    switch (stop) {
      case isa::Stop::Limit:
        break;
      case isa::Stop::Semihost: {
        const uint64_t c = cpu.cycle();
        auto r = semihost_->call(cpu.x(10), cpu.x(11), c / p_.freq_hz, c, p_.freq_hz);
        if (!r.error.empty()) {
          end(EndReason::Fatal, 0, r.error);
          break;
        }
        cpu.finish_semihost(r.a0);
        if (r.exit) request_exit(r.exit_code);
        break;
      }
      case isa::Stop::Wfi: {
        // Sleep until the next interrupt source fires.
        update_irqs();
        if (cpu.irq_pending()) break;
        uint64_t wake = 0;
        const bool timed = next_irq_cycle(wake);
        if (p_.shared) {
          // Another hart may wake this one (msip): sleep until the timer or a CLINT write for this hart.
          qk_.set(time_at(cpu.cycle()) - sc_core::sc_time_stamp());
          qk_.sync();
          synced_cycle_ = cpu.cycle();
          update_irqs();  // another hart may have written msip/mtimecmp during the sync
          if (cpu.irq_pending()) break;
          if (timed && wake <= cpu.cycle()) break;
          sc_core::sc_event_or_list events;  // a CLINT write for this hart, or a device's interrupt event
          events |= wake_ev_;
          for (const IrqSource* s : irq_sources_)
            if (const sc_core::sc_event* e = s->irq_event()) events |= *e;
          sleeping_ = true;
          if (timed) wait(time_at(std::min(wake, max_cycles)) - sc_core::sc_time_stamp(), events);
          else wait(events);
          sleeping_ = false;
          if (kernel_cycle() > cpu.cycle()) cpu.idle(kernel_cycle() - cpu.cycle());
          synced_cycle_ = cpu.cycle();
          update_irqs();
          if (cpu.irq_pending()) cpu.idle(p_.cpu.timing.wfi_wakeup);
          break;
        }
        if (!timed) {
          if (wait_external(max_cycles)) break;
          end(EndReason::Deadlock, 0,
              "wfi with no interrupt that can wake the core (timer not armed, no device completion pending)");
          break;
        }
        if (wake > max_cycles) wake = max_cycles;
        if (wake > cpu.cycle()) cpu.idle(wake - cpu.cycle());
        cpu.idle(p_.cpu.timing.wfi_wakeup);
        break;
      }
      case isa::Stop::Fatal:
        end(EndReason::Fatal, 0, cpu.fatal().reason);
        break;
      case isa::Stop::Debug: {  // only a debugger arms debugger triggers (isa::Cpu::set_debug_trigger)
        bool handled = false;
        for (CoreObserver* o : observers_) handled = o->on_debug_stop(cpu) || handled;
        if (!handled) end(EndReason::Fatal, 0, "a debugger trigger fired but no debugger is attached");
        break;
      }
      case isa::Stop::Stall:
        end(EndReason::Stall, 0,
            "simulated time stopped advancing: " + std::to_string(isa::Cpu::kStallSteps) +
                " instructions or traps in a row took 0 cycles at cycle " + std::to_string(cpu.cycle()) +
                " (a timing class or trap entry of 0 cycles in a loop)");
        break;
    }
    if (tohost_) {
      uint32_t v = 0;
      if (cpu.debug_read(*tohost_, &v, 4) && v != tohost_last) {
        tohost_last = v;
        if (v & 1) request_exit(static_cast<int>(v >> 1));
      }
    }
    if (exit_requested_ && end_ == EndReason::Running) end(EndReason::Exit, exit_code_, "");
    if (end_ == EndReason::Running && cpu.cycle() >= max_cycles)
      end(EndReason::MaxCycles, 0, "cycle limit reached");
    // Synchronise with the kernel when the quantum is used up (and at the end).
    qk_.set(time_at(cpu.cycle()) - sc_core::sc_time_stamp());
    if (qk_.need_sync() || cpu.cycle() - synced_cycle_ >= quantum_cycles || end_ != EndReason::Running) {
      qk_.sync();
      synced_cycle_ = cpu.cycle();
      if (on_quantum) on_quantum(synced_cycle_);
    }
  }
  for (CoreObserver* o : observers_) o->finish(cpu);
  if (on_end) on_end();
  else sc_core::sc_stop();
}

}  // namespace mcucim::models

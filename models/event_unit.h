// Cluster event unit (docs/CLUSTER.md, runtime/include/mcucim/cluster.h): starts the parked harts and
// implements a hardware barrier. A hart that reads BARRIER arrives at the barrier and sleeps (clock
// gated) until every taking part hart has arrived; all are released `wake_cycles` after the last
// arrival (in simulated time: the latest arrival time over the harts, whatever order the kernel ran
// them in). The read blocks inside b_transport (the core's thread waits on an event), and the core counts
// the time it was blocked as idle (clock-gated) cycles.
//
// Registers (32-bit):
//   0x00 HARTS      ro  number of harts in the cluster
//   0x04 BARRIER_N  rw  harts that take part in the barrier (1..HARTS; default HARTS)
//   0x08 BARRIER    ro  arrive and wait; returns the number of barriers completed before this one
//   0x0C BARRIERS   ro  barriers completed
//   0x10 START_PC   rw  } the entry point, stack pointer and a0 of the next hart started
//   0x14 START_SP   rw  }
//   0x18 START_ARG  rw  }
//   0x1C START      wo  write hart id h (1..HARTS-1): start parked hart h (error if not parked)
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>

#include "models/device.h"

namespace mcucim::models {

struct EventUnitParams {
  uint32_t harts = 1;
  uint32_t wake_cycles = 2;         // last arrival -> all harts running again
  double arrival_pj = 0;            // energy per barrier arrival (the event unit's logic)
  sc_core::sc_time cycle = sc_core::sc_time(5, sc_core::SC_NS);
};

class EventUnit : public Device {
 public:
  // Starts hart `hart` at `pc` with sp and a0, at simulated time `at`; false if it is not parked.
  using Launcher = std::function<bool(uint32_t hart, uint32_t pc, uint32_t sp, uint32_t arg, sc_core::sc_time at)>;

  EventUnit(sc_core::sc_module_name name, const EventUnitParams& p, sc_core::sc_time latency)
      : Device(name, 0x100, latency), p_(p), count_(p.harts) {}
  void set_launcher(Launcher l) { launch_ = std::move(l); }

  uint64_t barriers() const { return generation_; }
  uint64_t arrivals() const { return arrivals_; }
  uint32_t waiting() const { return arrived_; }
  double energy_pj() const { return arrivals_ * p_.arrival_pj; }

 protected:
  bool blocking_read(uint64_t off, uint32_t& v, sc_core::sc_time& delay) override {
    if (off != 0x08) return false;
    const sc_core::sc_time t = sc_core::sc_time_stamp() + delay;  // this hart's arrival
    const uint64_t gen = generation_;
    v = static_cast<uint32_t>(gen);
    ++arrivals_;
    latest_ = arrived_ == 0 ? t : std::max(latest_, t);
    if (++arrived_ >= count_) {
      release_ = latest_ + p_.cycle * static_cast<double>(p_.wake_cycles);
      arrived_ = 0;
      ++generation_;
      release_ev_.notify(release_ - sc_core::sc_time_stamp());
      delay = release_ - sc_core::sc_time_stamp();
      return true;
    }
    while (generation_ == gen) sc_core::wait(release_ev_);
    delay = release_ - sc_core::sc_time_stamp();  // zero: woken at the release
    return true;
  }
  bool read(uint64_t off, unsigned, uint32_t& v, const sc_core::sc_time&) override {
    switch (off) {
      case 0x00: v = p_.harts; return true;
      case 0x04: v = count_; return true;
      case 0x0C: v = static_cast<uint32_t>(generation_); return true;
      case 0x10: v = pc_; return true;
      case 0x14: v = sp_; return true;
      case 0x18: v = arg_; return true;
      default: return false;
    }
  }
  bool write(uint64_t off, unsigned, uint32_t v, const sc_core::sc_time& now) override {
    switch (off) {
      case 0x04:
        if (v == 0 || v > p_.harts || arrived_ != 0) return false;  // not while harts wait
        count_ = v;
        return true;
      case 0x10: pc_ = v; return true;
      case 0x14: sp_ = v; return true;
      case 0x18: arg_ = v; return true;
      case 0x1C: return v > 0 && v < p_.harts && launch_ && launch_(v, pc_, sp_, arg_, now);
      default: return false;
    }
  }

 private:
  EventUnitParams p_;
  uint32_t count_;
  uint32_t arrived_ = 0;
  uint64_t generation_ = 0, arrivals_ = 0;
  sc_core::sc_time latest_, release_;
  sc_core::sc_event release_ev_;
  uint32_t pc_ = 0, sp_ = 0, arg_ = 0;
  Launcher launch_;
};

}  // namespace mcucim::models

// Power states of a CIM macro: on (powered and clocked: leakage_uw), idle (clock-gated periphery:
// idle_leakage_uw), off (power-gated: no leakage; the non-volatile array keeps its weights). Plain
// C++ with times in picoseconds, so a unit test can drive it without a SystemC kernel; the bus device
// (models/cim_macro.cpp) calls it with the simulated time.
//
// Rules (cim/CIM.md, "Power states"):
// - A command (MVM or PROGRAM) on an idle or off macro wakes it first: it starts after the wake-up
//   latency (idle_wake_ns / wake_ns) and the wake-up energy is counted. It never fails for being off.
// - A state request (POWER register) takes effect at once; a request for `on` from idle/off starts
//   the wake-up in the background (a command arriving during it waits for the rest). The device
//   refuses requests while a command runs (CIM_ERR_BUSY); this class does not know about busy.
// - Automatic policy: auto_idle_ns / auto_off_ns after the last activity (end of the last command, or
//   the end of a wake-up) the macro goes idle / off by itself (0: never).
// - Time spent waking counts as `on` (the periphery is powered).
// The automatic transitions are applied lazily: queries at a time t see the state the policy gives.
#pragma once
#include <cstdint>

#include "cim/config.h"

namespace mcucim::cim {

enum class PowerStateId : uint32_t { On = 0, Idle = 1, Off = 2 };
const char* power_state_name(PowerStateId s);

class PowerState {
 public:
  struct Times {
    uint64_t on_ps = 0, idle_ps = 0, off_ps = 0;
  };
  explicit PowerState(const PowerParams& p);

  PowerStateId state_at(uint64_t now_ps) const;
  // Accumulated time per state from 0 to now (now >= the last call's time).
  Times times_at(uint64_t now_ps) const;
  // True while a wake-up started by a request has not completed.
  bool waking_at(uint64_t now_ps) const;

  // A command arrives at now: wakes the macro if needed; returns the time it can start.
  uint64_t begin_command(uint64_t now_ps);
  // The command ends at done_ps (the automatic policy counts from there).
  void end_command(uint64_t done_ps);
  // A state request at now.
  void request(PowerStateId s, uint64_t now_ps);

  uint64_t wakeups() const { return wakeups_; }            // off -> on
  uint64_t idle_wakeups() const { return idle_wakeups_; }  // idle -> on

 private:
  void settle(uint64_t now_ps);  // apply the automatic policy up to now
  void enter(PowerStateId s, uint64_t at_ps);
  uint64_t wake(uint64_t now_ps);  // to on; returns when ready
  PowerParams p_;
  PowerStateId cur_ = PowerStateId::On;
  uint64_t since_ps_ = 0;       // current state entered at
  uint64_t last_active_ps_ = 0; // end of the last command / wake-up (auto policy reference)
  uint64_t ready_ps_ = 0;       // a wake-up in progress completes at
  uint64_t auto_idle_ps_ = 0, auto_off_ps_ = 0, wake_ps_ = 0, idle_wake_ps_ = 0;
  Times t_;
  uint64_t wakeups_ = 0, idle_wakeups_ = 0;
};

}  // namespace mcucim::cim

#include "cim/power.h"

#include <algorithm>
#include <cmath>

namespace mcucim::cim {

const char* power_state_name(PowerStateId s) {
  switch (s) {
    case PowerStateId::On: return "on";
    case PowerStateId::Idle: return "idle";
    case PowerStateId::Off: return "off";
  }
  return "?";
}

namespace {
uint64_t ps(double ns) { return ns > 0 ? uint64_t(std::llround(ns * 1000)) : 0; }
}  // namespace

PowerState::PowerState(const PowerParams& p)
    : p_(p),
      cur_(p.start_off ? PowerStateId::Off : PowerStateId::On),
      auto_idle_ps_(ps(p.auto_idle_ns)),
      auto_off_ps_(ps(p.auto_off_ns)),
      wake_ps_(ps(p.wake_ns)),
      idle_wake_ps_(ps(p.idle_wake_ns)) {}

void PowerState::enter(PowerStateId s, uint64_t at_ps) {
  const uint64_t d = at_ps > since_ps_ ? at_ps - since_ps_ : 0;
  switch (cur_) {
    case PowerStateId::On: t_.on_ps += d; break;
    case PowerStateId::Idle: t_.idle_ps += d; break;
    case PowerStateId::Off: t_.off_ps += d; break;
  }
  cur_ = s;
  since_ps_ = std::max(since_ps_, at_ps);
}

void PowerState::settle(uint64_t now_ps) {
  for (;;) {
    const uint64_t ref = std::max(last_active_ps_, ready_ps_);
    if (cur_ == PowerStateId::On && auto_idle_ps_ && (!auto_off_ps_ || auto_idle_ps_ < auto_off_ps_)) {
      const uint64_t t = std::max(ref + auto_idle_ps_, since_ps_);
      if (t <= now_ps) {
        enter(PowerStateId::Idle, t);
        continue;
      }
    }
    if (cur_ != PowerStateId::Off && auto_off_ps_) {
      const uint64_t t = std::max(ref + auto_off_ps_, since_ps_);
      if (t <= now_ps) {
        enter(PowerStateId::Off, t);
        continue;
      }
    }
    return;
  }
}

PowerStateId PowerState::state_at(uint64_t now_ps) const {
  PowerState c = *this;
  c.settle(now_ps);
  return c.cur_;
}

PowerState::Times PowerState::times_at(uint64_t now_ps) const {
  PowerState c = *this;
  c.settle(now_ps);
  c.enter(c.cur_, std::max(now_ps, c.since_ps_));
  return c.t_;
}

bool PowerState::waking_at(uint64_t now_ps) const { return state_at(now_ps) == PowerStateId::On && now_ps < ready_ps_; }

uint64_t PowerState::wake(uint64_t now_ps) {
  if (cur_ == PowerStateId::Off) {
    enter(PowerStateId::On, now_ps);
    ++wakeups_;
    ready_ps_ = now_ps + wake_ps_;
  } else if (cur_ == PowerStateId::Idle) {
    enter(PowerStateId::On, now_ps);
    ++idle_wakeups_;
    ready_ps_ = now_ps + idle_wake_ps_;
  }
  last_active_ps_ = std::max(last_active_ps_, std::max(now_ps, ready_ps_));
  return std::max(now_ps, ready_ps_);
}

uint64_t PowerState::begin_command(uint64_t now_ps) {
  settle(now_ps);
  const uint64_t start = wake(now_ps);
  last_active_ps_ = std::max(last_active_ps_, start);
  return start;
}

void PowerState::end_command(uint64_t done_ps) { last_active_ps_ = std::max(last_active_ps_, done_ps); }

void PowerState::request(PowerStateId s, uint64_t now_ps) {
  settle(now_ps);
  if (s == PowerStateId::On) {
    wake(now_ps);
    return;
  }
  if (s == cur_) return;
  if (cur_ == PowerStateId::Off) ++wakeups_;  // off -> idle restores the supply: a wake-up's energy
  ready_ps_ = std::min(ready_ps_, now_ps);    // a wake-up in progress is abandoned
  enter(s, now_ps);
}

}  // namespace mcucim::cim

// The window of an observer that records instruction by instruction (the commit log, --log-from /
// --log-to; waveforms, --vcd-from / --vcd-to): where it starts and ends, by cycle, by the first
// execution of an address, or by a region of the program (sim-control marks).
//
//   cycle:N      start: the first instruction that starts at a cycle >= N (the core runs at full
//                speed before it); end: instructions that start before cycle N are inside.
//   pc:ADDR      start: the first execution of ADDR (the core single-steps from reset to find it);
//   pc:SYMBOL    end: up to and including the first execution of ADDR after the window opened.
//   region:NAME  start: the instruction after the one whose sim-control write begins the first
//                instance of region NAME (full speed before it: run() returns after every device
//                access, so the window opens exactly there); end: up to and including the write that
//                ends the first instance of NAME that ends after the window opened.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "isa/cpu.h"

namespace mcucim::sim {

struct LogBound {
  enum class Kind : uint8_t { None, Cycle, Pc, Region };
  Kind kind = Kind::None;
  uint64_t value = 0;  // Cycle: the cycle; Pc: the address
  std::string name;    // Region: the region's name
};

// "cycle:N", "pc:ADDR" (ADDR: a number, or a symbol of the program resolved by `symbol`) or
// "region:NAME"; throws ConfigError naming `option` otherwise.
LogBound parse_log_bound(const std::string& option, const std::string& text,
                         const std::function<std::optional<uint32_t>(const std::string&)>& symbol);

class ObserveWindow {
 public:
  ObserveWindow(LogBound from = {}, LogBound to = {}) : from_(std::move(from)), to_(std::move(to)) {}
  // Before each run of the core (models::CoreObserver::poll): true to single-step the next
  // instruction; false to run at full speed (`until` lowered to the cycle the window opens at) or
  // because the window has closed.
  bool poll(const isa::Cpu& cpu, uint64_t& until);
  // Before a single-stepped instruction at `pc`: true if it is inside the window.
  bool enter(uint32_t pc);
  // After an instruction at `pc` that was inside the window retired.
  void retired(uint32_t pc) {
    if (to_.kind == LogBound::Kind::Pc && pc == to_.value) state_ = State::Done;
  }
  // A sim-control region mark (begin or end of region `name`), as it happens.
  void region_mark(bool begin, const std::string& name);
  bool uses_regions() const { return from_.kind == LogBound::Kind::Region || to_.kind == LogBound::Kind::Region; }
  bool open() const { return state_ == State::In; }
  bool closed() const { return state_ == State::Done; }

 private:
  enum class State : uint8_t { Before, In, Done };
  LogBound from_, to_;
  State state_ = State::Before;
  bool region_begun_ = false;  // region:NAME start: its begin mark has been seen
};

}  // namespace mcucim::sim

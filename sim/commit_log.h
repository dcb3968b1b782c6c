// The commit log (`mcucim run --log-commits FILE`): one line per retired instruction in the format of
// Spike's --log-commits, so a log can be diffed against Spike or another simulator, with the cycle at
// which the instruction started as an extra first column:
//
//   <cycle> core   0: <priv> 0x<pc> (0x<bits>) [x<rd> 0x<value>]... [c<num>_<name> 0x<value>]
//                                              [mem 0x<addr>]          (a load)
//                                              [mem 0x<addr> 0x<data>] (a store; data of the access size)
//
// The core single-steps while the log is open (isa::Cpu::set_single_step; the fast loops are not
// touched), and runs at full speed before and after a cycle window. A line is derived from the decoded
// instruction and the registers before and after it (docs/DEBUGGING.md lists what is and is not
// logged).
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "isa/cpu.h"
#include "models/core.h"
#include "sim/window.h"

namespace mcucim::sim {

class CommitLog : public models::CoreObserver {
 public:
  // Logs the instructions inside the window [from, to] (sim/window.h). `out` is not owned (flushed by
  // finish()).
  CommitLog(std::FILE* out, LogBound from = {}, LogBound to = {});

  bool poll(isa::Cpu& cpu, uint64_t& until) override;
  void before_step(isa::Cpu& cpu) override;
  void after_step(isa::Cpu& cpu, isa::Stop stop) override;
  void finish(isa::Cpu& cpu) override;
  // A sim-control region mark (for region:NAME windows).
  void region_mark(bool begin, const std::string& name) { window_.region_mark(begin, name); }

  uint64_t lines() const { return lines_; }

 private:
  std::FILE* out_;
  ObserveWindow window_;
  bool armed_ = false;  // before_step() captured an instruction to log
  // The instruction being stepped and its operands before it executed.
  uint32_t pc_ = 0;
  uint64_t cycle_ = 0, instret_ = 0;
  uint8_t priv_ = 3;
  isa::Insn in_;
  uint32_t rs1v_ = 0, rs2v_ = 0, frs2v_ = 0;
  uint64_t lines_ = 0;
  std::string line_;
};

// The data access of a load or store (Xmac xmac.ldot* included) decoded as `in`, given the value of
// rs1 before it executes: false if `in` accesses no data.
struct DataAccess {
  uint32_t addr = 0;
  unsigned size = 0;
  bool store = false;
};
bool data_access(const isa::Insn& in, uint32_t rs1_value, DataAccess& a);

}  // namespace mcucim::sim

// What tests/sim/commit_log_test.cpp and tests/sim/vcd_test.cpp share: the hand-written program of
// tests/sim/golden/commit_log.txt, the loop that drives an observer over it the way models::Core does,
// and reading back a temporary file. Include it at file scope (it opens namespace isatest itself).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "tests/isa/harness.h"

namespace isatest {

// The program of tests/sim/golden/commit_log.txt, as raw words encoded by hand (cross-checked with
// GNU as 2.40 + objdump -M no-aliases: lui/addi/sw/lw/sb/c.addi/csrrw/jal match byte for byte).
inline void load_golden_program(Machine& m) {
  Asm a(kRamBase);
  a.word(0x800082b7);        // 0x00 lui   x5, 0x80008
  a.word(0x02a00313);        // 0x04 addi  x6, x0, 42
  a.word(0x0062a223);        // 0x08 sw    x6, 4(x5)
  a.word(0x0042a383);        // 0x0c lw    x7, 4(x5)
  a.word(0x00628023);        // 0x10 sb    x6, 0(x5)
  a(C16{0x0385});            // 0x14 c.addi x7, 1
  a.word(0x34039473);        // 0x16 csrrw x8, mscratch, x7
  a.word(0x00000463);        // 0x1a beq   x0, x0, +8  (to 0x22)
  a.word(0x00100493);        // 0x1e addi  x9, x0, 1   (skipped)
  a.word(0x004000ef);        // 0x22 jal   x1, +4
  a.word(0x00000013);        // 0x26 addi  x0, x0, 0
  a.halt();                  // 0x2a slli x0,x0,31; 0x2e ebreak; 0x32 srai x0,x0,7
  m.load(a);
}

// What models::Core does with an observer (sim::CommitLog, sim::VcdWriter): poll, single-step with
// before/after, else run fast to the bound it set; `after_run(obs, cycle)` runs after every run()
// (to inject device activity). Ends with obs.finish().
template <class Observer, class F>
void drive_observer(Machine& m, Observer& obs, F after_run) {
  isa::Cpu& cpu = m.cpu();
  for (int i = 0; i < 1000; ++i) {
    uint64_t until = 10000;
    const bool step = obs.poll(cpu, until);
    cpu.set_single_step(step);
    if (step) obs.before_step(cpu);
    const Stop s = cpu.run(step ? 10000 : until);
    if (step) obs.after_step(cpu, s);
    after_run(obs, cpu.cycle());
    if (s == Stop::Semihost || s == Stop::Fatal) break;
  }
  obs.finish(cpu);
}

// The whole content of a (temporary) file written so far.
inline std::string read_all(std::FILE* f) {
  std::string s;
  std::rewind(f);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

}  // namespace isatest

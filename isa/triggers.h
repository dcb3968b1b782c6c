// The trigger module of the RISC-V debug specification (Sdtrig, "RISC-V Debug Specification" 1.0,
// chapter 5): address-match triggers on instruction execution, loads and stores. Plain C++; isa::Cpu
// owns one and consults it only while a trigger is armed (see cpu.h, "Hot path").
//
// CSRs: tselect (0x7A0), tdata1 (0x7A1), tdata2 (0x7A2), tdata3 (0x7A3), tinfo (0x7A4). Each trigger is
// an mcontrol (type 2) or mcontrol6 (type 6) trigger, or disabled (type 15). Implemented fields:
//   execute/store/load, m, u (u only with U-mode), match (mcontrol: 0 equal, 2 >=, 3 <; mcontrol6 also
//   1 NAPOT), hit (mcontrol bit 20, mcontrol6 hit0 bit 22: set when the trigger fires), dmode and
//   action (0 = breakpoint exception; 1 = enter Debug Mode, only with dmode = 1, i.e. only a debugger
//   can arm it, see Cpu::set_debug_trigger).
// WARL choices: select, timing (always "before": the instruction or access does not happen), size,
// chain, s, vs, vu, uncertain(en) read as 0; maskmax reads 0 (NAPOT only in mcontrol6); an unsupported
// match value becomes 0 (equal); a write whose type field is neither 2, 6 nor 15 keeps the current
// type (so writing 0 gives a disabled trigger, as the specification requires); dmode can only be set
// by the debugger and, once set, program writes to that trigger's tdata1-3 are ignored. tdata3 reads 0
// and ignores writes (no textra matching). Writing tselect with an index >= the number of triggers is
// ignored (a debugger enumerates triggers by writing an index and reading it back).
//
// What is compared: for execute, the address of the instruction; for loads and stores, every byte
// address of the access (the trigger fires if any byte matches; equal: tdata2 is one of the bytes,
// NAPOT: the access overlaps the region, >=/<: some byte is >= / < tdata2).
#pragma once
#include <array>
#include <cstdint>

namespace mcucim::isa {

class Triggers {
 public:
  static constexpr unsigned kMaxTriggers = 8;
  // Access kinds, as the tdata1 bits that select them.
  enum Kind : uint8_t { kLoad = 1, kStore = 2, kExecute = 4 };

  Triggers(unsigned count = 0, bool user_mode = false);

  unsigned count() const { return count_; }
  bool implemented() const { return count_ > 0; }
  static bool is_trigger_csr(uint32_t csr) { return csr >= 0x7A0 && csr <= 0x7A4; }
  uint32_t read(uint32_t csr) const;
  // `debugger`: the write comes from the debugger (Debug Mode), which may set dmode and action = 1.
  void write(uint32_t csr, uint32_t value, bool debugger = false);

  // Kinds (bit mask of Kind) that some trigger can fire on, in any mode.
  uint8_t armed() const { return armed_; }
  // The lowest-numbered trigger that fires for an access of `kind` to [addr, addr + len) made in
  // privilege `priv` (3 = M, 0 = U), or -1.
  int match(uint8_t kind, uint32_t addr, uint32_t len, unsigned priv) const;
  // Does trigger i belong to the debugger (dmode = 1, action = enter Debug Mode)?
  bool debugger_owned(unsigned i) const { return i < count_ && t_[i].halt; }
  // Record that trigger i fired (its hit bit).
  void set_hit(unsigned i);

  uint32_t tdata1(unsigned i) const { return i < count_ ? t_[i].tdata1 : 0; }
  uint32_t tdata2(unsigned i) const { return i < count_ ? t_[i].tdata2 : 0; }
  uint32_t tselect() const { return select_; }

 private:
  struct Trigger {
    uint32_t tdata1 = 0, tdata2 = 0;
    // Derived by update(): when it fires.
    uint8_t kinds = 0;      // Kind bits
    uint8_t modes = 0;      // bit 0: U, bit 3: M
    bool halt = false;      // action = 1 (enter Debug Mode)
    uint64_t lo = 0, hi = 0;  // matching byte addresses [lo, hi)
  };
  static uint32_t legalize(uint32_t old, uint32_t v, bool debugger, bool user_mode);
  void update(unsigned i);

  unsigned count_;
  bool user_mode_;
  uint32_t select_ = 0;
  uint8_t armed_ = 0;
  std::array<Trigger, kMaxTriggers> t_{};
};

}  // namespace mcucim::isa

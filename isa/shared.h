// State the harts of one cluster share, as plain C++ the ISS calls inline (no SystemC, no virtual calls):
// the LR/SC reservation table and the bank arbiter of a word-interleaved banked memory (TCDM).
//
// Reservations: one per hart, on one naturally aligned 32-bit word (the reservation set is that word).
// LR.W sets it; SC.W succeeds only if it is still set on the same word, and always clears it. A store by
// another hart (plain store, SC or AMO, through the DMI fast path or a misaligned split) that writes a
// byte of a reserved word clears that hart's reservation; a hart's own stores keep it (the spec allows
// either). Trap entry and mret clear the hart's reservation (a context switch: an SC after it fails).
//
// Bank arbiter (docs/CLUSTER.md): word address w lives in bank w % B. Each bank serves one access per
// cycle. An access at cycle c claims slot c of its bank; if another hart already claimed that cycle, the
// access waits and tries c+1, ... Each bank keeps the claimed cycles in a ring of `window` slots
// (power of two, larger than the spread of the harts' local times: 4 temporal-decoupling quanta).
// Simultaneous accesses are ordered by simulation order: the hart that the kernel runs first in a quantum
// wins (deterministic: SystemC runs the harts' threads in a fixed order).
#pragma once
#include <cstdint>
#include <vector>

namespace mcucim::isa {

class Reservations {
 public:
  static constexpr uint32_t kNone = 1;  // odd: never a word address
  explicit Reservations(uint32_t harts = 1) : addr_(harts, kNone) {}
  uint32_t harts() const { return static_cast<uint32_t>(addr_.size()); }
  // Number of harts holding a reservation (stores check this first: zero costs one compare).
  uint32_t active() const { return active_; }
  bool holds(uint32_t hart, uint32_t word_addr) const { return addr_[hart] == word_addr; }
  void set(uint32_t hart, uint32_t word_addr) {
    if (addr_[hart] == kNone) ++active_;
    addr_[hart] = word_addr;
  }
  void clear(uint32_t hart) {
    if (addr_[hart] != kNone) {
      addr_[hart] = kNone;
      --active_;
    }
  }
  // A store of `len` bytes at `a` by `hart` (~0u: another initiator, e.g. DMA) clears the reservations of
  // the other harts on the words it writes.
  void store(uint32_t a, uint32_t len, uint32_t hart) {
    const uint32_t first = a & ~3u, last = (a + len - 1) & ~3u;
    for (uint32_t h = 0; h < addr_.size() && active_; ++h)
      if (h != hart && addr_[h] != kNone && addr_[h] >= first && addr_[h] <= last) {
        clear(h);
        ++broken;
      }
  }
  uint64_t broken = 0;  // reservations cleared by another hart's store (statistics)

 private:
  std::vector<uint32_t> addr_;
  uint32_t active_ = 0;
};

class BankArbiter {
 public:
  BankArbiter(uint32_t base, uint32_t banks, uint32_t window)
      : base_(base), banks_(banks), window_(window), slots_(size_t(banks) * window, ~0ull),
        accesses_(banks, 0), conflicts_(banks, 0), wait_cycles_(banks, 0) {}
  uint32_t banks() const { return banks_; }
  uint32_t bank_of(uint32_t addr) const { return ((addr - base_) >> 2) % banks_; }
  // One access at `cycle` to the word holding `addr`: returns the cycles it waits for its bank.
  uint32_t access(uint32_t addr, uint64_t cycle) {
    const uint32_t b = bank_of(addr);
    uint64_t* ring = &slots_[size_t(b) * window_];
    uint64_t c = cycle;
    while (ring[c & (window_ - 1)] == c) ++c;
    ring[c & (window_ - 1)] = c;
    accesses_[b]++;
    const uint32_t wait = static_cast<uint32_t>(c - cycle);
    if (wait) {
      conflicts_[b]++;
      wait_cycles_[b] += wait;
    }
    return wait;
  }
  const std::vector<uint64_t>& accesses() const { return accesses_; }
  const std::vector<uint64_t>& conflicts() const { return conflicts_; }      // accesses that waited
  const std::vector<uint64_t>& wait_cycles() const { return wait_cycles_; }  // cycles they waited

 private:
  uint32_t base_, banks_, window_;
  std::vector<uint64_t> slots_;
  std::vector<uint64_t> accesses_, conflicts_, wait_cycles_;
};

}  // namespace mcucim::isa

// Timing profile of an in-order core: cycles per instruction class and pipeline penalties. Values come
// from configs/timing/*.yaml (each with its source); this struct is the plain form the ISS uses.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "isa/insn.h"

namespace mcucim::isa {

// What a core does with a misaligned load/store (one not contained in one aligned 32-bit word):
// raise the architectural exception, split it into two word-aligned bus transactions in hardware,
// or complete it as two accesses to one memory (the simulator's emulation, as a trap handler would).
enum class Misaligned : uint8_t { Trap, Split, Emulate };

struct TimingProfile {
  std::string name;
  // Base cycles per instruction class when memory answers without wait states.
  std::array<uint32_t, static_cast<size_t>(TClass::COUNT)> base{};
  uint32_t branch_taken_penalty = 0;  // extra cycles of a taken conditional branch
  uint32_t load_use_stall = 0;        // extra cycles when an instruction reads the previous load's rd
  uint32_t shift_per_4 = 0;           // iterative shifters: extra cycles per 4 bits of shift amount
  uint32_t shift_per_1 = 0;           //                     and per remaining single bit
  uint32_t div_fast_zero = 0;         // if non-zero: cycles of a division by zero (early out)
  uint32_t wfi_wakeup = 0;            // cycles from interrupt to the first handler instruction
  uint32_t trap_entry = 0;            // extra cycles to enter a trap handler (pipeline flush)
  uint32_t mret = 0;                  // extra cycles of mret beyond its class
  uint32_t fence = 1;                 // cycles of fence (replaces the SYSTEM class cost)
  uint32_t fence_i = 1;               // cycles of fence.i (replaces the SYSTEM class cost)
  bool fence_flushes_fetch = false;   // fence is executed as a jump to the next instruction (fence.i always is)

  // Fetch alignment (zero-wait-state behaviour of the core's instruction fetch). A 32-bit instruction
  // "straddles" when it does not fit in one naturally aligned fetch word of `fetch_width` bytes
  // (pc % fetch_width + 4 > fetch_width): its fetch needs two memory beats.
  uint32_t fetch_width = 4;            // bytes per instruction fetch (power of two, >= 4)
  uint32_t straddle_sequential = 0;    // extra cycles of a straddling instruction reached in sequence
  uint32_t straddle_target = 0;        // ... reached by a control transfer (jump, taken branch, trap, mret,
                                       //     fence.i): the fetch was flushed, nothing was prefetched
                                       //     (>= straddle_sequential; charged to the transfer)
  uint32_t branch_fallthrough_straddle = 0;  // extra cycles of a taken conditional branch whose
                                       // fall-through instruction straddles (its prefetch completes first)

  // Misaligned loads/stores (an access not contained in one aligned 32-bit word).
  Misaligned misaligned = Misaligned::Trap;  // the core's own behaviour (default of soc.core.misaligned)
  uint32_t misaligned_split_cycles = 1;      // split: extra cycles beyond a single access (the second
                                             // bus transaction; each transaction also pays wait states)

  // RV32A (replace the class cost of LOAD/STORE): lr.w, sc.w, and an AMO (read-modify-write at the
  // memory: it also pays the memory's read and write wait states).
  uint32_t atomic_lr = 1;
  uint32_t atomic_sc = 1;
  uint32_t atomic_amo = 2;

  uint32_t cycles(TClass c) const { return base[static_cast<size_t>(c)]; }
};

// Xmac MAC unit parameters (isa/XMAC.md): an instruction with N MACs occupies ceil(N/lanes) cycles.
struct XmacUnit {
  uint32_t lanes = 4;
  uint32_t latency = 1;  // cycles until a non-Xmac instruction can read the accumulator
};

}  // namespace mcucim::isa

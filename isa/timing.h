// Timing profile of an in-order core: cycles per instruction class and pipeline penalties. Values come
// from configs/timing/*.yaml (each with its source); this struct is the plain form the ISS uses.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "isa/insn.h"

namespace mcucim::isa {

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

  uint32_t cycles(TClass c) const { return base[static_cast<size_t>(c)]; }
};

// Xmac MAC unit parameters (isa/XMAC.md): an instruction with N MACs occupies ceil(N/lanes) cycles.
struct XmacUnit {
  uint32_t lanes = 4;
  uint32_t latency = 1;  // cycles until a non-Xmac instruction can read the accumulator
};

}  // namespace mcucim::isa

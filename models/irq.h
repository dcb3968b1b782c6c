// Interrupt sources: devices whose line's level is a function of simulated time (a command completes at
// a known time), so the core can take the interrupt at the exact cycle and sleep in wfi until it,
// without the device running a SystemC process. The core ORs every source into mip.MEIP (machine
// external interrupt; there is no PLIC: a handler asks the devices which one completed).
#pragma once
#include <systemc>

namespace mcucim::models {

class IrqSource {
 public:
  virtual ~IrqSource() = default;
  // Level of the interrupt line at `now`.
  virtual bool irq_level(const sc_core::sc_time& now) const = 0;
  // The earliest time after `now` at which the line rises by itself; false if none is scheduled.
  virtual bool irq_next(const sc_core::sc_time& now, sc_core::sc_time& when) const = 0;
  // Sources whose line can also rise because of another initiator (a message from another MCU of a
  // system, models/link.h): an event notified when that becomes known. A core in wfi with nothing
  // scheduled waits on these instead of reporting a deadlock.
  virtual const sc_core::sc_event* irq_event() const { return nullptr; }
};

}  // namespace mcucim::models

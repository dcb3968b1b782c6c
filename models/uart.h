// UART: a transmitter whose bytes go to the run's stdout (register map: runtime/include/mcucim/uart.h).
#pragma once
#include <ostream>
#include <string>

#include "models/device.h"

namespace mcucim::models {

class Uart : public Device {
 public:
  Uart(sc_core::sc_module_name name, std::ostream& out, sc_core::sc_time latency)
      : Device(name, 0x1000, latency), out_(out) {}
  uint64_t tx_bytes = 0;

 protected:
  bool read(uint64_t off, unsigned, uint32_t& v, const sc_core::sc_time&) override {
    switch (off) {
      case 0x0: v = 0; return true;            // txdata: FIFO never full
      case 0x4: v = 0x80000000u; return true;  // rxdata: always empty
      case 0x8: v = 1; return true;            // status: transmitter ready
      default: return false;
    }
  }
  bool write(uint64_t off, unsigned, uint32_t v, const sc_core::sc_time&) override {
    if (off != 0x0) return off == 0x8 || off == 0x4;  // writes to status/rx ignored
    out_.put(static_cast<char>(v & 0xff));
    if ((v & 0xff) == '\n') out_.flush();
    tx_bytes++;
    return true;
  }

 private:
  std::ostream& out_;
};

}  // namespace mcucim::models

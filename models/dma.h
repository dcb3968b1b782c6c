// DMA engine: one memory-to-memory channel on the bus (register map: runtime/include/mcucim/dma.h).
// LT model: at START the copy is performed through the engine's own initiator socket in bursts (so the
// memories count the accesses and annotate their latency), and STATUS reads busy until the accumulated
// time has passed: setup + per burst (source latency + destination latency + beats on the bus).
#pragma once
#include <cstdint>

#include <tlm_utils/simple_initiator_socket.h>

#include "models/device.h"
#include "models/irq.h"

namespace mcucim::models {

struct DmaParams {
  uint32_t burst_bytes = 32;  // bytes per bus transaction
  uint32_t setup_cycles = 4;  // from START to the first beat
  uint32_t bytes_per_cycle = 4;  // bus width
  sc_core::sc_time cycle = sc_core::sc_time(5, sc_core::SC_NS);
};

class Dma : public Device, public IrqSource {
 public:
  bool reports_busy() const override { return true; }
  tlm_utils::simple_initiator_socket<Dma> bus;

  Dma(sc_core::sc_module_name name, const DmaParams& p, sc_core::sc_time latency);
  uint64_t bytes_copied = 0, transfers = 0, busy_cycles = 0;
  // CTRL bit 1 enables the interrupt: high while STATUS.done is set (until cleared or the next start).
  bool irq_level(const sc_core::sc_time& now) const override { return irq_en_ && done_pending_ && now >= done_; }
  bool irq_next(const sc_core::sc_time& now, sc_core::sc_time& when) const override {
    if (!irq_en_ || !done_pending_ || done_ <= now) return false;
    when = done_;
    return true;
  }

 protected:
  bool read(uint64_t off, unsigned len, uint32_t& v, const sc_core::sc_time& now) override;
  bool write(uint64_t off, unsigned len, uint32_t v, const sc_core::sc_time& now) override;

 private:
  uint32_t start(const sc_core::sc_time& now);
  DmaParams p_;
  uint32_t src_ = 0, dst_ = 0, len_ = 0, error_ = 0;
  bool irq_en_ = false, done_pending_ = false;
  sc_core::sc_time done_ = sc_core::SC_ZERO_TIME;
};

}  // namespace mcucim::models

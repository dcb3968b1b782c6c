// CIM macro device: a TLM-2.0 register target (map: runtime/include/mcucim/cim_regs.h, cim/CIM.md)
// around cim::Macro. Commands compute their result at once (the functional model is exact) and the
// device stays busy until the modelled completion time: STATUS reads BUSY while now < done time and
// the output buffer shows the new results only from then on. Programming reads the weights from
// memory through a debug-read callback (like SimCtrl's), i.e. "program once at load time".
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "cim/macro.h"
#include "models/device.h"
#include "models/irq.h"

namespace mcucim::models {

class CimMacro : public Device, public IrqSource {
 public:
  bool reports_busy() const override { return true; }
  using MemReader = std::function<bool(uint32_t addr, void* data, uint32_t len)>;
  CimMacro(sc_core::sc_module_name name, const cim::MacroConfig& cfg, sc_core::sc_time latency);
  void set_mem_reader(MemReader r) { mem_reader_ = std::move(r); }
  const cim::Macro& macro() const { return macro_; }
  // IRQ_EN bit 0: the line is high while DONE is set (sticky until the next command or CLEAR).
  bool irq_level(const sc_core::sc_time& now) const override {
    return irq_en_ && (done_ || (busy_ && now >= done_time_));
  }
  bool irq_next(const sc_core::sc_time& now, sc_core::sc_time& when) const override {
    if (!irq_en_ || !busy_ || done_time_ <= now) return false;
    when = done_time_;
    return true;
  }
  cim::Macro& macro() { return macro_; }
  // Power-state times and leakage up to `now` (for the counters snapshot).
  cim::PowerState::Times power_times(const sc_core::sc_time& now) const { return macro_.power_times(to_ps(now)); }
  double leakage_pj(const sc_core::sc_time& now) const { return macro_.leakage_pj(to_ps(now)); }

 protected:
  bool read(uint64_t off, unsigned len, uint32_t& v, const sc_core::sc_time& now) override;
  bool write(uint64_t off, unsigned len, uint32_t v, const sc_core::sc_time& now) override;

 private:
  void settle(const sc_core::sc_time& now);  // finish a command whose done time has passed
  static uint64_t to_ps(const sc_core::sc_time& t);
  void command(uint32_t cmd, const sc_core::sc_time& now);
  cim::Macro macro_;
  MemReader mem_reader_;
  std::vector<int8_t> in_;
  std::vector<int32_t> out_, pending_;
  uint32_t wbits_ = 8, abits_ = 8, nrows_ = 0, nout_ = 0, row0_ = 0, out0_ = 0, src_ = 0, stride_ = 0;
  bool busy_ = false, done_ = false, pending_out_ = false, irq_en_ = false;
  uint32_t err_ = 0;
  sc_core::sc_time done_time_;
};

}  // namespace mcucim::models

// Base of memory-mapped register devices: a TLM-2.0 target that accepts naturally aligned 8/16/32-bit
// accesses and turns them into read()/write() calls with the access time (kernel time + annotated
// delay), so devices compute time-dependent values exactly under temporal decoupling.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace mcucim::models {

class Device : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Device> socket;

  Device(sc_core::sc_module_name name, uint64_t size, sc_core::sc_time access_latency);
  uint64_t size() const { return size_; }
  uint64_t reads = 0, writes = 0;  // register accesses (peripheral events for the energy model)
  // Devices that work on their own after a command (DMA, CIM macros) report each command's busy
  // interval [begin, end) here when it starts, if set (waveforms, sim/vcd.h). Unset: nothing is done.
  virtual bool reports_busy() const { return false; }
  std::function<void(const sc_core::sc_time& begin, const sc_core::sc_time& end)> on_busy;

 protected:
  // Return false to signal an access error (unknown register). `len` is 1, 2 or 4; `offset` is aligned.
  virtual bool read(uint64_t offset, unsigned len, uint32_t& value, const sc_core::sc_time& now) = 0;
  virtual bool write(uint64_t offset, unsigned len, uint32_t value, const sc_core::sc_time& now) = 0;
  // True if this access must see everything other initiators simulate up to `now` (the access's local
  // time): the calling thread then waits until the kernel reaches `now` before read()/write() (links
  // between the cores of a system, models/link.h). Devices of one SoC never need it.
  virtual bool sync_before(uint64_t /*offset*/, bool /*is_read*/, const sc_core::sc_time& /*now*/) { return false; }
  // A read that may block the initiator's thread (a barrier): return true if handled; `delay` (the
  // access's annotated time, relative to the kernel's time when it returns) may grow or be re-based
  // after a wait(). Default: not handled (read() is called).
  virtual bool blocking_read(uint64_t offset, uint32_t& value, sc_core::sc_time& delay) { return false; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  uint64_t size_;
  sc_core::sc_time latency_;
};

}  // namespace mcucim::models

// Memory: a TLM-2.0 LT target with DMI, for SRAM, flash (read-only to the program) and MRAM
// (non-volatile, separate read/write latency). Latencies are whole core cycles of wait states.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace mcucim::models {

struct MemoryParams {
  std::string kind = "sram";  // sram | flash | mram
  uint64_t size = 0;
  bool program_writable = true;  // false: stores from the program fail (flash); loaders use debug access
  uint32_t read_wait = 0;        // wait states (core cycles) per read access
  uint32_t write_wait = 0;       // wait states per write access
  uint32_t burst_wait = 0;       // extra cycles per additional 32-bit word of a multi-word bus
                                 // transaction (a DMA burst): 0 = the rest of the burst streams at bus speed
  sc_core::sc_time cycle = sc_core::sc_time(5, sc_core::SC_NS);  // core clock period
};

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Memory> socket;

  Memory(sc_core::sc_module_name name, const MemoryParams& p);

  uint8_t* data() { return storage_.data(); }
  uint64_t size() const { return storage_.size(); }
  const MemoryParams& params() const { return p_; }
  // 32-bit words accessed through b_transport (devices, DMA); the core's DMI accesses are counted by the core.
  uint64_t transport_reads = 0, transport_writes = 0;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);

  MemoryParams p_;
  std::vector<uint8_t> storage_;
};

}  // namespace mcucim::models

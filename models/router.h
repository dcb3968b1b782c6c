// Router: the system bus. Decodes addresses to targets (memories, devices), adds a per-transfer bus
// latency, translates addresses to target-local offsets, forwards DMI and debug transport.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace mcucim::models {

struct AddressRange {
  std::string name;
  uint64_t base = 0;
  uint64_t size = 0;
};

class Router : public sc_core::sc_module {
 public:
  // Initiators (the core, DMA engines) bind here; targets (memories, devices) to `initiator`.
  tlm_utils::multi_passthrough_target_socket<Router> target;
  tlm_utils::multi_passthrough_initiator_socket<Router> initiator;

  Router(sc_core::sc_module_name name, sc_core::sc_time bus_latency);
  // Map [base, base+size) to the target bound as the next initiator socket (in binding order).
  // Overlaps are rejected by the config layer before elaboration.
  void map(const AddressRange& r) { ranges_.push_back(r); }
  const std::vector<AddressRange>& ranges() const { return ranges_; }
  // Index of the range containing addr, or -1.
  int decode(uint64_t addr, unsigned len) const;

  uint64_t transfers = 0;  // b_transport transfers routed (DMI accesses bypass the bus model)

 private:
  void b_transport(int from, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int from, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(int from, tlm::tlm_generic_payload& trans);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

  std::vector<AddressRange> ranges_;
  sc_core::sc_time bus_latency_;
};

}  // namespace mcucim::models

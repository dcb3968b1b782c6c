#include "models/router.h"

namespace mcucim::models {

Router::Router(sc_core::sc_module_name name, sc_core::sc_time bus_latency)
    : sc_module(name), target("target"), initiator("initiator"), bus_latency_(bus_latency) {
  target.register_b_transport(this, &Router::b_transport);
  target.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
  target.register_transport_dbg(this, &Router::transport_dbg);
  initiator.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

int Router::decode(uint64_t addr, unsigned len) const {
  for (size_t i = 0; i < ranges_.size(); ++i) {
    const auto& r = ranges_[i];
    if (addr >= r.base && addr - r.base < r.size && len <= r.size - (addr - r.base))
      return static_cast<int>(i);
  }
  return -1;
}

void Router::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t addr = trans.get_address();
  const int i = decode(addr, trans.get_data_length());
  if (i < 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  transfers++;
  delay += bus_latency_;
  trans.set_address(addr - ranges_[i].base);
  initiator[i]->b_transport(trans, delay);
  trans.set_address(addr);
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  const uint64_t addr = trans.get_address();
  const int i = decode(addr, 1);
  if (i < 0) return false;
  trans.set_address(addr - ranges_[i].base);
  const bool ok = initiator[i]->get_direct_mem_ptr(trans, dmi);
  trans.set_address(addr);
  if (ok) {
    dmi.set_start_address(dmi.get_start_address() + ranges_[i].base);
    dmi.set_end_address(dmi.get_end_address() + ranges_[i].base);
    // DMI bypasses the bus: add its latency to the advertised memory latency.
    dmi.set_read_latency(dmi.get_read_latency() + bus_latency_);
    dmi.set_write_latency(dmi.get_write_latency() + bus_latency_);
  }
  return ok;
}

unsigned int Router::transport_dbg(int, tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  const int i = decode(addr, 1);
  if (i < 0) return 0;
  const uint64_t room = ranges_[i].size - (addr - ranges_[i].base);
  if (trans.get_data_length() > room) trans.set_data_length(static_cast<unsigned>(room));
  trans.set_address(addr - ranges_[i].base);
  unsigned n = initiator[i]->transport_dbg(trans);
  trans.set_address(addr);
  return n;
}

void Router::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  const auto& r = ranges_[id];
  for (unsigned i = 0; i < target.size(); ++i) target[i]->invalidate_direct_mem_ptr(r.base + start, r.base + end);
}

}  // namespace mcucim::models

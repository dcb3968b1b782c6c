#include "models/device.h"

#include <cstring>

namespace mcucim::models {

Device::Device(sc_core::sc_module_name name, uint64_t size, sc_core::sc_time access_latency)
    : sc_module(name), socket("socket"), size_(size), latency_(access_latency) {
  socket.register_b_transport(this, &Device::b_transport);
  socket.register_transport_dbg(this, &Device::transport_dbg);
}

void Device::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t off = trans.get_address();
  const unsigned len = trans.get_data_length();
  if ((len != 1 && len != 2 && len != 4) || (off & (len - 1)) || off + len > size_ ||
      trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (delay > sc_core::SC_ZERO_TIME && sync_before(off, trans.is_read(), sc_core::sc_time_stamp() + delay)) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  const sc_core::sc_time now = sc_core::sc_time_stamp() + delay;
  bool ok;
  if (trans.is_read()) {
    uint32_t v = 0;
    ok = (len == 4 && blocking_read(off, v, delay)) || read(off, len, v, now);
    std::memcpy(trans.get_data_ptr(), &v, len);
    reads++;
  } else {
    uint32_t v = 0;
    std::memcpy(&v, trans.get_data_ptr(), len);
    ok = write(off, len, v, now);
    writes++;
  }
  delay += latency_;
  trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

unsigned int Device::transport_dbg(tlm::tlm_generic_payload& trans) {
  // Debug reads of registers would have side effects in real devices; report nothing readable.
  return 0;
}

}  // namespace mcucim::models

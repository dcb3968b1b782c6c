#include "models/memory.h"

#include <cstring>

namespace mcucim::models {

Memory::Memory(sc_core::sc_module_name name, const MemoryParams& p)
    : sc_module(name), socket("socket"), p_(p), storage_(p.size, 0) {
  socket.register_b_transport(this, &Memory::b_transport);
  socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
  socket.register_transport_dbg(this, &Memory::transport_dbg);
}

void Memory::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (trans.get_byte_enable_ptr() || trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (addr + len > storage_.size()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (trans.is_read()) {
    std::memcpy(trans.get_data_ptr(), &storage_[addr], len);
    delay += p_.cycle * (p_.read_wait + p_.burst_wait * ((len + 3) / 4 - 1));
    transport_reads += (len + 3) / 4;  // in 32-bit words
  } else if (trans.is_write()) {
    if (!p_.program_writable) {
      trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
    }
    std::memcpy(&storage_[addr], trans.get_data_ptr(), len);
    delay += p_.cycle * (p_.write_wait + p_.burst_wait * ((len + 3) / 4 - 1));
    transport_writes += (len + 3) / 4;
  }
  trans.set_dmi_allowed(true);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  dmi.set_dmi_ptr(storage_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(storage_.size() - 1);
  dmi.set_read_latency(p_.cycle * p_.read_wait);
  dmi.set_write_latency(p_.cycle * p_.write_wait);
  if (p_.program_writable) dmi.allow_read_write();
  else dmi.allow_read();
  return true;
}

unsigned int Memory::transport_dbg(tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  if (addr >= storage_.size()) return 0;
  const unsigned len = static_cast<unsigned>(std::min<uint64_t>(trans.get_data_length(), storage_.size() - addr));
  if (trans.is_read()) std::memcpy(trans.get_data_ptr(), &storage_[addr], len);
  else std::memcpy(&storage_[addr], trans.get_data_ptr(), len);  // loaders may write read-only memory
  return len;
}

}  // namespace mcucim::models

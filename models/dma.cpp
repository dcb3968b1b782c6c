#include "models/dma.h"

#include <vector>

#include "mcucim/dma.h"

namespace mcucim::models {

Dma::Dma(sc_core::sc_module_name name, const DmaParams& p, sc_core::sc_time latency)
    : Device(name, 0x100, latency), bus("bus"), p_(p) {}

bool Dma::read(uint64_t off, unsigned, uint32_t& v, const sc_core::sc_time& now) {
  switch (off) {
    case DMA_SRC: v = src_; return true;
    case DMA_DST: v = dst_; return true;
    case DMA_LEN: v = len_; return true;
    case DMA_CTRL: v = 0; return true;
    case DMA_STATUS:
      v = (now < done_ ? 1u : 0u) | (done_pending_ && now >= done_ ? 2u : 0u) | (error_ << 8);
      return true;
    case DMA_ID: v = 0x444D4131u; return true;
    default: return false;
  }
}

bool Dma::write(uint64_t off, unsigned, uint32_t v, const sc_core::sc_time& now) {
  switch (off) {
    case DMA_SRC: src_ = v; return true;
    case DMA_DST: dst_ = v; return true;
    case DMA_LEN: len_ = v; return true;
    case DMA_CTRL:
      irq_en_ = (v & 2) != 0;
      if (v & 1) {
        if (now < done_) {
          error_ = DMA_ERR_BUSY;  // the running copy continues
        } else {
          error_ = start(now);
          done_pending_ = true;
        }
      }
      return true;
    case DMA_STATUS:
      if (v & 2) done_pending_ = false;  // write 1 to clear DONE (and the interrupt)
      return true;
    case DMA_ID: return true;
    default: return false;
  }
}

uint32_t Dma::start(const sc_core::sc_time& now) {
  if (len_ == 0 || (len_ & 3) || (src_ & 3) || (dst_ & 3)) return DMA_ERR_LEN;
  std::vector<unsigned char> buf(p_.burst_bytes);
  sc_core::sc_time t = p_.cycle * p_.setup_cycles;
  tlm::tlm_generic_payload tr;
  for (uint32_t done = 0; done < len_;) {
    const uint32_t n = std::min(p_.burst_bytes, len_ - done);
    for (int dir = 0; dir < 2; ++dir) {
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      tr.set_command(dir == 0 ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND);
      tr.set_address(dir == 0 ? src_ + done : dst_ + done);
      tr.set_data_ptr(buf.data());
      tr.set_data_length(n);
      tr.set_streaming_width(n);
      tr.set_byte_enable_ptr(nullptr);
      tr.set_dmi_allowed(false);
      tr.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      bus->b_transport(tr, d);
      if (!tr.is_response_ok()) {
        done_ = now + t;
        if (on_busy) on_busy(now, done_);
        return DMA_ERR_BUS;
      }
      t += d;
      transfers++;
    }
    t += p_.cycle * ((n + p_.bytes_per_cycle - 1) / p_.bytes_per_cycle);
    done += n;
    bytes_copied += n;
  }
  busy_cycles += static_cast<uint64_t>(t / p_.cycle);
  done_ = now + t;
  if (on_busy) on_busy(now, done_);
  return DMA_ERR_NONE;
}

}  // namespace mcucim::models

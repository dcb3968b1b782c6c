#include "models/link.h"

#include <algorithm>
#include <cmath>

#include "mcucim/link.h"

namespace mcucim::models {

namespace {
uint64_t to_ps(const sc_core::sc_time& t) { return static_cast<uint64_t>(std::llround(t.to_seconds() * 1e12)); }
sc_core::sc_time from_ps(uint64_t ps) { return sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS); }
}  // namespace

LinkEndpoint::LinkEndpoint(sc_core::sc_module_name name, sc_core::sc_time latency, sc_core::sc_time cycle,
                           uint32_t bytes_per_cycle)
    : Device(name, 0x100, latency), bus("bus"), cycle_(cycle), bpc_(bytes_per_cycle ? bytes_per_cycle : 4) {}

bool LinkEndpoint::dma(bool write, uint32_t addr, uint8_t* data, uint32_t n, sc_core::sc_time& t) {
  // In bursts of up to 256 bytes, like the DMA engine: the memories count the accesses.
  tlm::tlm_generic_payload tr;
  for (uint32_t done = 0; done < n;) {
    const uint32_t k = std::min<uint32_t>(256, n - done);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    tr.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tr.set_address(addr + done);
    tr.set_data_ptr(data + done);
    tr.set_data_length(k);
    tr.set_streaming_width(k);
    tr.set_byte_enable_ptr(nullptr);
    tr.set_dmi_allowed(false);
    tr.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    bus->b_transport(tr, d);
    if (!tr.is_response_ok()) return false;
    t += d;
    done += k;
  }
  t += copy_time(n);
  return true;
}

sc_core::sc_time LinkEndpoint::rx_ready(const Message& m) const {
  return std::max(m.arrival, armed_at_) + copy_time(static_cast<uint32_t>(m.data.size()));
}

void LinkEndpoint::update(const sc_core::sc_time& now) {
  if (!rx_armed_ || queue_.empty() || rx_ready(queue_.front()) > now) return;
  Message& m = queue_.front();
  const sc_core::sc_time ready = rx_ready(m);
  listen_until(m.start);
  rx_armed_ = false;
  rx_done_pending_ = true;
  rx_done_ = ready;
  if (m.data.size() > rx_cap_) {  // stays queued: the program re-arms with a larger buffer
    error_ = LINK_ERR_TOO_LONG;
    errors++;
    rx_len_ = 0;
    return;
  }
  sc_core::sc_time t = sc_core::SC_ZERO_TIME;
  if (!dma(true, rx_addr_, m.data.data(), static_cast<uint32_t>(m.data.size()), t)) {
    error_ = LINK_ERR_BUS;
    errors++;
    rx_len_ = 0;
  } else {
    error_ = LINK_ERR_NONE;
    rx_len_ = static_cast<uint32_t>(m.data.size());
  }
  rx_messages++;
  rx_bytes += m.data.size();
  queue_bytes_ -= m.data.size();
  queue_.pop_front();
}

void LinkEndpoint::listen_until(const sc_core::sc_time& until) {
  if (!link_ || until <= armed_at_) return;
  const double w = listen_power_w(link_->params());
  if (w <= 0) return;
  const uint64_t ps = to_ps(until - armed_at_);
  listen_ps += ps;
  listen_pj += w * static_cast<double>(ps);  // W x ps = pJ
}

void LinkEndpoint::finish(const sc_core::sc_time& end) {
  if (!rx_armed_) return;
  listen_until(queue_.empty() ? end : std::min(end, queue_.front().start));
  rx_armed_ = false;
}

void LinkEndpoint::deliver(std::vector<uint8_t> data, const sc_core::sc_time& start, const sc_core::sc_time& arrival) {
  queue_bytes_ += data.size();
  max_queue_bytes = std::max(max_queue_bytes, queue_bytes_);
  queue_.push_back({std::move(data), start, arrival});
  // Wake this endpoint's core if it sleeps waiting for a message (at the arrival time).
  arrival_event_.notify(arrival > sc_core::sc_time_stamp() ? arrival - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME);
}

bool LinkEndpoint::irq_level(const sc_core::sc_time& now) const {
  if (tx_ie_ && tx_done_pending_ && now >= tx_done_) return true;
  if (!rx_ie_) return false;
  if (rx_done_pending_ && now >= rx_done_) return true;
  return rx_armed_ && !queue_.empty() && rx_ready(queue_.front()) <= now;
}

bool LinkEndpoint::irq_next(const sc_core::sc_time& now, sc_core::sc_time& when) const {
  bool any = false;
  auto consider = [&](const sc_core::sc_time& t) {
    if (t > now && (!any || t < when)) {
      when = t;
      any = true;
    }
  };
  if (tx_ie_ && tx_done_pending_) consider(tx_done_);
  if (rx_ie_ && rx_done_pending_) consider(rx_done_);
  if (rx_ie_ && rx_armed_ && !queue_.empty()) consider(rx_ready(queue_.front()));
  return any;
}

bool LinkEndpoint::sync_before(uint64_t off, bool is_read, const sc_core::sc_time& now) {
  // Only reads of STATUS while the receiver waits for a message that has not arrived by `now` depend
  // on what the other MCU does; everything else is local.
  if (!is_read || off != LINK_STATUS || !link_) return false;
  if (!rx_armed_ || rx_done_pending_) return false;  // not waiting for a message (arm first, then poll)
  if (!queue_.empty() && queue_.front().arrival <= now) return false;
  syncs++;
  return true;
}

bool LinkEndpoint::read(uint64_t off, unsigned, uint32_t& v, const sc_core::sc_time& now) {
  update(now);
  switch (off) {
    case LINK_ID: v = 0x4C4E4B31u; return true;
    case LINK_CTRL: v = (tx_ie_ ? LINK_CTRL_TXIE : 0) | (rx_ie_ ? LINK_CTRL_RXIE : 0); return true;
    case LINK_STATUS:
      v = (tx_done_pending_ && now < tx_done_ ? LINK_ST_TX_BUSY : 0u) |
          (tx_done_pending_ && now >= tx_done_ ? LINK_ST_TX_DONE : 0u) |
          (rx_done_pending_ && now >= rx_done_ ? LINK_ST_RX_DONE : 0u) |
          (!queue_.empty() && queue_.front().arrival <= now ? LINK_ST_RX_WAITING : 0u) |
          (rx_armed_ ? LINK_ST_RX_ARMED : 0u) | (error_ << 8);
      return true;
    case LINK_TX_ADDR: v = tx_addr_; return true;
    case LINK_TX_LEN: v = tx_len_; return true;
    case LINK_RX_ADDR: v = rx_addr_; return true;
    case LINK_RX_CAP: v = rx_cap_; return true;
    case LINK_RX_LEN: v = rx_len_; return true;
    case LINK_MTU: v = link_ ? link_->params().max_message : 0; return true;
    case LINK_KIND: v = link_ ? static_cast<uint32_t>(link_->params().kind) : 0xffu; return true;
    default: return false;
  }
}

bool LinkEndpoint::write(uint64_t off, unsigned, uint32_t v, const sc_core::sc_time& now) {
  update(now);
  switch (off) {
    case LINK_CTRL:
      tx_ie_ = (v & LINK_CTRL_TXIE) != 0;
      rx_ie_ = (v & LINK_CTRL_RXIE) != 0;
      if (v & LINK_CTRL_SEND) {
        if (!link_) error_ = LINK_ERR_UNCONNECTED;
        else if (tx_done_pending_ && now < tx_done_) error_ = LINK_ERR_BUSY;
        else if (tx_len_ == 0 || tx_len_ > link_->params().max_message) error_ = LINK_ERR_LEN;
        else {
          std::vector<uint8_t> data(tx_len_);
          sc_core::sc_time t = sc_core::SC_ZERO_TIME;
          if (!dma(false, tx_addr_, data.data(), tx_len_, t)) {
            error_ = LINK_ERR_BUS;
          } else {
            error_ = LINK_ERR_NONE;
            tx_messages++;
            tx_bytes += tx_len_;
            const sc_core::sc_time end = link_->send(side_, std::move(data), now + t);
            tx_done_ = end;
            tx_done_pending_ = true;
          }
        }
        if (error_) errors++;
      }
      if (v & LINK_CTRL_RECV) {
        if (!link_) error_ = LINK_ERR_UNCONNECTED;
        else if (rx_armed_) error_ = LINK_ERR_BUSY;
        else {
          error_ = LINK_ERR_NONE;
          rx_armed_ = true;
          rx_done_pending_ = false;
          armed_at_ = now;
          update(now);
        }
        if (error_) errors++;
      }
      return true;
    case LINK_STATUS:
      if (v & LINK_ST_TX_DONE) tx_done_pending_ = tx_done_pending_ && now < tx_done_;
      if (v & LINK_ST_RX_DONE) rx_done_pending_ = false;
      return true;
    case LINK_TX_ADDR: tx_addr_ = v; return true;
    case LINK_TX_LEN: tx_len_ = v; return true;
    case LINK_RX_ADDR: rx_addr_ = v; return true;
    case LINK_RX_CAP: rx_cap_ = v; return true;
    case LINK_ID: case LINK_RX_LEN: case LINK_MTU: case LINK_KIND: return true;
    default: return false;
  }
}

Link::Link(std::string name, const LinkParams& p, LinkEndpoint* a, LinkEndpoint* b)
    : name_(std::move(name)), channel_(p), ends_{a, b} {
  a->connect(this, 0);
  b->connect(this, 1);
}

sc_core::sc_time Link::send(int from, std::vector<uint8_t> data, const sc_core::sc_time& ready) {
  const uint32_t n = static_cast<uint32_t>(data.size());
  const Channel::Transfer t = channel_.send(from, to_ps(ready), n);
  messages++;
  bytes += n;
  LinkEndpoint* src = ends_[from];
  LinkEndpoint* dst = ends_[1 - from];
  src->tx_pj += tx_energy_pj(channel_.params(), n);
  src->tx_busy_ps += t.end_ps - t.start_ps;
  dst->rx_pj += rx_energy_pj(channel_.params(), n);
  const sc_core::sc_time end = from_ps(t.end_ps);
  dst->deliver(std::move(data), from_ps(t.start_ps), end);
  return end;
}

}  // namespace mcucim::models

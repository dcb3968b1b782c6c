// Link endpoint (issue 15): one end of a UART/SPI/LoRa link between two MCUs of a system, on its MCU's
// bus (register map: runtime/include/mcucim/link.h). A message is moved by the endpoint's own DMA
// (an initiator socket, like models/dma.h): SEND reads it from memory and hands it to the Link, which
// computes from the link model (models/link_model.h) when it arrives at the other endpoint; there it
// waits in a queue until the receiver is armed, then is written to memory.
//
// Temporal decoupling: each MCU runs ahead of the SystemC kernel by up to its quantum, so a sender may
// not yet have simulated a send that arrives before the receiver's local time. A STATUS read while the
// receiver is armed and nothing has arrived by the reader's local time therefore first synchronises
// the reading core with the kernel (Device::sync_before): once the kernel has reached the reader's
// time, every send that could arrive by then has been simulated. No message is seen late (programs
// arm the receiver before they poll, as link_recv() does; RX_WAITING polled without arming is not
// synchronised).
// A core sleeping in wfi with nothing scheduled waits on the endpoint's event (IrqSource::irq_event),
// notified at the arrival time of each message sent to it.
// Listening (LoRa with `listen`, models/link_model.h listen_power_w): a receiver armed before the
// transfer of the message it then receives starts is listening from the time it was armed until that
// start (the packet's own time on air is charged as rx energy by the Link); one still armed when its
// MCU ends listens until then (finish()).
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>

#include "models/device.h"
#include "models/irq.h"
#include "models/link_model.h"

namespace mcucim::models {

class Link;

class LinkEndpoint : public Device, public IrqSource {
 public:
  tlm_utils::simple_initiator_socket<LinkEndpoint> bus;

  // `cycle`: the SoC's clock period (the DMA moves bytes_per_cycle bytes per cycle).
  LinkEndpoint(sc_core::sc_module_name name, sc_core::sc_time latency, sc_core::sc_time cycle, uint32_t bytes_per_cycle);

  // Called by the system when it connects this endpoint (side 0 or 1 of `link`).
  void connect(Link* link, int side) { link_ = link; side_ = side; }
  bool connected() const { return link_ != nullptr; }
  // A message from the other side, on the wire from `start`, arriving at `arrival`.
  void deliver(std::vector<uint8_t> data, const sc_core::sc_time& start, const sc_core::sc_time& arrival);
  // The MCU ended at `end` (its local time): a receiver still armed has listened until then (or until
  // the start of the message at the head of its queue). Call once, before reading the energy.
  void finish(const sc_core::sc_time& end);

  bool irq_level(const sc_core::sc_time& now) const override;
  bool irq_next(const sc_core::sc_time& now, sc_core::sc_time& when) const override;
  const sc_core::sc_event* irq_event() const override { return &arrival_event_; }

  // Counters (report): messages and bytes each way, energy charged to this MCU (pJ), syncs, queue depth.
  uint64_t tx_messages = 0, tx_bytes = 0, rx_messages = 0, rx_bytes = 0, errors = 0;
  double tx_pj = 0, rx_pj = 0;
  double listen_pj = 0;         // an armed receiver waiting for a packet (LoRa): listen_power_w x listen_ps
  uint64_t listen_ps = 0;
  uint64_t tx_busy_ps = 0;      // time this side's messages were on the wire
  uint64_t syncs = 0;           // reads that synchronised with the kernel
  uint64_t max_queue_bytes = 0;  // deepest the receive queue got (bytes waiting, not yet received)

 protected:
  bool read(uint64_t off, unsigned len, uint32_t& v, const sc_core::sc_time& now) override;
  bool write(uint64_t off, unsigned len, uint32_t v, const sc_core::sc_time& now) override;
  bool sync_before(uint64_t off, bool is_read, const sc_core::sc_time& now) override;

 private:
  struct Message {
    std::vector<uint8_t> data;
    sc_core::sc_time start;    // its transfer starts (first bit on the wire)
    sc_core::sc_time arrival;  // its last bit has arrived
  };
  // Charges listening from the arming time to `until` (nothing if `until` is not later).
  void listen_until(const sc_core::sc_time& until);
  // Completes a reception whose message has arrived by `now` (writes it to memory).
  void update(const sc_core::sc_time& now);
  sc_core::sc_time rx_ready(const Message& m) const;  // when the armed receiver has the head message in memory
  bool dma(bool write, uint32_t addr, uint8_t* data, uint32_t n, sc_core::sc_time& t);
  sc_core::sc_time copy_time(uint32_t n) const { return cycle_ * static_cast<double>((n + bpc_ - 1) / bpc_); }

  Link* link_ = nullptr;
  int side_ = 0;
  sc_core::sc_time cycle_;
  uint32_t bpc_;
  uint32_t tx_addr_ = 0, tx_len_ = 0, rx_addr_ = 0, rx_cap_ = 0, rx_len_ = 0, error_ = 0;
  bool tx_ie_ = false, rx_ie_ = false, tx_done_pending_ = false, rx_armed_ = false, rx_done_pending_ = false;
  sc_core::sc_time tx_done_ = sc_core::SC_ZERO_TIME, rx_done_ = sc_core::SC_ZERO_TIME, armed_at_ = sc_core::SC_ZERO_TIME;
  std::deque<Message> queue_;
  uint64_t queue_bytes_ = 0;
  sc_core::sc_event arrival_event_;
};

// The link between two endpoints: the timing channel plus the two ends.
class Link {
 public:
  Link(std::string name, const LinkParams& p, LinkEndpoint* a, LinkEndpoint* b);
  // Side `from` sends `data`, ready (read from memory) at `ready`: returns the time its last bit is on
  // the wire, after delivering it to the other side; charges the energies.
  sc_core::sc_time send(int from, std::vector<uint8_t> data, const sc_core::sc_time& ready);
  const std::string& name() const { return name_; }
  const LinkParams& params() const { return channel_.params(); }
  const Channel& channel() const { return channel_; }
  LinkEndpoint* end(int side) const { return ends_[side]; }
  uint64_t messages = 0, bytes = 0;

 private:
  std::string name_;
  Channel channel_;
  LinkEndpoint* ends_[2];
};

}  // namespace mcucim::models

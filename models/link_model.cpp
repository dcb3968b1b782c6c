#include "models/link_model.h"

#include <algorithm>
#include <cmath>

namespace mcucim::models {

const char* link_kind_name(LinkKind k) {
  switch (k) {
    case LinkKind::Uart: return "uart";
    case LinkKind::Spi: return "spi";
    case LinkKind::Lora: return "lora";
  }
  return "?";
}

double lora_symbol_s(const LoraParams& p) { return std::ldexp(1.0, static_cast<int>(p.sf)) / p.bw_hz; }

bool lora_ldro(const LoraParams& p) {
  if (p.ldro >= 0) return p.ldro == 1;
  return lora_symbol_s(p) >= 16.38e-3;  // SX126x datasheet: LDRO advised for symbol times >= 16.38 ms
}

double lora_symbols(const LoraParams& p, uint32_t payload) {
  const double sf = p.sf;
  const double crc = p.crc ? 16.0 : 0.0, hdr = p.explicit_header ? 20.0 : 0.0;
  if (p.sf <= 6) {
    const double bits = std::max(8.0 * payload + crc - 4.0 * sf + hdr, 0.0);
    return p.preamble + 6.25 + 8.0 + std::ceil(bits / (4.0 * sf)) * (p.cr + 4.0);
  }
  const double de = lora_ldro(p) ? 1.0 : 0.0;
  const double bits = std::max(8.0 * payload + crc - 4.0 * sf + 8.0 + hdr, 0.0);
  return p.preamble + 4.25 + 8.0 + std::ceil(bits / (4.0 * (sf - 2.0 * de))) * (p.cr + 4.0);
}

double lora_time_on_air_s(const LoraParams& p, uint32_t payload) { return lora_symbols(p, payload) * lora_symbol_s(p); }

double wire_bits(const LinkParams& p, uint32_t bytes) {
  switch (p.kind) {
    case LinkKind::Uart: return double(bytes) * (1 + p.data_bits + (p.parity ? 1 : 0) + p.stop_bits);
    case LinkKind::Spi: return double(bytes) * 8.0;
    case LinkKind::Lora: return lora_symbols(p.lora, bytes) * p.lora.sf;
  }
  return 0;
}

double transfer_s(const LinkParams& p, uint32_t bytes) {
  switch (p.kind) {
    case LinkKind::Uart: return wire_bits(p, bytes) / p.baud;
    case LinkKind::Spi: return wire_bits(p, bytes) / p.clock_hz;
    case LinkKind::Lora: return lora_time_on_air_s(p.lora, bytes);
  }
  return 0;
}

double switching_cycles(const LinkParams& p, uint32_t bytes) {
  switch (p.kind) {
    case LinkKind::Uart: {
      const double k = p.data_bits + (p.parity ? 1.0 : 0.0);  // random bits between start and stop
      return double(bytes) * (1.0 + (k - 1.0) / 4.0);
    }
    case LinkKind::Spi: return double(bytes) * (8.0 + 8.0 / 4.0);
    case LinkKind::Lora: return 0;
  }
  return 0;
}

double line_capacitance_pf(const LinkParams& p) { return p.driver_pin_pf + p.receiver_pin_pf + p.board_pf; }

double pj_per_wire_bit(const LinkParams& p) {
  if (p.kind == LinkKind::Lora) return 0;
  return switching_cycles(p, 1) / wire_bits(p, 1) * line_capacitance_pf(p) * p.io_v * p.io_v;
}

double listen_power_w(const LinkParams& p) {
  return p.kind == LinkKind::Lora && p.lora.listen ? p.lora.supply_v * p.lora.rx_current_a : 0.0;
}

double tx_energy_pj(const LinkParams& p, uint32_t bytes) {
  if (p.kind == LinkKind::Lora) return p.lora.supply_v * p.lora.tx_current_a * transfer_s(p, bytes) * 1e12;
  return switching_cycles(p, bytes) * line_capacitance_pf(p) * p.io_v * p.io_v;
}

double rx_energy_pj(const LinkParams& p, uint32_t bytes) {
  if (p.kind == LinkKind::Lora) return p.lora.supply_v * p.lora.rx_current_a * transfer_s(p, bytes) * 1e12;
  return 0;  // a CMOS input: its pin capacitance is charged by the sender's driver (tx_energy_pj)
}

Channel::Transfer Channel::send(int from, uint64_t ready_ps, uint32_t bytes) {
  const int lane = full_duplex(p_) ? from : 0;
  uint64_t start = std::max(ready_ps, free_ps_[lane]);
  start = std::max(start, duty_next_ps_[from]);
  const uint64_t dur = static_cast<uint64_t>(std::llround(transfer_s(p_, bytes) * 1e12));
  const uint64_t end = start + dur;
  free_ps_[lane] = end;
  if (p_.kind == LinkKind::Lora && p_.lora.duty_cycle > 0)
    duty_next_ps_[from] = end + static_cast<uint64_t>(std::llround(dur * (1.0 / p_.lora.duty_cycle - 1.0)));
  busy_ps += dur;
  return {start, end};
}

}  // namespace mcucim::models

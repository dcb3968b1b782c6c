// Link models between two MCUs (issue 15): how long a message takes on the wire and what it costs.
// Plain C++ (no SystemC): the link endpoint device (models/link.h) asks a Channel when a message it
// sends arrives; tests call the formulas directly.
//
//   UART   8N1-style frames: (1 start + data + parity + stop) bits per byte at `baud`; full duplex.
//   SPI    8 bits per byte at `clock_hz`; full duplex (MOSI and MISO).
//   LoRa   SX126x packets: time on air by Semtech's formula (SX1261/2 datasheet, section 6.1.4):
//            Tsym = 2^SF / BW
//            SF5/SF6:   Nsym = Npre + 6.25 + 8 + ceil(max(8 L + Ncrc - 4 SF + Nhdr, 0) / (4 SF)) (CR + 4)
//            SF7..SF12: Nsym = Npre + 4.25 + 8 + ceil(max(8 L + Ncrc - 4 SF + 8 + Nhdr, 0) / (4 (SF - 2 DE))) (CR + 4)
//          (Ncrc = 16 with the payload CRC, Nhdr = 20 with the explicit header, DE = 1 with low-data-rate
//          optimisation, which `ldro: auto` turns on when Tsym >= 16.38 ms as the datasheet advises);
//          half duplex (one channel for both directions); at most `max_payload` bytes per packet;
//          optional duty-cycle limit (after a packet of time T the sender waits T (1/dc - 1)).
// Energy:
//   UART/SPI  the sender's output drivers charge the line capacitance C (driver pin + receiving pin +
//          board trace) from the I/O supply V: C V^2 of supply energy per full switching cycle of a
//          line (one rising and one falling edge; STM32 datasheets' I/O dynamic current
//          I_SW = V_DD f_SW C). Full cycles of a message, for random data (each data bit 0 or 1 with
//          probability 1/2, independently; a rising edge wherever a 0 is followed by a 1):
//            UART  per frame: start (0) -> first bit 1/2, (k - 1) bit pairs 1/4 each, last bit -> stop (1)
//                  1/2: 1 + (k - 1)/4 cycles, k = data bits + parity bit (8N1: 2.75 per 10-bit frame);
//            SPI   per byte: SCK 8 cycles (one per bit) + the data line 8 x 1/4: 10 cycles (1.25 per bit);
//          all charged to the sender (SPI: the clock with the data it carries, whichever side sends);
//          the receiver's CMOS input draws no supply current of its own (its pin capacitance is in C).
//   LoRa   supply voltage x TX current x time on air to the sender, x RX current to the receiver; with
//          `listen`, also x RX current for the time a receiver is armed before a packet's transfer
//          starts (listening; charged by the endpoint, models/link.h).
#pragma once
#include <cstdint>
#include <string>

namespace mcucim::models {

enum class LinkKind { Uart, Spi, Lora };
const char* link_kind_name(LinkKind k);

struct LoraParams {
  uint32_t sf = 7;              // spreading factor 5..12
  double bw_hz = 125e3;         // bandwidth
  uint32_t cr = 1;              // coding rate 4/(4+cr), cr 1..4
  uint32_t preamble = 8;        // programmed preamble symbols
  bool explicit_header = true;
  bool crc = true;
  int ldro = -1;                // low-data-rate optimisation: 1 on, 0 off, -1 auto (Tsym >= 16.38 ms)
  double tx_current_a = 0, rx_current_a = 0, supply_v = 3.3;
  bool listen = true;           // charge RX current while an armed receiver waits for a packet
  double duty_cycle = 0;        // 0: no limit; else the fraction of time a sender may be on air
};

struct LinkParams {
  LinkKind kind = LinkKind::Uart;
  double baud = 115200;         // uart
  uint32_t data_bits = 8, stop_bits = 1;
  bool parity = false;
  double clock_hz = 1e6;        // spi
  double io_v = 3.3;            // uart, spi: I/O supply voltage
  double driver_pin_pf = 0, receiver_pin_pf = 0, board_pf = 0;  // uart, spi: line capacitance parts
  LoraParams lora;
  uint32_t max_message = 65536; // bytes per message (LoRa: the packet payload limit, at most 255)
};

// LoRa symbol time (s), whether low-data-rate optimisation is in effect, symbols and time of one packet
// of `payload` bytes.
double lora_symbol_s(const LoraParams& p);
bool lora_ldro(const LoraParams& p);
double lora_symbols(const LoraParams& p, uint32_t payload);
double lora_time_on_air_s(const LoraParams& p, uint32_t payload);

// Bits on the wire for `bytes` (UART framing, SPI 8 per byte, LoRa: the packet's symbols x SF).
double wire_bits(const LinkParams& p, uint32_t bytes);
// Full switching cycles (rising edges) of the lines for one message of `bytes` of random data (UART,
// SPI; 0 for LoRa), the line capacitance (pF) and the resulting energy per bit on the wire (pJ).
double switching_cycles(const LinkParams& p, uint32_t bytes);
double line_capacitance_pf(const LinkParams& p);
double pj_per_wire_bit(const LinkParams& p);
// Power drawn by an armed receiver listening for a packet (W): LoRa with `listen`; 0 for UART/SPI.
double listen_power_w(const LinkParams& p);
// Time on the wire of one message of `bytes`.
double transfer_s(const LinkParams& p, uint32_t bytes);
// Energy of one message of `bytes` for the sender and the receiver, in pJ.
double tx_energy_pj(const LinkParams& p, uint32_t bytes);
double rx_energy_pj(const LinkParams& p, uint32_t bytes);
inline bool full_duplex(const LinkParams& p) { return p.kind != LinkKind::Lora; }

// The timing state of one link: when each direction (or, half duplex, the one channel) is free, and
// when each sender may transmit again under a duty-cycle limit. Times in picoseconds.
class Channel {
 public:
  explicit Channel(const LinkParams& p) : p_(p) {}
  struct Transfer { uint64_t start_ps, end_ps; };
  // A message of `bytes` from side `from` (0 or 1) ready at `ready_ps`: starts when its direction (or
  // the half-duplex channel) is free and the sender's duty-cycle wait is over; arrives at end_ps.
  Transfer send(int from, uint64_t ready_ps, uint32_t bytes);
  const LinkParams& params() const { return p_; }
  uint64_t busy_ps = 0;  // time the wire (either direction) carried data, summed over messages

 private:
  LinkParams p_;
  uint64_t free_ps_[2] = {0, 0};        // per direction (full duplex) or [0] for the channel
  uint64_t duty_next_ps_[2] = {0, 0};   // per sender
};

}  // namespace mcucim::models

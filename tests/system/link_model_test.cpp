// Link timing and energy (models/link_model.h) against hand-computed values: UART frames, SPI bits,
// LoRa time on air by Semtech's formula (SX1261/2 datasheet 6.1.4; for SF7..12 the same as AN1200.13's
// 8 + max(ceil((8PL - 4SF + 28 + 16CRC - 20IH) / (4(SF - 2DE))) (CR + 4), 0) payload symbols).
// UART/SPI energy: C V^2 per full switching cycle (rising edge) of a line, expected cycles for random
// data counted by hand below (configs/links/uart.yaml: C = 5 + 5 + 5 pF, V = 3.3 V: C V^2 = 163.35 pJ).
#include <gtest/gtest.h>

#include "models/link_model.h"

using namespace mcucim::models;

namespace {
LinkParams uart(double baud) {
  LinkParams p;
  p.kind = LinkKind::Uart;
  p.baud = baud;
  p.io_v = 3.3;
  p.driver_pin_pf = 5;
  p.receiver_pin_pf = 5;
  p.board_pf = 5;
  return p;
}
LoraParams lora(uint32_t sf, double bw, uint32_t cr, uint32_t pre = 8, bool hdr = true, bool crc = true) {
  LoraParams l;
  l.sf = sf;
  l.bw_hz = bw;
  l.cr = cr;
  l.preamble = pre;
  l.explicit_header = hdr;
  l.crc = crc;
  l.tx_current_a = 0.1179;
  l.rx_current_a = 0.0046;
  l.supply_v = 3.3;
  return l;
}
}  // namespace

TEST(LinkModel, Uart8N1FramesTenBitsPerByte) {
  const LinkParams p = uart(460800);
  EXPECT_DOUBLE_EQ(wire_bits(p, 100), 1000.0);
  EXPECT_NEAR(transfer_s(p, 100), 1000.0 / 460800, 1e-15);  // 2.170139 ms
  // One 8N1 frame of random data: 0 (start) -> d0 is a rising edge with probability 1/2, each of the
  // 7 pairs d(i) -> d(i+1) with 1/4, d7 -> 1 (stop) with 1/2: 2.75 full cycles. 100 frames: 275 cycles
  // x 15 pF x 3.3 V^2 (10.89) = 275 x 163.35 = 44921.25 pJ, all charged to the sender.
  EXPECT_DOUBLE_EQ(switching_cycles(p, 100), 275.0);
  EXPECT_NEAR(line_capacitance_pf(p), 15.0, 1e-12);
  EXPECT_NEAR(tx_energy_pj(p, 100), 44921.25, 1e-6);
  EXPECT_NEAR(pj_per_wire_bit(p), 44.92125, 1e-9);  // 2.75 / 10 x 163.35
  EXPECT_EQ(rx_energy_pj(p, 100), 0.0);
  EXPECT_EQ(listen_power_w(p), 0.0);  // an idle UART receiver draws nothing here
  LinkParams e2 = uart(115200);  // 8 data bits, even parity, 2 stop bits: 12 bits per byte
  e2.parity = true;
  e2.stop_bits = 2;
  EXPECT_NEAR(transfer_s(e2, 10), 120.0 / 115200, 1e-15);
  // 9 random bits (data + parity) between start and stop: 1/2 + 8/4 + 1/2 = 3 cycles per frame;
  // the second stop bit adds none. Other parts: 4 + 6 + 2 = 12 pF at 1.8 V: 12 x 3.24 = 38.88 pJ.
  e2.driver_pin_pf = 4;
  e2.receiver_pin_pf = 6;
  e2.board_pf = 2;
  e2.io_v = 1.8;
  EXPECT_DOUBLE_EQ(switching_cycles(e2, 10), 30.0);
  EXPECT_NEAR(tx_energy_pj(e2, 10), 30 * 38.88, 1e-9);
}

TEST(LinkModel, SpiEightClocksPerByte) {
  LinkParams p;
  p.kind = LinkKind::Spi;
  p.clock_hz = 20e6;
  p.io_v = 3.3;
  p.driver_pin_pf = p.receiver_pin_pf = p.board_pf = 5;
  EXPECT_NEAR(transfer_s(p, 256), 102.4e-6, 1e-15);
  // Per byte: SCK 8 full cycles + the data line 8 bits x 1/4 = 10 cycles; 256 bytes: 2560 x 163.35 pJ
  // = 418176 pJ (1.25 x 163.35 = 204.1875 pJ per bit).
  EXPECT_DOUBLE_EQ(switching_cycles(p, 256), 2560.0);
  EXPECT_NEAR(tx_energy_pj(p, 256), 418176.0, 1e-6);
  EXPECT_NEAR(pj_per_wire_bit(p), 204.1875, 1e-9);
  EXPECT_EQ(rx_energy_pj(p, 256), 0.0);
  EXPECT_EQ(listen_power_w(p), 0.0);
}

TEST(LinkModel, LoraTimeOnAirBySemtechFormula) {
  // SF7/125 kHz/4-5, 10 bytes: Tsym 1.024 ms; 8 + ceil(96/28)*5 = 28 payload symbols; 40.25 symbols.
  LoraParams a = lora(7, 125e3, 1);
  EXPECT_NEAR(lora_symbol_s(a), 1.024e-3, 1e-15);
  EXPECT_FALSE(lora_ldro(a));
  EXPECT_DOUBLE_EQ(lora_symbols(a, 10), 40.25);
  EXPECT_NEAR(lora_time_on_air_s(a, 10), 41.216e-3, 1e-12);
  // SF9/125 kHz, 13 bytes: 28 payload symbols, 164.864 ms (the AN1200.13 spreadsheet's example).
  EXPECT_NEAR(lora_time_on_air_s(lora(9, 125e3, 1), 13), 164.864e-3, 1e-12);
  // SF12/125 kHz, 51 bytes: Tsym 32.768 ms, LDRO on (auto): 8 + ceil(404/40)*5 = 63; 75.25 symbols.
  LoraParams c = lora(12, 125e3, 1);
  EXPECT_TRUE(lora_ldro(c));
  EXPECT_NEAR(lora_time_on_air_s(c, 51), 75.25 * 32.768e-3, 1e-12);  // 2.465792 s
  // SF11/250 kHz, 4/6, 100 bytes: Tsym 8.192 ms, LDRO off: 8 + ceil(800/44)*6 = 122; 134.25 symbols.
  LoraParams d = lora(11, 250e3, 2);
  EXPECT_FALSE(lora_ldro(d));
  EXPECT_NEAR(lora_time_on_air_s(d, 100), 134.25 * 8.192e-3, 1e-12);
  // SF11/125 kHz: Tsym 16.384 ms >= 16.38 ms: LDRO on; 1 byte: 8 + ceil(8/36)*5 = 13; 25.25 symbols.
  LoraParams e = lora(11, 125e3, 1);
  EXPECT_TRUE(lora_ldro(e));
  EXPECT_NEAR(lora_time_on_air_s(e, 1), 25.25 * 16.384e-3, 1e-12);
  e.ldro = 0;  // forced off; 40 bytes: 320 bits, ceil(320/44) = 8 groups off vs ceil(320/36) = 9 on
  EXPECT_DOUBLE_EQ(lora_symbols(e, 40), 8 + 4.25 + 8 + 8 * 5);
  e.ldro = 1;
  EXPECT_DOUBLE_EQ(lora_symbols(e, 40), 8 + 4.25 + 8 + 9 * 5);
  // SF5/500 kHz, 4/8, preamble 12, implicit header, no CRC, 20 bytes: Tsym 64 us;
  // 12 + 6.25 + 8 + ceil(140/20)*8 = 82.25 symbols.
  LoraParams f = lora(5, 500e3, 4, 12, false, false);
  EXPECT_DOUBLE_EQ(lora_symbols(f, 20), 82.25);
  EXPECT_NEAR(lora_time_on_air_s(f, 20), 82.25 * 64e-6, 1e-15);
  // Energy: V x I x time on air.
  LinkParams p;
  p.kind = LinkKind::Lora;
  p.lora = a;
  EXPECT_NEAR(tx_energy_pj(p, 10), 3.3 * 0.1179 * 41.216e-3 * 1e12, 1e-3);  // 16.036 mJ
  EXPECT_NEAR(rx_energy_pj(p, 10), 3.3 * 0.0046 * 41.216e-3 * 1e12, 1e-3);  // 0.626 mJ
  // Listening: the RX current at the supply voltage, 3.3 V x 4.6 mA = 15.18 mW; none without `listen`.
  EXPECT_NEAR(listen_power_w(p), 15.18e-3, 1e-15);
  p.lora.listen = false;
  EXPECT_EQ(listen_power_w(p), 0.0);
}

TEST(LinkModel, FullDuplexDirectionsAreIndependentHalfDuplexShares) {
  Channel u(uart(1e6));  // 100 bytes: 1 ms
  Channel::Transfer a = u.send(0, 0, 100), b = u.send(1, 0, 100), c = u.send(0, 0, 100);
  EXPECT_EQ(a.start_ps, 0u);
  EXPECT_EQ(a.end_ps, 1000000000u);
  EXPECT_EQ(b.start_ps, 0u);             // the other direction is free
  EXPECT_EQ(c.start_ps, a.end_ps);       // the same direction queues
  LinkParams lp;
  lp.kind = LinkKind::Lora;
  lp.lora = lora(7, 125e3, 1);
  Channel l(lp);
  Channel::Transfer x = l.send(0, 0, 10), y = l.send(1, 0, 10);
  EXPECT_EQ(x.end_ps, 41216000000u);
  EXPECT_EQ(y.start_ps, x.end_ps);       // half duplex: one channel
  // 1% duty cycle: after a packet of T the sender waits 99 T.
  lp.lora.duty_cycle = 0.01;
  Channel d(lp);
  Channel::Transfer p0 = d.send(0, 0, 10), p1 = d.send(0, p0.end_ps, 10);
  EXPECT_EQ(p1.start_ps, p0.end_ps + 99 * 41216000000ull);
}

// The GDB stub (`mcucim run --gdb PORT`): a GDB remote serial protocol server on 127.0.0.1 for
// gdb-multiarch, attached to the core as an observer (models::CoreObserver). docs/DEBUGGING.md
// describes what it serves; in short:
// - The core stops at reset until GDB connects; while halted the stub blocks inside the core's
//   thread, so simulated time does not advance.
// - Registers: the 32 GPRs and pc in `g`/`G`, and with `p`/`P` also the FP registers (with the F
//   extension) and machine CSRs, described to GDB by a target description (qXfer:features:read).
// - Memory (`m`/`M`) through the core's debug path (isa::Cpu::debug_read/write): no simulated time,
//   no energy, memories only (device registers are refused, reading them could have side effects).
// - Software breakpoints (Z0) patch an ebreak into memory (the core halts on it:
//   isa::Cpu::set_ebreak_halts); hardware breakpoints and watchpoints (Z1..Z4) use the core's Sdtrig
//   triggers (soc.core.triggers of them) armed as Debug-Mode triggers.
// - `s`, `c`, Ctrl-C (polled every kPollCycles cycles while running: no per-instruction cost),
//   `monitor` commands (qRcmd), `k` (ends the run), `D` (detaches; the run continues at full speed).
// - A client that disconnects is treated as a detach. Malformed packets get a NAK ('-'), unknown
//   ones the empty reply, oversized ones (> kMaxPacket bytes) are dropped with an error reply.
// The framing and the commands are in sim/gdb_protocol.h (no I/O: fuzzed by fuzz/gdb_packet_fuzz.cpp);
// this class owns the socket and the run control.
#pragma once
#include <cstdint>
#include <string>

#include "isa/cpu.h"
#include "models/core.h"
#include "sim/gdb_protocol.h"

namespace mcucim::sim {

class GdbServer : public models::CoreObserver {
 public:
  static constexpr size_t kMaxPacket = gdb::kMaxPacket;  // payload bytes accepted in one packet
  static constexpr uint64_t kPollCycles = 1u << 20;  // running: look for Ctrl-C this often
  // `monitor` commands: given the command line, return the text to print (empty: unknown command).
  using Monitor = gdb::Target::Monitor;

  // Listens on 127.0.0.1:port (0: a free port, see port()). Throws ConfigError if it cannot.
  GdbServer(models::Core& core, uint16_t port, Monitor monitor);
  ~GdbServer() override;
  uint16_t port() const { return port_; }

  bool poll(isa::Cpu& cpu, uint64_t& until) override;
  void after_step(isa::Cpu& cpu, isa::Stop stop) override;
  bool on_debug_stop(isa::Cpu& cpu) override;
  void finish(isa::Cpu& cpu) override;

 private:
  struct Disconnected {};
  gdb::Resume serve(isa::Cpu& cpu);  // halted: answer packets until GDB resumes
  // I/O (throw Disconnected when the client is gone).
  int get_byte();
  std::string get_packet();  // the next packet with a good checksum (acked; bad ones are NAKed)
  void send_packet(const std::string& payload);
  void put_raw(const std::string& s);
  bool interrupt_pending();  // running: a Ctrl-C arrived (non-blocking)
  void drop_client();        // detach: remove breakpoints/triggers, close the connection

  models::Core& core_;
  gdb::Target target_;
  gdb::PacketReader reader_;
  int listen_fd_ = -1, fd_ = -1;
  uint16_t port_ = 0;
  bool attached_ = false, detached_ = false, halted_ = false, stepping_ = false;
  bool stop_pending_ = false;  // a stop reply is owed to GDB
  std::string rx_;             // bytes received but not consumed
};

}  // namespace mcucim::sim

// The GDB remote serial protocol without I/O (sim/gdb_server.h owns the socket): the framing of the
// byte stream into packets (gdb::PacketReader) and the commands of a halted target (gdb::Target:
// registers, memory, break- and watchpoints, queries, `monitor`). Both are functions of their input
// and the core's state only, so they are fuzzed (fuzz/gdb_packet_fuzz.cpp) and tested without a
// socket. docs/DEBUGGING.md lists the packets served.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "isa/cpu.h"

namespace mcucim::sim::gdb {

constexpr size_t kMaxPacket = 16384;  // payload bytes accepted in one packet

// Framing: '$' payload '#' and two hex digits of the payload's byte sum mod 256. Bytes outside a
// packet (acks, Ctrl-C while halted, noise) are ignored; a '$' inside a packet starts a new one (the
// previous one was truncated); '}' escapes the next byte (XOR 0x20, binary data). A payload longer
// than kMaxPacket is read to its end but not kept (Event::TooLong); memory stays bounded.
class PacketReader {
 public:
  enum class Event { None, Packet, BadChecksum, TooLong };
  // Consumes one byte; returns the event it completes. After Event::Packet, packet() is the payload
  // with escapes resolved.
  Event feed(uint8_t c);
  const std::string& packet() const { return packet_; }

 private:
  enum class State { Idle, Body, Sum1, Sum2 };
  State state_ = State::Idle;
  std::string raw_, packet_;
  unsigned sum_ = 0;
  int sum_hi_ = 0;
  bool too_long_ = false;
};

// How the core continues after a command.
enum class Resume { None, Step, Continue, Kill, Detach };

// The commands of one debugger on a halted core. Holds the debugger's software breakpoints (original
// bytes) and the triggers it armed; detach() takes them out again.
class Target {
 public:
  // `monitor` commands: given the command line, return the text to print (empty: unknown command).
  using Monitor = std::function<std::string(const std::string& cmd)>;
  explicit Target(Monitor monitor) : monitor_(std::move(monitor)) {}

  // Answers one packet payload: returns the reply, sets `resume` when the core is to resume (no reply
  // is sent then, except "OK" to a detach), and puts console text for GDB (`monitor` output: 'O'
  // packets to send before the reply, in order) in `console`. Every packet, reply or console, fits
  // kMaxPacket: long console text is split over several 'O' packets. Malformed arguments get "E01",
  // inaccessible memory "E14".
  std::string handle(isa::Cpu& cpu, const std::string& payload, Resume& resume, std::vector<std::string>& console);
  // The stop reply for '?' and after a stop: T<signal>, with swbreak/hwbreak/watch details after a
  // debug stop.
  std::string stop_reply(const isa::Cpu& cpu) const;
  // Restores the program's bytes under software breakpoints and clears the armed triggers.
  void detach(isa::Cpu& cpu);

  int stop_signal = 5;      // SIGTRAP, or 2 (SIGINT) after Ctrl-C
  bool debug_stop = false;  // the last stop was a trigger/ebreak (isa::Cpu::debug_event())

 private:
  std::string target_xml(const isa::Cpu& cpu) const;
  bool read_reg(isa::Cpu& cpu, unsigned n, uint32_t& v);
  bool write_reg(isa::Cpu& cpu, unsigned n, uint32_t v);
  bool mem_read(isa::Cpu& cpu, uint32_t addr, uint32_t len, std::string& hex);
  bool mem_write(isa::Cpu& cpu, uint32_t addr, const std::string& bytes);
  std::string insert_point(isa::Cpu& cpu, int type, uint32_t addr, uint32_t kind);
  std::string remove_point(isa::Cpu& cpu, int type, uint32_t addr, uint32_t kind);

  Monitor monitor_;
  // Software breakpoints: address -> original bytes (2 or 4).
  std::map<uint32_t, std::string> sw_breaks_;
  // Triggers the debugger armed: index -> (type Z1..Z4, address, size).
  struct HwPoint {
    int type;
    uint32_t addr, size;
  };
  std::map<unsigned, HwPoint> hw_points_;
};

}  // namespace mcucim::sim::gdb

// Fuzz target: the GDB stub's protocol (sim/gdb_protocol.h) on arbitrary bytes from the debugger's
// side of the socket: the framing (checksums, escapes, truncated and oversized packets) and every
// command with its arguments (registers, memory reads and writes across region ends, software
// breakpoints, hardware break- and watchpoints, target description chunks, monitor commands) against
// a real core with a writable RAM, a read-only ROM, an F extension and 4 triggers; nothing runs. After
// the input the debugger detaches: every software breakpoint must be gone from memory.
// Every reply must fit the advertised packet size (kMaxPacket).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "isa/cpu.h"
#include "sim/gdb_protocol.h"

namespace {
namespace isa = mcucim::isa;
namespace gdb = mcucim::sim::gdb;

constexpr uint32_t kRamBase = 0x80000000u, kRamSize = 4096;
constexpr uint32_t kRomBase = 0x20000000u, kRomSize = 1024;

class NoBus : public isa::Bus {  // no devices: every access outside the memories faults
 public:
  bool read(uint32_t, void*, unsigned, uint64_t, uint32_t&) override { return false; }
  bool write(uint32_t, const void*, unsigned, uint64_t, uint32_t&) override { return false; }
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "gdb_packet fuzz: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  NoBus bus;
  isa::CpuConfig cfg;
  cfg.features.m = cfg.features.c = cfg.features.f = true;
  cfg.triggers = 4;
  cfg.timing.base.fill(1);
  std::vector<uint8_t> ram(kRamSize), rom(kRomSize);
  for (size_t i = 0; i < ram.size(); ++i) ram[i] = uint8_t(i * 7);
  for (size_t i = 0; i < rom.size(); ++i) rom[i] = uint8_t(i * 13);
  auto cpu = std::make_unique<isa::Cpu>(cfg, &bus);
  isa::MemRegion r;
  r.name = "ram";
  r.base = kRamBase;
  r.size = kRamSize;
  r.host = ram.data();
  r.executable = true;
  cpu->add_region(r);
  r.name = "rom";
  r.base = kRomBase;
  r.size = kRomSize;
  r.host = rom.data();
  r.writable = false;
  cpu->add_region(r);
  cpu->reset(kRamBase);

  // The bytes the program wrote (M packets) are the reference for "breakpoints are gone".
  gdb::PacketReader reader;
  gdb::Target target([](const std::string& cmd) { return cmd == "help" ? std::string("help text\n") : std::string(); });
  bool wrote = false;
  for (size_t i = 0; i < size; ++i) {
    if (reader.feed(data[i]) != gdb::PacketReader::Event::Packet) continue;
    gdb::Resume how;
    std::string console;
    const std::string& pkt = reader.packet();
    const std::string reply = target.handle(*cpu, pkt, how, console);
    if (reply.size() > gdb::kMaxPacket) fail("reply longer than the advertised packet size");
    if (!pkt.empty() && pkt[0] == 'M') wrote = true;
    if (how == gdb::Resume::Detach || how == gdb::Resume::Kill) break;
  }
  // Ebreaks planted by Z0 must be removed by the detach: without memory writes by the debugger, the
  // memories are back to their initial bytes.
  target.detach(*cpu);
  if (!wrote) {
    for (size_t i = 0; i < ram.size(); ++i)
      if (ram[i] != uint8_t(i * 7)) fail("RAM differs after detach");
    for (size_t i = 0; i < rom.size(); ++i)
      if (rom[i] != uint8_t(i * 13)) fail("ROM differs after detach");
  }
  return 0;
}

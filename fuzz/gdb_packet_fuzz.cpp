// Fuzz target: the GDB stub's protocol (sim/gdb_protocol.h) on arbitrary bytes from the debugger's
// side of the socket: the framing (checksums, escapes, truncated and oversized packets) and every
// command with its arguments (registers, memory reads and writes across region ends, software
// breakpoints, hardware break- and watchpoints, target description chunks, monitor commands) against
// a real core with a writable RAM, a read-only ROM, an F extension and 4 triggers; nothing runs. After
// the input the debugger detaches: every software breakpoint must be gone from memory.
// Every reply and every console ('O') packet must fit the advertised packet size (kMaxPacket).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
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

// One core for all inputs: building it costs far more than an input (its 1 MiB page map and decode
// caches), so each input starts from a restored state instead: the memories' initial bytes, a reset
// (registers, CSRs, PMP, triggers) and the counters' offsets written back to zero (nothing runs, so
// the cycle and instruction counts stay 0).
struct Fixture {
  NoBus bus;
  std::vector<uint8_t> ram = std::vector<uint8_t>(kRamSize), rom = std::vector<uint8_t>(kRomSize);
  std::unique_ptr<isa::Cpu> cpu;
  Fixture() {
    isa::CpuConfig cfg;
    cfg.features.m = cfg.features.c = cfg.features.f = true;
    cfg.triggers = 4;
    cfg.timing.base.fill(1);
    cpu = std::make_unique<isa::Cpu>(cfg, &bus);
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
  }
  isa::Cpu& fresh() {
    for (size_t i = 0; i < ram.size(); ++i) ram[i] = uint8_t(i * 7);
    for (size_t i = 0; i < rom.size(); ++i) rom[i] = uint8_t(i * 13);
    cpu->reset(kRamBase);
    for (uint32_t csr : {0xB00u, 0xB80u, 0xB02u, 0xB82u})  // mcycle(h), minstret(h)
      if (!cpu->csr_write(csr, 0)) fail("counter CSR not writable");
    cpu->flush_decode_cache();
    return *cpu;
  }
};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  isa::Cpu& cpu = fixture.fresh();
  const std::vector<uint8_t>& ram = fixture.ram;
  const std::vector<uint8_t>& rom = fixture.rom;

  // The bytes the program wrote (M packets) are the reference for "breakpoints are gone".
  gdb::PacketReader reader;
  // `monitor long`: output longer than one packet (split over several 'O' packets).
  gdb::Target target([](const std::string& cmd) {
    return cmd == "help" ? std::string("help text\n") : cmd == "long" ? std::string(40000, 'x') + "\n" : std::string();
  });
  bool wrote = false;
  for (size_t i = 0; i < size; ++i) {
    if (reader.feed(data[i]) != gdb::PacketReader::Event::Packet) continue;
    gdb::Resume how;
    std::vector<std::string> console;
    const std::string& pkt = reader.packet();
    const std::string reply = target.handle(cpu, pkt, how, console);
    if (reply.size() > gdb::kMaxPacket) fail("reply longer than the advertised packet size");
    for (const std::string& o : console)
      if (o.size() > gdb::kMaxPacket || o.empty() || o[0] != 'O') fail("console packet longer than the packet size");
    if (!pkt.empty() && pkt[0] == 'M') wrote = true;
    if (how == gdb::Resume::Detach || how == gdb::Resume::Kill) break;
  }
  // Ebreaks planted by Z0 must be removed by the detach: without memory writes by the debugger, the
  // memories are back to their initial bytes.
  target.detach(cpu);
  if (!wrote) {
    for (size_t i = 0; i < ram.size(); ++i)
      if (ram[i] != uint8_t(i * 7)) fail("RAM differs after detach");
    for (size_t i = 0; i < rom.size(); ++i)
      if (rom[i] != uint8_t(i * 13)) fail("ROM differs after detach");
  }
  return 0;
}

// The GDB stub's protocol without a socket (sim/gdb_protocol.h): `monitor` output of any length goes
// to GDB in 'O' packets that each fit the packet size the stub advertises (kMaxPacket, qSupported's
// PacketSize), in order, and together hold the whole text.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "isa/cpu.h"
#include "sim/gdb_protocol.h"

using namespace mcucim;
namespace gdb = sim::gdb;

namespace {

class NoBus : public isa::Bus {
 public:
  bool read(uint32_t, void*, unsigned, uint64_t, uint32_t&) override { return false; }
  bool write(uint32_t, const void*, unsigned, uint64_t, uint32_t&) override { return false; }
};

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) {
    h += d[c >> 4];
    h += d[c & 15];
  }
  return h;
}

// The text of a sequence of 'O' packets (hex decoded), checking each one's size and form.
std::string console_text(const std::vector<std::string>& packets) {
  std::string text;
  for (const std::string& p : packets) {
    EXPECT_LE(p.size(), gdb::kMaxPacket);
    EXPECT_EQ(p[0], 'O');
    EXPECT_EQ(p.size() % 2, 1u);
    for (size_t i = 1; i + 1 < p.size(); i += 2) text += char(std::stoi(p.substr(i, 2), nullptr, 16));
  }
  return text;
}

struct Session {
  NoBus bus;
  std::unique_ptr<isa::Cpu> cpu = std::make_unique<isa::Cpu>(isa::CpuConfig{}, &bus);
  gdb::Target target;
  explicit Session(gdb::Target::Monitor m) : target(std::move(m)) {}
  std::string monitor(const std::string& line, std::vector<std::string>& console) {
    gdb::Resume how;
    return target.handle(*cpu, "qRcmd," + hex(line), how, console);
  }
};

}  // namespace

TEST(GdbMonitor, ShortOutputIsOnePacket) {
  Session s([](const std::string& cmd) { return cmd == "help" ? std::string("help text\n") : std::string(); });
  std::vector<std::string> console;
  EXPECT_EQ(s.monitor("help", console), "OK");
  ASSERT_EQ(console.size(), 1u);
  EXPECT_EQ(console[0], "O" + hex("help text\n"));
}

TEST(GdbMonitor, LongOutputIsSplitIntoPacketsThatFit) {
  // 20,000 bytes: 40,000 hex digits, more than two packets of 16,384 bytes.
  std::string big;
  for (int i = 0; i < 20000; ++i) big += char('a' + i % 26);
  Session s([&](const std::string&) { return big; });
  std::vector<std::string> console;
  EXPECT_EQ(s.monitor("dump", console), "OK");
  EXPECT_EQ(console.size(), 3u);  // (16384 - 1) / 2 = 8191 bytes per packet
  EXPECT_EQ(console_text(console), big);
}

TEST(GdbMonitor, UnknownCommandOfAnyLengthFits) {
  // The longest command a packet can carry: its hex takes the whole packet. The reply names it
  // (shortened) and fits one packet.
  Session s([](const std::string&) { return std::string(); });
  const std::string cmd(gdb::kMaxPacket / 2 - 4, 'z');
  std::vector<std::string> console;
  EXPECT_EQ(s.monitor(cmd, console), "OK");
  ASSERT_EQ(console.size(), 1u);
  const std::string text = console_text(console);
  EXPECT_EQ(text, "unknown monitor command '" + std::string(80, 'z') + "...' (try: monitor help)\n");
}

TEST(GdbMonitor, SupportedPacketSizeIsTheLimit) {
  Session s(nullptr);
  gdb::Resume how;
  std::vector<std::string> console;
  const std::string r = s.target.handle(*s.cpu, "qSupported:multiprocess+", how, console);
  EXPECT_EQ(r.rfind("PacketSize=4000;", 0), 0u) << r;  // 16384 = 0x4000
}

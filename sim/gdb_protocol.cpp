#include "sim/gdb_protocol.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "isa/disasm.h"
#include "isa/triggers.h"

namespace mcucim::sim::gdb {

namespace {
constexpr unsigned kPcReg = 32, kFirstFpReg = 33, kFirstCsrReg = 65;  // GDB's RISC-V register numbers
// Machine CSRs offered to GDB (all exist on every configuration of the core).
constexpr uint32_t kCsrs[] = {0x300, 0x301, 0x304, 0x305, 0x340, 0x341, 0x342, 0x343,
                              0x344, 0xB00, 0xB02, 0xB80, 0xB82, 0xF14};

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// A hex number (big-endian text, as in addresses and lengths); false if empty, bad or > 32 bits.
bool parse_hex(const std::string& s, uint32_t& v) {
  if (s.empty() || s.size() > 8) return false;
  v = 0;
  for (char c : s) {
    const int h = hexval(c);
    if (h < 0) return false;
    v = (v << 4) | unsigned(h);
  }
  return true;
}
// Hex text of bytes, and back.
std::string to_hex(const void* data, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}
bool from_hex(const std::string& s, std::string& bytes) {
  if (s.size() % 2) return false;
  bytes.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    const int a = hexval(s[i]), b = hexval(s[i + 1]);
    if (a < 0 || b < 0) return false;
    bytes += char(a * 16 + b);
  }
  return true;
}
std::string reg_hex(uint32_t v) { return to_hex(&v, 4); }  // target byte order (little-endian)
bool reg_from_hex(const std::string& s, uint32_t& v) {
  std::string b;
  if (s.size() != 8 || !from_hex(s, b)) return false;
  std::memcpy(&v, b.data(), 4);
  return true;
}
// "addr,len" -> numbers.
bool parse_addr_len(const std::string& s, uint32_t& addr, uint32_t& len) {
  const auto c = s.find(',');
  return c != std::string::npos && parse_hex(s.substr(0, c), addr) && parse_hex(s.substr(c + 1), len);
}
}  // namespace

// ---- Framing ----------------------------------------------------------------------------------------
PacketReader::Event PacketReader::feed(uint8_t c) {
  switch (state_) {
    case State::Idle:
      if (c == '$') {  // acks, Ctrl-C while halted, noise: ignored
        raw_.clear();
        sum_ = 0;
        too_long_ = false;
        state_ = State::Body;
      }
      return Event::None;
    case State::Body:
      if (c == '#') {
        state_ = State::Sum1;
      } else if (c == '$') {  // a new packet starts: the previous one was truncated
        raw_.clear();
        sum_ = 0;
        too_long_ = false;
      } else {
        sum_ += c;
        if (raw_.size() < kMaxPacket) raw_ += char(c);
        else too_long_ = true;
      }
      return Event::None;
    case State::Sum1:
      sum_hi_ = hexval(char(c));
      state_ = State::Sum2;
      return Event::None;
    case State::Sum2: {
      state_ = State::Idle;
      const int lo = hexval(char(c));
      if (sum_hi_ < 0 || lo < 0 || unsigned(sum_hi_ * 16 + lo) != (sum_ & 0xff)) return Event::BadChecksum;
      if (too_long_) return Event::TooLong;
      // Binary escapes ('}' then the byte XOR 0x20), used by X packets.
      packet_.clear();
      for (size_t i = 0; i < raw_.size(); ++i) {
        if (raw_[i] == '}' && i + 1 < raw_.size()) packet_ += char(raw_[++i] ^ 0x20);
        else packet_ += raw_[i];
      }
      return Event::Packet;
    }
  }
  return Event::None;
}

// ---- Commands ---------------------------------------------------------------------------------------
std::string Target::stop_reply(const isa::Cpu& cpu) const {
  if (!debug_stop) return fmt::format("T{:02x}", stop_signal);
  const isa::DebugEvent& e = cpu.debug_event();
  if (e.kind == 0) return "T05swbreak:;";
  if (e.kind == isa::Triggers::kExecute) return "T05hwbreak:;";
  const auto it = hw_points_.find(e.trigger);
  const int type = it == hw_points_.end() ? 0 : it->second.type;
  const char* what = type == 4 ? "awatch" : (e.kind == isa::Triggers::kStore ? "watch" : "rwatch");
  return fmt::format("T05{}:{:x};", what, e.address);
}

std::string Target::handle(isa::Cpu& cpu, const std::string& p, Resume& resume, std::vector<std::string>& console) {
  resume = Resume::None;
  console.clear();
  if (p.empty()) return "";
  const char cmd = p[0];
  const std::string arg = p.substr(1);
  switch (cmd) {
    case '?':
      return stop_reply(cpu);
    case 'g': {
      std::string s;
      for (unsigned r = 0; r < 32; ++r) s += reg_hex(cpu.x(r));
      return s + reg_hex(cpu.pc());
    }
    case 'G': {
      if (arg.size() < 33 * 8) return "E01";
      uint32_t v[33];
      for (unsigned r = 0; r < 33; ++r)
        if (!reg_from_hex(arg.substr(r * 8, 8), v[r])) return "E01";
      for (unsigned r = 1; r < 32; ++r) cpu.set_x(r, v[r]);
      cpu.set_pc(v[32]);
      return "OK";
    }
    case 'p': {
      uint32_t n, v;
      if (!parse_hex(arg, n)) return "E01";
      return read_reg(cpu, n, v) ? reg_hex(v) : "E01";
    }
    case 'P': {
      const auto eq = arg.find('=');
      uint32_t n, v;
      if (eq == std::string::npos || !parse_hex(arg.substr(0, eq), n) || !reg_from_hex(arg.substr(eq + 1), v))
        return "E01";
      return write_reg(cpu, n, v) ? "OK" : "E01";
    }
    case 'm': {
      uint32_t addr, len;
      if (!parse_addr_len(arg, addr, len) || len > kMaxPacket / 2) return "E01";
      std::string hex;
      return mem_read(cpu, addr, len, hex) ? hex : "E14";
    }
    case 'M': {
      const auto colon = arg.find(':');
      uint32_t addr, len;
      std::string bytes;
      if (colon == std::string::npos || !parse_addr_len(arg.substr(0, colon), addr, len) ||
          !from_hex(arg.substr(colon + 1), bytes) || bytes.size() != len)
        return "E01";
      return mem_write(cpu, addr, bytes) ? "OK" : "E14";
    }
    case 'X':
      return "";  // binary writes: not supported (GDB falls back to M)
    case 'c':
    case 's':
      if (!arg.empty()) {  // resume address
        uint32_t a;
        if (!parse_hex(arg, a)) return "E01";
        cpu.set_pc(a);
      }
      resume = cmd == 's' ? Resume::Step : Resume::Continue;
      return "";
    case 'k':
      resume = Resume::Kill;
      return "";
    case 'D':
      resume = Resume::Detach;
      return "";
    case 'H':
      return "OK";  // one thread
    case 'T':
      return "OK";
    case 'Z':
    case 'z': {
      // Z<type>,<addr>,<kind>
      if (arg.size() < 2 || arg[0] < '0' || arg[0] > '4' || arg[1] != ',') return "E01";
      uint32_t addr, kind;
      const std::string rest = arg.substr(2);
      const auto semi = rest.find(';');  // conditions: not supported, ignored
      if (!parse_addr_len(rest.substr(0, semi), addr, kind)) return "E01";
      return cmd == 'Z' ? insert_point(cpu, arg[0] - '0', addr, kind) : remove_point(cpu, arg[0] - '0', addr, kind);
    }
    case 'q': {
      if (p.rfind("qSupported", 0) == 0)
        return fmt::format("PacketSize={:x};qXfer:features:read+;swbreak+;hwbreak+", kMaxPacket);
      if (p == "qAttached") return "1";
      if (p == "qC") return "QC1";
      if (p == "qfThreadInfo") return "m1";
      if (p == "qsThreadInfo") return "l";
      if (p.rfind("qSymbol", 0) == 0) return "OK";
      if (p.rfind("qXfer:features:read:target.xml:", 0) == 0) {
        uint32_t off, len;
        if (!parse_addr_len(p.substr(31), off, len)) return "E01";
        const std::string xml = target_xml(cpu);
        if (off >= xml.size()) return "l";
        const std::string chunk = xml.substr(off, std::min<size_t>(len, kMaxPacket / 2));
        return (off + chunk.size() >= xml.size() ? "l" : "m") + chunk;
      }
      if (p.rfind("qRcmd,", 0) == 0) {
        std::string line;
        if (!from_hex(p.substr(6), line)) return "E01";
        std::string text = monitor_ ? monitor_(line) : std::string();
        if (text.empty()) {
          constexpr size_t kShown = 80;  // of the unknown command, echoed
          text = fmt::format("unknown monitor command '{}{}' (try: monitor help)\n", line.substr(0, kShown),
                             line.size() > kShown ? "..." : "");
        }
        // 'O' and two hex digits per byte: split so that every packet fits kMaxPacket.
        constexpr size_t kPerPacket = (kMaxPacket - 1) / 2;
        for (size_t at = 0; at < text.size(); at += kPerPacket) {
          const size_t n = std::min(kPerPacket, text.size() - at);
          console.push_back("O" + to_hex(text.data() + at, n));
        }
        return "OK";
      }
      return "";
    }
    default:
      return "";  // not supported: the empty reply
  }
}

// ---- Registers --------------------------------------------------------------------------------------
bool Target::read_reg(isa::Cpu& cpu, unsigned n, uint32_t& v) {
  const bool fp = cpu.config().features.f;
  if (n < 32) { v = cpu.x(n); return true; }
  if (n == kPcReg) { v = cpu.pc(); return true; }
  if (n >= kFirstFpReg && n < kFirstFpReg + 32) {
    if (!fp) return false;
    v = cpu.f(n - kFirstFpReg);
    return true;
  }
  if (n >= kFirstCsrReg && n < kFirstCsrReg + 4096) {
    const uint32_t csr = n - kFirstCsrReg;
    if (csr >= 1 && csr <= 3) {  // fflags, frm, fcsr: readable by the debugger even with FS = Off
      if (!fp) return false;
      const uint32_t fcsr = cpu.fcsr();
      v = csr == 1 ? (fcsr & 0x1f) : csr == 2 ? (fcsr >> 5) & 7 : fcsr;
      return true;
    }
    return cpu.csr_read(csr, v);
  }
  return false;
}

bool Target::write_reg(isa::Cpu& cpu, unsigned n, uint32_t v) {
  if (n < 32) { cpu.set_x(n, v); return true; }
  if (n == kPcReg) { cpu.set_pc(v); return true; }
  if (n >= kFirstFpReg && n < kFirstFpReg + 32) {
    if (!cpu.config().features.f) return false;
    cpu.set_f(n - kFirstFpReg, v);
    return true;
  }
  if (n >= kFirstCsrReg && n < kFirstCsrReg + 4096) return cpu.csr_write(n - kFirstCsrReg, v);
  return false;
}

std::string Target::target_xml(const isa::Cpu& cpu) const {
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
      "<architecture>riscv:rv32</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (unsigned r = 0; r < 32; ++r)
    x += fmt::format("<reg name=\"{}\" bitsize=\"32\" type=\"{}\" regnum=\"{}\"/>\n", isa::reg_name(r),
                     r == 1 ? "code_ptr" : r == 2 ? "data_ptr" : "int", r);
  x += "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n";
  if (cpu.config().features.f) {
    x += "<feature name=\"org.gnu.gdb.riscv.fpu\">\n";
    for (unsigned r = 0; r < 32; ++r)
      x += fmt::format("<reg name=\"{}\" bitsize=\"32\" type=\"ieee_single\" regnum=\"{}\"/>\n", isa::freg_name(r),
                       kFirstFpReg + r);
    x += fmt::format("<reg name=\"fflags\" bitsize=\"32\" type=\"int\" regnum=\"{}\"/>\n", kFirstCsrReg + 1);
    x += fmt::format("<reg name=\"frm\" bitsize=\"32\" type=\"int\" regnum=\"{}\"/>\n", kFirstCsrReg + 2);
    x += fmt::format("<reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"{}\"/>\n", kFirstCsrReg + 3);
    x += "</feature>\n";
  }
  x += "<feature name=\"org.gnu.gdb.riscv.csr\">\n";
  for (uint32_t c : kCsrs) {
    char name[24];
    isa::csr_name(c, name, sizeof name);
    x += fmt::format("<reg name=\"{}\" bitsize=\"32\" type=\"int\" regnum=\"{}\"/>\n", name, kFirstCsrReg + c);
  }
  x += "</feature>\n</target>\n";
  return x;
}

// ---- Memory (memories only, no time or energy) ------------------------------------------------------
bool Target::mem_read(isa::Cpu& cpu, uint32_t addr, uint32_t len, std::string& hex) {
  std::string bytes(len, '\0');
  for (uint64_t a = addr, end = uint64_t(addr) + len; a < end;) {
    const isa::MemRegion* r = a <= 0xffffffffu ? cpu.find_region(uint32_t(a), 1) : nullptr;
    if (!r) return false;  // a device or nothing: refused (a read could have side effects)
    a = std::min<uint64_t>(end, uint64_t(r->base) + r->size);
  }
  if (len && !cpu.debug_read(addr, bytes.data(), len)) return false;
  // Show the program's bytes under software breakpoints.
  for (const auto& [bp, orig] : sw_breaks_)
    for (size_t i = 0; i < orig.size(); ++i) {
      const uint64_t at = uint64_t(bp) + i;
      if (at >= addr && at < uint64_t(addr) + len) bytes[at - addr] = orig[i];
    }
  hex = to_hex(bytes.data(), bytes.size());
  return true;
}

bool Target::mem_write(isa::Cpu& cpu, uint32_t addr, const std::string& bytes) {
  const uint64_t end = uint64_t(addr) + bytes.size();
  for (uint64_t a = addr; a < end;) {
    const isa::MemRegion* r = a <= 0xffffffffu ? cpu.find_region(uint32_t(a), 1) : nullptr;
    if (!r) return false;
    a = std::min<uint64_t>(end, uint64_t(r->base) + r->size);
  }
  std::string data = bytes;
  // Writes over a software breakpoint change the saved original; the ebreak stays in memory.
  for (auto& [bp, orig] : sw_breaks_)
    for (size_t i = 0; i < orig.size(); ++i) {
      const uint64_t at = uint64_t(bp) + i;
      if (at >= addr && at < end) {
        orig[i] = data[at - addr];
        uint32_t ebreak = orig.size() == 2 ? 0x9002u : 0x00100073u;
        data[at - addr] = char(ebreak >> (8 * i));
      }
    }
  return data.empty() || cpu.debug_write(addr, data.data(), uint32_t(data.size()));
}

// ---- Breakpoints and watchpoints -------------------------------------------------------------------
std::string Target::insert_point(isa::Cpu& cpu, int type, uint32_t addr, uint32_t kind) {
  if (type == 0) {
    if (kind != 2 && kind != 4) return "E01";
    if (sw_breaks_.count(addr)) return "OK";
    // One overlapping another (e.g. a 4-byte one at A and a 2-byte one at A+2) would save the other's
    // ebreak as its original bytes and leave it in memory after the removal: refused.
    for (const auto& [bp, orig] : sw_breaks_)
      if (uint64_t(bp) < uint64_t(addr) + kind && uint64_t(addr) < uint64_t(bp) + orig.size()) return "E01";
    std::string orig(kind, '\0');
    if (!cpu.find_region(addr, kind) || !cpu.debug_read(addr, orig.data(), kind)) return "E14";
    const uint32_t ebreak = kind == 2 ? 0x9002u : 0x00100073u;  // c.ebreak / ebreak
    if (!cpu.debug_write(addr, &ebreak, kind)) return "E14";
    sw_breaks_[addr] = orig;
    return "OK";
  }
  // Triggers: a free one (not armed by this debugger).
  unsigned index = 0;
  while (index < cpu.trigger_count() && hw_points_.count(index)) ++index;
  if (index >= cpu.trigger_count()) return "E0c";  // none left (soc.core.triggers)
  isa::DebugTrigger t;
  uint32_t size = type == 1 ? 1 : std::max<uint32_t>(kind, 1);
  // A watched range becomes the smallest naturally aligned power-of-two range holding it (NAPOT).
  uint32_t base = addr;
  if (type != 1) {
    uint32_t s = 1;
    while (s < (1u << 31) && (addr / s != (uint64_t(addr) + size - 1) / s)) s <<= 1;
    size = s;
    base = addr & ~(s - 1);
  }
  t.address = base;
  t.size = size;
  t.execute = type == 1;
  t.store = type == 2 || type == 4;
  t.load = type == 3 || type == 4;
  if (!cpu.set_debug_trigger(index, t)) return "E01";
  hw_points_[index] = HwPoint{type, addr, kind};
  return "OK";
}

std::string Target::remove_point(isa::Cpu& cpu, int type, uint32_t addr, uint32_t kind) {
  if (type == 0) {
    const auto it = sw_breaks_.find(addr);
    if (it == sw_breaks_.end()) return "OK";
    cpu.debug_write(addr, it->second.data(), uint32_t(it->second.size()));
    sw_breaks_.erase(it);
    return "OK";
  }
  for (auto it = hw_points_.begin(); it != hw_points_.end(); ++it) {
    if (it->second.type == type && it->second.addr == addr && it->second.size == kind) {
      cpu.clear_debug_trigger(it->first);
      hw_points_.erase(it);
      return "OK";
    }
  }
  return "OK";
}

void Target::detach(isa::Cpu& cpu) {
  for (const auto& [addr, orig] : sw_breaks_) cpu.debug_write(addr, orig.data(), uint32_t(orig.size()));
  sw_breaks_.clear();
  for (const auto& [index, p] : hw_points_) cpu.clear_debug_trigger(index);
  hw_points_.clear();
}

}  // namespace mcucim::sim::gdb

#include "models/semihosting.h"

#include <cerrno>
#include <cstring>
#include <vector>

namespace mcucim::models {

namespace {
enum : uint32_t {
  SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITEC = 0x03, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05,
  SYS_READ = 0x06, SYS_READC = 0x07, SYS_ISERROR = 0x08, SYS_ISTTY = 0x09, SYS_SEEK = 0x0A,
  SYS_FLEN = 0x0C, SYS_CLOCK = 0x10, SYS_TIME = 0x11, SYS_ERRNO = 0x13, SYS_GET_CMDLINE = 0x15,
  SYS_HEAPINFO = 0x16, SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20, SYS_ELAPSED = 0x30,
  SYS_TICKFREQ = 0x31,
};
constexpr uint32_t kAppExit = 0x20026;  // ADP_Stopped_ApplicationExit
constexpr uint32_t kFail = 0xffffffffu;
}  // namespace

Semihosting::Semihosting(std::ostream& out, MemRead rd, MemWrite wr)
    : out_(out), rd_(std::move(rd)), wr_(std::move(wr)) {}

Semihosting::~Semihosting() {
  for (auto& [h, f] : files_)
    if (f.f) std::fclose(f.f);
}

Semihosting::Result Semihosting::call(uint32_t op, uint32_t param, double sim_time_s, uint64_t cycles,
                                      double freq_hz) {
  calls++;
  Result r;
  auto bad = [&](const char* what) {
    r.error = std::string("semihosting call 0x") + std::to_string(op) + ": " + what;
    r.a0 = kFail;
    return r;
  };
  uint32_t a[4] = {0, 0, 0, 0};
  auto args = [&](int n) { return rd_(param, a, 4 * n); };
  switch (op) {
    case SYS_WRITEC: {
      char c;
      if (!rd_(param, &c, 1)) return bad("bad character pointer");
      out_.put(c);
      if (c == '\n') out_.flush();
      return r;
    }
    case SYS_WRITE0: {
      std::string s;
      char c;
      for (uint32_t p = param; rd_(p, &c, 1) && c; ++p) s.push_back(c);
      out_ << s;
      out_.flush();
      return r;
    }
    case SYS_OPEN: {
      if (!args(3)) return bad("bad parameter block");
      std::string name(a[2], '\0');
      if (!rd_(a[0], name.data(), a[2])) return bad("bad file name pointer");
      const uint32_t mode = a[1];
      File f;
      if (name == ":tt") {
        f.console = mode < 4 ? 0 : (mode < 8 ? 1 : 2);
      } else if (name == ":semihosting-features") {
        // Magic "SHFB" + feature byte: bit 0 SYS_EXIT_EXTENDED, bit 1 stdout/stderr via ":tt".
        f.features = std::string("SHFB") + char(0x03);
      } else {
        static const char* modes[] = {"r", "rb", "r+", "r+b", "w", "wb", "w+", "w+b",
                                      "a", "ab", "a+", "a+b"};
        if (mode > 11) return bad("bad open mode");
        f.f = std::fopen(name.c_str(), modes[mode]);
        if (!f.f) {
          errno_ = errno;
          r.a0 = kFail;
          return r;
        }
      }
      uint32_t h = next_handle_++;
      files_[h] = f;
      r.a0 = h;
      return r;
    }
    case SYS_CLOSE: {
      if (!args(1)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      if (it == files_.end()) { errno_ = EBADF; r.a0 = kFail; return r; }
      if (it->second.f) std::fclose(it->second.f);
      files_.erase(it);
      return r;
    }
    case SYS_WRITE: {
      if (!args(3)) return bad("bad parameter block");
      std::vector<char> buf(a[2]);
      if (a[2] && !rd_(a[1], buf.data(), a[2])) return bad("bad buffer pointer");
      auto it = files_.find(a[0]);
      if (it == files_.end()) { errno_ = EBADF; r.a0 = a[2]; return r; }
      File& f = it->second;
      if (f.console >= 1) {
        out_.write(buf.data(), buf.size());
        out_.flush();
        r.a0 = 0;
      } else if (f.f) {
        size_t n = std::fwrite(buf.data(), 1, buf.size(), f.f);
        r.a0 = static_cast<uint32_t>(buf.size() - n);
      } else {
        r.a0 = a[2];
      }
      return r;
    }
    case SYS_READ: {
      if (!args(3)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      if (it == files_.end()) { errno_ = EBADF; r.a0 = a[2]; return r; }
      File& f = it->second;
      std::vector<char> buf(a[2]);
      size_t n = 0;
      if (f.f) {
        n = std::fread(buf.data(), 1, buf.size(), f.f);
      } else if (!f.features.empty()) {
        n = std::min<size_t>(buf.size(), f.features.size() - f.pos);
        std::memcpy(buf.data(), f.features.data() + f.pos, n);
        f.pos += n;
      }
      if (n && !wr_(a[1], buf.data(), static_cast<uint32_t>(n))) return bad("bad buffer pointer");
      r.a0 = static_cast<uint32_t>(a[2] - n);
      return r;
    }
    case SYS_READC: r.a0 = kFail; return r;  // no console input
    case SYS_ISERROR: {
      if (!args(1)) return bad("bad parameter block");
      r.a0 = int32_t(a[0]) < 0 ? 1 : 0;
      return r;
    }
    case SYS_ISTTY: {
      if (!args(1)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      r.a0 = (it != files_.end() && it->second.console >= 0) ? 1 : 0;
      return r;
    }
    case SYS_SEEK: {
      if (!args(2)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      if (it == files_.end()) { errno_ = EBADF; r.a0 = kFail; return r; }
      if (it->second.f) r.a0 = std::fseek(it->second.f, a[1], SEEK_SET) == 0 ? 0 : kFail;
      else it->second.pos = a[1];
      return r;
    }
    case SYS_FLEN: {
      if (!args(1)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      if (it == files_.end()) { errno_ = EBADF; r.a0 = kFail; return r; }
      if (it->second.f) {
        long cur = std::ftell(it->second.f);
        std::fseek(it->second.f, 0, SEEK_END);
        r.a0 = static_cast<uint32_t>(std::ftell(it->second.f));
        std::fseek(it->second.f, cur, SEEK_SET);
      } else {
        r.a0 = static_cast<uint32_t>(it->second.features.size());
      }
      return r;
    }
    case SYS_CLOCK: r.a0 = static_cast<uint32_t>(sim_time_s * 100.0); return r;
    case SYS_TIME: r.a0 = static_cast<uint32_t>(sim_time_s); return r;  // simulated seconds (deterministic)
    case SYS_ERRNO: r.a0 = static_cast<uint32_t>(errno_); return r;
    case SYS_GET_CMDLINE: {
      if (!args(2)) return bad("bad parameter block");
      uint32_t n = static_cast<uint32_t>(std::min<size_t>(cmdline_.size(), a[1] ? a[1] - 1 : 0));
      std::string s = cmdline_.substr(0, n);
      s.push_back('\0');
      if (!wr_(a[0], s.data(), n + 1)) return bad("bad buffer pointer");
      uint32_t len = n;
      wr_(param + 4, &len, 4);
      return r;
    }
    case SYS_HEAPINFO: {
      uint32_t block = 0;
      if (!rd32(param, block)) return bad("bad parameter block");
      uint32_t zeros[4] = {0, 0, 0, 0};  // "unknown": the C library uses its linker-script symbols
      wr_(block, zeros, 16);
      return r;
    }
    case SYS_EXIT: {
      // RV32: the parameter is the reason code itself (ADP_Stopped_ApplicationExit = success).
      r.exit = true;
      r.exit_code = param == kAppExit ? 0 : 1;
      return r;
    }
    case SYS_EXIT_EXTENDED: {
      if (!args(2)) return bad("bad parameter block");
      r.exit = true;
      r.exit_code = a[0] == kAppExit ? static_cast<int>(a[1]) : 1;
      return r;
    }
    case SYS_ELAPSED: {
      uint64_t t = cycles;
      if (!wr_(param, &t, 8)) return bad("bad parameter block");
      return r;
    }
    case SYS_TICKFREQ: r.a0 = static_cast<uint32_t>(freq_hz); return r;
    default:
      return bad("unsupported operation");
  }
}

}  // namespace mcucim::models

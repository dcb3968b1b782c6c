// RISC-V semihosting (the Arm semihosting calls, trapped by `slli x0,x0,0x1f; ebreak; srai x0,x0,7`).
// Supported: SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_READC, SYS_ISERROR,
// SYS_ISTTY, SYS_SEEK, SYS_FLEN, SYS_CLOCK, SYS_TIME, SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO,
// SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ, and the ":semihosting-features" file.
// Time calls return simulated time, so runs stay deterministic. Plain C++ (no SystemC).
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <ostream>
#include <string>

namespace mcucim::models {

class Semihosting {
 public:
  using MemRead = std::function<bool(uint32_t, void*, uint32_t)>;
  using MemWrite = std::function<bool(uint32_t, const void*, uint32_t)>;

  Semihosting(std::ostream& out, MemRead rd, MemWrite wr);
  ~Semihosting();

  struct Result {
    uint32_t a0 = 0;
    bool exit = false;
    int exit_code = 0;
    std::string error;  // a malformed call (bad pointer): the run stops with this message
  };
  // `sim_time_s` and `cycles`/`freq_hz` feed the time calls.
  Result call(uint32_t op, uint32_t param, double sim_time_s, uint64_t cycles, double freq_hz);

  void set_cmdline(std::string s) { cmdline_ = std::move(s); }
  uint64_t calls = 0;

 private:
  bool rd32(uint32_t addr, uint32_t& v) { return rd_(addr, &v, 4); }
  std::ostream& out_;
  MemRead rd_;
  MemWrite wr_;
  struct File {
    std::FILE* f = nullptr;  // nullptr for the console handles
    int console = -1;        // 0 stdin, 1 stdout, 2 stderr
    std::string features;    // ":semihosting-features" contents
    size_t pos = 0;
  };
  std::map<uint32_t, File> files_;
  uint32_t next_handle_ = 1;
  int errno_ = 0;
  std::string cmdline_;
};

}  // namespace mcucim::models

// RISC-V semihosting (the Arm semihosting calls, trapped by `slli x0,x0,0x1f; ebreak; srai x0,x0,7`).
// Supported: SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_READC, SYS_ISERROR,
// SYS_ISTTY, SYS_SEEK, SYS_FLEN, SYS_REMOVE, SYS_RENAME, SYS_CLOCK, SYS_TIME, SYS_SYSTEM (refused),
// SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO, SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ, and
// the ":semihosting-features" file. Time calls return simulated time, so runs stay deterministic.
//
// The program is untrusted: host files are reachable only inside a sandbox folder (Sandbox::root;
// none by default: then only the console and ":semihosting-features" exist), only for reading unless
// Sandbox::write, and never outside it (absolute paths, "..", symlinks that leave the root are refused:
// Linux openat2 RESOLVE_BENEATH). A refused call returns an error to the program (errno EACCES) and
// prints a note on the note stream. SYS_SYSTEM never runs a command. Plain C++ (no SystemC).
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

  struct Sandbox {
    std::string root;    // folder the program's file names are relative to ("" = no file access)
    bool write = false;  // allow creating, writing, removing and renaming files below root
  };

  Semihosting(std::ostream& out, MemRead rd, MemWrite wr);
  ~Semihosting();
  Semihosting(const Semihosting&) = delete;
  Semihosting& operator=(const Semihosting&) = delete;

  struct Result {
    uint32_t a0 = 0;
    bool exit = false;
    int exit_code = 0;
    std::string error;  // a malformed call (bad pointer): the run stops with this message
  };
  // `sim_time_s` and `cycles`/`freq_hz` feed the time calls.
  Result call(uint32_t op, uint32_t param, double sim_time_s, uint64_t cycles, double freq_hz);

  void set_cmdline(std::string s) { cmdline_ = std::move(s); }
  // Returns "" or an error about the root (not a folder, cannot be opened).
  std::string set_sandbox(const Sandbox& s);
  void set_note_stream(std::ostream* s) { notes_ = s; }
  uint64_t calls = 0;
  uint64_t refused = 0;  // file operations refused by the sandbox

  // Longest file name accepted from the program (bytes), and the chunk in which data moves between
  // simulated memory and the host (a call never allocates more than this).
  static constexpr uint32_t kMaxName = 4096;
  static constexpr uint32_t kChunk = 64 * 1024;

 private:
  bool rd32(uint32_t addr, uint32_t& v) { return rd_(addr, &v, 4); }
  // Open `name` (relative to the root) with open(2) `flags`; -1 with errno_ set (and a note) if refused.
  int open_beneath(const std::string& name, int flags, const char* what);
  // After an open below the root failed with errno `e`: a path leaving the folder is refused (EACCES and
  // a note naming it), any other error is passed to the program as it is.
  void open_failed(int e, const std::string& name, const char* what);
  // The folder holding `name`'s last component, opened beneath the root, and that component.
  int open_parent(const std::string& name, std::string& leaf, const char* what);
  bool file_access(const std::string& name, bool writing, const char* what);
  void note(const std::string& msg);
  // Reads the program's file name (a pointer and a length); false with `err` set on a bad pointer.
  bool read_name(uint32_t ptr, uint32_t len, std::string& name, Result& r, bool& too_long);

  std::ostream& out_;
  std::ostream* notes_;
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
  Sandbox sandbox_;
  int root_fd_ = -1;
  uint64_t notes_shown_ = 0;
};

}  // namespace mcucim::models

#include "models/semihosting.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace mcucim::models {

namespace {
enum : uint32_t {
  SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITEC = 0x03, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05,
  SYS_READ = 0x06, SYS_READC = 0x07, SYS_ISERROR = 0x08, SYS_ISTTY = 0x09, SYS_SEEK = 0x0A,
  SYS_FLEN = 0x0C, SYS_TMPNAM = 0x0D, SYS_REMOVE = 0x0E, SYS_RENAME = 0x0F, SYS_CLOCK = 0x10,
  SYS_TIME = 0x11, SYS_SYSTEM = 0x12, SYS_ERRNO = 0x13, SYS_GET_CMDLINE = 0x15, SYS_HEAPINFO = 0x16,
  SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20, SYS_ELAPSED = 0x30, SYS_TICKFREQ = 0x31,
};
constexpr uint32_t kAppExit = 0x20026;  // ADP_Stopped_ApplicationExit
constexpr uint32_t kFail = 0xffffffffu;
constexpr size_t kMaxOpenFiles = 64;    // host files open at once (the consoles do not count)
constexpr uint64_t kMaxNotes = 20;      // sandbox notes printed per run

// openat2(2) with RESOLVE_BENEATH: the kernel refuses absolute names, ".." above the folder and
// symlinks that lead out of it, atomically. -1 with errno ENOSYS on kernels before 5.6.
int openat2_beneath(int dirfd, const char* name, int flags, mode_t mode) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, dirfd, name, &how, sizeof how));
}

// Fallback without openat2: walk the components with O_NOFOLLOW, refusing ".." and every symlink
// (stricter than RESOLVE_BENEATH, never weaker).
int open_strict(int dirfd, const std::string& name, int flags, mode_t mode) {
  if (name.empty() || name[0] == '/') {
    errno = EXDEV;
    return -1;
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string p = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (p == "..") {
      errno = EXDEV;
      return -1;
    }
    if (!p.empty() && p != ".") parts.push_back(p);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.empty()) return openat(dirfd, ".", flags | O_NOFOLLOW, mode);
  int cur = dup(dirfd);
  for (size_t i = 0; i + 1 < parts.size() && cur >= 0; ++i) {
    int next = openat(cur, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(cur);
    cur = next;
  }
  if (cur < 0) return -1;
  int fd = openat(cur, parts.back().c_str(), flags | O_NOFOLLOW, mode);
  const int e = errno;
  close(cur);
  errno = e;
  return fd;
}

int open_in(int dirfd, const std::string& name, int flags, mode_t mode) {
  int fd = openat2_beneath(dirfd, name.c_str(), flags, mode);
  if (fd < 0 && errno == ENOSYS) fd = open_strict(dirfd, name, flags, mode);
  return fd;
}
}  // namespace

Semihosting::Semihosting(std::ostream& out, MemRead rd, MemWrite wr)
    : out_(out), notes_(nullptr), rd_(std::move(rd)), wr_(std::move(wr)) {}

Semihosting::~Semihosting() {
  for (auto& [h, f] : files_)
    if (f.f) std::fclose(f.f);
  if (root_fd_ >= 0) close(root_fd_);
}

std::string Semihosting::set_sandbox(const Sandbox& s) {
  if (root_fd_ >= 0) close(root_fd_);
  root_fd_ = -1;
  sandbox_ = s;
  if (s.root.empty()) return "";
  root_fd_ = open(s.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) return "cannot open the folder '" + s.root + "': " + std::strerror(errno);
  return "";
}

void Semihosting::note(const std::string& msg) {
  refused++;
  if (!notes_) return;
  if (notes_shown_ < kMaxNotes) *notes_ << "mcucim: semihosting: " << msg << "\n" << std::flush;
  else if (notes_shown_ == kMaxNotes) *notes_ << "mcucim: semihosting: (further refusals not shown)\n" << std::flush;
  notes_shown_++;
}

// Whether the sandbox allows this kind of access at all (a note and errno_ if not).
bool Semihosting::file_access(const std::string& name, bool writing, const char* what) {
  if (root_fd_ < 0) {
    errno_ = EACCES;
    note(std::string("refused to ") + what + " '" + name +
         "': the program has no host file access (mcucim run --semihost-root DIR gives it a folder)");
    return false;
  }
  if (writing && !sandbox_.write) {
    errno_ = EACCES;
    note(std::string("refused to ") + what + " '" + name + "': writing is not allowed (add --semihost-write)");
    return false;
  }
  return true;
}

void Semihosting::open_failed(int e, const std::string& name, const char* what) {
  if (e == EXDEV || e == ELOOP) {  // open_in refused the path (RESOLVE_BENEATH or its fallback)
    errno_ = EACCES;
    note(std::string("refused to ") + what + " '" + name + "': it leads outside the folder " + sandbox_.root +
         " (absolute path, '..' or a symlink)");
  } else {
    errno_ = e;
  }
}

int Semihosting::open_beneath(const std::string& name, int flags, const char* what) {
  const bool writing = (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) != 0;
  if (!file_access(name, writing, what)) return -1;
  // Non-blocking so that opening a FIFO cannot hang the simulator; cleared again below.
  int fd = open_in(root_fd_, name, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
  if (fd < 0) {
    open_failed(errno, name, what);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errno_ = EACCES;
    note(std::string("refused to ") + what + " '" + name + "': not a regular file");
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

int Semihosting::open_parent(const std::string& name, std::string& leaf, const char* what) {
  if (!file_access(name, true, what)) return -1;
  const size_t slash = name.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : name.substr(0, slash));
  leaf = slash == std::string::npos ? name : name.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == ".." || (!name.empty() && name[0] == '/')) {
    errno_ = EACCES;
    note(std::string("refused to ") + what + " '" + name + "': it leads outside the folder " + sandbox_.root +
         " (absolute path, '..' or a symlink) or names no file");
    return -1;
  }
  int fd = open_in(root_fd_, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) open_failed(errno, name, what);
  return fd;
}

bool Semihosting::read_name(uint32_t ptr, uint32_t len, std::string& name, Result& r, bool& too_long) {
  too_long = len > kMaxName;
  if (too_long) return true;
  name.assign(len, '\0');
  if (len && !rd_(ptr, name.data(), len)) {
    r.error = "semihosting: bad file name pointer";
    r.a0 = kFail;
    return false;
  }
  return true;
}

Semihosting::Result Semihosting::call(uint32_t op, uint32_t param, double sim_time_s, uint64_t cycles,
                                      double freq_hz) {
  calls++;
  Result r;
  auto bad = [&](const char* what) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    r.error = std::string("semihosting call ") + hex + ": " + what;
    r.a0 = kFail;
    return r;
  };
  auto fail = [&](int e) {
    errno_ = e;
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
      // Up to the NUL (or the end of readable memory), in chunks: never one huge host string.
      char buf[256];
      size_t n = 0;
      for (uint32_t p = param;; ++p) {
        char c;
        if (!rd_(p, &c, 1) || !c) break;
        buf[n++] = c;
        if (n == sizeof buf) {
          out_.write(buf, n);
          n = 0;
        }
        if (p == 0xffffffffu) break;
      }
      out_.write(buf, n);
      out_.flush();
      return r;
    }
    case SYS_OPEN: {
      if (!args(3)) return bad("bad parameter block");
      std::string name;
      bool too_long = false;
      if (!read_name(a[0], a[2], name, r, too_long)) return r;
      if (too_long) return fail(ENAMETOOLONG);
      const uint32_t mode = a[1];
      if (mode > 11) return bad("bad open mode (expected 0..11)");
      File f;
      if (name == ":tt") {
        f.console = mode < 4 ? 0 : (mode < 8 ? 1 : 2);
      } else if (name == ":semihosting-features") {
        // Magic "SHFB" + feature byte: bit 0 SYS_EXIT_EXTENDED, bit 1 stdout/stderr via ":tt".
        f.features = std::string("SHFB") + char(0x03);
      } else {
        if (name.find('\0') != std::string::npos) return fail(EINVAL);
        // fopen modes r, r+, w, w+, a, a+ (each also with b): 0-1, 2-3, 4-5, 6-7, 8-9, 10-11.
        static const int kFlags[6] = {O_RDONLY, O_RDWR, O_WRONLY | O_CREAT | O_TRUNC, O_RDWR | O_CREAT | O_TRUNC,
                                      O_WRONLY | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_APPEND};
        static const char* kModes[6] = {"rb", "r+b", "wb", "w+b", "ab", "a+b"};
        size_t open_files = 0;
        for (const auto& [h, of] : files_) open_files += of.f != nullptr;
        if (open_files >= kMaxOpenFiles) return fail(EMFILE);
        const int fd = open_beneath(name, kFlags[mode / 2], "open");
        if (fd < 0) {
          r.a0 = kFail;
          return r;
        }
        f.f = fdopen(fd, kModes[mode / 2]);
        if (!f.f) {
          errno_ = errno;
          close(fd);
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
      if (it == files_.end()) return fail(EBADF);
      if (it->second.f) std::fclose(it->second.f);
      files_.erase(it);
      r.a0 = 0;
      return r;
    }
    case SYS_WRITE: {
      // Returns the number of bytes NOT written.
      if (!args(3)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      if (it == files_.end()) {
        errno_ = EBADF;
        r.a0 = a[2];
        return r;
      }
      File& f = it->second;
      std::vector<char> buf(std::min<uint32_t>(a[2], kChunk));
      uint32_t done = 0;
      while (done < a[2]) {
        const uint32_t n = std::min<uint32_t>(a[2] - done, kChunk);
        if (!rd_(a[1] + done, buf.data(), n)) return bad("bad buffer pointer");
        size_t written = 0;
        if (f.console >= 1) {
          out_.write(buf.data(), n);
          written = n;
        } else if (f.f) {
          written = std::fwrite(buf.data(), 1, n, f.f);
          if (written < n) errno_ = errno;
        }
        done += static_cast<uint32_t>(written);
        if (written < n) break;
      }
      if (f.console >= 1) out_.flush();
      r.a0 = a[2] - done;
      return r;
    }
    case SYS_READ: {
      // Returns the number of bytes NOT read; data goes to the program's buffer chunk by chunk.
      if (!args(3)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      if (it == files_.end()) {
        errno_ = EBADF;
        r.a0 = a[2];
        return r;
      }
      File& f = it->second;
      std::vector<char> buf(std::min<uint32_t>(a[2], kChunk));
      uint32_t done = 0;
      while (done < a[2]) {
        const uint32_t want = std::min<uint32_t>(a[2] - done, kChunk);
        size_t n = 0;
        if (f.f) {
          n = std::fread(buf.data(), 1, want, f.f);
        } else if (!f.features.empty() && f.pos < f.features.size()) {
          n = std::min<size_t>(want, f.features.size() - f.pos);
          std::memcpy(buf.data(), f.features.data() + f.pos, n);
          f.pos += n;
        }
        if (n && !wr_(a[1] + done, buf.data(), static_cast<uint32_t>(n)))
          return bad("bad buffer pointer (not in writable memory)");
        done += static_cast<uint32_t>(n);
        if (n < want) break;
      }
      r.a0 = a[2] - done;
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
      if (it == files_.end()) return fail(EBADF);
      if (it->second.f) {
        if (std::fseek(it->second.f, static_cast<long>(a[1]), SEEK_SET) != 0) return fail(errno);
        r.a0 = 0;
      } else {
        it->second.pos = a[1];  // past the end of the features file: reads return nothing
        r.a0 = 0;
      }
      return r;
    }
    case SYS_FLEN: {
      if (!args(1)) return bad("bad parameter block");
      auto it = files_.find(a[0]);
      if (it == files_.end()) return fail(EBADF);
      if (it->second.f) {
        struct stat st;
        if (fstat(fileno(it->second.f), &st) != 0) return fail(errno);
        r.a0 = st.st_size > 0xfffffffe ? kFail : static_cast<uint32_t>(st.st_size);
      } else {
        r.a0 = static_cast<uint32_t>(it->second.features.size());
      }
      return r;
    }
    case SYS_REMOVE: {
      if (!args(2)) return bad("bad parameter block");
      std::string name;
      bool too_long = false;
      if (!read_name(a[0], a[1], name, r, too_long)) return r;
      if (too_long) return fail(ENAMETOOLONG);
      if (name.find('\0') != std::string::npos) return fail(EINVAL);
      std::string leaf;
      const int dir = open_parent(name, leaf, "remove");
      if (dir < 0) return fail(errno_);
      const int rc = unlinkat(dir, leaf.c_str(), 0);
      const int e = errno;
      close(dir);
      if (rc != 0) return fail(e);
      r.a0 = 0;
      return r;
    }
    case SYS_RENAME: {
      if (!args(4)) return bad("bad parameter block");
      std::string from, to;
      bool too_long = false, too_long2 = false;
      if (!read_name(a[0], a[1], from, r, too_long)) return r;
      if (!read_name(a[2], a[3], to, r, too_long2)) return r;
      if (too_long || too_long2) return fail(ENAMETOOLONG);
      if (from.find('\0') != std::string::npos || to.find('\0') != std::string::npos) return fail(EINVAL);
      std::string leaf_from, leaf_to;
      const int d1 = open_parent(from, leaf_from, "rename");
      if (d1 < 0) return fail(errno_);
      const int d2 = open_parent(to, leaf_to, "rename to");
      if (d2 < 0) {
        close(d1);
        return fail(errno_);
      }
      const int rc = renameat(d1, leaf_from.c_str(), d2, leaf_to.c_str());
      const int e = errno;
      close(d1);
      close(d2);
      if (rc != 0) return fail(e);
      r.a0 = 0;
      return r;
    }
    case SYS_TMPNAM: return fail(ENOSYS);
    case SYS_SYSTEM: {
      // Never runs anything: the program is untrusted.
      std::string cmd;
      if (args(2)) {
        bool too_long = false;
        Result ignored;
        read_name(a[0], std::min<uint32_t>(a[1], 200), cmd, ignored, too_long);
      }
      note("refused SYS_SYSTEM '" + cmd + "': the simulator never runs host commands");
      return fail(EACCES);
    }
    case SYS_CLOCK: r.a0 = static_cast<uint32_t>(sim_time_s * 100.0); return r;
    case SYS_TIME: r.a0 = static_cast<uint32_t>(sim_time_s); return r;  // simulated seconds (deterministic)
    case SYS_ERRNO: r.a0 = static_cast<uint32_t>(errno_); return r;
    case SYS_GET_CMDLINE: {
      if (!args(2)) return bad("bad parameter block");
      uint32_t n = static_cast<uint32_t>(std::min<size_t>(cmdline_.size(), a[1] ? a[1] - 1 : 0));
      std::string s = cmdline_.substr(0, n);
      s.push_back('\0');
      if (!wr_(a[0], s.data(), n + 1)) return bad("bad buffer pointer (not in writable memory)");
      uint32_t len = n;
      if (!wr_(param + 4, &len, 4)) return bad("bad parameter block (not in writable memory)");
      return r;
    }
    case SYS_HEAPINFO: {
      uint32_t block = 0;
      if (!rd32(param, block)) return bad("bad parameter block");
      uint32_t zeros[4] = {0, 0, 0, 0};  // "unknown": the C library uses its linker-script symbols
      if (!wr_(block, zeros, 16)) return bad("bad heap-info block (not in writable memory)");
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
      if (!wr_(param, &t, 8)) return bad("bad parameter block (not in writable memory)");
      return r;
    }
    case SYS_TICKFREQ: r.a0 = static_cast<uint32_t>(freq_hz); return r;
    default:
      return bad("unsupported operation");
  }
}

}  // namespace mcucim::models

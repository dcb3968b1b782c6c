// The GDB stub (`mcucim run --gdb PORT`, sim/gdb_server.h) end to end: gdb-multiarch -batch drives a
// debugging session and its printed values are checked; a raw client sends malformed and oversized
// packets and disconnects, kills or detaches, and the simulator must end in the documented state
// (never a crash or a hang: every child runs under `timeout`).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include "sim/elf.h"
#include "tests/e2e/e2e_util.h"

namespace {

// mcucim run ... --gdb 0 in the background; the port comes from its stderr line.
struct Sim {
  pid_t pid = -1;
  std::string out, err;
  int port = 0;
  int code = -1;

  explicit Sim(const std::string& args) {
    static int n = 0;
    const std::string base = e2e::tmpdir() + "/gdb" + std::to_string(n++);
    out = base + ".out";
    err = base + ".err";
    const std::string cmd = "exec timeout 120 " + std::string(MCUCIM_BINARY_DIR) + "/mcucim " + args +
                            " --gdb 0 > " + out + " 2> " + err + " < /dev/null";
    pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const std::regex re(R"(waiting for GDB on 127\.0\.0\.1:(\d+))");
    for (int i = 0; i < 600 && !port; ++i) {  // up to 60 s on a loaded machine
      std::smatch m;
      const std::string e = e2e::slurp(err);
      if (std::regex_search(e, m, re)) port = std::stoi(m[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  // Wait for the simulator to end (timeout 120 guarantees it does).
  int wait() {
    if (pid > 0) {
      int st = 0;
      waitpid(pid, &st, 0);
      code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      pid = -1;
    }
    return code;
  }
  ~Sim() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      wait();
    }
  }
};

std::string config_secure() { return std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-secure.yaml"; }

bool have_gdb() { return std::system("command -v gdb-multiarch > /dev/null 2>&1") == 0; }

TEST(Gdb, DebuggingSessionWithGdbMultiarch) {
  if (!have_gdb()) GTEST_SKIP() << "gdb-multiarch is not installed (scripts/install-deps.sh test): GDB session NOT tested";
  const std::string elf = e2e::fw("gdb_target");
  Sim sim("run -c " + config_secure() + " --elf " + elf + " -q");
  ASSERT_GT(sim.port, 0) << e2e::slurp(sim.err);
  const std::string script = e2e::tmpdir() + "/session.gdb";
  {
    std::FILE* f = std::fopen(script.c_str(), "w");
    std::fprintf(f,
                 "set pagination off\n"
                 "set confirm off\n"
                 "file %s\n"
                 "target remote :%d\n"
                 "print/x $pc\n"
                 "break main\n"
                 "continue\n"
                 "print *(int*)&counter\n"
                 "set var *(int*)&counter = 40\n"
                 "print *(int*)&counter\n"
                 "set $a0 = 0x1234\n"
                 "print/x $a0\n"
                 "print/x $mstatus\n"
                 "stepi\n"
                 "print/x $pc\n"
                 "delete\n"
                 "hbreak step_target\n"
                 "continue\n"
                 "print $a0\n"
                 "delete\n"
                 "watch *(int*)&counter\n"
                 "continue\n"
                 "delete\n"
                 "monitor cycles\n"
                 "continue\n",
                 elf.c_str(), sim.port);
    std::fclose(f);
  }
  const std::string gout = e2e::tmpdir() + "/session.out";
  const auto img = mcucim::sim::load_elf(elf);
  const int rc = std::system(("timeout 120 gdb-multiarch -nx -batch -x " + script + " > " + gout + " 2>&1").c_str());
  const std::string o = e2e::slurp(gout);
  EXPECT_EQ(WEXITSTATUS(rc), 0) << o;
  // Halted at reset, at the ELF entry.
  char entry[32];
  std::snprintf(entry, sizeof entry, "$1 = 0x%x\n", img.entry);
  EXPECT_NE(o.find(entry), std::string::npos) << o;
  EXPECT_TRUE(std::regex_search(o, std::regex(R"(Breakpoint 1, .*main \(\))"))) << o;
  EXPECT_NE(o.find("$2 = 5\n"), std::string::npos) << o;      // the initialised global, read from RAM
  EXPECT_NE(o.find("$3 = 40\n"), std::string::npos) << o;     // after the debugger's write
  EXPECT_NE(o.find("$4 = 0x1234\n"), std::string::npos) << o; // register write
  EXPECT_NE(o.find("$5 = 0x1800\n"), std::string::npos) << o; // mstatus (MPP = M): a CSR through the target description
  EXPECT_NE(o.find("Hardware assisted breakpoint 2"), std::string::npos) << o;
  EXPECT_TRUE(std::regex_search(o, std::regex(R"(Breakpoint 2, .*step_target \(x=(x@entry=)?0\))"))) << o;
  EXPECT_NE(o.find("$7 = 0\n"), std::string::npos) << o;      // its argument in a0: i = 0
  EXPECT_NE(o.find("Hardware watchpoint 3"), std::string::npos) << o;
  EXPECT_NE(o.find("Old value = 40\nNew value = 41"), std::string::npos) << o;  // i = 1 (i = 0 wrote 40 again)
  EXPECT_NE(o.find("cycles "), std::string::npos) << o;
  EXPECT_NE(o.find("exited normally"), std::string::npos) << o;
  EXPECT_EQ(sim.wait(), 0) << e2e::slurp(sim.err);
  EXPECT_NE(e2e::slurp(sim.out).find("acc=12 counter=43"), std::string::npos);  // 40 + 0 + 1 + 2
}

// ---- A raw client ------------------------------------------------------------------------------
struct Client {
  int fd = -1;
  explicit Client(int port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
      close(fd);
      fd = -1;
    }
    timeval tv{30, 0};  // never wait forever for a reply
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() {
    if (fd >= 0) close(fd);
  }
  void raw(const std::string& s) { ASSERT_EQ(send(fd, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }
  static std::string frame(const std::string& p) {
    unsigned sum = 0;
    for (char c : p) sum += static_cast<unsigned char>(c);
    char cs[3];
    std::snprintf(cs, sizeof cs, "%02x", sum & 0xff);
    return "$" + p + "#" + cs;
  }
  char byte() {
    char c = 0;
    return recv(fd, &c, 1, 0) == 1 ? c : '\0';
  }
  // Read one reply packet (after its '+'), ack it, return the payload ("<timeout>" if none).
  std::string reply() {
    char c;
    while ((c = byte()) != '$')
      if (c == '\0') return "<timeout>";
    std::string p;
    while ((c = byte()) != '#') {
      if (c == '\0') return "<timeout>";
      p += c;
    }
    byte();
    byte();
    raw("+");
    return p;
  }
  std::string ask(const std::string& p) {
    raw(frame(p));
    if (byte() != '+') return "<no ack>";
    return reply();
  }
};

TEST(Gdb, MalformedPacketsThenDisconnectLetsTheRunFinish) {
  Sim sim(e2e::run_args("exit3", "-q"));
  ASSERT_GT(sim.port, 0) << e2e::slurp(sim.err);
  {
    Client c(sim.port);
    ASSERT_GE(c.fd, 0);
    EXPECT_EQ(c.ask("?"), "T05");
    // A bad checksum: NAK.
    c.raw("$g#00");
    EXPECT_EQ(c.byte(), '-');
    // An oversized packet (more than 16 KiB): dropped with an error, the session goes on.
    EXPECT_EQ(c.ask(std::string(20000, 'm')), "E01");
    // Malformed arguments and unknown packets.
    EXPECT_EQ(c.ask("mzz,4"), "E01");
    EXPECT_EQ(c.ask("m80000000"), "E01");
    EXPECT_EQ(c.ask("Pzz=1"), "E01");
    EXPECT_EQ(c.ask("Z9,0,0"), "E01");
    EXPECT_EQ(c.ask("vNoSuchPacket"), "");
    // Memory that is not a memory (a device, or nothing): refused, no side effects.
    EXPECT_EQ(c.ask("m0,4"), "E14");
    // A truncated packet followed by a good one: the good one is answered.
    c.raw("$m0,");
    EXPECT_EQ(c.ask("qAttached"), "1");
    // The registers still read.
    const std::string g = c.ask("g");
    EXPECT_EQ(g.size(), 33u * 8) << g;
    // Disconnect mid-session (no detach): the run continues at full speed without the debugger.
  }
  EXPECT_EQ(sim.wait(), 3) << e2e::slurp(sim.err);
}

TEST(Gdb, KillEndsTheRunAndDetachContinuesIt) {
  {
    Sim sim(e2e::run_args("exit3", ""));
    ASSERT_GT(sim.port, 0) << e2e::slurp(sim.err);
    Client c(sim.port);
    c.ask("?");
    c.raw(Client::frame("k"));
    EXPECT_EQ(c.byte(), '+');
    EXPECT_EQ(sim.wait(), 125);
    const std::string err = e2e::slurp(sim.err);
    EXPECT_NE(err.find("killed by the debugger"), std::string::npos) << err;
    EXPECT_NE(err.find("status         stopped"), std::string::npos) << err;
  }
  {
    Sim sim(e2e::run_args("exit3", "-q"));
    ASSERT_GT(sim.port, 0);
    Client c(sim.port);
    // Set a breakpoint, then detach: the stub removes it and the run completes.
    const auto img = mcucim::sim::load_elf(e2e::fw("exit3"));
    char z[64];
    std::snprintf(z, sizeof z, "Z0,%x,4", *img.symbol("main"));
    EXPECT_EQ(c.ask(z), "OK");
    EXPECT_EQ(c.ask("D"), "OK");
    EXPECT_EQ(sim.wait(), 3) << e2e::slurp(sim.err);
  }
}

TEST(Gdb, BadPortIsAUsageError) {
  auto r = e2e::mcucim(e2e::run_args("exit3", "--gdb 70000"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--gdb 70000: expected a TCP port"), std::string::npos) << r.err;
}

}  // namespace

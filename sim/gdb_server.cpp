#include "sim/gdb_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sim/config.h"

namespace mcucim::sim {

GdbServer::GdbServer(models::Core& core, uint16_t port, Monitor monitor) : core_(core), target_(std::move(monitor)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw ConfigError(fmt::format("--gdb {}: cannot create a socket: {}", port, std::strerror(errno)));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only: the debugger can read and write memory
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(listen_fd_, 1) < 0) {
    const std::string e = std::strerror(errno);
    ::close(listen_fd_);
    throw ConfigError(fmt::format("--gdb {}: cannot listen on 127.0.0.1:{}: {}", port, port, e));
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

GdbServer::~GdbServer() {
  if (fd_ >= 0) ::close(fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

// ---- I/O --------------------------------------------------------------------------------------------
int GdbServer::get_byte() {
  if (rx_.empty()) {
    char buf[4096];
    ssize_t n;
    do n = ::recv(fd_, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) throw Disconnected{};
    rx_.assign(buf, size_t(n));
  }
  const int c = static_cast<unsigned char>(rx_[0]);
  rx_.erase(0, 1);
  return c;
}

void GdbServer::put_raw(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Disconnected{};
    off += size_t(n);
  }
}

std::string GdbServer::get_packet() {
  for (;;) {
    switch (reader_.feed(uint8_t(get_byte()))) {
      case gdb::PacketReader::Event::None:
        break;
      case gdb::PacketReader::Event::BadChecksum:
        put_raw("-");  // ask for a retransmission
        break;
      case gdb::PacketReader::Event::TooLong:
        put_raw("+");
        send_packet("E01");
        break;
      case gdb::PacketReader::Event::Packet:
        put_raw("+");
        return reader_.packet();
    }
  }
}

void GdbServer::send_packet(const std::string& payload) {
  unsigned sum = 0;
  for (char c : payload) sum += static_cast<unsigned char>(c);
  const std::string pkt = fmt::format("${}#{:02x}", payload, sum & 0xff);
  for (int tries = 0; tries < 3; ++tries) {
    put_raw(pkt);
    for (;;) {
      const int c = get_byte();
      if (c == '+') return;
      if (c == '-') break;  // retransmit
      if (c == '$') {        // the client sent a packet instead of an ack: keep it for get_packet
        rx_.insert(0, 1, '$');
        return;
      }
    }
  }
}

bool GdbServer::interrupt_pending() {
  char buf[256];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
  if (n == 0) throw Disconnected{};
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    throw Disconnected{};
  }
  bool intr = false;
  for (ssize_t i = 0; i < n; ++i) intr = intr || buf[i] == '\x03';
  return intr;  // anything else while running (a packet) is dropped: GDB waits for the stop first
}

void GdbServer::drop_client() {
  isa::Cpu& cpu = core_.cpu();
  target_.detach(cpu);
  cpu.set_ebreak_halts(false);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  rx_.clear();
  reader_ = gdb::PacketReader();
  attached_ = false;
  detached_ = true;
  halted_ = stepping_ = stop_pending_ = false;
}

// ---- Observer ---------------------------------------------------------------------------------------
bool GdbServer::poll(isa::Cpu& cpu, uint64_t& until) {
  if (detached_) return false;
  try {
    if (!attached_) {
      // Stop at reset until the debugger connects.
      do fd_ = ::accept(listen_fd_, nullptr, nullptr);
      while (fd_ < 0 && errno == EINTR);
      if (fd_ < 0) throw ConfigError(fmt::format("--gdb {}: accept failed: {}", port_, std::strerror(errno)));
      int one = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::close(listen_fd_);  // one debugger per run
      listen_fd_ = -1;
      attached_ = true;
      halted_ = true;
      stop_pending_ = false;  // GDB asks with '?'
      cpu.set_ebreak_halts(true);
    }
    if (!halted_) {
      if (interrupt_pending()) {
        halted_ = true;
        stop_pending_ = true;
        target_.stop_signal = 2;
        target_.debug_stop = false;
      } else {
        until = cpu.cycle() + kPollCycles;
        return false;
      }
    }
    if (stop_pending_) {
      stop_pending_ = false;
      send_packet(target_.stop_reply(cpu));
    }
    const gdb::Resume how = serve(cpu);
    switch (how) {
      case gdb::Resume::Step:
        if (target_.debug_stop) cpu.step_over_triggers();
        halted_ = false;
        stepping_ = true;
        return true;
      case gdb::Resume::Continue:
        if (target_.debug_stop) cpu.step_over_triggers();
        halted_ = false;
        until = cpu.cycle() + kPollCycles;
        return false;
      case gdb::Resume::Kill:
        core_.stop(models::EndReason::HostError, "killed by the debugger (GDB kill)");
        drop_client();
        return false;
      case gdb::Resume::Detach:
      case gdb::Resume::None:
        drop_client();
        return false;
    }
  } catch (const Disconnected&) {
    drop_client();  // a vanished client is a detach: the run continues without it
  }
  return false;
}

void GdbServer::after_step(isa::Cpu&, isa::Stop) {
  if (!stepping_) return;
  stepping_ = false;
  halted_ = true;
  stop_pending_ = true;
  target_.stop_signal = 5;
  target_.debug_stop = false;
}

bool GdbServer::on_debug_stop(isa::Cpu&) {
  if (!attached_) return false;
  stepping_ = false;
  halted_ = true;
  stop_pending_ = true;
  target_.stop_signal = 5;
  target_.debug_stop = true;
  return true;
}

void GdbServer::finish(isa::Cpu&) {
  if (!attached_) return;
  try {
    // The program ended: W (exit code) for an exit, X (signal) for a fault, a limit or a kill.
    if (core_.end_reason() == models::EndReason::Exit) send_packet(fmt::format("W{:02x}", core_.exit_code() & 0xff));
    else send_packet("X0b");
  } catch (const Disconnected&) {
  }
  drop_client();
}

// ---- Packets ----------------------------------------------------------------------------------------
gdb::Resume GdbServer::serve(isa::Cpu& cpu) {
  for (;;) {
    const std::string pkt = get_packet();
    gdb::Resume how = gdb::Resume::None;
    std::vector<std::string> console;
    const std::string reply = target_.handle(cpu, pkt, how, console);
    for (const std::string& o : console) send_packet(o);
    if (how != gdb::Resume::None) {
      if (how == gdb::Resume::Detach) send_packet("OK");
      return how;
    }
    send_packet(reply);
  }
}

}  // namespace mcucim::sim

// Sim-control device (register map: runtime/include/mcucim/simctrl.h): the program ends the run with
// an exit code, marks regions and tokens, declares useful work. Each mark becomes an Event delivered
// to a listener (sim/ snapshots the counters there); the device itself keeps no statistics.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "models/device.h"

namespace mcucim::models {

class SimCtrl : public Device {
 public:
  enum class EventKind { Exit, RegionBegin, RegionEnd, Token, WorkMacs, TokenCount };
  struct Event {
    EventKind kind;
    uint64_t value;  // exit code, region id, token id, MACs, or positions the next token mark stands for
    sc_core::sc_time time;
  };
  using Listener = std::function<void(const Event&)>;
  using MemReader = std::function<bool(uint32_t addr, void* data, uint32_t len)>;

  SimCtrl(sc_core::sc_module_name name, std::ostream& out, sc_core::sc_time latency)
      : Device(name, 0x100, latency), out_(out) {}
  void set_listener(Listener l) { listener_ = std::move(l); }
  void set_mem_reader(MemReader r) { mem_reader_ = std::move(r); }
  const std::map<uint32_t, std::string>& names() const { return names_; }
  // Data files the simulator placed in memory (--load / soc.load), in order: firmware asks for
  // blob i's address and size through BLOB_INDEX/BLOB_ADDR/BLOB_SIZE.
  void add_blob(uint32_t addr, uint32_t size) { blobs_.push_back({addr, size}); }

 protected:
  bool read(uint64_t off, unsigned, uint32_t& v, const sc_core::sc_time&) override {
    if (off == 0x24) { v = 1; return true; }
    if (off == 0x2C) { v = blob_index_ < blobs_.size() ? blobs_[blob_index_].first : 0; return true; }
    if (off == 0x30) { v = blob_index_ < blobs_.size() ? blobs_[blob_index_].second : 0; return true; }
    v = 0;
    return off < 0x38;
  }
  bool write(uint64_t off, unsigned, uint32_t v, const sc_core::sc_time& now) override {
    switch (off) {
      case 0x00: emit({EventKind::Exit, v, now}); return true;
      case 0x04: emit({EventKind::RegionBegin, v, now}); return true;
      case 0x08: emit({EventKind::RegionEnd, v, now}); return true;
      case 0x0C: name_id_ = v; return true;
      case 0x10: names_[name_id_] = read_string(v); return true;
      case 0x14: emit({EventKind::Token, v, now}); return true;
      case 0x18: emit({EventKind::WorkMacs, (uint64_t(macs_hi_) << 32) | v, now}); macs_hi_ = 0; return true;
      case 0x1C: macs_hi_ = v; return true;
      case 0x28: blob_index_ = v; return true;
      case 0x34: emit({EventKind::TokenCount, v, now}); return true;
      case 0x20: out_.put(static_cast<char>(v & 0xff)); if ((v & 0xff) == '\n') out_.flush(); return true;
      default: return false;
    }
  }

 private:
  void emit(const Event& e) {
    if (listener_) listener_(e);
  }
  std::string read_string(uint32_t addr) {
    std::string s;
    char c = 0;
    while (mem_reader_ && s.size() < 256 && mem_reader_(addr + static_cast<uint32_t>(s.size()), &c, 1) && c)
      s.push_back(c);
    return s;
  }
  std::ostream& out_;
  Listener listener_;
  MemReader mem_reader_;
  std::map<uint32_t, std::string> names_;
  uint32_t name_id_ = 0, macs_hi_ = 0, blob_index_ = 0;
  std::vector<std::pair<uint32_t, uint32_t>> blobs_;
};

}  // namespace mcucim::models

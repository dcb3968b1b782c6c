// CLINT (SiFive layout, runtime/include/mcucim/clint.h): msip and mtimecmp per hart, one mtime. msip of
// hart h at 4*h, mtimecmp of hart h at 0x4000 + 8*h (64-bit), mtime at 0xBFF8. mtime is a pure function of
// simulated time (floor(t * timebase_hz)), so it is exact under temporal decoupling. A write to a hart's
// msip or mtimecmp calls the wake-up hook (a hart sleeping in wfi re-evaluates its interrupts).
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "models/device.h"

namespace mcucim::models {

class Clint : public Device {
 public:
  static constexpr uint32_t kMaxHarts = 4095;  // msip words below 0x4000
  Clint(sc_core::sc_module_name name, double timebase_hz, sc_core::sc_time latency, uint32_t harts = 1)
      : Device(name, 0x10000, latency), timebase_hz_(timebase_hz), msip_(harts, 0),
        mtimecmp_(harts, std::numeric_limits<uint64_t>::max()) {}

  uint64_t mtime(const sc_core::sc_time& t) const {
    return static_cast<uint64_t>(t.to_seconds() * timebase_hz_ + 1e-9);
  }
  bool mtip(const sc_core::sc_time& t, uint32_t hart = 0) const { return mtime(t) >= mtimecmp_[hart]; }
  bool msip(uint32_t hart = 0) const { return msip_[hart] & 1; }
  // Whether hart's timer can fire (mtimecmp set), and the simulated time when it does.
  bool armed(uint32_t hart = 0) const { return mtimecmp_[hart] != std::numeric_limits<uint64_t>::max(); }
  double mtip_time_s(uint32_t hart = 0) const { return static_cast<double>(mtimecmp_[hart]) / timebase_hz_; }
  double timebase_hz() const { return timebase_hz_; }
  uint32_t harts() const { return static_cast<uint32_t>(msip_.size()); }
  // Called with (hart, time of the write) after a write to that hart's msip or mtimecmp.
  void set_wake_hook(std::function<void(uint32_t, const sc_core::sc_time&)> f) { wake_ = std::move(f); }

 protected:
  bool read(uint64_t off, unsigned len, uint32_t& v, const sc_core::sc_time& now) override {
    const uint64_t n = msip_.size();
    if (off < 4 * n && off % 4 == 0) { v = msip_[off / 4]; return true; }
    if (off >= 0x4000 && off < 0x4000 + 8 * n) {
      const uint64_t c = mtimecmp_[(off - 0x4000) / 8];
      v = (off & 4) ? static_cast<uint32_t>(c >> 32) : static_cast<uint32_t>(c);
      return true;
    }
    if (off == 0xBFF8) { v = static_cast<uint32_t>(mtime(now)); return true; }
    if (off == 0xBFFC) { v = static_cast<uint32_t>(mtime(now) >> 32); return true; }
    return false;
  }
  bool write(uint64_t off, unsigned len, uint32_t v, const sc_core::sc_time& now) override {
    const uint64_t n = msip_.size();
    if (off < 4 * n && off % 4 == 0) {
      msip_[off / 4] = v & 1;
      if (wake_) wake_(static_cast<uint32_t>(off / 4), now);
      return true;
    }
    if (off >= 0x4000 && off < 0x4000 + 8 * n) {
      const uint32_t h = static_cast<uint32_t>((off - 0x4000) / 8);
      uint64_t& c = mtimecmp_[h];
      if (off & 4) c = (c & 0xffffffffull) | (uint64_t(v) << 32);
      else c = (c & 0xffffffff00000000ull) | v;
      if (wake_) wake_(h, now);
      return true;
    }
    if (off == 0xBFF8 || off == 0xBFFC) return true;  // mtime is derived from simulated time: writes ignored
    return false;
  }

 private:
  double timebase_hz_;
  std::vector<uint32_t> msip_;
  std::vector<uint64_t> mtimecmp_;
  std::function<void(uint32_t, const sc_core::sc_time&)> wake_;
};

}  // namespace mcucim::models

// CLINT (SiFive layout, runtime/include/mcucim/clint.h): msip, mtimecmp, mtime. mtime is a pure
// function of simulated time (floor(t * timebase_hz)), so it is exact under temporal decoupling.
#pragma once
#include <cstdint>
#include <limits>

#include "models/device.h"

namespace mcucim::models {

class Clint : public Device {
 public:
  Clint(sc_core::sc_module_name name, double timebase_hz, sc_core::sc_time latency)
      : Device(name, 0x10000, latency), timebase_hz_(timebase_hz) {}

  uint64_t mtime(const sc_core::sc_time& t) const {
    return static_cast<uint64_t>(t.to_seconds() * timebase_hz_ + 1e-9);
  }
  bool mtip(const sc_core::sc_time& t) const { return mtime(t) >= mtimecmp_; }
  bool msip() const { return msip_ & 1; }
  // Simulated time at which mtime reaches mtimecmp (SC_ZERO_TIME never; use armed()).
  bool armed() const { return mtimecmp_ != std::numeric_limits<uint64_t>::max(); }
  double mtip_time_s() const { return static_cast<double>(mtimecmp_) / timebase_hz_; }
  double timebase_hz() const { return timebase_hz_; }

 protected:
  bool read(uint64_t off, unsigned len, uint32_t& v, const sc_core::sc_time& now) override {
    if (off == 0x0) { v = msip_; return true; }
    if (off == 0x4000) { v = static_cast<uint32_t>(mtimecmp_); return true; }
    if (off == 0x4004) { v = static_cast<uint32_t>(mtimecmp_ >> 32); return true; }
    if (off == 0xBFF8) { v = static_cast<uint32_t>(mtime(now)); return true; }
    if (off == 0xBFFC) { v = static_cast<uint32_t>(mtime(now) >> 32); return true; }
    return false;
  }
  bool write(uint64_t off, unsigned len, uint32_t v, const sc_core::sc_time&) override {
    if (off == 0x0) { msip_ = v & 1; return true; }
    if (off == 0x4000) { mtimecmp_ = (mtimecmp_ & 0xffffffff00000000ull) | v; return true; }
    if (off == 0x4004) { mtimecmp_ = (mtimecmp_ & 0xffffffffull) | (uint64_t(v) << 32); return true; }
    if (off == 0xBFF8 || off == 0xBFFC) return true;  // mtime is derived from simulated time: writes ignored
    return false;
  }

 private:
  double timebase_hz_;
  uint32_t msip_ = 0;
  uint64_t mtimecmp_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace mcucim::models

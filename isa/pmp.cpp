// Physical memory protection: CSR semantics and the access check. See pmp.h.
#include "isa/pmp.h"

namespace mcucim::isa {

Pmp::Pmp(unsigned entries, unsigned granularity)
    : entries_(entries > kMaxEntries ? kMaxEntries : entries), g_(granularity > 31 ? 31 : granularity) {
  rebuild();
}

uint32_t Pmp::read_addr(unsigned i) const {
  const uint32_t raw = addr_[i];
  const uint8_t a = cfg_[i] & kCfgA;
  if (g_ >= 2 && (a & 0x10)) return raw | ((1u << (g_ - 1)) - 1);  // NAPOT: bits G-2:0 read as ones
  if (g_ >= 1 && !(a & 0x10)) return raw & ~((1u << g_) - 1);       // OFF/TOR: bits G-1:0 read as zeros
  return raw;
}

uint32_t Pmp::read(uint32_t csr) const {
  if (csr >= 0x3A0 && csr <= 0x3AF) {
    const unsigned first = (csr - 0x3A0) * 4;
    uint32_t v = 0;
    for (unsigned j = 0; j < 4; ++j)
      if (first + j < entries_) v |= uint32_t(cfg_[first + j]) << (8 * j);
    return v;
  }
  const unsigned i = csr - 0x3B0;
  return i < entries_ ? read_addr(i) : 0;
}

void Pmp::write(uint32_t csr, uint32_t value) {
  if (csr >= 0x3A0 && csr <= 0x3AF) {
    const unsigned first = (csr - 0x3A0) * 4;
    for (unsigned j = 0; j < 4; ++j) {
      const unsigned k = first + j;
      if (k >= entries_ || (cfg_[k] & kCfgL)) continue;  // not implemented, or locked until reset
      uint8_t b = uint8_t(value >> (8 * j)) & ~uint8_t(0x60);
      if (!(b & kCfgR) && (b & kCfgW)) b &= ~kCfgW;       // R=0 W=1 is reserved
      if (g_ >= 1 && (b & kCfgA) == kNa4) b |= kNapot;    // NA4 is not selectable when G >= 1
      cfg_[k] = b;
    }
  } else {
    const unsigned i = csr - 0x3B0;
    if (i >= entries_ || (cfg_[i] & kCfgL)) return;
    // The top of a locked TOR entry is frozen too.
    if (i + 1 < entries_ && (cfg_[i + 1] & kCfgL) && (cfg_[i + 1] & kCfgA) == kTor) return;
    addr_[i] = value;
  }
  rebuild();
}

void Pmp::range(unsigned i, uint64_t& lo, uint64_t& hi) const {
  lo = hi = 0;
  if (i >= entries_) return;
  const uint64_t tor_mask = ~((uint64_t(1) << g_) - 1);  // bits G-1:0 do not affect TOR matching
  switch (cfg_[i] & kCfgA) {
    case kOff:
      return;
    case kTor:
      lo = i == 0 ? 0 : (uint64_t(addr_[i - 1]) & tor_mask) << 2;
      hi = (uint64_t(addr_[i]) & tor_mask) << 2;
      if (hi <= lo) lo = hi = 0;  // an empty range matches nothing
      return;
    case kNa4:
      lo = uint64_t(addr_[i]) << 2;
      hi = lo + 4;
      return;
    default: {  // NAPOT: trailing ones t of pmpaddr give a 2^(t+3)-byte region
      uint32_t y = addr_[i];
      if (g_ >= 2) y |= (1u << (g_ - 1)) - 1;
      unsigned t = 0;
      while (t < 32 && ((y >> t) & 1)) ++t;
      const uint64_t size = uint64_t(1) << (t + 3);
      lo = (uint64_t(y) << 2) & ~(size - 1);
      hi = lo + size;
      return;
    }
  }
}

void Pmp::rebuild() {
  n_active_ = 0;
  any_locked_ = false;
  for (unsigned i = 0; i < entries_; ++i) {
    Region r;
    range(i, r.lo, r.hi);
    if (r.hi == r.lo) continue;
    r.perm = cfg_[i] & (kCfgR | kCfgW | kCfgX);
    r.locked = (cfg_[i] & kCfgL) != 0;
    r.alone = true;
    for (unsigned k = 0; k < n_active_; ++k)
      if (active_[k].lo < r.hi && r.lo < active_[k].hi) r.alone = false;
    any_locked_ |= r.locked;
    active_index_[n_active_] = uint8_t(i);
    active_[n_active_++] = r;
  }
}

bool Pmp::check(uint32_t addr, uint32_t len, uint8_t perm, bool machine) const {
  uint64_t lo, hi;
  return check(addr, len, perm, machine, lo, hi);
}

bool Pmp::check(uint32_t addr, uint32_t len, uint8_t perm, bool machine, uint64_t& lo, uint64_t& hi) const {
  lo = 1;
  hi = 0;
  const uint64_t a = addr, e = uint64_t(addr) + len;
  for (unsigned k = 0; k < n_active_; ++k) {
    const Region& r = active_[k];
    if (e <= r.lo || a >= r.hi) continue;        // no byte in this entry
    if (a < r.lo || e > r.hi) return false;      // some bytes match, not all: the access fails
    const bool ok = (machine && !r.locked) ||    // unlocked entries do not restrict M-mode
                    (r.perm & perm) == perm;
    if (ok && r.alone) {
      lo = r.lo;
      hi = r.hi;
    }
    return ok;
  }
  return machine;  // no entry matches: M-mode succeeds, U-mode fails (entries are implemented)
}

}  // namespace mcucim::isa

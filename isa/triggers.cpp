// Sdtrig trigger module: CSR semantics (WARL legalisation) and address matching. See triggers.h.
#include "isa/triggers.h"

namespace mcucim::isa {

namespace {
constexpr uint32_t kTypeShift = 28;
constexpr uint32_t kDmode = 1u << 27;
constexpr uint32_t kHit2 = 1u << 20;   // mcontrol.hit
constexpr uint32_t kHit6 = 1u << 22;   // mcontrol6.hit0
constexpr uint32_t kActionShift = 12;  // 4 bits, both types
constexpr uint32_t kMatchShift = 7;    // 4 bits, both types
constexpr uint32_t kM = 1u << 6, kU = 1u << 3;
constexpr uint32_t kKinds = 7;         // execute | store | load
constexpr uint32_t kMcontrol = 2, kMcontrol6 = 6, kDisabled = 15;
// tinfo: version 1 (Sdtrig 1.0) in bits 31:24; supported types 2, 6 and 15 in the info field.
constexpr uint32_t kTinfo = (1u << 24) | (1u << kMcontrol) | (1u << kMcontrol6) | (1u << kDisabled);
}  // namespace

Triggers::Triggers(unsigned count, bool user_mode)
    : count_(count > kMaxTriggers ? kMaxTriggers : count), user_mode_(user_mode) {
  for (unsigned i = 0; i < count_; ++i) {
    t_[i].tdata1 = kMcontrol << kTypeShift;  // an address-match trigger that matches nothing yet
    update(i);
  }
}

uint32_t Triggers::legalize(uint32_t old, uint32_t v, bool debugger, bool user_mode) {
  uint32_t type = v >> kTypeShift;
  if (type != kMcontrol && type != kMcontrol6 && type != kDisabled) type = old >> kTypeShift;
  const bool dmode = debugger && (v & kDmode);
  uint32_t r = (type << kTypeShift) | (dmode ? kDmode : 0);
  if (type == kDisabled) return r;
  const uint32_t action = (v >> kActionShift) & 0xf;
  if (dmode && action == 1) r |= 1u << kActionShift;  // enter Debug Mode: only for the debugger
  const uint32_t match = (v >> kMatchShift) & 0xf;
  if (match == 0 || match == 2 || match == 3 || (type == kMcontrol6 && match == 1)) r |= match << kMatchShift;
  r |= v & (kM | kKinds);
  if (user_mode) r |= v & kU;
  r |= v & (type == kMcontrol ? kHit2 : kHit6);
  return r;
}

void Triggers::update(unsigned i) {
  Trigger& t = t_[i];
  const uint32_t type = t.tdata1 >> kTypeShift;
  t.kinds = t.modes = 0;
  t.halt = false;
  t.lo = t.hi = 0;
  if (type == kMcontrol || type == kMcontrol6) {
    t.kinds = uint8_t(t.tdata1 & kKinds);
    t.modes = uint8_t(((t.tdata1 & kM) ? 8 : 0) | ((t.tdata1 & kU) ? 1 : 0));
    t.halt = (t.tdata1 & kDmode) && ((t.tdata1 >> kActionShift) & 0xf) == 1;
    const uint64_t v = t.tdata2;
    switch ((t.tdata1 >> kMatchShift) & 0xf) {
      case 0: t.lo = v; t.hi = v + 1; break;
      case 1: {  // NAPOT: the bits above the least-significant 0 of tdata2 are compared
        unsigned z = 0;
        while (z < 32 && ((v >> z) & 1)) ++z;
        const uint64_t size = uint64_t(1) << (z + 1 > 32 ? 32 : z + 1);
        t.lo = v & ~(size - 1);
        t.hi = t.lo + size;
        break;
      }
      case 2: t.lo = v; t.hi = uint64_t(1) << 32; break;
      case 3: t.lo = 0; t.hi = v; break;
    }
  }
  armed_ = 0;
  for (unsigned k = 0; k < count_; ++k)
    if (t_[k].modes && t_[k].hi > t_[k].lo) armed_ |= t_[k].kinds;
}

uint32_t Triggers::read(uint32_t csr) const {
  switch (csr) {
    case 0x7A0: return select_;
    case 0x7A1: return t_[select_].tdata1;
    case 0x7A2: return t_[select_].tdata2;
    case 0x7A4: return kTinfo;
    default: return 0;  // tdata3: no textra matching
  }
}

void Triggers::write(uint32_t csr, uint32_t value, bool debugger) {
  if (csr == 0x7A0) {
    if (value < count_) select_ = value;
    return;
  }
  Trigger& t = t_[select_];
  if ((t.tdata1 & kDmode) && !debugger) return;  // the debugger's trigger
  if (csr == 0x7A1) t.tdata1 = legalize(t.tdata1, value, debugger, user_mode_);
  else if (csr == 0x7A2) t.tdata2 = value;
  else return;  // tdata3, tinfo: writes ignored
  update(select_);
}

int Triggers::match(uint8_t kind, uint32_t addr, uint32_t len, unsigned priv) const {
  const uint64_t a = addr, e = uint64_t(addr) + len;
  const uint8_t mode = uint8_t(1u << priv);
  for (unsigned i = 0; i < count_; ++i) {
    const Trigger& t = t_[i];
    if ((t.kinds & kind) && (t.modes & mode) && e > t.lo && a < t.hi) return int(i);
  }
  return -1;
}

void Triggers::set_hit(unsigned i) {
  if (i >= count_) return;
  const uint32_t type = t_[i].tdata1 >> kTypeShift;
  if (type == kMcontrol) t_[i].tdata1 |= kHit2;
  else if (type == kMcontrol6) t_[i].tdata1 |= kHit6;
}

}  // namespace mcucim::isa

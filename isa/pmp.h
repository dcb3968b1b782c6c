// Physical memory protection (RISC-V Privileged ISA v1.12, section 3.7) for RV32: up to 16 entries,
// address matching OFF / TOR / NA4 / NAPOT, R/W/X permissions, the lock bit (which also binds machine
// mode and freezes the entry), and a configurable granularity G (regions of at least 2^(G+2) bytes).
// Plain C++; isa::Cpu owns one and asks it only on its slow path (see cpu.h, "Hot path").
//
// WARL choices (each allowed by the specification):
//   - pmpcfg bits 6:5 read as zero; R=0 with W=1 (reserved) is stored as R=0, W=0;
//   - with G >= 1 the NA4 mode is not selectable: a write of NA4 selects NAPOT;
//   - pmpaddr keeps every bit written; with G >= 2 a NAPOT entry reads bits G-2:0 as ones, with
//     G >= 1 an OFF/TOR entry reads bits G-1:0 as zeros (the stored bits are kept, section 3.7.1.3);
//   - entries beyond the configured count (up to 64) read zero and ignore writes.
#pragma once
#include <array>
#include <cstdint>

namespace mcucim::isa {

class Pmp {
 public:
  static constexpr unsigned kMaxEntries = 16;
  enum Perm : uint8_t { kR = 1, kW = 2, kX = 4 };
  // pmpcfg fields.
  static constexpr uint8_t kCfgR = 0x01, kCfgW = 0x02, kCfgX = 0x04, kCfgA = 0x18, kCfgL = 0x80;
  static constexpr uint8_t kOff = 0x00, kTor = 0x08, kNa4 = 0x10, kNapot = 0x18;

  Pmp(unsigned entries = 0, unsigned granularity = 0);

  unsigned entries() const { return entries_; }
  unsigned granularity() const { return g_; }
  bool implemented() const { return entries_ > 0; }
  // True if some active entry is locked (it then also restricts machine mode).
  bool any_locked() const { return any_locked_; }

  // CSR interface: pmpcfgN is CSR 0x3A0 + N (N = 0..15), pmpaddrN is 0x3B0 + N (N = 0..63).
  static bool is_pmp_csr(uint32_t csr) { return csr >= 0x3A0 && csr <= 0x3EF; }
  uint32_t read(uint32_t csr) const;
  void write(uint32_t csr, uint32_t value);

  // May `len` bytes at `addr` be accessed with permission `perm` (kR, kW or kX)? `machine`: the
  // access is made in M-mode (unlocked entries do not restrict it). The lowest-numbered entry that
  // matches any byte decides; it must contain all bytes. No match: M-mode succeeds, U-mode fails.
  bool check(uint32_t addr, uint32_t len, uint8_t perm, bool machine) const;
  // The same, and when the access is allowed by an entry that no higher-priority entry overlaps, that
  // entry's range in [lo, hi): every access of the same kind and mode inside it is allowed too (the
  // caller may cache it until the PMP CSRs or the mode change). Otherwise lo > hi (nothing).
  bool check(uint32_t addr, uint32_t len, uint8_t perm, bool machine, uint64_t& lo, uint64_t& hi) const;

  // The byte range [lo, hi) of entry i as matched (hi == lo: matches nothing), for reports/tests.
  void range(unsigned i, uint64_t& lo, uint64_t& hi) const;

 private:
  struct Region {
    uint64_t lo = 0, hi = 0;  // bytes [lo, hi) in the 34-bit physical space
    uint8_t perm = 0;
    bool locked = false;
    bool alone = false;  // no higher-priority entry overlaps it
  };
  void rebuild();
  uint32_t read_addr(unsigned i) const;

  unsigned entries_, g_;
  std::array<uint8_t, kMaxEntries> cfg_{};
  std::array<uint32_t, kMaxEntries> addr_{};
  // Active entries (A != OFF and a non-empty range) in priority order.
  std::array<Region, kMaxEntries> active_{};
  std::array<uint8_t, kMaxEntries> active_index_{};
  unsigned n_active_ = 0;
  bool any_locked_ = false;
};

}  // namespace mcucim::isa

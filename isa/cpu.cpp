// The interpreter loop and the privileged architecture (M-mode, optional U-mode, PMP and trigger
// checks). See cpu.h for the design.
#include "isa/cpu.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "isa/fpu.h"
#include "xmac_ref.h"

#if defined(__GNUC__)
#define MC_LIKELY(x) __builtin_expect(!!(x), 1)
#define MC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MC_LIKELY(x) (x)
#define MC_UNLIKELY(x) (x)
#endif

namespace mcucim::isa {

namespace {
constexpr uint32_t kSemihostPre = 0x01f01013;   // slli x0, x0, 0x1f
constexpr uint32_t kSemihostPost = 0x40705013;  // srai x0, x0, 7
constexpr uint32_t kCsrXmacCfg = XMAC_CSR_XMACCFG;

// Which of rs1/rs2 name integer registers (bit 0: rs1, bit 1: rs2), for the load-use hazard check:
// FP operations' register fields name FP registers, which an integer load never writes.
struct IntSources {
  uint8_t mask[static_cast<size_t>(Op::COUNT)];
  constexpr IntSources() : mask{} {
    for (size_t i = 0; i < static_cast<size_t>(Op::COUNT); ++i) mask[i] = 3;
    for (Op op : {Op::FMADD_S, Op::FMSUB_S, Op::FNMSUB_S, Op::FNMADD_S, Op::FADD_S, Op::FSUB_S, Op::FMUL_S,
                  Op::FDIV_S, Op::FSQRT_S, Op::FSGNJ_S, Op::FSGNJN_S, Op::FSGNJX_S, Op::FMIN_S, Op::FMAX_S,
                  Op::FCVT_W_S, Op::FCVT_WU_S, Op::FMV_X_W, Op::FEQ_S, Op::FLT_S, Op::FLE_S, Op::FCLASS_S})
      mask[static_cast<size_t>(op)] = 0;
    for (Op op : {Op::FCVT_S_W, Op::FCVT_S_WU, Op::FMV_W_X, Op::FLW, Op::FSW}) mask[static_cast<size_t>(op)] = 1;
  }
};
constexpr IntSources kIntSources;

inline unsigned size_index(unsigned len) { return len == 1 ? 0 : (len == 2 ? 1 : 2); }

inline uint32_t load_le(const uint8_t* p, unsigned len) {
  switch (len) {
    case 1: return p[0];
    case 2: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    default: { uint32_t v; std::memcpy(&v, p, 4); return v; }
  }
}
inline void store_le(uint8_t* p, uint32_t v, unsigned len) {
  switch (len) {
    case 1: p[0] = static_cast<uint8_t>(v); break;
    case 2: { uint16_t h = static_cast<uint16_t>(v); std::memcpy(p, &h, 2); break; }
    default: std::memcpy(p, &v, 4); break;
  }
}
}  // namespace

Cpu::Cpu(const CpuConfig& cfg, Bus* bus)
    : cfg_(cfg),
      bus_(bus),
      page_map_(new uint8_t[1u << 20]()),
      pmp_(cfg.pmp_entries, cfg.pmp_granularity),
      triggers_(cfg.triggers, cfg.user_mode),
      own_resv_(cfg.hartid + 1) {
  uint32_t lines = cfg_.fetch_lines ? cfg_.fetch_lines : 1;
  fetch_tags_.assign(lines, ~0u);
  fetch_line_shift_ = 0;
  while ((1u << fetch_line_shift_) < cfg_.fetch_line_bytes) ++fetch_line_shift_;
  uint32_t h = 1;
  while (h < cfg_.history) h <<= 1;
  history_.assign(h, 0);
  stall_guard_ = std::find(cfg_.timing.base.begin(), cfg_.timing.base.end(), 0u) != cfg_.timing.base.end();
  reset(0);
}

Cpu::~Cpu() = default;

size_t Cpu::add_region(const MemRegion& r) {
  // page_map_ holds index + 1 in 8 bits (sim/soc.cpp refuses configs with more memories).
  if (regions_.size() >= 255) throw std::length_error("isa::Cpu: more than 255 memory regions");
  regions_.push_back(std::make_unique<MemRegion>(r));
  MemRegion& m = *regions_.back();
  if (m.executable) {
    const size_t slots = size_t(m.size) / 2 + 1;
    if (!m.decode_cache || m.decode_cache->size() != slots) m.decode_cache = std::make_shared<std::vector<Insn>>(slots);
    m.decoded = m.decode_cache->data();
    m.decoded_slots = slots;
  } else {
    m.decode_cache.reset();
    m.decoded = nullptr;
    m.decoded_slots = 0;
  }
  if (m.executable && cfg_.profile) {
    m.prof_count.assign(m.size / 2 + 1, 0);
    m.prof_cycles.assign(m.size / 2 + 1, 0);
  }
  const uint8_t index = static_cast<uint8_t>(regions_.size());
  uint64_t first = m.base >> 12, last = (uint64_t(m.base) + m.size - 1) >> 12;
  for (uint64_t p = first; p <= last; ++p) page_map_[p] = index;
  code_ = nullptr;
  code_base_ = code_size_ = 0;
  update_shared();
  return regions_.size() - 1;
}

void Cpu::set_reservations(Reservations* r) {
  if (!r || cfg_.hartid >= r->harts()) throw std::invalid_argument("isa::Cpu: reservation table without this hart");
  resv_ = r;
  update_shared();
}

void Cpu::update_shared() {
  shared_ = resv_ != &own_resv_;
  for (const auto& r : regions_) shared_ = shared_ || r->banks != nullptr;
  update_checks();
}

MemRegion* Cpu::find_region(uint32_t addr, uint32_t len) {
  MemRegion* r = region_of(addr);
  if (r && addr - r->base <= r->size - len && len <= r->size) return r;
  return nullptr;
}

void Cpu::reset(uint32_t pc) {
  std::memset(x_, 0, sizeof x_);
  std::memset(f_, 0, sizeof f_);
  pc_ = pc;
  fflags_ = frm_ = 0;
  mstatus_ = kMstatusMPP;
  mie_ = mip_ = mtvec_ = mepc_ = mcause_ = mtval_ = mscratch_ = mcountinhibit_ = mcounteren_ = 0;
  priv_ = kPrivM;
  pmp_ = Pmp(cfg_.pmp_entries, cfg_.pmp_granularity);  // pmpcfg A and L reset to 0
  triggers_ = Triggers(cfg_.triggers, cfg_.user_mode);
  skip_triggers_ = false;
  update_checks();
  load_rd_ = xmac_rd_ = 0;
  semihost_pending_ = false;
  stall_cycle_ = ~uint64_t(0);
  stall_steps_ = 0;
  resv_->clear(cfg_.hartid);
}

void Cpu::update_checks() {
  const bool pmp_on = pmp_.implemented();
  const bool locked = pmp_on && pmp_.any_locked();
  // Loads and stores in M-mode with MPRV = 1 are checked with the privilege in MPP.
  const bool data_user = priv_ != kPrivM ||
                         ((mstatus_ & kMstatusMPRV) && ((mstatus_ & kMstatusMPP) >> 11) != kPrivM);
  const uint8_t armed = triggers_.armed();
  check_fetch_ = (pmp_on && (priv_ != kPrivM || locked)) || (armed & Triggers::kExecute);
  check_data_ = (pmp_on && (data_user || locked)) || (armed & (Triggers::kLoad | Triggers::kStore));
  checks_ = check_fetch_ || check_data_ || skip_triggers_ || single_step_ || shared_ || stall_guard_;
  fetch_ok_ = load_ok_ = store_ok_ = OkRange{};
  update_fetch_each();
}

void Cpu::update_fetch_each() {
  fetch_each_ = check_fetch_ && !(code_ && fetch_ok_.lo <= code_base_ && uint64_t(code_base_) + code_size_ <= fetch_ok_.hi);
}

bool Cpu::skipping_triggers() {
  if (!skip_triggers_) return false;
  if (instret_ == skip_instret_) return true;
  skip_triggers_ = false;  // that instruction has retired
  return false;
}

uint32_t Cpu::check_fetch(uint32_t pc, uint32_t len, uint32_t& tval) {
  if ((triggers_.armed() & Triggers::kExecute) && !skipping_triggers()) {
    const int t = triggers_.match(Triggers::kExecute, pc, 1, priv_);
    if (t >= 0) {
      triggers_.set_hit(unsigned(t));
      if (triggers_.debugger_owned(unsigned(t))) {
        debug_event_ = DebugEvent{unsigned(t), Triggers::kExecute, pc, pc};
        return kHalt;
      }
      tval = pc;
      return kBreakpoint;
    }
  }
  if (pmp_.implemented() && (priv_ != kPrivM || pmp_.any_locked())) {
    const bool machine = priv_ == kPrivM;
    uint64_t lo, hi;
    if (pmp_.check(pc, len, Pmp::kX, machine, lo, hi)) {
      if (!(triggers_.armed() & Triggers::kExecute)) {
        fetch_ok_ = OkRange{lo, hi};
        update_fetch_each();
      }
    } else {
      // mtval: the address of the part of the instruction that faulted (mepc: its start).
      tval = (len == 4 && pmp_.check(pc, 2, Pmp::kX, machine)) ? pc + 2 : pc;
      return kInsnAccessFault;
    }
  }
  return 0;
}

uint32_t Cpu::check_data(uint32_t addr, uint32_t len, bool store, bool pmp) {
  const uint8_t kind = store ? Triggers::kStore : Triggers::kLoad;
  if ((triggers_.armed() & kind) && !skipping_triggers()) {
    const int t = triggers_.match(kind, addr, len, priv_);
    if (t >= 0) {
      triggers_.set_hit(unsigned(t));
      if (triggers_.debugger_owned(unsigned(t))) {
        debug_event_ = DebugEvent{unsigned(t), kind, addr, 0};
        return kHalt;
      }
      return kBreakpoint;
    }
  }
  if (pmp && pmp_.implemented()) {
    const Priv eff = (priv_ == kPrivM && (mstatus_ & kMstatusMPRV)) ? Priv((mstatus_ & kMstatusMPP) >> 11) : priv_;
    if (eff != kPrivM || pmp_.any_locked()) {
      uint64_t lo, hi;
      if (!pmp_.check(addr, len, store ? Pmp::kW : Pmp::kR, eff == kPrivM, lo, hi))
        return store ? kStoreAccessFault : kLoadAccessFault;
      if (!(triggers_.armed() & kind)) (store ? store_ok_ : load_ok_) = OkRange{lo, hi};
    }
  }
  return 0;
}

bool Cpu::csr_allowed(uint32_t csr) const {
  if (((csr >> 8) & 3) > priv_) return false;  // bits 9:8: the lowest privilege that may access it
  // U-mode counters (cycle, time, instret, hpmcounterN and their high halves): mcounteren bit N.
  if (priv_ == kPrivU && ((csr >= 0xC00 && csr <= 0xC1F) || (csr >= 0xC80 && csr <= 0xC9F)))
    return (mcounteren_ >> (csr & 0x1f)) & 1;
  return true;
}

bool Cpu::set_debug_trigger(unsigned index, const DebugTrigger& t) {
  if (index >= triggers_.count() || !(t.execute || t.load || t.store)) return false;
  if (t.size == 0 || (t.size & (t.size - 1)) || (t.address & (t.size - 1))) return false;
  // mcontrol6 (type 6), dmode = 1, action = 1 (enter Debug Mode), m (and u), match equal or NAPOT.
  uint32_t tdata1 = (6u << 28) | (1u << 27) | (1u << 12) | (1u << 6) | (cfg_.user_mode ? 1u << 3 : 0) |
                    (t.execute ? Triggers::kExecute : 0) | (t.store ? Triggers::kStore : 0) |
                    (t.load ? Triggers::kLoad : 0);
  uint32_t tdata2 = t.address;
  if (t.size > 1) {
    tdata1 |= 1u << 7;            // NAPOT
    tdata2 |= t.size / 2 - 1;     // trailing ones encode the size
  }
  const uint32_t sel = triggers_.tselect();
  triggers_.write(0x7A0, index, true);
  triggers_.write(0x7A1, tdata1, true);
  triggers_.write(0x7A2, tdata2, true);
  triggers_.write(0x7A0, sel, true);
  update_checks();
  return true;
}

void Cpu::clear_debug_trigger(unsigned index) {
  if (index >= triggers_.count()) return;
  const uint32_t sel = triggers_.tselect();
  triggers_.write(0x7A0, index, true);
  triggers_.write(0x7A1, 2u << 28, true);  // a disabled mcontrol trigger, dmode = 0: the program's again
  triggers_.write(0x7A2, 0, true);
  triggers_.write(0x7A0, sel, true);
  update_checks();
}

uint32_t Cpu::misa() const {
  uint32_t v = 1u << 30;        // MXL = 32
  v |= 1u << ('I' - 'A');
  if (cfg_.features.m) v |= 1u << ('M' - 'A');
  if (cfg_.features.c) v |= 1u << ('C' - 'A');
  if (cfg_.features.f) v |= 1u << ('F' - 'A');
  if (cfg_.features.xmac) v |= 1u << ('X' - 'A');
  if (cfg_.user_mode) v |= 1u << ('U' - 'A');
  if (cfg_.features.a) v |= 1u << ('A' - 'A');
  return v;
}

void Cpu::set_irq(Irq irq, bool level) {
  if (level) mip_ |= 1u << irq;
  else mip_ &= ~(1u << irq);
}

void Cpu::idle(uint64_t cycles) {
  cycle_ += cycles;
  counters_.idle_cycles += cycles;
}

std::vector<uint32_t> Cpu::pc_history() const {
  std::vector<uint32_t> out;
  const uint32_t n = static_cast<uint32_t>(history_.size());
  const uint64_t count = instret_ + counters_.traps;  // upper bound of recorded entries
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t idx = (history_pos_ + i) & (n - 1);
    if (count < n && idx >= history_pos_) continue;  // slots never written
    out.push_back(history_[idx]);
  }
  return out;
}

bool Cpu::debug_read(uint32_t addr, void* data, uint32_t len) {
  auto* out = static_cast<uint8_t*>(data);
  for (uint32_t i = 0; i < len;) {
    uint32_t a = addr + i;
    if (MemRegion* r = find_region(a, 1)) {
      uint32_t n = std::min(len - i, r->size - (a - r->base));
      std::memcpy(out + i, r->host + (a - r->base), n);
      i += n;
    } else {
      uint32_t d;
      if (!bus_ || !bus_->read(a, out + i, 1, cycle_, d)) return false;
      ++i;
    }
  }
  return true;
}

bool Cpu::debug_write(uint32_t addr, const void* data, uint32_t len) {
  const auto* in = static_cast<const uint8_t*>(data);
  for (uint32_t i = 0; i < len;) {
    uint32_t a = addr + i;
    if (MemRegion* r = find_region(a, 1)) {
      uint32_t n = std::min(len - i, r->size - (a - r->base));
      std::memcpy(r->host + (a - r->base), in + i, n);
      if (r->executable) invalidate_code(*r, a - r->base, n);
      i += n;
    } else {
      uint32_t d;
      if (!bus_ || !bus_->write(a, in + i, 1, cycle_, d)) return false;
      ++i;
    }
  }
  return true;
}

void Cpu::flush_decode_cache() {
  for (auto& r : regions_)
    if (r->executable) std::fill(r->decoded, r->decoded + r->decoded_slots, Insn{});
}

void Cpu::invalidate_code(MemRegion& r, uint32_t off, uint32_t len) {
  // Slots of instructions that may overlap [off, off+len): a 32-bit instruction starting 2 bytes before.
  uint32_t first = off >= 2 ? (off - 2) / 2 : 0;
  uint32_t last = (off + len + 1) / 2;
  for (uint32_t s = first; s <= last && s < r.decoded_slots; ++s) r.decoded[s].op = Op::UNDECODED;
}

Insn Cpu::decode_at(uint32_t pc) {
  uint32_t raw = 0;
  uint8_t b[4] = {0, 0, 0, 0};
  MemRegion* r = find_region(pc, 2);
  if (!r) return Insn{Op::ILLEGAL};
  std::memcpy(b, r->host + (pc - r->base), 2);
  if ((b[0] & 3) == 3) {
    if (!find_region(pc + 2, 2)) return Insn{Op::ILLEGAL};
    std::memcpy(b + 2, r->host + (pc + 2 - r->base), 2);
  }
  std::memcpy(&raw, b, 4);
  return decode(raw, cfg_.features);
}

bool Cpu::select_code_region(uint32_t pc) {
  MemRegion* r = region_of(pc);
  if (!r || !r->executable || pc - r->base >= r->size) return false;
  code_ = r;
  code_base_ = r->base;
  code_size_ = r->size;
  update_fetch_each();
  return true;
}

bool Cpu::take_trap(uint32_t cause, uint32_t tval, uint32_t epc) {
  counters_.traps++;
  const bool interrupt = (cause & kInterruptBit) != 0;
  if (interrupt) counters_.interrupts++;
  uint32_t target = mtvec_ & ~3u;
  if ((mtvec_ & 1) && interrupt) target += 4 * (cause & 0x7fffffff);
  // A handler must exist: mtvec set and pointing into executable memory.
  MemRegion* hr = region_of(target);
  if (mtvec_ == 0 || !hr || !hr->executable || target - hr->base >= hr->size) {
    fatal_.cause = cause;
    fatal_.pc = epc;
    fatal_.tval = tval;
    Insn in = decode_at(epc);
    fatal_.raw = in.raw;
    fatal_.reason = mtvec_ == 0 ? "no trap handler (mtvec = 0)"
                                : "trap handler address is not executable memory";
    return false;
  }
  mepc_ = epc;
  mcause_ = cause;
  mtval_ = tval;
  resv_->clear(cfg_.hartid);  // a trap (context switch) ends the LR/SC sequence
  uint32_t mie = (mstatus_ & kMstatusMIE) ? kMstatusMPIE : 0;
  mstatus_ = (mstatus_ & ~(kMstatusMIE | kMstatusMPIE | kMstatusMPP)) | mie | (uint32_t(priv_) << 11);
  if (priv_ != kPrivM) {
    priv_ = kPrivM;
    update_checks();
  }
  pc_ = target;
  cycle_ += cfg_.timing.trap_entry + transfer_penalty(target);
  load_rd_ = xmac_rd_ = 0;
  return true;
}

bool Cpu::csr_read(uint32_t csr, uint32_t& v) {
  // An inhibited counter (mcountinhibit.CY/IR) reads its value frozen at the time of inhibition.
  const uint64_t mcycle = (mcountinhibit_ & 1) ? frozen_mcycle_ : cycle_ + mcycle_offset_;
  const uint64_t minstret = (mcountinhibit_ & 4) ? frozen_minstret_ : instret_ + minstret_offset_;
  switch (csr) {
    case 0x001: if (!cfg_.features.f || !fp_enabled()) return false; v = fflags_; return true;
    case 0x002: if (!cfg_.features.f || !fp_enabled()) return false; v = frm_; return true;
    case 0x003: if (!cfg_.features.f || !fp_enabled()) return false; v = fcsr(); return true;
    case 0x300: v = mstatus_; return true;
    case 0x301: v = misa(); return true;
    case 0x304: v = mie_; return true;
    case 0x305: v = mtvec_; return true;
    case 0x306: v = mcounteren_; return true;  // mcounteren (without U-mode: reads zero)
    case 0x310: v = 0; return true;  // mstatush
    case 0x320: v = mcountinhibit_; return true;
    case 0x340: v = mscratch_; return true;
    case 0x341: v = cfg_.features.c ? mepc_ & ~1u : mepc_ & ~3u; return true;
    case 0x342: v = mcause_; return true;
    case 0x343: v = mtval_; return true;
    case 0x344: v = mip_; return true;
    case 0xB00: case 0xC00: v = static_cast<uint32_t>(mcycle); return true;
    case 0xB80: case 0xC80: v = static_cast<uint32_t>(mcycle >> 32); return true;
    case 0xB02: case 0xC02: v = static_cast<uint32_t>(minstret); return true;
    case 0xB82: case 0xC82: v = static_cast<uint32_t>(minstret >> 32); return true;
    case 0xC01: v = static_cast<uint32_t>(bus_ ? bus_->mtime(cycle_) : 0); return true;
    case 0xC81: v = static_cast<uint32_t>((bus_ ? bus_->mtime(cycle_) : 0) >> 32); return true;
    case 0xF11: case 0xF12: case 0xF13: case 0xF15: v = 0; return true;  // vendor/arch/impl/configptr
    case 0xF14: v = cfg_.hartid; return true;
    case kCsrXmacCfg:
      if (!cfg_.features.xmac) return false;
      v = XMAC_CFG_MAKE(XMAC_VERSION, cfg_.xmac.lanes, cfg_.xmac.latency);
      return true;
    default: break;
  }
  if (Pmp::is_pmp_csr(csr)) {
    if (!pmp_.implemented()) return false;
    v = pmp_.read(csr);
    return true;
  }
  if (Triggers::is_trigger_csr(csr)) {
    if (!triggers_.implemented()) return false;
    v = triggers_.read(csr);
    return true;
  }
  // Hardware performance counters: mhpmcounter3..31 (0xB03..0xB1F), high halves 0xB83..0xB9F, user
  // aliases 0xC03.., event selectors 0x323..0x33F (fixed events, see docs/CSRS.md).
  auto hpm = [&](unsigned i) -> uint64_t {
    switch (i) {
      case 3: return counters_.by_class[size_t(TClass::LOAD)] + counters_.by_class[size_t(TClass::FP_LOAD)];
      case 4: return counters_.by_class[size_t(TClass::STORE)] + counters_.by_class[size_t(TClass::FP_STORE)];
      case 5: return counters_.branches_taken;
      case 6: return counters_.load_use_stalls;
      case 7: return counters_.fetch_stall_cycles;
      case 8: return counters_.mem_wait_cycles;
      case 9: return counters_.xmac_macs[0] + counters_.xmac_macs[1] + counters_.xmac_macs[2];
      case 10: return counters_.idle_cycles;
      case 11: return counters_.traps;
      default: return 0;
    }
  };
  if ((csr >= 0xB03 && csr <= 0xB1F) || (csr >= 0xC03 && csr <= 0xC1F)) {
    v = static_cast<uint32_t>(hpm(csr & 0x1f));
    return true;
  }
  if ((csr >= 0xB83 && csr <= 0xB9F) || (csr >= 0xC83 && csr <= 0xC9F)) {
    v = static_cast<uint32_t>(hpm(csr & 0x1f) >> 32);
    return true;
  }
  if (csr >= 0x323 && csr <= 0x33F) {
    v = (csr - 0x320) <= 11 ? csr - 0x320 : 0;  // event id = counter index for the fixed events
    return true;
  }
  return false;
}

bool Cpu::csr_write(uint32_t csr, uint32_t v) {
  if ((csr >> 10) == 3) return false;  // read-only CSR space
  switch (csr) {
    case 0x001: if (!cfg_.features.f || !fp_enabled()) return false; fflags_ = v & 0x1f; set_fs_dirty(); return true;
    case 0x002: if (!cfg_.features.f || !fp_enabled()) return false; frm_ = v & 7; set_fs_dirty(); return true;
    case 0x003: if (!cfg_.features.f || !fp_enabled()) return false;
      fflags_ = v & 0x1f; frm_ = (v >> 5) & 7; set_fs_dirty(); return true;
    case 0x300: {
      uint32_t mask = kMstatusMIE | kMstatusMPIE | (cfg_.features.f ? kMstatusFS : 0) |
                      (cfg_.user_mode ? kMstatusMPP | kMstatusMPRV | kMstatusTW : 0);
      uint32_t nv = (mstatus_ & ~mask) | (v & mask);
      // MPP holds a supported mode: M, or U with U-mode; any other value is taken as M (WARL).
      if (!cfg_.user_mode || ((nv & kMstatusMPP) >> 11) != kPrivU) nv |= kMstatusMPP;
      if ((nv & kMstatusFS) == kMstatusFS) nv |= kMstatusSD;
      else nv &= ~kMstatusSD;
      mstatus_ = nv;
      update_checks();
      return true;
    }
    case 0x301: return true;  // misa: WARL, not writable here
    case 0x304: mie_ = v & ((1u << kIrqMSoft) | (1u << kIrqMTimer) | (1u << kIrqMExt)); return true;
    case 0x305: mtvec_ = (v & 3) >= 2 ? (v & ~3u) : v; return true;
    case 0x306: if (cfg_.user_mode) mcounteren_ = v; return true;  // WARL: read-only 0 without U-mode
    case 0x310: return true;
    case 0x320: {
      const uint32_t nv = v & ~2u;
      // Freeze on inhibit; on release, resume counting from the frozen value.
      if ((nv & 1) && !(mcountinhibit_ & 1)) frozen_mcycle_ = cycle_ + mcycle_offset_;
      if (!(nv & 1) && (mcountinhibit_ & 1)) mcycle_offset_ = int64_t(frozen_mcycle_) - int64_t(cycle_);
      if ((nv & 4) && !(mcountinhibit_ & 4)) frozen_minstret_ = instret_ + minstret_offset_;
      if (!(nv & 4) && (mcountinhibit_ & 4)) minstret_offset_ = int64_t(frozen_minstret_) - int64_t(instret_);
      mcountinhibit_ = nv;
      return true;
    }
    case 0x340: mscratch_ = v; return true;
    case 0x341: mepc_ = v & ~1u; return true;
    case 0x342: mcause_ = v; return true;
    case 0x343: mtval_ = v; return true;
    case 0x344: return true;  // mip: MTIP/MSIP/MEIP are read-only (driven by devices)
    case 0xB00: mcycle_offset_ = int64_t((((cycle_ + mcycle_offset_) >> 32) << 32) | v) - int64_t(cycle_); if (mcountinhibit_ & 1) frozen_mcycle_ = cycle_ + mcycle_offset_; return true;
    case 0xB80: mcycle_offset_ = int64_t((uint64_t(v) << 32) | uint32_t(cycle_ + mcycle_offset_)) - int64_t(cycle_); if (mcountinhibit_ & 1) frozen_mcycle_ = cycle_ + mcycle_offset_; return true;
    case 0xB02: minstret_offset_ = int64_t((((instret_ + minstret_offset_) >> 32) << 32) | v) - int64_t(instret_); if (mcountinhibit_ & 4) frozen_minstret_ = instret_ + minstret_offset_; return true;
    case 0xB82: minstret_offset_ = int64_t((uint64_t(v) << 32) | uint32_t(instret_ + minstret_offset_)) - int64_t(instret_); if (mcountinhibit_ & 4) frozen_minstret_ = instret_ + minstret_offset_; return true;
    default: break;
  }
  if ((csr >= 0xB03 && csr <= 0xB1F) || (csr >= 0xB83 && csr <= 0xB9F) ||
      (csr >= 0x323 && csr <= 0x33F))
    return true;  // fixed-event counters: writes ignored (WARL)
  if (Pmp::is_pmp_csr(csr)) {
    if (!pmp_.implemented()) return false;
    pmp_.write(csr, v);
    update_checks();
    return true;
  }
  if (Triggers::is_trigger_csr(csr)) {
    if (!triggers_.implemented()) return false;
    triggers_.write(csr, v);
    update_checks();
    return true;
  }
  return false;
}

// Misaligned split (TimingProfile::misaligned = Split): the first transaction carries the bytes up to
// the word boundary, the second the rest. Each goes to whatever holds its bytes (a memory through DMI,
// or the bus) and is counted as one access of the instruction's size. As on Ibex, the second
// transaction is issued even if the first fails; the fault reported is the first failing part.
Cpu::SplitResult Cpu::split_load(uint32_t addr, unsigned len, uint64_t now) {
  const uint32_t first = 4 - (addr & 3);
  const uint32_t part_addr[2] = {addr, addr + first};
  const uint32_t part_len[2] = {first, len - first};
  uint8_t bytes[4] = {0, 0, 0, 0};
  SplitResult res;
  for (int i = 0; i < 2; ++i) {
    if (MemRegion* r = find_region(part_addr[i], part_len[i])) {
      std::memcpy(bytes + (part_addr[i] - addr), r->host + (part_addr[i] - r->base), part_len[i]);
      r->reads[size_index(len)]++;
      res.cycles += r->read_wait;
    } else {
      uint32_t d = 0, v = 0;
      res.device = true;
      if (!bus_ || !bus_->read(part_addr[i], &v, part_len[i], now + res.cycles, d)) {
        if (res.ok) res.fault_addr = part_addr[i];
        res.ok = false;
        continue;
      }
      std::memcpy(bytes + (part_addr[i] - addr), &v, part_len[i]);
      res.cycles += d;
      counters_.device_reads++;
    }
  }
  counters_.mem_wait_cycles += res.cycles;
  counters_.misaligned_splits++;
  std::memcpy(&res.value, bytes, 4);
  if (len < 4) res.value &= (1u << (8 * len)) - 1;
  return res;
}

Cpu::SplitResult Cpu::split_store(uint32_t addr, unsigned len, uint32_t value, uint64_t now) {
  const uint32_t first = 4 - (addr & 3);
  const uint32_t part_addr[2] = {addr, addr + first};
  const uint32_t part_len[2] = {first, len - first};
  uint8_t bytes[4];
  std::memcpy(bytes, &value, 4);
  SplitResult res;
  for (int i = 0; i < 2; ++i) {
    const uint8_t* src = bytes + (part_addr[i] - addr);
    MemRegion* r = find_region(part_addr[i], part_len[i]);
    if (r && r->writable) {
      std::memcpy(r->host + (part_addr[i] - r->base), src, part_len[i]);
      if (resv_->active()) resv_->store(part_addr[i], part_len[i], cfg_.hartid);
      if (r->executable) invalidate_code(*r, part_addr[i] - r->base, part_len[i]);
      r->writes[size_index(len)]++;
      res.cycles += r->write_wait;
    } else if (r) {
      if (res.ok) res.fault_addr = part_addr[i];  // read-only memory (flash)
      res.ok = false;
    } else {
      uint32_t d = 0, v = 0;
      std::memcpy(&v, src, part_len[i]);
      res.device = true;
      if (!bus_ || !bus_->write(part_addr[i], &v, part_len[i], now + res.cycles, d)) {
        if (res.ok) res.fault_addr = part_addr[i];
        res.ok = false;
        continue;
      }
      res.cycles += d;
      counters_.device_writes++;
    }
  }
  counters_.mem_wait_cycles += res.cycles;
  counters_.misaligned_splits++;
  return res;
}

void Cpu::finish_semihost(uint32_t result) {
  x_[10] = result;
  pc_ += 4;  // past the ebreak; the srai x0 that follows executes as a no-op
  semihost_pending_ = false;
}

// ---------------------------------------------------------------------------------------------------
// The interpreter loop.
// ---------------------------------------------------------------------------------------------------
// Variants per profiling mode: with a sequential fetch-alignment penalty (every straddling
// instruction is charged, e.g. PicoRV32) or without (only an instruction reached by a control transfer
// can pay, e.g. Ibex, CV32E40P: then the per-instruction test is one compare with the last target);
// and the checked loop (PMP / triggers in force), which takes the sequential path for every profile.
Stop Cpu::run(uint64_t limit) {
  // Interrupts: taken between instructions, when enabled individually and globally (machine-mode
  // interrupts are always enabled while the hart runs in U-mode).
  if ((priv_ != kPrivM || (mstatus_ & kMstatusMIE)) && (mip_ & mie_)) {
    uint32_t pending = mip_ & mie_;
    uint32_t irq = (pending & (1u << kIrqMExt)) ? kIrqMExt
                   : (pending & (1u << kIrqMSoft)) ? kIrqMSoft : kIrqMTimer;
    if (!take_trap(kInterruptBit | irq, 0, pc_)) return Stop::Fatal;
    if (MC_UNLIKELY(single_step_)) return Stop::Limit;
  }
  if (MC_UNLIKELY(checks_))
    return cfg_.profile ? run_impl<true, true, true>(limit) : run_impl<false, true, true>(limit);
  const bool seq = cfg_.timing.straddle_sequential != 0;
  if (MC_UNLIKELY(ebreak_halts_)) {  // a debugger is attached: the loops with its breakpoint halt
    if (cfg_.profile) return run_impl<true, true, true>(limit);
    return seq ? run_impl<false, true, false, true>(limit) : run_impl<false, false, false, true>(limit);
  }
  if (cfg_.profile) return seq ? run_impl<true, true, false>(limit) : run_impl<true, false, false>(limit);
  return seq ? run_impl<false, true, false>(limit) : run_impl<false, false, false>(limit);
}

template <bool kProfile, bool kSeqStraddle, bool kChecked, bool kEbreakHalts>
Stop Cpu::run_impl(uint64_t limit) {

  const TimingProfile& T = cfg_.timing;
  const uint32_t c_taken = T.branch_taken_penalty;
  const uint32_t c_load_use = T.load_use_stall;
  const uint32_t hist_mask = static_cast<uint32_t>(history_.size() - 1);
  const uint32_t fetch_mask = static_cast<uint32_t>(fetch_tags_.size() - 1);
  const uint32_t lanes = cfg_.xmac.lanes ? cfg_.xmac.lanes : 1;
  // Fetch alignment (timing.h): an instruction straddles a fetch word of fetch_width bytes when its
  // first and last byte addresses differ in a bit >= log2(fetch_width).
  // An instruction reached by a control transfer (jump, taken branch, trap, mret, fence.i) was fetched
  // after a flush: the transfer itself pays for its target (transfer_penalty), so the dispatch below
  // only charges straddles in sequence, and only for profiles that have such a penalty.
  uint64_t cyc = cycle_;
  uint32_t pc = pc_;
  uint32_t* const X = x_;
  Stop stop = Stop::Limit;

// Raise an exception for the current instruction and continue with the handler (or stop if fatal).
#define TRAP(cause, tval)                          \
  do {                                             \
    cycle_ = cyc;                                  \
    if (!take_trap((cause), (tval), pc)) {         \
      pc_ = pc;                                    \
      return Stop::Fatal;                          \
    }                                              \
    pc = pc_;                                      \
    cyc = cycle_;                                  \
    if (MC_UNLIKELY(stalled(cyc))) return Stop::Stall; \
    goto next;                                     \
  } while (0)
// Stop for the debugger before the current instruction executes (a debugger trigger fired).
#define HALT_FOR_DEBUGGER(counted)                                      \
  do {                                                                  \
    if (counted) counters_.by_class[static_cast<size_t>(in.tclass)]--;  \
    debug_event_.pc = pc;                                               \
    pc_ = pc;                                                           \
    cycle_ = insn_cyc0;                                                 \
    return Stop::Debug;                                                 \
  } while (0)

  while (cyc < limit) {
   [[maybe_unused]] const uint64_t insn_cyc0 = cyc;
   [[maybe_unused]] const uint32_t prof_pc0 = pc;
   {  // (locals end before `next:` so that TRAP's goto never crosses an initialisation)
    uint32_t off = pc - code_base_;
    if (MC_UNLIKELY(off >= code_size_ || code_ == nullptr)) {
      if (!select_code_region(pc)) TRAP(kInsnAccessFault, pc);
      off = pc - code_base_;
    }
    Insn* ip = &code_->decoded[off >> 1];
    if (MC_UNLIKELY(ip->op == Op::UNDECODED)) {
      // Fetch the bits (a 32-bit instruction may straddle the region end: then it is a fetch fault).
      uint16_t lo;
      std::memcpy(&lo, code_->host + off, 2);
      uint32_t raw = lo;
      if ((lo & 3) == 3) {
        if (off + 4 > code_size_) TRAP(kInsnAccessFault, pc + 2);
        uint16_t hi;
        std::memcpy(&hi, code_->host + off + 2, 2);
        raw |= uint32_t(hi) << 16;
      }
      *ip = decode(raw, cfg_.features);
    }
    const Insn in = *ip;
    if constexpr (kChecked) {
      if (fetch_each_ && !fetch_ok_.covers(pc, in.len)) {
        uint32_t tval = 0;
        const uint32_t c = check_fetch(pc, in.len, tval);
        if (MC_UNLIKELY(c != 0)) {
          if (c == kHalt) HALT_FOR_DEBUGGER(false);
          TRAP(c, tval);
        }
      }
    }
    history_[history_pos_++ & hist_mask] = pc;

    // Instruction fetch through the fetch buffer / I-cache: a line fill costs the memory's wait
    // states (none for SRAM) and is counted for the energy model either way.
    {
      const uint32_t last = pc + in.len - 1;  // address of the instruction's last byte
      uint32_t line = pc >> fetch_line_shift_;
      uint32_t& tag = fetch_tags_[line & fetch_mask];
      if (MC_UNLIKELY(tag != line)) {
        tag = line;
        cyc += code_->read_wait;
        counters_.fetch_stall_cycles += code_->read_wait;
        code_->fetch_fills++;
      }
      // Energy only (no timing): the 32-bit words read from the buffer/cache. In sequence a new word is
      // read when the instruction starts at a word boundary (else its first half came with the previous
      // instruction's word); after a control transfer always (transfer_penalty counts that word for a
      // target at pc % 4 == 2); a 32-bit instruction at pc % 4 == 2 reads a second word.
      code_->fetch_words += (((pc & 3) + in.len - 1) >> 2) + ((pc & 3) == 0);
      // An instruction straddling two lines needs the next line too.
      uint32_t end_line = last >> fetch_line_shift_;
      if (MC_UNLIKELY(end_line != line)) {
        uint32_t& tag2 = fetch_tags_[end_line & fetch_mask];
        if (tag2 != end_line) {
          tag2 = end_line;
          cyc += code_->read_wait;
          counters_.fetch_stall_cycles += code_->read_wait;
          code_->fetch_fills++;
        }
      }
      // Fetch alignment: a 32-bit instruction that straddles two fetch words needs a second beat,
      // unless the core's prefetcher already holds it (in sequence).
      if constexpr (kSeqStraddle) {
        if (MC_UNLIKELY((last ^ pc) >= T.fetch_width)) {
          cyc += T.straddle_sequential;
          counters_.fetch_align_cycles += T.straddle_sequential;
        }
      }
    }
    // Load-use hazard: the previous instruction loaded into a register this one reads.
    if (MC_UNLIKELY(load_rd_ != 0)) {
      const uint8_t m = kIntSources.mask[static_cast<size_t>(in.op)];
      if (((m & 1) && in.rs1 == load_rd_) || ((m & 2) && in.rs2 == load_rd_)) {
        cyc += c_load_use;
        counters_.load_use_stalls += c_load_use;
      }
    }
    load_rd_ = 0;
    // Xmac result latency for non-Xmac consumers of the accumulator.
    if (MC_UNLIKELY(xmac_rd_ != 0)) {
      const uint8_t m = kIntSources.mask[static_cast<size_t>(in.op)];
      if (in.tclass != TClass::XMAC && in.tclass != TClass::XMAC_LOAD && cfg_.xmac.latency > 1 &&
          (((m & 1) && in.rs1 == xmac_rd_) || ((m & 2) && in.rs2 == xmac_rd_))) {
        cyc += cfg_.xmac.latency - 1;
        counters_.xmac_stall_cycles += cfg_.xmac.latency - 1;
      }
      xmac_rd_ = 0;
    }
    cyc += T.base[static_cast<size_t>(in.tclass)];
    counters_.by_class[static_cast<size_t>(in.tclass)]++;

    {
      uint32_t npc = pc + in.len;
      const uint32_t rs1v = X[in.rs1];
      const uint32_t rs2v = X[in.rs2];
      const int32_t imm = in.imm;

// Protection checks of a load/store (checked loop only): triggers, then PMP. A misaligned access that
// traps as misaligned skips the PMP check (that exception outranks the access fault).
#define CHECK_DATA(a, len, store, misaligned_cause)                                              \
  if constexpr (kChecked) {                                                                      \
    if (check_data_ && !((store) ? store_ok_ : load_ok_).covers((a), (len))) {                   \
      const bool pmp_ = !(((a) & ((len) - 1)) && misaligned_traps());                            \
      const uint32_t c_ = check_data((a), (len), (store), pmp_);                                 \
      if (MC_UNLIKELY(c_ != 0)) {                                                                \
        if (c_ == kHalt) HALT_FOR_DEBUGGER(true);                                                \
        TRAP(c_, (a));                                                                           \
      }                                                                                          \
    }                                                                                            \
  }
// A banked memory (TCDM, checked loop with several harts): wait for the word's bank (isa/shared.h).
#define BANK_ACCESS(r, a)                                          \
  do {                                                             \
    if ((r)->banks) {                                              \
      const uint32_t bw_ = (r)->banks->access((a), cyc);           \
      cyc += bw_;                                                  \
      counters_.bank_wait_cycles += bw_;                           \
    }                                                              \
  } while (0)

// Memory access helpers (macros so that they can TRAP and `goto next`).
#define LOAD(addr_expr, len, signext, dest_expr)                                                    \
  do {                                                                                              \
    const uint32_t a_ = (addr_expr);                                                                \
    CHECK_DATA(a_, (len), false, kLoadMisaligned);                                                  \
    if (MC_UNLIKELY(a_ & ((len) - 1))) {                                                            \
      if (cfg_.misaligned == Misaligned::Trap) TRAP(kLoadMisaligned, a_);                           \
      if (cfg_.misaligned == Misaligned::Emulate) {                                                 \
        /* Emulated as two accesses to one memory (devices: access fault). */                      \
        MemRegion* mr_ = find_region(a_, (len));                                                    \
        if (!mr_) TRAP(kLoadAccessFault, a_);                                                       \
        uint32_t v_ = load_le(mr_->host + (a_ - mr_->base), (len));                                 \
        if (signext) v_ = (len) == 1 ? uint32_t(int32_t(int8_t(v_))) : uint32_t(int32_t(int16_t(v_))); \
        dest_expr = v_;                                                                             \
        mr_->reads[size_index(len)] += 2;                                                           \
        cyc += T.base[size_t(TClass::LOAD)] + 2 * mr_->read_wait;                                   \
        counters_.mem_wait_cycles += 2 * mr_->read_wait;                                            \
        break;                                                                                      \
      }                                                                                             \
      if ((a_ & 3) + (len) > 4) {                                                                   \
        /* Split: two word-aligned transactions (a misaligned access within one word is one). */   \
        const SplitResult s_ = split_load(a_, (len), cyc);                                          \
        cyc += s_.cycles;                                                                           \
        if (s_.device) limit = 0;                                                                   \
        if (!s_.ok) TRAP(kLoadAccessFault, s_.fault_addr);                                          \
        uint32_t v_ = s_.value;                                                                     \
        if (signext) v_ = (len) == 1 ? uint32_t(int32_t(int8_t(v_))) : uint32_t(int32_t(int16_t(v_))); \
        dest_expr = v_;                                                                             \
        cyc += T.misaligned_split_cycles;                                                           \
        break;                                                                                      \
      }                                                                                             \
    }                                                                                               \
    MemRegion* r_ = region_of(a_);                                                                  \
    if (MC_LIKELY(r_ != nullptr) && MC_LIKELY(a_ - r_->base <= r_->size - (len))) {                 \
      uint32_t v_ = load_le(r_->host + (a_ - r_->base), (len));                                     \
      if (signext) v_ = (len) == 1 ? uint32_t(int32_t(int8_t(v_))) : uint32_t(int32_t(int16_t(v_))); \
      dest_expr = v_;                                                                               \
      r_->reads[size_index(len)]++;                                                                 \
      cyc += r_->read_wait;                                                                         \
      counters_.mem_wait_cycles += r_->read_wait;                                                   \
      if constexpr (kChecked) if (shared_) BANK_ACCESS(r_, a_);                                                   \
    } else {                                                                                        \
      uint32_t d_ = 0, v_ = 0;                                                                      \
      if (!bus_ || !bus_->read(a_, &v_, (len), cyc, d_)) TRAP(kLoadAccessFault, a_);                \
      if (signext) v_ = (len) == 1 ? uint32_t(int32_t(int8_t(v_))) : uint32_t(int32_t(int16_t(v_))); \
      dest_expr = v_;                                                                               \
      cyc += d_;                                                                                    \
      counters_.mem_wait_cycles += d_;                                                              \
      counters_.device_reads++;                                                                     \
      limit = 0; /* return after this instruction so the caller can sync */                         \
    }                                                                                               \
  } while (0)

#define STORE(addr_expr, len, value_expr)                                                 \
  do {                                                                                    \
    const uint32_t a_ = (addr_expr);                                                      \
    CHECK_DATA(a_, (len), true, kStoreMisaligned);                                        \
    const uint32_t v_ = (value_expr);                                                     \
    if (MC_UNLIKELY(a_ & ((len) - 1))) {                                                  \
      if (cfg_.misaligned == Misaligned::Trap) TRAP(kStoreMisaligned, a_);                \
      if (cfg_.misaligned == Misaligned::Emulate) {                                       \
        /* Emulated as two accesses to one writable memory (devices: access fault). */    \
        MemRegion* mr_ = find_region(a_, (len));                                          \
        if (!mr_ || !mr_->writable) TRAP(kStoreAccessFault, a_);                          \
        store_le(mr_->host + (a_ - mr_->base), v_, (len));                                \
        if (mr_->executable) invalidate_code(*mr_, a_ - mr_->base, (len));                \
        mr_->writes[size_index(len)] += 2;                                                \
        cyc += T.base[size_t(TClass::STORE)] + 2 * mr_->write_wait;                       \
        counters_.mem_wait_cycles += 2 * mr_->write_wait;                                 \
        break;                                                                            \
      }                                                                                   \
      if ((a_ & 3) + (len) > 4) {                                                         \
        /* Split: two word-aligned transactions (within one word: one). */                \
        const SplitResult s_ = split_store(a_, (len), v_, cyc);                           \
        cyc += s_.cycles;                                                                 \
        if (s_.device) limit = 0;                                                         \
        if (!s_.ok) TRAP(kStoreAccessFault, s_.fault_addr);                               \
        cyc += T.misaligned_split_cycles;                                                 \
        break;                                                                            \
      }                                                                                   \
    }                                                                                     \
    MemRegion* r_ = region_of(a_);                                                        \
    if (MC_LIKELY(r_ != nullptr) && MC_LIKELY(a_ - r_->base <= r_->size - (len))) {       \
      if (MC_UNLIKELY(!r_->writable)) TRAP(kStoreAccessFault, a_);                        \
      store_le(r_->host + (a_ - r_->base), v_, (len));                                    \
      if (r_->executable) invalidate_code(*r_, a_ - r_->base, (len));                     \
      r_->writes[size_index(len)]++;                                                      \
      cyc += r_->write_wait;                                                              \
      counters_.mem_wait_cycles += r_->write_wait;                                        \
      if constexpr (kChecked) if (shared_) {                                                            \
        if (resv_->active()) resv_->store(a_, (len), cfg_.hartid);                        \
        BANK_ACCESS(r_, a_);                                                              \
      }                                                                                   \
    } else {                                                                              \
      uint32_t d_ = 0;                                                                    \
      if (!bus_ || !bus_->write(a_, &v_, (len), cyc, d_)) TRAP(kStoreAccessFault, a_);    \
      cyc += d_;                                                                          \
      counters_.mem_wait_cycles += d_;                                                    \
      counters_.device_writes++;                                                          \
      limit = 0;                                                                          \
    }                                                                                     \
  } while (0)

#define WR(v) X[in.rd] = (v)
#define FP_CHECK()                                                        \
  do {                                                                    \
    if (MC_UNLIKELY(!fp_enabled())) TRAP(kIllegalInsn, in.raw);           \
  } while (0)
#define FP_RM(rmvar)                                                      \
  unsigned rmvar = in.rm == 7 ? frm_ : in.rm;                             \
  if (MC_UNLIKELY(rmvar > 4)) TRAP(kIllegalInsn, in.raw)

      switch (in.op) {
        case Op::LUI: WR(uint32_t(imm)); break;
        case Op::AUIPC: WR(pc + uint32_t(imm)); break;
        case Op::JAL:
          npc = pc + uint32_t(imm);
          if (MC_UNLIKELY((npc & 2) && !cfg_.features.c)) TRAP(kInsnMisaligned, npc);
          WR(pc + in.len);
          cyc += transfer_penalty(npc);
          break;
        case Op::JALR:
          npc = (rs1v + uint32_t(imm)) & ~1u;
          if (MC_UNLIKELY((npc & 2) && !cfg_.features.c)) TRAP(kInsnMisaligned, npc);
          WR(pc + in.len);
          cyc += transfer_penalty(npc);
          break;

#define BRANCH(cond)                                                           \
  if (cond) {                                                                  \
    npc = pc + uint32_t(imm);                                                  \
    if (MC_UNLIKELY((npc & 2) && !cfg_.features.c)) TRAP(kInsnMisaligned, npc); \
    cyc += c_taken;                                                            \
    counters_.branches_taken++;                                                \
    cyc += transfer_penalty(npc);                                              \
    if (MC_UNLIKELY(T.branch_fallthrough_straddle != 0)) cyc += fallthrough_penalty(pc + in.len); \
  }                                                                            \
  break;
        case Op::BEQ: BRANCH(rs1v == rs2v)
        case Op::BNE: BRANCH(rs1v != rs2v)
        case Op::BLT: BRANCH(int32_t(rs1v) < int32_t(rs2v))
        case Op::BGE: BRANCH(int32_t(rs1v) >= int32_t(rs2v))
        case Op::BLTU: BRANCH(rs1v < rs2v)
        case Op::BGEU: BRANCH(rs1v >= rs2v)
#undef BRANCH

        case Op::LB: LOAD(rs1v + uint32_t(imm), 1, true, X[in.rd]); load_rd_ = in.rd; break;
        case Op::LH: LOAD(rs1v + uint32_t(imm), 2, true, X[in.rd]); load_rd_ = in.rd; break;
        case Op::LW: LOAD(rs1v + uint32_t(imm), 4, false, X[in.rd]); load_rd_ = in.rd; break;
        case Op::LBU: LOAD(rs1v + uint32_t(imm), 1, false, X[in.rd]); load_rd_ = in.rd; break;
        case Op::LHU: LOAD(rs1v + uint32_t(imm), 2, false, X[in.rd]); load_rd_ = in.rd; break;
        case Op::SB: STORE(rs1v + uint32_t(imm), 1, rs2v); break;
        case Op::SH: STORE(rs1v + uint32_t(imm), 2, rs2v); break;
        case Op::SW: STORE(rs1v + uint32_t(imm), 4, rs2v); break;

        case Op::ADDI: WR(rs1v + uint32_t(imm)); break;
        case Op::SLTI: WR(int32_t(rs1v) < imm ? 1 : 0); break;
        case Op::SLTIU: WR(rs1v < uint32_t(imm) ? 1 : 0); break;
        case Op::XORI: WR(rs1v ^ uint32_t(imm)); break;
        case Op::ORI: WR(rs1v | uint32_t(imm)); break;
        case Op::ANDI: WR(rs1v & uint32_t(imm)); break;
        case Op::SLLI: WR(rs1v << (imm & 31)); cyc += (imm >> 2 & 7) * T.shift_per_4 + (imm & 3) * T.shift_per_1; break;
        case Op::SRLI: WR(rs1v >> (imm & 31)); cyc += (imm >> 2 & 7) * T.shift_per_4 + (imm & 3) * T.shift_per_1; break;
        case Op::SRAI: WR(uint32_t(int32_t(rs1v) >> (imm & 31))); cyc += (imm >> 2 & 7) * T.shift_per_4 + (imm & 3) * T.shift_per_1; break;
        case Op::ADD: WR(rs1v + rs2v); break;
        case Op::SUB: WR(rs1v - rs2v); break;
        case Op::SLL: WR(rs1v << (rs2v & 31)); cyc += (rs2v >> 2 & 7) * T.shift_per_4 + (rs2v & 3) * T.shift_per_1; break;
        case Op::SLT: WR(int32_t(rs1v) < int32_t(rs2v) ? 1 : 0); break;
        case Op::SLTU: WR(rs1v < rs2v ? 1 : 0); break;
        case Op::XOR: WR(rs1v ^ rs2v); break;
        case Op::SRL: WR(rs1v >> (rs2v & 31)); cyc += (rs2v >> 2 & 7) * T.shift_per_4 + (rs2v & 3) * T.shift_per_1; break;
        case Op::SRA: WR(uint32_t(int32_t(rs1v) >> (rs2v & 31))); cyc += (rs2v >> 2 & 7) * T.shift_per_4 + (rs2v & 3) * T.shift_per_1; break;
        case Op::OR: WR(rs1v | rs2v); break;
        case Op::AND: WR(rs1v & rs2v); break;

        case Op::MUL: WR(rs1v * rs2v); break;
        case Op::MULH: WR(uint32_t((int64_t(int32_t(rs1v)) * int64_t(int32_t(rs2v))) >> 32)); break;
        case Op::MULHSU: WR(uint32_t((int64_t(int32_t(rs1v)) * int64_t(uint64_t(rs2v))) >> 32)); break;
        case Op::MULHU: WR(uint32_t((uint64_t(rs1v) * uint64_t(rs2v)) >> 32)); break;
        case Op::DIV:
          if (rs2v == 0) { WR(~0u); if (T.div_fast_zero) cyc = cyc - T.cycles(TClass::DIV) + T.div_fast_zero; }
          else if (rs1v == 0x80000000u && rs2v == ~0u) WR(0x80000000u);
          else WR(uint32_t(int32_t(rs1v) / int32_t(rs2v)));
          break;
        case Op::DIVU:
          if (rs2v == 0) { WR(~0u); if (T.div_fast_zero) cyc = cyc - T.cycles(TClass::DIV) + T.div_fast_zero; }
          else WR(rs1v / rs2v);
          break;
        case Op::REM:
          if (rs2v == 0) { WR(rs1v); if (T.div_fast_zero) cyc = cyc - T.cycles(TClass::DIV) + T.div_fast_zero; }
          else if (rs1v == 0x80000000u && rs2v == ~0u) WR(0);
          else WR(uint32_t(int32_t(rs1v) % int32_t(rs2v)));
          break;
        case Op::REMU:
          if (rs2v == 0) { WR(rs1v); if (T.div_fast_zero) cyc = cyc - T.cycles(TClass::DIV) + T.div_fast_zero; }
          else WR(rs1v % rs2v);
          break;

        case Op::FENCE:
          cyc = cyc - T.base[size_t(TClass::SYSTEM)] + T.fence;
          if (T.fence_flushes_fetch) cyc += transfer_penalty(npc);
          break;
        case Op::FENCE_I:
          cyc = cyc - T.base[size_t(TClass::SYSTEM)] + T.fence_i + transfer_penalty(npc);
          flush_decode_cache();
          std::fill(fetch_tags_.begin(), fetch_tags_.end(), ~0u);
          limit = 0;
          break;
        case Op::ECALL: TRAP(priv_ == kPrivU ? kEcallU : kEcallM, 0);
        case Op::EBREAK: {
          // RISC-V semihosting: slli x0,x0,0x1f; ebreak; srai x0,x0,7 (all uncompressed).
          uint32_t pre = 0, post = 0;
          if (in.len == 4 && debug_read(pc - 4, &pre, 4) && debug_read(pc + 4, &post, 4) &&
              pre == kSemihostPre && post == kSemihostPost) {
            instret_++;
            pc_ = pc;
            cycle_ = cyc;
            semihost_pending_ = true;
            return Stop::Semihost;
          }
          // A debugger's software breakpoint: only in the loops run() takes while ebreak_halts_ is on, so
          // the plain fast loops carry no debugger code (nor the instruction's start cycle it restores).
          if constexpr (kEbreakHalts) {
            if (MC_UNLIKELY(ebreak_halts_)) {
              debug_event_ = DebugEvent{~0u, 0, pc, pc};
              HALT_FOR_DEBUGGER(true);
            }
          }
          TRAP(kBreakpoint, pc);
        }
        case Op::MRET: {
          if (MC_UNLIKELY(priv_ != kPrivM)) TRAP(kIllegalInsn, in.raw);
          // Return to the mode in MPP; MPP becomes the least-privileged mode, MPRV is cleared when
          // leaving M-mode (privileged spec 3.1.6.1, 3.3.2).
          const uint32_t mpie = mstatus_ & kMstatusMPIE;
          const Priv to = Priv((mstatus_ & kMstatusMPP) >> 11);
          mstatus_ = (mstatus_ & ~(kMstatusMIE | kMstatusMPP)) | (mpie ? kMstatusMIE : 0) | kMstatusMPIE |
                     (cfg_.user_mode ? 0 : kMstatusMPP);
          if (to != kPrivM) mstatus_ &= ~kMstatusMPRV;
          priv_ = to;
          update_checks();
          npc = cfg_.features.c ? mepc_ & ~1u : mepc_ & ~3u;
          cyc += T.mret + transfer_penalty(npc);
          resv_->clear(cfg_.hartid);
          limit = 0;  // interrupts may have become enabled
          break;
        }
        case Op::WFI:
          if (MC_UNLIKELY(priv_ == kPrivU && (mstatus_ & kMstatusTW))) TRAP(kIllegalInsn, in.raw);
          if (!(mip_ & mie_)) {
            instret_++;
            pc_ = npc;
            cycle_ = cyc;
            return Stop::Wfi;
          }
          break;

        case Op::CSRRW: case Op::CSRRS: case Op::CSRRC:
        case Op::CSRRWI: case Op::CSRRSI: case Op::CSRRCI: {
          const uint32_t csr = uint32_t(imm) & 0xfff;
          const bool is_imm = in.op >= Op::CSRRWI;
          const uint32_t src = is_imm ? in.rs3 : rs1v;
          const bool is_write = in.op == Op::CSRRW || in.op == Op::CSRRWI;
          // csrrs/csrrc with rs1=x0 (or uimm=0) do not write; csrrw with rd=x0 does not read.
          const bool writes = is_write || (is_imm ? in.rs3 != 0 : in.rs1 != 0);
          uint32_t old = 0;
          // Reads have no side effects here, so csrrw with rd=x0 may read too: it checks existence.
          // Counters read by the CSR see this instruction's start (before its own cycles; priv. spec:
          // a CSR read returns the value prior to the execution of the instruction).
          cycle_ = cyc - T.base[size_t(TClass::CSR)];
          if (MC_UNLIKELY(priv_ != kPrivM) && !csr_allowed(csr)) TRAP(kIllegalInsn, in.raw);
          if (!csr_read(csr, old)) TRAP(kIllegalInsn, in.raw);
          if (writes) {
            uint32_t nv = is_write ? src : (in.op == Op::CSRRS || in.op == Op::CSRRSI) ? (old | src) : (old & ~src);
            cycle_ = cyc;
            if (!csr_write(csr, nv)) TRAP(kIllegalInsn, in.raw);
            // "If a CSR access instruction writes such a CSR, the write is done instead of the
            // increment": this instruction's retirement must not add to the value written. A write
            // to minstreth is a write to (the upper half of) minstret.
            if (csr == 0xB02 || csr == 0xB82) minstret_offset_--;
            limit = 0;  // mstatus/mie/mtvec may change what happens next
          }
          WR(old);
          break;
        }

        // ---- F extension ----
        case Op::FLW: {
          FP_CHECK();
          uint32_t v = 0;
          LOAD(rs1v + uint32_t(imm), 4, false, v);
          f_[in.rd] = v;
          set_fs_dirty();
          break;
        }
        case Op::FSW: FP_CHECK(); STORE(rs1v + uint32_t(imm), 4, f_[in.rs2]); break;
#define FOP2(fn)                                                  \
  {                                                               \
    FP_CHECK();                                                   \
    FP_RM(rm);                                                    \
    f_[in.rd] = fpu::fn(f_[in.rs1], f_[in.rs2], rm, fflags_);     \
    set_fs_dirty();                                               \
    break;                                                        \
  }
        case Op::FADD_S: FOP2(add)
        case Op::FSUB_S: FOP2(sub)
        case Op::FMUL_S: FOP2(mul)
        case Op::FDIV_S: FOP2(div)
#undef FOP2
#define FOP3(fn)                                                            \
  {                                                                         \
    FP_CHECK();                                                             \
    FP_RM(rm);                                                              \
    f_[in.rd] = fpu::fn(f_[in.rs1], f_[in.rs2], f_[in.rs3], rm, fflags_);   \
    set_fs_dirty();                                                         \
    break;                                                                  \
  }
        case Op::FMADD_S: FOP3(fma)
        case Op::FMSUB_S: FOP3(fmsub)
        case Op::FNMSUB_S: FOP3(fnmsub)
        case Op::FNMADD_S: FOP3(fnmadd)
#undef FOP3
        case Op::FSQRT_S: {
          FP_CHECK();
          FP_RM(rm);
          f_[in.rd] = fpu::sqrt(f_[in.rs1], rm, fflags_);
          set_fs_dirty();
          break;
        }
        case Op::FSGNJ_S: FP_CHECK(); f_[in.rd] = fpu::sgnj(f_[in.rs1], f_[in.rs2]); set_fs_dirty(); break;
        case Op::FSGNJN_S: FP_CHECK(); f_[in.rd] = fpu::sgnjn(f_[in.rs1], f_[in.rs2]); set_fs_dirty(); break;
        case Op::FSGNJX_S: FP_CHECK(); f_[in.rd] = fpu::sgnjx(f_[in.rs1], f_[in.rs2]); set_fs_dirty(); break;
        case Op::FMIN_S: FP_CHECK(); f_[in.rd] = fpu::min(f_[in.rs1], f_[in.rs2], fflags_); set_fs_dirty(); break;
        case Op::FMAX_S: FP_CHECK(); f_[in.rd] = fpu::max(f_[in.rs1], f_[in.rs2], fflags_); set_fs_dirty(); break;
        case Op::FCVT_W_S: { FP_CHECK(); FP_RM(rm); WR(fpu::cvt_w_s(f_[in.rs1], rm, fflags_)); set_fs_dirty(); break; }
        case Op::FCVT_WU_S: { FP_CHECK(); FP_RM(rm); WR(fpu::cvt_wu_s(f_[in.rs1], rm, fflags_)); set_fs_dirty(); break; }
        case Op::FMV_X_W: FP_CHECK(); WR(f_[in.rs1]); break;
        case Op::FEQ_S: FP_CHECK(); WR(fpu::eq(f_[in.rs1], f_[in.rs2], fflags_)); set_fs_dirty(); break;
        case Op::FLT_S: FP_CHECK(); WR(fpu::lt(f_[in.rs1], f_[in.rs2], fflags_)); set_fs_dirty(); break;
        case Op::FLE_S: FP_CHECK(); WR(fpu::le(f_[in.rs1], f_[in.rs2], fflags_)); set_fs_dirty(); break;
        case Op::FCLASS_S: FP_CHECK(); WR(fpu::classify(f_[in.rs1])); break;
        case Op::FCVT_S_W: { FP_CHECK(); FP_RM(rm); f_[in.rd] = fpu::cvt_s_w(rs1v, rm, fflags_); set_fs_dirty(); break; }
        case Op::FCVT_S_WU: { FP_CHECK(); FP_RM(rm); f_[in.rd] = fpu::cvt_s_wu(rs1v, rm, fflags_); set_fs_dirty(); break; }
        case Op::FMV_W_X: FP_CHECK(); f_[in.rd] = rs1v; set_fs_dirty(); break;

        // ---- Xmac ----
        case Op::XMAC_DOT8:
          WR(uint32_t(xmac_dot8_ref(int32_t(X[in.rd]), rs1v, rs2v)));
          counters_.xmac_macs[0] += 4;
          cyc += (4 + lanes - 1) / lanes - 1;
          xmac_rd_ = in.rd;
          break;
        case Op::XMAC_DOT4:
          WR(uint32_t(xmac_dot4_ref(int32_t(X[in.rd]), rs1v, rs2v, X[in.rs2 + 1])));
          counters_.xmac_macs[1] += 8;
          cyc += (8 + lanes - 1) / lanes - 1;
          xmac_rd_ = in.rd;
          break;
        case Op::XMAC_DOT2:
          WR(uint32_t(xmac_dot2_ref(int32_t(X[in.rd]), rs1v, rs2v, X[in.rs2 + 1], X[in.rs2 + 2], X[in.rs2 + 3])));
          counters_.xmac_macs[2] += 16;
          cyc += (16 + lanes - 1) / lanes - 1;
          xmac_rd_ = in.rd;
          break;
        case Op::XMAC_LDOT8: case Op::XMAC_LDOT4: case Op::XMAC_LDOT2: {
          uint32_t w = 0;
          LOAD(rs1v, 4, false, w);
          const uint32_t acc = X[in.rd];
          uint32_t r;
          unsigned macs;
          if (in.op == Op::XMAC_LDOT8) { r = uint32_t(xmac_dot8_ref(int32_t(acc), w, rs2v)); macs = 4; counters_.xmac_macs[0] += 4; }
          else if (in.op == Op::XMAC_LDOT4) { r = uint32_t(xmac_dot4_ref(int32_t(acc), w, rs2v, X[in.rs2 + 1])); macs = 8; counters_.xmac_macs[1] += 8; }
          else { r = uint32_t(xmac_dot2_ref(int32_t(acc), w, rs2v, X[in.rs2 + 1], X[in.rs2 + 2], X[in.rs2 + 3])); macs = 16; counters_.xmac_macs[2] += 16; }
          X[in.rs1] = rs1v + 4;
          WR(r);
          cyc += (macs + lanes - 1) / lanes - 1;
          xmac_rd_ = in.rd;
          break;
        }

        // ---- A ----
        // Word-aligned, to a memory the core reaches directly (not a device: access fault, cause 5 for
        // lr.w, 7 for sc.w/AMOs; misaligned: cause 4 / 6). Each executes in one step of the simulation,
        // so it is atomic with respect to every other initiator (harts, DMA).
        case Op::LR_W: {
          const uint32_t a = rs1v;
          if (MC_UNLIKELY(a & 3)) TRAP(kLoadMisaligned, a);
          CHECK_DATA(a, 4, false, kLoadMisaligned);  // PMP and triggers (checked loop)
          MemRegion* r = region_of(a);
          if (MC_UNLIKELY(r == nullptr || a - r->base > r->size - 4)) TRAP(kLoadAccessFault, a);
          WR(load_le(r->host + (a - r->base), 4));
          r->reads[2]++;
          cyc = cyc - T.base[size_t(TClass::LOAD)] + T.atomic_lr + r->read_wait;
          counters_.mem_wait_cycles += r->read_wait;
          if constexpr (kChecked) if (shared_) BANK_ACCESS(r, a);
          resv_->set(cfg_.hartid, a);
          load_rd_ = in.rd;
          break;
        }
        case Op::SC_W: {
          const uint32_t a = rs1v;
          if (MC_UNLIKELY(a & 3)) TRAP(kStoreMisaligned, a);
          CHECK_DATA(a, 4, true, kStoreMisaligned);  // PMP and triggers (checked loop)
          MemRegion* r = region_of(a);
          if (MC_UNLIKELY(r == nullptr || a - r->base > r->size - 4 || !r->writable)) TRAP(kStoreAccessFault, a);
          cyc = cyc - T.base[size_t(TClass::STORE)] + T.atomic_sc;
          if (resv_->holds(cfg_.hartid, a)) {
            store_le(r->host + (a - r->base), rs2v, 4);
            if (r->executable) invalidate_code(*r, a - r->base, 4);
            r->writes[2]++;
            cyc += r->write_wait;
            counters_.mem_wait_cycles += r->write_wait;
            if constexpr (kChecked) if (shared_) {
              if (resv_->active()) resv_->store(a, 4, cfg_.hartid);
              BANK_ACCESS(r, a);
            }
            WR(0);
          } else {
            counters_.sc_failures++;
            WR(1);
          }
          resv_->clear(cfg_.hartid);
          break;
        }
        case Op::AMOSWAP_W: case Op::AMOADD_W: case Op::AMOXOR_W: case Op::AMOAND_W: case Op::AMOOR_W:
        case Op::AMOMIN_W: case Op::AMOMAX_W: case Op::AMOMINU_W: case Op::AMOMAXU_W: {
          const uint32_t a = rs1v;
          if (MC_UNLIKELY(a & 3)) TRAP(kStoreMisaligned, a);
          CHECK_DATA(a, 4, true, kStoreMisaligned);  // PMP and triggers (checked loop)
          MemRegion* r = region_of(a);
          if (MC_UNLIKELY(r == nullptr || a - r->base > r->size - 4 || !r->writable)) TRAP(kStoreAccessFault, a);
          uint8_t* p = r->host + (a - r->base);
          const uint32_t old = load_le(p, 4);
          uint32_t nv;
          switch (in.op) {
            case Op::AMOSWAP_W: nv = rs2v; break;
            case Op::AMOADD_W: nv = old + rs2v; break;
            case Op::AMOXOR_W: nv = old ^ rs2v; break;
            case Op::AMOAND_W: nv = old & rs2v; break;
            case Op::AMOOR_W: nv = old | rs2v; break;
            case Op::AMOMIN_W: nv = int32_t(old) < int32_t(rs2v) ? old : rs2v; break;
            case Op::AMOMAX_W: nv = int32_t(old) > int32_t(rs2v) ? old : rs2v; break;
            case Op::AMOMINU_W: nv = old < rs2v ? old : rs2v; break;
            default: nv = old > rs2v ? old : rs2v; break;
          }
          store_le(p, nv, 4);
          if (r->executable) invalidate_code(*r, a - r->base, 4);
          r->reads[2]++;
          r->writes[2]++;
          cyc = cyc - T.base[size_t(TClass::LOAD)] + T.atomic_amo + r->read_wait + r->write_wait;
          counters_.mem_wait_cycles += r->read_wait + r->write_wait;
          if constexpr (kChecked) if (shared_) {
            if (resv_->active()) resv_->store(a, 4, cfg_.hartid);
            BANK_ACCESS(r, a);
          }
          WR(old);
          load_rd_ = in.rd;
          break;
        }

        case Op::ILLEGAL:
        default:
          TRAP(kIllegalInsn, in.raw);
      }
      X[0] = 0;
      pc = npc;
      instret_++;
      if constexpr (kChecked) {
        if (MC_UNLIKELY(stall_guard_) && stalled(cyc)) {  // a 0-cycle class in a loop (kStallSteps)
          stop = Stop::Stall;
          break;
        }
      }
    }
   }
  next:
   if constexpr (kProfile) {
     if (MemRegion* pr = region_of(prof_pc0); pr && !pr->prof_count.empty() && prof_pc0 - pr->base < pr->size) {
       pr->prof_count[(prof_pc0 - pr->base) >> 1]++;
       pr->prof_cycles[(prof_pc0 - pr->base) >> 1] += cyc - insn_cyc0;
     }
   }
   if constexpr (kChecked) {
     if (single_step_) break;
   }
  }
  pc_ = pc;
  cycle_ = cyc;
  return stop;
#undef TRAP
#undef LOAD
#undef STORE
#undef WR
#undef FP_CHECK
#undef FP_RM
#undef CHECK_DATA
#undef BANK_ACCESS
#undef HALT_FOR_DEBUGGER
}

template Stop Cpu::run_impl<true, true, false>(uint64_t);
template Stop Cpu::run_impl<true, false, false>(uint64_t);
template Stop Cpu::run_impl<false, true, false>(uint64_t);
template Stop Cpu::run_impl<false, false, false>(uint64_t);
template Stop Cpu::run_impl<true, true, true>(uint64_t);
template Stop Cpu::run_impl<false, true, true>(uint64_t);
template Stop Cpu::run_impl<false, true, false, true>(uint64_t);
template Stop Cpu::run_impl<false, false, false, true>(uint64_t);

}  // namespace mcucim::isa

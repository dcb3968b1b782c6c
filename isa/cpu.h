// The instruction-set simulator: RV32IMFC + Zicsr + Zifencei + Xmac, machine mode and (optionally)
// user mode with PMP and Sdtrig triggers, with an in-order timing model. Plain C++ (no SystemC):
// models/core.h wraps it as a TLM-2.0 initiator.
//
// Hot-path design: memories with direct host pointers (DMI) are registered as MemRegions and found
// through a 4 KiB page table; each executable region has a decode cache (one 16-byte Insn per
// halfword) filled on first execution and invalidated by stores into it and by fence.i. Everything
// else (devices) goes through the Bus callback, after which run() returns so the caller can
// synchronise time, deliver interrupts or stop. Counters are plain integers; no energy math here.
//
// Protection checks (PMP, triggers) cost nothing while they cannot change anything: run() executes a
// loop without them unless `checks_` is set, which is true only while PMP can deny an access (the
// hart is in U-mode, or M-mode loads/stores run with MPRV at U privilege, or a locked PMP entry
// exists) or a trigger is armed. Everything that can change that (CSR writes, mret, the debugger API)
// makes run() return, and the next run() picks the loop again.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "isa/insn.h"
#include "isa/pmp.h"
#include "isa/shared.h"
#include "isa/timing.h"
#include "isa/triggers.h"

namespace mcucim::isa {

// Exception causes (mcause values, interrupt bit clear).
enum Cause : uint32_t {
  kInsnMisaligned = 0,
  kInsnAccessFault = 1,
  kIllegalInsn = 2,
  kBreakpoint = 3,
  kLoadMisaligned = 4,
  kLoadAccessFault = 5,
  kStoreMisaligned = 6,
  kStoreAccessFault = 7,
  kEcallU = 8,
  kEcallM = 11,
};
constexpr uint32_t kInterruptBit = 0x80000000u;
enum Irq : uint32_t { kIrqMSoft = 3, kIrqMTimer = 7, kIrqMExt = 11 };

// mstatus bits.
constexpr uint32_t kMstatusMIE = 1u << 3;
constexpr uint32_t kMstatusMPIE = 1u << 7;
constexpr uint32_t kMstatusMPP = 3u << 11;
constexpr uint32_t kMstatusFS = 3u << 13;
constexpr uint32_t kMstatusMPRV = 1u << 17;  // with U-mode: loads/stores use the privilege in MPP
constexpr uint32_t kMstatusTW = 1u << 21;    // with U-mode: wfi in U-mode is an illegal instruction
constexpr uint32_t kMstatusSD = 1u << 31;

// Privilege levels (the encoding of mstatus.MPP).
enum Priv : uint8_t { kPrivU = 0, kPrivM = 3 };

// A memory the core reaches directly (DMI). Counters are indexed by log2(access size).
struct MemRegion {
  std::string name;
  uint32_t base = 0;
  uint32_t size = 0;
  uint8_t* host = nullptr;  // host pointer to the region's bytes
  bool writable = true;     // by the program (flash: false -> store access fault)
  bool executable = false;
  uint32_t read_wait = 0;   // extra cycles per data read / per fetch-line fill
  uint32_t write_wait = 0;  // extra cycles per data write
  BankArbiter* banks = nullptr;  // a banked memory shared by harts (TCDM): per-bank conflict model
  // Event counters (read by reports).
  std::array<uint64_t, 3> reads{};   // data reads of 1, 2, 4 bytes
  std::array<uint64_t, 3> writes{};  // data writes of 1, 2, 4 bytes
  uint64_t fetch_fills = 0;          // fetch-buffer/I-cache line fills served by this region
  uint64_t fetch_words = 0;          // 32-bit words the core read through the fetch buffer/I-cache
                                     // (energy: hits = fetch_words - fetch_fills)
  // Decode cache, one slot per halfword (only for executable regions). The harts of a cluster share it
  // (set decode_cache before add_region): a store or fence.i by any hart invalidates it for all.
  std::shared_ptr<std::vector<Insn>> decode_cache;
  Insn* decoded = nullptr;  // decode_cache->data()
  size_t decoded_slots = 0;
  // Flat profile (CpuConfig::profile): per halfword slot, instructions executed there and the cycles
  // they took (including stalls and wait states).
  std::vector<uint64_t> prof_count, prof_cycles;
};

// Slow path to everything that is not a MemRegion (devices), implemented by the SystemC wrapper.
class Bus {
 public:
  virtual ~Bus() = default;
  // `now_cycle` is the core's cycle count at the access; `delay_cycles` receives the target's latency.
  // Return false for an access fault (unmapped address, or the target refused the access).
  virtual bool read(uint32_t addr, void* data, unsigned len, uint64_t now_cycle,
                    uint32_t& delay_cycles) = 0;
  virtual bool write(uint32_t addr, const void* data, unsigned len, uint64_t now_cycle,
                     uint32_t& delay_cycles) = 0;
  // mtime for the `time`/`timeh` CSRs (0 if there is no timer).
  virtual uint64_t mtime(uint64_t now_cycle) { return 0; }
};

struct CpuConfig {
  IsaFeatures features;
  TimingProfile timing;
  XmacUnit xmac;
  Misaligned misaligned = Misaligned::Trap;  // misaligned loads/stores (soc.core.misaligned)
  uint32_t fetch_lines = 1;         // fetch buffer/I-cache lines (power of two) for regions with wait states
  uint32_t fetch_line_bytes = 16;   // power of two, >= 4
  uint32_t history = 16;            // last PCs kept for trap reports (power of two)
  uint32_t hartid = 0;
  bool profile = false;             // attribute cycles to instruction addresses (MemRegion::prof_*)
  // Privileged architecture options (docs/CSRS.md). Without them the core is machine-mode only and
  // the PMP / trigger CSRs are illegal instructions.
  bool user_mode = false;           // U-mode (misa.U, mstatus.MPP/MPRV/TW, mcounteren, ecall cause 8)
  uint32_t pmp_entries = 0;         // PMP entries (0..16)
  uint32_t pmp_granularity = 0;     // G: PMP regions of at least 2^(G+2) bytes (0..31)
  uint32_t triggers = 0;            // Sdtrig address-match triggers (0..8)
};

// An external debugger's hardware breakpoint or watchpoint (Cpu::set_debug_trigger).
struct DebugTrigger {
  uint32_t address = 0;
  uint32_t size = 1;        // bytes covered: 1 (exact address), or a power of two with `address`
                            // aligned to it (a NAPOT range, e.g. a watched variable)
  bool execute = false;     // breakpoint on the instruction at `address`
  bool load = false;        // watchpoints on data reads / writes of any byte in the range
  bool store = false;
};

// What stopped the core with Stop::Debug: a debugger trigger fired before the access happened.
struct DebugEvent {
  unsigned trigger = 0;     // index (tselect value) of the trigger that fired
  uint8_t kind = 0;         // Triggers::kExecute, kLoad or kStore; 0: an ebreak (set_ebreak_halts)
  uint32_t address = 0;     // instruction address (execute) or data address (load/store)
  uint32_t pc = 0;          // the instruction that was about to execute (not executed; pc() == pc)
};

// Why run() returned.
enum class Stop : uint8_t {
  Limit,      // reached the cycle limit (or returned early to let the caller sync after a device access)
  Wfi,        // executed wfi with no interrupt pending; pc is past the wfi
  Semihost,   // semihosting call at pc (the ebreak); the caller services it and calls finish_semihost()
  Fatal,      // unhandled trap: see fatal()
  Debug,      // a debugger trigger fired (debug_event()); pc is at the instruction, which did not run
  Stall,      // simulated time stopped advancing: Cpu::kStallSteps steps in a row took 0 cycles
};

// Per-run statistics other than region counters.
struct CpuCounters {
  std::array<uint64_t, static_cast<size_t>(TClass::COUNT)> by_class{};  // retired, per class
  uint64_t branches_taken = 0;
  uint64_t load_use_stalls = 0;     // stall cycles
  uint64_t fetch_stall_cycles = 0;  // wait-state cycles spent on instruction fetch
  uint64_t fetch_align_cycles = 0;  // cycles lost to 32-bit instructions straddling fetch words (profile)
  uint64_t misaligned_splits = 0;   // misaligned loads/stores split into two bus transactions
  uint64_t mem_wait_cycles = 0;     // wait-state cycles spent on data accesses (memories and devices)
  uint64_t xmac_stall_cycles = 0;
  uint64_t device_reads = 0, device_writes = 0;
  uint64_t traps = 0, interrupts = 0;
  uint64_t idle_cycles = 0;         // cycles spent in wfi or clock-gated at a barrier (idle(), add_gated_cycles())
  uint64_t bank_wait_cycles = 0;    // cycles waiting for a bank of a banked memory (TCDM conflicts)
  uint64_t sc_failures = 0;         // sc.w that did not store (no valid reservation)
  std::array<uint64_t, 3> xmac_macs{};  // MACs executed by Xmac: INT8, INT4, INT2 weights
};

struct FatalTrap {
  uint32_t cause = 0;
  uint32_t pc = 0;
  uint32_t tval = 0;
  uint32_t raw = 0;  // the instruction at pc (if it could be fetched)
  std::string reason;  // e.g. "no trap handler (mtvec = 0)"
};

class Cpu {
 public:
  Cpu(const CpuConfig& cfg, Bus* bus);
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  // Register a DMI memory. Regions must not overlap. Returns its index (stable).
  size_t add_region(const MemRegion& r);
  MemRegion& region(size_t i) { return *regions_[i]; }
  size_t region_count() const { return regions_.size(); }
  // The region containing [addr, addr+len), or nullptr.
  MemRegion* find_region(uint32_t addr, uint32_t len = 1);

  void reset(uint32_t pc);

  // Stalled time: with an instruction class of 0 cycles, or a trap entry of 0 cycles, a program can
  // loop without advancing simulated time (`j .` on a 0-cycle jal; a fetch fault in a handler that
  // traps again), and run(limit) would never reach its limit. run() returns Stop::Stall when
  // kStallSteps steps in a row leave the cycle count unchanged:
  //  - instructions: only with a profile that has a 0-cycle class (stall_guard()); run() then takes the
  //    checked loop, which looks at the cycle count after each instruction. Other profiles cost nothing
  //    (sim/soc.cpp refuses 0-cycle classes in configs: every instruction of a configured core takes a
  //    cycle);
  //  - traps: always, on the trap path (rare: no cost per instruction).
  static constexpr uint64_t kStallSteps = uint64_t(1) << 20;
  bool stall_guard() const { return stall_guard_; }

  // Execute until cycle() >= cycle_limit, or a stop event. Interrupts pending and enabled at entry
  // are taken first.
  Stop run(uint64_t cycle_limit);

  // After Stop::Semihost: a0 = result, continue after the semihosting sequence.
  void finish_semihost(uint32_t result);
  // Account `cycles` of idle time (wfi) and advance the cycle count.
  void idle(uint64_t cycles);
  // During a device access: `cycles` of its latency are spent clock-gated (a barrier wait): they count as
  // idle instead of memory wait (the access's latency still advances the cycle count as usual).
  void add_gated_cycles(uint64_t cycles) {
    counters_.idle_cycles += cycles;
    counters_.mem_wait_cycles -= cycles;  // the ISS adds the whole latency to mem_wait_cycles after the access
  }
  // Harts of one cluster share one reservation table (indexed by hartid); by default a hart has its own.
  void set_reservations(Reservations* r);
  Reservations& reservations() { return *resv_; }

  // Interrupt lines (mip bits driven by devices): MTIP, MSIP, MEIP.
  void set_irq(Irq irq, bool level);
  // True if an enabled interrupt is pending (mip & mie != 0), regardless of mstatus.MIE (wfi wakes).
  bool irq_pending() const { return (mip_ & mie_) != 0; }

  // Architectural state.
  uint32_t pc() const { return pc_; }
  void set_pc(uint32_t pc) { pc_ = pc; }
  uint32_t x(unsigned r) const { return x_[r]; }
  void set_x(unsigned r, uint32_t v) { if (r) x_[r] = v; }
  uint32_t f(unsigned r) const { return f_[r]; }
  void set_f(unsigned r, uint32_t v) { f_[r & 31] = v; }  // for debuggers
  uint32_t fcsr() const { return fflags_ | (frm_ << 5); }
  uint32_t mstatus() const { return mstatus_; }
  uint32_t mcause() const { return mcause_; }
  uint32_t mepc() const { return mepc_; }
  uint32_t mtval() const { return mtval_; }
  uint32_t mtvec() const { return mtvec_; }
  Priv privilege() const { return priv_; }
  // CSR access as the program sees it (false: the CSR does not exist / write to read-only).
  bool csr_read(uint32_t csr, uint32_t& value);
  bool csr_write(uint32_t csr, uint32_t value);

  uint64_t cycle() const { return cycle_; }
  uint64_t instret() const { return instret_; }
  const CpuCounters& counters() const { return counters_; }
  const FatalTrap& fatal() const { return fatal_; }
  const CpuConfig& config() const { return cfg_; }

  // Last executed PCs, oldest first.
  std::vector<uint32_t> pc_history() const;
  // Memory access for debuggers, loaders and semihosting (no timing, no counters). Falls back to the
  // bus for non-DMI addresses. Returns false if any byte is unmapped.
  bool debug_read(uint32_t addr, void* data, uint32_t len);
  bool debug_write(uint32_t addr, const void* data, uint32_t len);
  // Decode the instruction at pc without side effects (for reports); nullopt-like: op ILLEGAL if unmapped.
  Insn decode_at(uint32_t pc);
  // Invalidate all decode caches (fence.i, or after the loader writes code).
  void flush_decode_cache();

  // ---- Hardware breakpoints and watchpoints for an external debugger (issue 16) ----------------
  // The debugger uses the same Sdtrig triggers as the program (soc.core.triggers of them), armed as
  // the specification's Debug-Mode triggers: dmode = 1, action = 1 ("enter Debug Mode"). The program
  // sees such a trigger through tselect/tdata1 but cannot change it (dmode = 1 makes tdata1-3
  // writable only from Debug Mode). When one fires, run() returns Stop::Debug *before* the
  // instruction executes or the access happens -- no exception is raised and no CSR changes except
  // the trigger's hit bit -- and debug_event() says which trigger fired, on what and where.
  // To continue past it, call step_over_triggers() (the next instruction ignores all triggers) and
  // run() again; or clear the trigger.
  unsigned trigger_count() const { return triggers_.count(); }
  // Arm trigger `index` for the debugger; false if there is no such trigger or `t` is not
  // representable (size not a power of two, address not aligned to it, no kind selected).
  bool set_debug_trigger(unsigned index, const DebugTrigger& t);
  // Disarm trigger `index` (whoever armed it) and give it back to the program (dmode = 0).
  void clear_debug_trigger(unsigned index);
  const DebugEvent& debug_event() const { return debug_event_; }
  void step_over_triggers() {
    skip_triggers_ = true;
    skip_instret_ = instret_;  // the next instruction to retire
    update_checks();
  }
  const Triggers& triggers() const { return triggers_; }
  const Pmp& pmp() const { return pmp_; }

  // ---- Single-step (commit log, debugger single-step; issue 16) --------------------------------
  // While on, run() executes at most one instruction and returns (Stop::Limit if nothing else
  // stopped it): it takes the checked loop, so the fast loops are unchanged. An interrupt taken at
  // run()'s entry counts as the step (run() returns at the handler's first instruction, not run).
  void set_single_step(bool on) {
    single_step_ = on;
    update_checks();
  }
  bool single_step() const { return single_step_; }
  // A debugger's software breakpoints (dcsr.ebreakm): while on, an ebreak that is not a semihosting
  // call stops run() with Stop::Debug before it executes (debug_event().kind == 0) instead of raising
  // a breakpoint exception. While on, run() takes a variant of the fast loop that has this test (or
  // the checked loop), so the plain fast loops have no debugger code at all.
  void set_ebreak_halts(bool on) { ebreak_halts_ = on; }

 private:
  // kSeqStraddle: the profile has a sequential fetch-alignment penalty; kChecked: PMP/trigger checks and
  // single-step (the checked loop always takes the sequential-penalty path: a zero penalty adds
  // nothing); kEbreakHalts: a debugger's software breakpoints stop the core (set_ebreak_halts).
  template <bool kProfile, bool kSeqStraddle, bool kChecked, bool kEbreakHalts = kChecked>
  Stop run_impl(uint64_t cycle_limit);
  void update_shared();

  MemRegion* region_of(uint32_t addr) const {
    uint8_t i = page_map_[addr >> 12];
    return i ? regions_[i - 1].get() : nullptr;
  }
  bool take_trap(uint32_t cause, uint32_t tval, uint32_t epc);  // false: fatal (no handler)
  // A misaligned load/store that crosses a 32-bit word boundary, as two word-aligned transactions (each
  // to whatever memory or device holds its bytes), each counted as one access. Returned by value (no
  // reference to the run loop's cycle counter escapes: that would keep it out of a register).
  struct SplitResult {
    uint32_t value = 0;       // loads: the bytes read (zero-extended)
    uint32_t cycles = 0;      // wait states / device latency of both transactions
    uint32_t fault_addr = 0;  // the first part that faulted (if !ok)
    bool ok = true;
    bool device = false;      // a part went to the bus (the caller must return to sync)
  };
  SplitResult split_load(uint32_t addr, unsigned len, uint64_t now);
  SplitResult split_store(uint32_t addr, unsigned len, uint32_t value, uint64_t now);
  // Slow path (only with checks_): may the instruction at `pc` of `len` bytes be fetched and
  // executed? Returns 0, or the exception cause (breakpoint, access fault; tval set), or kHalt.
  static constexpr uint32_t kHalt = 0xffffffffu;
  uint32_t check_fetch(uint32_t pc, uint32_t len, uint32_t& tval);
  // ... may `len` bytes at `addr` be loaded / stored? `pmp`: also check PMP (false when a
  // misaligned-address exception outranks the access fault).
  uint32_t check_data(uint32_t addr, uint32_t len, bool store, bool pmp);
  bool skipping_triggers();  // step_over_triggers() is in force for the current instruction
  // Recompute checks_ after anything that changes what PMP/triggers can do.
  void update_checks();
  bool csr_allowed(uint32_t csr) const;  // privilege / mcounteren check for the current mode
  bool misaligned_traps() const { return cfg_.misaligned == Misaligned::Trap; }
  bool select_code_region(uint32_t pc);
  // Fetch alignment after a control transfer to `target`: if the instruction there is a 32-bit one
  // that straddles two fetch words, its fetch after the flush costs straddle_target; the dispatch
  // charges straddle_sequential for it anyway (profiles with a sequential penalty), so the transfer
  // adds the difference. Charged to the transferring instruction (it waits for the fetch).
  // Also counts, for the fetch energy, the word a transfer to a target at pc % 4 == 2 reads anew (in
  // sequence that word came with the previous instruction's).
  uint32_t transfer_penalty(uint32_t target) {
    const TimingProfile& t = cfg_.timing;
    MemRegion* r = nullptr;
    if (target & 2) {
      r = region_of(target);
      if (r) r->fetch_words++;
    }
    if ((target & (t.fetch_width - 1)) + 4 <= t.fetch_width) return 0;
    if (!r) r = region_of(target);
    if (!r || target - r->base > r->size - 2 || (r->host[target - r->base] & 3) != 3) return 0;
    const uint32_t extra = t.straddle_target - t.straddle_sequential;  // >= 0 (sim/soc.cpp checks)
    counters_.fetch_align_cycles += extra;
    return extra;
  }
  // Extra cycles of a taken branch whose fall-through instruction (at `addr`, in the current code
  // region) is a 32-bit instruction straddling two fetch words.
  uint32_t fallthrough_penalty(uint32_t addr) {
    const uint32_t fw = cfg_.timing.fetch_width, off = addr - code_base_;
    if ((addr & (fw - 1)) + 4 <= fw || off + 2 > code_size_ || (code_->host[off] & 3) != 3) return 0;
    counters_.fetch_align_cycles += cfg_.timing.branch_fallthrough_straddle;
    return cfg_.timing.branch_fallthrough_straddle;
  }
  void invalidate_code(MemRegion& r, uint32_t off, uint32_t len);
  uint32_t misa() const;
  bool fp_enabled() const { return (mstatus_ & kMstatusFS) != 0; }
  void set_fs_dirty() { mstatus_ |= kMstatusFS | kMstatusSD; }

  CpuConfig cfg_;
  Bus* bus_;
  // Architectural state.
  uint32_t x_[32] = {};
  uint32_t f_[32] = {};
  uint32_t pc_ = 0;
  uint32_t fflags_ = 0, frm_ = 0;
  uint32_t mstatus_ = kMstatusMPP, mie_ = 0, mip_ = 0, mtvec_ = 0, mepc_ = 0, mcause_ = 0,
           mtval_ = 0, mscratch_ = 0, mcountinhibit_ = 0, mcounteren_ = 0;
  DebugEvent debug_event_;
  uint64_t cycle_ = 0, instret_ = 0;
  int64_t mcycle_offset_ = 0, minstret_offset_ = 0;  // program writes to mcycle/minstret
  uint64_t frozen_mcycle_ = 0, frozen_minstret_ = 0;  // values while inhibited (mcountinhibit)
  // Timing state carried between instructions.
  uint8_t load_rd_ = 0;   // rd of the previous instruction if it was an integer load (0: none)
  uint8_t xmac_rd_ = 0;   // rd of the previous Xmac instruction (0: none)
  std::vector<uint32_t> fetch_tags_;  // fetch buffer / I-cache line tags (~0u: empty)
  uint32_t fetch_line_shift_ = 4;
  // Memory.
  std::vector<std::unique_ptr<MemRegion>> regions_;
  std::unique_ptr<uint8_t[]> page_map_;  // 1M entries: region index + 1, 0 = bus
  MemRegion* code_ = nullptr;            // region of the current pc
  uint32_t code_base_ = 0, code_size_ = 0;
  // Reports.
  CpuCounters counters_;
  FatalTrap fatal_;
  std::vector<uint32_t> history_;
  uint32_t history_pos_ = 0;
  bool semihost_pending_ = false;
  // Privilege and protection state (after the hot members, which keep their offsets).
  Priv priv_ = kPrivM;
  // Protection (see "Protection checks" above).
  Pmp pmp_;
  Triggers triggers_;
  bool checks_ = false;        // run the checked loop
  bool check_fetch_ = false;   // fetches may be denied (PMP in U-mode / locked entries, execute triggers)
  bool check_data_ = false;    // loads/stores may be denied
  bool skip_triggers_ = false; // the instruction with instret_ == skip_instret_ ignores triggers
  bool single_step_ = false;   // set_single_step()
  bool ebreak_halts_ = false;  // set_ebreak_halts()
  bool stall_guard_ = false;   // the profile has a 0-cycle instruction class (kStallSteps)
  uint64_t stall_cycle_ = ~uint64_t(0);  // the cycle count at the last step looked at (kStallSteps)
  uint64_t stall_steps_ = 0;             // steps since then that left it unchanged
  // A step ended at cycle count `cyc`: true once kStallSteps steps in a row left it unchanged.
  bool stalled(uint64_t cyc) {
    if (cyc != stall_cycle_) {
      stall_cycle_ = cyc;
      stall_steps_ = 0;
      return false;
    }
    return ++stall_steps_ >= kStallSteps;
  }
  uint64_t skip_instret_ = 0;
  // Address ranges [lo, hi) that PMP allows for fetches / loads / stores in the current mode, cached
  // from the last check (empty: lo > hi). Reset by update_checks(); not used while triggers of that
  // kind are armed.
  struct OkRange {
    uint64_t lo = 1, hi = 0;
    bool covers(uint32_t a, uint32_t len) const { return a >= lo && uint64_t(a) + len <= hi; }
  };
  OkRange fetch_ok_, load_ok_, store_ok_;
  // Fetches in the current code region need a look at fetch_ok_ (check_fetch_, and the region is not
  // wholly inside fetch_ok_).
  bool fetch_each_ = false;
  void update_fetch_each();
  // LR/SC reservations: own_resv_ unless the cluster shares one table (set_reservations).
  Reservations own_resv_;
  Reservations* resv_ = &own_resv_;
  bool shared_ = false;
};

}  // namespace mcucim::isa

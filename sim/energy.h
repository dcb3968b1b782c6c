// Energy model: a technology table (configs/tech/*.yaml) times event counters, plus leakage power
// times time in each state. Plain C++ (no SystemC): the counters are snapshotted from the models by
// sim/stats.cpp at the end of a run and at region/token marks; nothing here runs per instruction.
//
//   E = sum over components ( sum(events x energy per event) * dyn_scale
//                             + leakage power(V) x time in each power state )
//   dyn_scale  = (V/Vref)^2 for components with scales_with_vdd (logic, SRAM), 1 for flash/MRAM
//   leakage(V) = P(Vref) * (V/Vref) * exp((V - Vref) / leakage_efold_v)
// Idle (wfi) cycles: `none` keeps clocking the core (clock energy per cycle); `clock_gated` stops the
// core clock (leakage only); `power_gated` also cuts the core's leakage to retention_fraction.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "isa/insn.h"
#include "sim/config.h"

namespace mcucim::sim {

constexpr size_t kNumClasses = static_cast<size_t>(isa::TClass::COUNT);

enum class IdleMode { None, ClockGated, PowerGated };
const char* idle_mode_name(IdleMode m);

struct MemoryTech {
  std::array<double, 3> read_pj{};   // per access of 1, 2, 4 bytes
  std::array<double, 3> write_pj{};
  double fetch_word_pj = 0;          // per 32-bit word of a fetch-line fill
  bool scales_with_vdd = true;
  double leakage_uw_per_kib = 0;
  double leakage_efold_v = 0.3;
};

// The structures the core fetches instructions through (soc.core.fetch_buffer): with more than one
// line a direct-mapped SRAM I-cache (data and tag arrays), with one line a prefetch buffer of
// flip-flops. Charged per 32-bit word the core reads from them (a hit) and per word written by a line
// fill; the fill's read from the memory is charged to the memory (MemoryTech::fetch_word_pj).
struct FetchTech {
  double icache_word_pj = 0;     // data-array read or write of one 32-bit word, at icache_ref_bytes
  double icache_tag_pj = 0;      // tag-array access + compare, at icache_ref_bytes
  double icache_ref_bytes = 4096;        // capacity the two figures above are for
  double icache_capacity_exponent = 0.5; // per-access energy ~ (capacity / ref)^exponent
  double icache_leakage_uw_per_kib = 0;  // over data + tag bits
  double icache_leakage_efold_v = 0.3;
  double buffer_read_word_pj = 0;   // prefetch buffer: one 32-bit word read (a register-file read)
  double buffer_write_word_pj = 0;  // prefetch buffer: one 32-bit word written by a fill
};

struct TechTable {
  std::string name, file;
  double vref_v = 0.8;
  std::array<double, kNumClasses> insn_pj{};
  std::array<double, 3> mac_pj{};  // INT8, INT4, INT2 weights
  double clock_pj_per_cycle = 0;
  double core_leakage_uw = 0, core_leakage_efold_v = 0.3, core_retention_fraction = 0;
  std::map<std::string, MemoryTech> memories;  // by kind: sram, flash, mram
  FetchTech fetch;
  double bus_transfer_pj = 0, bus_leakage_uw = 0, bus_leakage_efold_v = 0.3;
  double periph_access_pj = 0, periph_leakage_uw = 0, periph_leakage_efold_v = 0.3;
};

// Read a technology file. `memory_kinds` are the kinds the SoC uses: each must be in the table.
// Every error is a ConfigError naming the file:line and key (missing, non-numeric or negative value).
TechTable load_tech_file(const std::string& path, const std::vector<std::string>& memory_kinds);
// Resolve `soc.tech` (a name -> configs/tech/<name>.yaml beside the config or in the source tree,
// or a path) and load it.
TechTable load_tech(const Config& cfg, const std::string& name_or_path, const std::vector<std::string>& memory_kinds);

// Operating point.
struct PowerPoint {
  double voltage_v = 0.8;
  double freq_hz = 200e6;
  IdleMode idle = IdleMode::ClockGated;
};

// Counter snapshot: plain numbers read from the models. Subtracting two snapshots gives the events
// of an interval (a region or a token); the energy of an interval is energy(later - earlier).
struct MemCounters {
  std::string name, kind;
  uint64_t size_bytes = 0;
  std::array<uint64_t, 3> reads{}, writes{};  // 1, 2, 4 bytes (DMI accesses counted by the core
                                              // plus b_transport accesses counted by the memory as words)
  uint64_t fetch_fills = 0;
  uint64_t fetch_words = 0;  // 32-bit words the core read through the fetch buffer / I-cache
  // Banked memories shared by several harts (kind tcdm): per bank, accesses, accesses that waited for
  // the bank (conflicts) and the cycles they waited (isa/shared.h). Empty otherwise.
  std::vector<uint64_t> bank_accesses, bank_conflicts, bank_wait_cycles;
};
// One hart of a cluster (soc.core.count > 1): its own counts; the Counters' totals are their sums.
struct HartCounters {
  uint64_t cycles = 0, instret = 0, idle_cycles = 0, bank_wait_cycles = 0, sc_failures = 0;
};
struct DevCounters {
  std::string name, kind;
  uint64_t reads = 0, writes = 0;
  // Devices with their own energy model (kind `cim`): dynamic energy by named part in pJ (a linear
  // function of the device's event counters, so the difference of two snapshots is the energy of the
  // interval; not scaled with the core supply), named event counters, and periphery leakage power.
  // Names point to static strings (string literals, cim::kPartNames): a snapshot at every region/token
  // mark copies no string (runs with a hundred macros take a mark thousands of times per token).
  std::vector<std::string_view> part_names;
  std::vector<double> part_pj;
  std::vector<std::pair<std::string_view, uint64_t>> stats;
  double leakage_uw = 0;
  // Devices with power states (CIM macros) integrate their own leakage: leakage_pj up to the snapshot
  // (a running total, so the difference of two snapshots is the interval's) replaces leakage_uw x time.
  bool leakage_counted = false;
  double leakage_pj = 0;
};
struct Counters {
  uint64_t cycles = 0, instret = 0, idle_cycles = 0;
  // Harts: the core's clock and leakage count per hart; idle_cycles is the sum over harts (of at most
  // harts x cycles). per_hart is filled for clusters (more than one hart).
  uint32_t harts = 1;
  std::vector<HartCounters> per_hart;
  std::array<uint64_t, kNumClasses> by_class{};
  std::array<uint64_t, 3> xmac_macs{};
  std::vector<MemCounters> mems;
  std::vector<DevCounters> devs;
  uint64_t bus_transfers = 0;
  // MACs the hardware executed: Xmac instructions plus the devices' own count (CIM macros' "macs").
  uint64_t hw_macs() const {
    uint64_t n = xmac_macs[0] + xmac_macs[1] + xmac_macs[2];
    for (const auto& d : devs)
      for (const auto& [name, v] : d.stats)
        if (name == "macs") n += v;
    return n;
  }
};
// a - b, component-wise (same memories and devices in the same order).
Counters operator-(const Counters& a, const Counters& b);

// Energy of one component, split into dynamic (events) and leakage (time).
struct ComponentEnergy {
  std::string name;  // "core", a memory's name, "bus", a device's name
  std::string kind;  // "core", "sram"/"flash"/"mram", "bus", "clint"/"uart"/"simctrl"
  double dynamic_j = 0, leakage_j = 0;
  std::vector<std::pair<std::string, double>> parts_j;  // dynamic energy by part (devices with parts)
  double total_j() const { return dynamic_j + leakage_j; }
};
struct EnergyBreakdown {
  std::vector<ComponentEnergy> parts;  // core, icache, memories (config order), bus, devices (config order)
  double total_j() const;
  double dynamic_j() const;
  double leakage_j() const;
};

class EnergyModel {
 public:
  // `fetch_lines` x `fetch_line_bytes`: the fetch buffer (1 line) or I-cache (more) of the core.
  EnergyModel(TechTable tech, PowerPoint op, uint32_t fetch_line_bytes, uint32_t fetch_lines = 1);
  // Per-access energies of the fetch structure at Vref, pJ: a word read (hit), a line fill written
  // into it; its leakage at Vref, uW.
  double fetch_hit_pj() const { return fetch_hit_pj_; }
  double fetch_fill_pj() const { return fetch_fill_pj_; }
  double fetch_leakage_uw() const { return fetch_leakage_uw_; }
  // Energy of the events and time in `c` (a whole run or an interval).
  EnergyBreakdown compute(const Counters& c) const;
  double dyn_scale() const { return dyn_scale_; }
  double leakage_scale(double efold_v) const;
  const TechTable& tech() const { return tech_; }
  const PowerPoint& op() const { return op_; }

 private:
  TechTable tech_;
  PowerPoint op_;
  uint32_t fetch_words_per_line_;
  bool icache_;  // more than one fetch line: an I-cache, else a prefetch buffer
  double fetch_hit_pj_ = 0, fetch_fill_pj_ = 0, fetch_leakage_uw_ = 0;
  double dyn_scale_;
};

}  // namespace mcucim::sim

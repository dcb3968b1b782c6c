// Per-region and per-token statistics from the sim-control device's marks (runtime/include/mcucim/
// simctrl.h). At each mark the counters are snapshotted (a sampler callback reads the models' plain
// counters); a region's or token's figures are the difference of two snapshots, its energy the
// energy model applied to that difference. Plain C++: the sampler hides the SystemC models, so a
// test can drive Stats with hand-made counters.
//
// Rules (also in docs/REPORT.md):
// - Regions nest. Statistics are aggregated per region id over all its instances (calls), and are
//   inclusive: a region's cycles, energy and MACs include its nested regions'.
// - Declared MACs (WORK_MACS) go to the innermost open region and, when it closes, to its parent too.
//   MACs declared with no region open count for the run only.
// - Unbalanced marks never stop the run; each becomes a warning in the report:
//   an end without a begin is ignored; an end of a region that is open but not innermost first closes
//   the inner regions at that point; regions still open at the end of the run are closed there.
// - Token latency: from the previous token mark; the first token after a region named "generate"
//   begins is measured from that begin; the first token of a run without one from cycle 0.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/energy.h"

namespace mcucim::sim {

enum class MarkKind { RegionBegin, RegionEnd, Token, WorkMacs };

struct RegionStat {
  uint32_t id = 0;
  std::string name;
  int64_t parent = -1;  // id of the enclosing region at the first call (-1: top level)
  uint32_t depth = 0;   // nesting depth at the first call (0: top level)
  uint64_t calls = 0;
  uint64_t cycles = 0, instret = 0;
  uint64_t min_cycles = UINT64_MAX, max_cycles = 0;  // per call
  uint64_t hw_macs = 0, declared_macs = 0;
  EnergyBreakdown energy;  // summed over calls
};

struct RegionInstance {  // one call, for the trace timeline
  uint32_t id = 0, depth = 0;
  uint64_t begin_cycle = 0, end_cycle = 0;
};

struct TokenStat {
  uint32_t id = 0;  // the value written to SIMCTRL_TOKEN
  uint64_t begin_cycle = 0, end_cycle = 0, instret = 0;
  double energy_j = 0;
};

// Power of each component over an interval between two marks (for trace counter tracks).
struct PowerSample {
  uint64_t begin_cycle = 0, end_cycle = 0;
  std::vector<double> watts;  // in EnergyBreakdown::parts order
};

class Stats {
 public:
  using Sampler = std::function<Counters()>;
  using NameOf = std::function<std::string(uint32_t id)>;
  // The sampler returns the current counters (its `cycles` is overwritten with the mark's cycle).
  Stats(const EnergyModel& model, Sampler sampler, NameOf name_of);

  void mark(MarkKind kind, uint64_t value, uint64_t cycle);
  // End of run: closes open regions (warnings) and records the final interval. `end` are the
  // counters at the end of the run.
  void finish(const Counters& end);
  // A periodic power sample (trace counter tracks) at `cycle`, between marks; called at quantum
  // boundaries.
  void tick(uint64_t cycle);

  // Results (after finish()).
  std::vector<RegionStat> regions() const;  // in order of first begin
  const std::vector<RegionInstance>& instances() const { return instances_; }
  const std::vector<TokenStat>& tokens() const { return tokens_; }
  const std::vector<PowerSample>& power() const { return power_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  uint64_t declared_macs() const { return declared_total_; }
  const EnergyModel& model() const { return model_; }
  double freq_hz() const { return model_.op().freq_hz; }

  static constexpr size_t kMaxInstances = 100000;  // trace entries kept (statistics are exact regardless)
  static constexpr size_t kMaxPowerSamples = 100000;

 private:
  struct Open {
    uint32_t id;
    Counters at;
    uint64_t declared = 0;
  };
  Counters sample(uint64_t cycle);
  void close_top(const Counters& now);
  void power_interval(const Counters& now);
  void warn(std::string w);

  const EnergyModel& model_;
  Sampler sampler_;
  NameOf name_of_;
  std::vector<Open> stack_;
  std::map<uint32_t, RegionStat> regions_;
  std::vector<uint32_t> order_;
  std::vector<RegionInstance> instances_;
  std::vector<TokenStat> tokens_;
  std::vector<PowerSample> power_;
  std::vector<std::string> warnings_;
  std::optional<Counters> token_start_;  // unset: the run's start (all-zero counters)
  std::optional<Counters> last_;         // last snapshot, for power samples
  uint64_t declared_total_ = 0;
  size_t dropped_warnings_ = 0;
};

}  // namespace mcucim::sim

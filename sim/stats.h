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
// - Token latency: from the previous token mark; the first token after a phase region begins (a
//   region named "prefill", "decode" or "generate") is measured from that begin; the first token of a
//   run without one from cycle 0.
// - Token phases: a token marked inside a region named "prefill" (innermost such region) is a
//   prefill token (a prompt position), inside "decode" a decode token (a generated position).
//   Start-up is everything before the first phase region begins: it is part of no token. The time
//   to first token (TTFT) runs from that begin to the end of the first decode token.
// - A TOKEN_COUNT mark n before a token mark makes that mark stand for n positions processed
//   together (batched prefill): its interval is split evenly into n tokens.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/energy.h"

namespace mcucim::sim {

enum class MarkKind { RegionBegin, RegionEnd, Token, WorkMacs, TokenCount };

// What a token is, from the phase region it was marked in (see above).
enum class TokenPhase : uint8_t { None, Prefill, Decode };
const char* token_phase_name(TokenPhase p);  // "prefill", "decode", or nullptr

struct RegionStat {
  uint32_t id = 0;
  std::string name;
  int64_t parent = -1;  // id of the enclosing region if every call had the same one (-1: top level,
                        // or calls from different regions, e.g. `token` inside `prefill` and `decode`)
  uint32_t depth = 0;   // nesting depth along `parent` (0: top level)
  bool mixed_parent = false;  // calls came from different enclosing regions
  uint64_t calls = 0;
  uint64_t cycles = 0, instret = 0;
  uint64_t min_cycles = UINT64_MAX, max_cycles = 0;  // per call
  uint64_t hw_macs = 0, declared_macs = 0;
  EnergyBreakdown energy;  // summed over calls
};

struct RegionInstance {  // one call, for the trace timeline
  uint32_t id = 0, depth = 0;
  uint64_t begin_cycle = 0, end_cycle = 0;
  uint64_t instret = 0;
  std::vector<double> energy_j;  // by component (EnergyBreakdown::parts order), this call only
};

struct TokenStat {
  uint32_t id = 0;  // the value written to SIMCTRL_TOKEN
  uint64_t begin_cycle = 0, end_cycle = 0, instret = 0;
  double energy_j = 0;
  TokenPhase phase = TokenPhase::None;
  int64_t position = -1;  // context position of a prefill/decode token (0 = the first), -1 otherwise
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
  // Power samples (the trace's counter tracks) are taken only when asked (each costs an energy
  // computation at every mark: most of the accounting time of runs with many devices).
  void set_power_samples(bool on) { power_samples_ = on; }

  // Results (after finish()).
  std::vector<RegionStat> regions() const;  // in order of first begin
  const std::vector<RegionInstance>& instances() const { return instances_; }
  const std::vector<TokenStat>& tokens() const { return tokens_; }
  const std::vector<PowerSample>& power() const { return power_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  uint64_t declared_macs() const { return declared_total_; }
  // Cycle at which the first phase region began (the end of start-up), if any.
  std::optional<uint64_t> phase_start_cycle() const { return phase_start_; }
  // End cycle of the first decode token, if any (TTFT = this - phase_start_cycle()).
  std::optional<uint64_t> first_decode_end_cycle() const { return first_decode_end_; }
  const EnergyModel& model() const { return model_; }
  // Name of the innermost region open now ("" if none), for --stats-interval rows.
  std::string open_region() const;
  double freq_hz() const { return model_.op().freq_hz; }

  static constexpr size_t kMaxInstances = 100000;  // trace entries kept (statistics are exact regardless)
  static constexpr size_t kMaxPowerSamples = 100000;

 private:
  struct Open {
    uint32_t id;
    Counters at;
    uint64_t declared = 0;
    TokenPhase phase = TokenPhase::None;
  };
  Counters sample(uint64_t cycle);
  void close_top(const Counters& now);
  void power_interval(const Counters& now);
  bool power_samples_ = true;
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
  uint64_t pending_count_ = 1;  // positions the next token mark stands for (TOKEN_COUNT)
  int64_t next_position_ = 0;   // context position of the next prefill/decode token
  std::optional<uint64_t> phase_start_, first_decode_end_;
};

}  // namespace mcucim::sim

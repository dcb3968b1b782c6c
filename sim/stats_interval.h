// Statistics over time (`mcucim run --stats-interval N --stats-file FILE`): a CSV row at every N
// cycles of the run (at the first instruction boundary at or after each multiple of N, so a row may
// span a few cycles more than N) and a last row at the end of the run. Each row holds the interval's
// instructions, cycles and energy by component (the energy model applied to the difference of two
// counter snapshots, as for regions), and the innermost region open at the row's end. The rows add up
// to the report's totals. Not per instruction: the core runs at full speed between rows.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "models/core.h"
#include "sim/energy.h"

namespace mcucim::sim {

class StatsInterval : public models::CoreObserver {
 public:
  using Sampler = std::function<Counters()>;
  using RegionNow = std::function<std::string()>;  // the innermost open region ("" if none)
  // `out` is not owned. The header is written at the first row (the components come from the model).
  StatsInterval(std::FILE* out, uint64_t interval_cycles, const EnergyModel& model, Sampler sampler,
                RegionNow region);

  bool poll(isa::Cpu& cpu, uint64_t& until) override;
  void finish(isa::Cpu& cpu) override;
  uint64_t rows() const { return rows_; }

 private:
  void row(uint64_t cycle);
  std::FILE* out_;
  uint64_t interval_;
  const EnergyModel& model_;
  Sampler sampler_;
  RegionNow region_;
  std::optional<Counters> last_;  // the previous row's snapshot (unset: the run's start, all zero)
  uint64_t next_;
  uint64_t rows_ = 0;
};

}  // namespace mcucim::sim

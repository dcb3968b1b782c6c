#include "sim/stats_interval.h"

#include <fmt/format.h>

namespace mcucim::sim {

StatsInterval::StatsInterval(std::FILE* out, uint64_t interval_cycles, const EnergyModel& model, Sampler sampler,
                             RegionNow region)
    : out_(out),
      interval_(interval_cycles ? interval_cycles : 1),
      model_(model),
      sampler_(std::move(sampler)),
      region_(std::move(region)),
      next_(interval_) {}

bool StatsInterval::poll(isa::Cpu& cpu, uint64_t& until) {
  const uint64_t now = cpu.cycle();
  if (now >= next_) {
    row(now);
    next_ = (now / interval_ + 1) * interval_;
  }
  until = next_;
  return false;
}

void StatsInterval::finish(isa::Cpu& cpu) {
  if (!last_ || last_->cycles < cpu.cycle() || rows_ == 0) row(cpu.cycle());
  std::fflush(out_);
}

void StatsInterval::row(uint64_t cycle) {
  Counters now = sampler_();
  now.cycles = cycle;
  Counters d = last_ ? now - *last_ : now;
  const EnergyBreakdown e = model_.compute(d);
  std::string s;
  auto out = std::back_inserter(s);
  if (rows_ == 0) {
    s += "cycle_begin,cycle_end,cycles,instructions,energy_j";
    for (const auto& p : e.parts) fmt::format_to(out, ",{}_j", p.name);
    s += ",region\n";
  }
  const uint64_t begin = last_ ? last_->cycles : 0;
  fmt::format_to(out, "{},{},{},{},{:.9e}", begin, cycle, d.cycles, d.instret, e.total_j());
  for (const auto& p : e.parts) fmt::format_to(out, ",{:.9e}", p.total_j());
  std::string region = region_ ? region_() : std::string();
  for (char& c : region)
    if (c == ',' || c == '"' || c == '\n') c = '_';
  fmt::format_to(out, ",{}\n", region);
  std::fwrite(s.data(), 1, s.size(), out_);
  ++rows_;
  last_ = std::move(now);
}

}  // namespace mcucim::sim

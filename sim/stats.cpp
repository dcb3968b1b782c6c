#include "sim/stats.h"

#include <algorithm>

#include <fmt/format.h>

namespace mcucim::sim {

namespace {
// All-zero counters shaped like `like` (same memories and devices), for "from the start of the run".
Counters zero_like(const Counters& like) {
  Counters z;
  z.mems = like.mems;
  for (auto& m : z.mems) {
    m.reads = {};
    m.writes = {};
    m.fetch_fills = 0;
  }
  z.devs = like.devs;
  for (auto& d : z.devs) d.reads = d.writes = 0;
  return z;
}
}  // namespace

Stats::Stats(const EnergyModel& model, Sampler sampler, NameOf name_of)
    : model_(model), sampler_(std::move(sampler)), name_of_(std::move(name_of)) {}

Counters Stats::sample(uint64_t cycle) {
  Counters c = sampler_();
  c.cycles = cycle;
  c.idle_cycles = std::min(c.idle_cycles, cycle);
  return c;
}

void Stats::warn(std::string w) {
  if (warnings_.size() < 1000) warnings_.push_back(std::move(w));
  else ++dropped_warnings_;
}

void Stats::power_interval(const Counters& now) {
  const Counters prev = last_ ? *last_ : zero_like(now);
  last_ = now;
  if (now.cycles <= prev.cycles || power_.size() >= kMaxPowerSamples) return;
  const Counters d = now - prev;
  const EnergyBreakdown e = model_.compute(d);
  PowerSample p;
  p.begin_cycle = prev.cycles;
  p.end_cycle = now.cycles;
  const double dt = d.cycles / model_.op().freq_hz;
  for (const auto& part : e.parts) p.watts.push_back(part.total_j() / dt);
  power_.push_back(std::move(p));
}

void Stats::close_top(const Counters& now) {
  Open o = std::move(stack_.back());
  stack_.pop_back();
  const Counters d = now - o.at;
  RegionStat& r = regions_[o.id];
  r.calls++;
  r.cycles += d.cycles;
  r.instret += d.instret;
  r.min_cycles = std::min(r.min_cycles, d.cycles);
  r.max_cycles = std::max(r.max_cycles, d.cycles);
  r.hw_macs += d.hw_macs();
  r.declared_macs += o.declared;
  const EnergyBreakdown e = model_.compute(d);
  if (r.energy.parts.empty()) r.energy = e;
  else
    for (size_t i = 0; i < e.parts.size() && i < r.energy.parts.size(); ++i) {
      r.energy.parts[i].dynamic_j += e.parts[i].dynamic_j;
      r.energy.parts[i].leakage_j += e.parts[i].leakage_j;
    }
  if (!stack_.empty()) stack_.back().declared += o.declared;
  if (instances_.size() < kMaxInstances)
    instances_.push_back({o.id, static_cast<uint32_t>(stack_.size()), o.at.cycles, now.cycles});
}

void Stats::tick(uint64_t cycle) { power_interval(sample(cycle)); }

void Stats::mark(MarkKind kind, uint64_t value, uint64_t cycle) {
  switch (kind) {
    case MarkKind::WorkMacs:
      declared_total_ += value;
      if (!stack_.empty()) stack_.back().declared += value;
      return;
    case MarkKind::RegionBegin: {
      const uint32_t id = static_cast<uint32_t>(value);
      Counters now = sample(cycle);
      power_interval(now);
      if (!regions_.count(id)) {
        RegionStat r;
        r.id = id;
        r.parent = stack_.empty() ? -1 : int64_t(stack_.back().id);
        r.depth = static_cast<uint32_t>(stack_.size());
        regions_[id] = r;
        order_.push_back(id);
      }
      if (name_of_ && name_of_(id) == "generate") token_start_ = now;
      stack_.push_back({id, std::move(now), 0});
      return;
    }
    case MarkKind::RegionEnd: {
      const uint32_t id = static_cast<uint32_t>(value);
      auto it = std::find_if(stack_.rbegin(), stack_.rend(), [&](const Open& o) { return o.id == id; });
      if (it == stack_.rend()) {
        warn(fmt::format("region end for id {} at cycle {} without a matching begin (ignored)", id, cycle));
        return;
      }
      Counters now = sample(cycle);
      power_interval(now);
      while (stack_.back().id != id) {
        warn(fmt::format("region end for id {} at cycle {} while region {} (innermost) is still open: "
                         "region {} closed there",
                         id, cycle, stack_.back().id, stack_.back().id));
        close_top(now);
      }
      close_top(now);
      return;
    }
    case MarkKind::Token: {
      Counters now = sample(cycle);
      power_interval(now);
      const Counters start = token_start_ ? *token_start_ : zero_like(now);
      const Counters d = now - start;
      TokenStat t;
      t.id = static_cast<uint32_t>(value);
      t.begin_cycle = start.cycles;
      t.end_cycle = now.cycles;
      t.instret = d.instret;
      t.energy_j = model_.compute(d).total_j();
      tokens_.push_back(t);
      token_start_ = std::move(now);
      return;
    }
  }
}

void Stats::finish(const Counters& end) {
  power_interval(end);
  while (!stack_.empty()) {
    warn(fmt::format("region {} begun at cycle {} was still open at the end of the run (cycle {}): closed there",
                     stack_.back().id, stack_.back().at.cycles, end.cycles));
    close_top(end);
  }
  if (dropped_warnings_) warnings_.push_back(fmt::format("... and {} more warnings", dropped_warnings_));
  dropped_warnings_ = 0;
}

std::vector<RegionStat> Stats::regions() const {
  std::vector<RegionStat> v;
  for (uint32_t id : order_) {
    RegionStat r = regions_.at(id);
    if (name_of_) r.name = name_of_(id);
    if (r.name.empty()) r.name = fmt::format("region{}", id);
    if (r.calls == 0) r.min_cycles = 0;
    v.push_back(std::move(r));
  }
  return v;
}

}  // namespace mcucim::sim

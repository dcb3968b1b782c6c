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
    m.fetch_words = 0;
  }
  z.devs = like.devs;
  for (auto& d : z.devs) d.reads = d.writes = 0;
  return z;
}
}  // namespace

const char* token_phase_name(TokenPhase p) {
  switch (p) {
    case TokenPhase::Prefill: return "prefill";
    case TokenPhase::Decode: return "decode";
    default: return nullptr;
  }
}

Stats::Stats(const EnergyModel& model, Sampler sampler, NameOf name_of)
    : model_(model), sampler_(std::move(sampler)), name_of_(std::move(name_of)) {}

Counters Stats::sample(uint64_t cycle) {
  Counters c = sampler_();
  c.cycles = cycle;
  c.idle_cycles = std::min(c.idle_cycles, cycle * std::max<uint64_t>(1, c.harts));  // summed over harts
  return c;
}

void Stats::warn(std::string w) {
  if (warnings_.size() < 1000) warnings_.push_back(std::move(w));
  else ++dropped_warnings_;
}

void Stats::power_interval(const Counters& now) {
  if (!power_samples_) return;  // no trace: nobody reads the power samples
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
  if (instances_.size() < kMaxInstances) {
    RegionInstance in{o.id, static_cast<uint32_t>(stack_.size()), o.at.cycles, now.cycles, d.instret, {}};
    for (const auto& p : e.parts) in.energy_j.push_back(p.total_j());
    instances_.push_back(std::move(in));
  }
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
        regions_[id] = r;
        order_.push_back(id);
      } else {
        RegionStat& r = regions_[id];
        if (r.parent != (stack_.empty() ? -1 : int64_t(stack_.back().id))) r.mixed_parent = true;
      }
      // Phase regions: the first token inside is measured from their begin; start-up ends at the first.
      const std::string name = name_of_ ? name_of_(id) : std::string();
      const TokenPhase phase =
          name == "prefill" ? TokenPhase::Prefill : name == "decode" ? TokenPhase::Decode : TokenPhase::None;
      if (phase != TokenPhase::None || name == "generate") {
        token_start_ = now;
        if (!phase_start_) phase_start_ = now.cycles;
      }
      stack_.push_back({id, std::move(now), 0, phase});
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
    case MarkKind::TokenCount:
      pending_count_ = value;
      return;
    case MarkKind::Token: {
      Counters now = sample(cycle);
      power_interval(now);
      const Counters start = token_start_ ? *token_start_ : zero_like(now);
      const Counters d = now - start;
      TokenPhase phase = TokenPhase::None;
      for (auto it = stack_.rbegin(); it != stack_.rend() && phase == TokenPhase::None; ++it) phase = it->phase;
      // One mark may stand for n positions processed together: n tokens sharing the interval evenly.
      const uint64_t n = std::max<uint64_t>(1, pending_count_);
      pending_count_ = 1;
      const double e = model_.compute(d).total_j();
      for (uint64_t k = 0; k < n; ++k) {
        TokenStat t;
        t.id = static_cast<uint32_t>(value);
        t.begin_cycle = start.cycles + d.cycles * k / n;
        t.end_cycle = start.cycles + d.cycles * (k + 1) / n;
        t.instret = d.instret * (k + 1) / n - d.instret * k / n;
        t.energy_j = e / double(n);
        t.phase = phase;
        if (phase != TokenPhase::None) t.position = next_position_++;
        if (phase == TokenPhase::Decode && !first_decode_end_) first_decode_end_ = t.end_cycle;
        tokens_.push_back(t);
      }
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
  // A region entered from different enclosing regions is shown at top level; depth follows parents.
  std::map<uint32_t, int64_t> parent;
  for (uint32_t id : order_) {
    const RegionStat& r = regions_.at(id);
    parent[id] = r.mixed_parent ? -1 : r.parent;
  }
  auto depth = [&](uint32_t id) {
    uint32_t d = 0;
    for (int64_t p = parent[id]; p >= 0 && d < parent.size(); p = parent[uint32_t(p)]) ++d;
    return d;
  };
  for (uint32_t id : order_) {
    RegionStat r = regions_.at(id);
    r.parent = parent[id];
    r.depth = depth(id);
    if (name_of_) r.name = name_of_(id);
    if (r.name.empty()) r.name = fmt::format("region{}", id);
    if (r.calls == 0) r.min_cycles = 0;
    v.push_back(std::move(r));
  }
  return v;
}

std::string Stats::open_region() const {
  if (stack_.empty()) return {};
  const uint32_t id = stack_.back().id;
  std::string n = name_of_ ? name_of_(id) : std::string();
  return n.empty() ? fmt::format("region{}", id) : n;
}

}  // namespace mcucim::sim

#include "sim/window.h"

#include <fmt/format.h>

#include "sim/config.h"

namespace mcucim::sim {

bool ObserveWindow::poll(const isa::Cpu& cpu, uint64_t& until) {
  if (state_ == State::Before) {
    switch (from_.kind) {
      case LogBound::Kind::Cycle:
        if (cpu.cycle() < from_.value) {
          until = from_.value;  // run at full speed up to the window
          return false;
        }
        state_ = State::In;
        break;
      case LogBound::Kind::Region:
        if (!region_begun_) return false;  // full speed: run() returns after the sim-control write
        state_ = State::In;
        break;
      case LogBound::Kind::Pc:
        return true;  // single-step until the address executes (enter())
      case LogBound::Kind::None:
        state_ = State::In;
        break;
    }
  }
  if (state_ == State::In && to_.kind == LogBound::Kind::Cycle && cpu.cycle() >= to_.value) state_ = State::Done;
  return state_ == State::In;
}

bool ObserveWindow::enter(uint32_t pc) {
  if (state_ == State::Before && from_.kind == LogBound::Kind::Pc && pc == from_.value) state_ = State::In;
  return state_ == State::In;
}

void ObserveWindow::region_mark(bool begin, const std::string& name) {
  if (begin && state_ == State::Before && from_.kind == LogBound::Kind::Region && name == from_.name)
    region_begun_ = true;
  else if (!begin && state_ == State::In && to_.kind == LogBound::Kind::Region && name == to_.name)
    state_ = State::Done;  // the instruction that wrote the mark is still inside (it is being stepped)
}

LogBound parse_log_bound(const std::string& option, const std::string& text,
                         const std::function<std::optional<uint32_t>(const std::string&)>& symbol) {
  const auto colon = text.find(':');
  const std::string kind = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string value = colon == std::string::npos ? "" : text.substr(colon + 1);
  auto number = [&](uint64_t max) -> std::optional<uint64_t> {
    try {
      size_t used = 0;
      const unsigned long long v = std::stoull(value, &used, 0);
      if (used == value.size() && v <= max && !value.empty() && value[0] != '-') return v;
    } catch (const std::exception&) {
    }
    return std::nullopt;
  };
  LogBound b;
  if (kind == "cycle") {
    const auto v = number(UINT64_MAX);
    if (!v) throw ConfigError(fmt::format("{} {}: expected a cycle count after 'cycle:', found '{}'", option, text, value));
    b.kind = LogBound::Kind::Cycle;
    b.value = *v;
    return b;
  }
  if (kind == "pc") {
    std::optional<uint64_t> v = number(0xffffffffu);
    if (!v && !value.empty() && symbol) {
      if (auto s = symbol(value)) v = *s;
    }
    if (!v)
      throw ConfigError(fmt::format("{} {}: expected an address or a symbol of the program after 'pc:', found '{}'",
                                    option, text, value));
    b.kind = LogBound::Kind::Pc;
    b.value = *v & ~uint64_t(1);
    return b;
  }
  if (kind == "region") {
    if (value.empty())
      throw ConfigError(fmt::format("{} {}: expected a region name after 'region:' (as the program names it)", option, text));
    b.kind = LogBound::Kind::Region;
    b.name = value;
    return b;
  }
  throw ConfigError(fmt::format("{} {}: expected cycle:N, pc:ADDRESS (or pc:SYMBOL) or region:NAME", option, text));
}

}  // namespace mcucim::sim

#include "sim/vcd.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/commit_log.h"

namespace mcucim::sim {

namespace {
// VCD identifier codes: printable ASCII '!'..'~' without '$' (93 symbols; a code starting with '$'
// would look like a keyword to some readers), as many as needed.
std::string id_code(size_t n) {
  static const std::string kSymbols = [] {
    std::string s;
    for (char c = '!'; c <= '~'; ++c)
      if (c != '$') s += c;
    return s;
  }();
  std::string s;
  do {
    s += kSymbols[n % kSymbols.size()];
    n /= kSymbols.size();
  } while (n);
  return s;
}
// A reference name without white space (component and device names come from the config).
std::string vcd_name(std::string s) {
  for (char& c : s)
    if (c == ' ' || c == '\t' || c == '\n' || c == '$') c = '_';
  return s;
}
}  // namespace

VcdWriter::VcdWriter(std::FILE* out, Options opt) : out_(out), opt_(std::move(opt)), window_(opt_.from, opt_.to) {
  if (opt_.power_interval == 0) opt_.power_interval = 1;
  if (opt_.power_interval > kMaxPowerInterval) opt_.power_interval = kMaxPowerInterval;
  busy_until_.assign(opt_.busy_devices.size(), sc_core::SC_ZERO_TIME);
}

uint32_t VcdWriter::add_var(const std::string& scope, const std::string& name, unsigned width) {
  Var v;
  v.scope = scope;
  v.name = vcd_name(name);
  v.width = width;
  v.id = id_code(vars_.size());
  vars_.push_back(std::move(v));
  return static_cast<uint32_t>(vars_.size() - 1);
}

uint64_t VcdWriter::ps(uint64_t cycle) const {
  return static_cast<uint64_t>(std::llround(static_cast<double>(cycle) * 1e12 / opt_.freq_hz));
}

uint64_t VcdWriter::stall_cycles(const isa::Cpu& cpu) const {
  const isa::CpuCounters& k = cpu.counters();
  return k.load_use_stalls + k.fetch_stall_cycles + k.fetch_align_cycles + k.mem_wait_cycles + k.xmac_stall_cycles;
}

void VcdWriter::open_window(isa::Cpu& cpu) {
  state_ = State::Open;
  const uint64_t c = cpu.cycle(), t = ps(c);
  // The signals, in scopes (GTKWave shows the hierarchy).
  v_pc_ = add_var("core", "pc", 32);
  v_insn_ = add_var("core", "insn", 32);
  v_state_ = add_var("core", "state", 2);
  v_priv_ = add_var("core", "priv", 2);
  v_rd_ = add_var("bus", "read", 1);
  v_wr_ = add_var("bus", "write", 1);
  v_addr_ = add_var("bus", "addr", 32);
  v_size_ = add_var("bus", "size", 3);
  v_irq_[0] = add_var("irq", "mtip", 1);
  v_irq_[1] = add_var("irq", "msip", 1);
  v_irq_[2] = add_var("irq", "meip", 1);
  for (const auto& d : opt_.busy_devices) {
    v_busy_.push_back(add_var(d, "busy", 1));
    vars_.back().counted = true;
  }
  std::vector<std::string> parts;
  if (opt_.model && opt_.sampler) {
    power_prev_ = opt_.sampler();
    power_prev_.cycles = c;
    for (const auto& p : opt_.model->compute(power_prev_ - power_prev_).parts) parts.push_back(p.name);
    for (const auto& p : parts) v_power_.push_back(add_var("power", p + "_mW", 0));
    v_power_.push_back(add_var("power", "total_mW", 0));
    power_next_ = c + opt_.power_interval;
  }
  // Header (no $date: the same run gives the same file).
  std::string h = fmt::format("$version {} $end\n$timescale 1ps $end\n$scope module soc $end\n", opt_.version);
  std::string scope;
  for (const Var& v : vars_) {
    if (v.scope != scope) {
      if (!scope.empty()) h += "$upscope $end\n";
      scope = v.scope;
      h += fmt::format("$scope module {} $end\n", vcd_name(scope));
    }
    if (v.width == 0) h += fmt::format("$var real 64 {} {} $end\n", v.id, v.name);
    else if (v.width == 1) h += fmt::format("$var wire 1 {} {} $end\n", v.id, v.name);
    else h += fmt::format("$var wire {} {} {} [{}:0] $end\n", v.width, v.id, v.name, v.width - 1);
  }
  if (!scope.empty()) h += "$upscope $end\n";
  h += "$upscope $end\n$enddefinitions $end\n";
  std::fwrite(h.data(), 1, h.size(), out_);
  header_done_ = true;
  // Initial values at the window's start (the $dumpvars block).
  push(t, v_pc_, cpu.pc());
  push(t, v_insn_, 0);
  push(t, v_state_, 0);
  push(t, v_priv_, cpu.privilege());
  push(t, v_rd_, 0);
  push(t, v_wr_, 0);
  push(t, v_addr_, 0);
  push(t, v_size_, 0);
  uint32_t mip = 0;
  cpu.csr_read(0x344, mip);
  for (int i = 0; i < 3; ++i) push(t, v_irq_[i], (mip >> (i == 0 ? 7 : i == 1 ? 3 : 11)) & 1);
  const sc_core::sc_time now = sc_core::sc_time(static_cast<double>(t), sc_core::SC_PS);
  for (size_t i = 0; i < v_busy_.size(); ++i) {
    push_delta(t, v_busy_[i], 0);
    if (busy_until_[i] > now) {  // a command started before the window is still running
      push_delta(t, v_busy_[i], +1);
      push_delta(static_cast<uint64_t>(std::llround(busy_until_[i].to_seconds() * 1e12)), v_busy_[i], -1);
    }
  }
  for (uint32_t v : v_power_) push_real(t, v, 0.0);  // replaced by the first interval's value at t
  last_end_cycle_ = c;
  idle_last_ = cpu.counters().idle_cycles;
}

void VcdWriter::power_sample(uint64_t cycle) {
  if (v_power_.empty() || cycle <= power_prev_.cycles) return;
  Counters now = opt_.sampler();
  now.cycles = cycle;
  const Counters d = now - power_prev_;
  const EnergyBreakdown e = opt_.model->compute(d);
  const double dt = static_cast<double>(d.cycles) / opt_.freq_hz;
  const uint64_t t = ps(power_prev_.cycles);
  for (size_t i = 0; i < e.parts.size() && i + 1 < v_power_.size(); ++i)
    push_real(t, v_power_[i], e.parts[i].total_j() / dt * 1e3);
  push_real(t, v_power_.back(), e.total_j() / dt * 1e3);
  power_prev_ = std::move(now);
}

bool VcdWriter::poll(isa::Cpu& cpu, uint64_t& until) {
  if (state_ == State::Closed) return false;
  const bool in = window_.poll(cpu, until);
  if (state_ == State::Before && window_.open()) open_window(cpu);
  if (state_ == State::Open) {
    if (window_.closed()) {
      close_window(cpu);
      return false;
    }
    if (!v_power_.empty() && cpu.cycle() >= power_next_) {
      power_sample(cpu.cycle());
      while (power_next_ <= cpu.cycle()) power_next_ += opt_.power_interval;
    }
  }
  return in;
}

void VcdWriter::before_step(isa::Cpu& cpu) {
  armed_ = false;
  if (state_ == State::Closed || !window_.enter(cpu.pc())) return;
  if (state_ == State::Before) open_window(cpu);
  armed_ = true;
  c0_ = cpu.cycle();
  pc0_ = cpu.pc();
  instret0_ = cpu.instret();
  irqs0_ = cpu.counters().interrupts;
  stall0_ = stall_cycles(cpu);
  priv0_ = cpu.privilege();
  in_ = cpu.decode_at(pc0_);
  rs1v_ = cpu.x(in_.rs1);
  const uint64_t t = ps(c0_);
  // Everything before this instruction is final, except what the power interval still has to add.
  if (events_.size() >= 4096) flush(v_power_.empty() ? t : std::min(t, ps(power_prev_.cycles)));
  // Slept (wfi) since the last instruction: the idle cycles end where this instruction starts.
  const uint64_t idle = cpu.counters().idle_cycles;
  if (idle > idle_last_) {
    const uint64_t slept = std::min<uint64_t>(idle - idle_last_, c0_ - std::min(c0_, last_end_cycle_));
    push(ps(c0_ - slept), v_state_, 2);
    idle_last_ = idle;
  }
  uint32_t mip = 0;
  cpu.csr_read(0x344, mip);
  push(t, v_irq_[0], (mip >> 7) & 1);
  push(t, v_irq_[1], (mip >> 3) & 1);
  push(t, v_irq_[2], (mip >> 11) & 1);
  push(t, v_state_, 0);
}

void VcdWriter::after_step(isa::Cpu& cpu, isa::Stop) {
  if (!armed_) return;
  armed_ = false;
  const uint64_t c1 = cpu.cycle(), t0 = ps(c0_);
  const bool retired = cpu.instret() != instret0_;
  // An interrupt taken at the step's start: no instruction ran (the next step is the handler's first).
  if (retired || cpu.counters().interrupts == irqs0_) {
    push(t0, v_pc_, pc0_);
    push(t0, v_insn_, in_.raw);
    push(t0, v_priv_, priv0_);
    DataAccess a;
    if (data_access(in_, rs1v_, a)) {
      push(t0, a.store ? v_wr_ : v_rd_, 1);
      push(t0, v_addr_, a.addr);
      push(t0, v_size_, a.size);
      push(ps(c1), a.store ? v_wr_ : v_rd_, 0);
    }
    const uint64_t stalls = stall_cycles(cpu) - stall0_;
    if (stalls && c1 > c0_ + 1) push(ps(std::max(c0_ + 1, c1 - std::min(stalls, c1 - c0_))), v_state_, 1);
  }
  last_end_cycle_ = c1;
  idle_last_ = cpu.counters().idle_cycles;
  if (retired) window_.retired(pc0_);
  if (window_.closed()) close_window(cpu);
}

void VcdWriter::device_busy(size_t index, const sc_core::sc_time& begin, const sc_core::sc_time& end) {
  if (index >= busy_until_.size()) return;
  if (end > busy_until_[index]) busy_until_[index] = end;
  if (state_ != State::Open || end <= begin) return;
  const double ps_per_s = 1e12;
  push_delta(static_cast<uint64_t>(std::llround(begin.to_seconds() * ps_per_s)), v_busy_[index], +1);
  push_delta(static_cast<uint64_t>(std::llround(end.to_seconds() * ps_per_s)), v_busy_[index], -1);
}

void VcdWriter::close_window(isa::Cpu& cpu) {
  if (state_ != State::Open) return;
  const uint64_t c = cpu.cycle();
  const uint64_t idle = cpu.counters().idle_cycles;
  if (idle > idle_last_) {  // ended asleep
    push(ps(c - std::min<uint64_t>(idle - idle_last_, c - std::min(c, last_end_cycle_))), v_state_, 2);
    idle_last_ = idle;
  }
  power_sample(c);
  state_ = State::Closed;
  flush(0, true);
  // The end of the recording, so a viewer shows its full length.
  const uint64_t t = ps(c);
  if (!any_time_written_ || t > last_written_ps_) {
    std::fprintf(out_, "#%llu\n", static_cast<unsigned long long>(t));
    last_written_ps_ = t;
  }
  std::fflush(out_);
}

void VcdWriter::finish(isa::Cpu& cpu) {
  if (state_ == State::Open) close_window(cpu);
  std::fflush(out_);
}

void VcdWriter::flush(uint64_t horizon_ps, bool all) {
  auto end = all ? events_.end()
                 : std::partition(events_.begin(), events_.end(), [&](const Event& e) { return e.t_ps < horizon_ps; });
  std::sort(events_.begin(), end, [](const Event& a, const Event& b) {
    return a.t_ps != b.t_ps ? a.t_ps < b.t_ps : a.seq < b.seq;
  });
  std::string s;
  auto out = std::back_inserter(s);
  std::vector<uint32_t> touched;
  std::vector<uint8_t> is_touched(vars_.size(), 0);
  std::vector<uint64_t> val(vars_.size());
  std::vector<double> rval(vars_.size());
  for (auto it = events_.begin(); it != end;) {
    const uint64_t t = it->t_ps;
    // The value of each signal at the end of time t (the last event wins; busy counts add up).
    touched.clear();
    for (; it != end && it->t_ps == t; ++it) {
      Var& v = vars_[it->var];
      if (!is_touched[it->var]) {
        is_touched[it->var] = 1;
        touched.push_back(it->var);
      }
      if (v.width == 0) rval[it->var] = it->real;
      else if (v.counted) {
        v.count += it->delta;
        val[it->var] = v.count > 0 ? 1 : 0;
      } else {
        val[it->var] = it->value;
      }
    }
    std::sort(touched.begin(), touched.end());
    bool stamped = false;
    const bool dump = !dumpvars_done_;
    for (uint32_t k : touched) {
      is_touched[k] = 0;
      Var& v = vars_[k];
      const bool changed = !v.written || (v.width == 0 ? rval[k] != v.real : val[k] != v.value);
      if (!changed) continue;
      if (!stamped) {
        // (never back in time: a late event joins the last time written)
        if (!any_time_written_ || t > last_written_ps_) {
          fmt::format_to(out, "#{}\n", t);
          last_written_ps_ = t;
        }
        if (dump) s += "$dumpvars\n";
        stamped = true;
        any_time_written_ = true;
      }
      v.written = true;
      ++changes_;
      if (v.width == 0) {
        v.real = rval[k];
        fmt::format_to(out, "r{:.9g} {}\n", v.real, v.id);
      } else if (v.width == 1) {
        v.value = val[k];
        fmt::format_to(out, "{}{}\n", v.value ? '1' : '0', v.id);
      } else {
        v.value = val[k];
        fmt::format_to(out, "b{:b} {}\n", v.value, v.id);
      }
    }
    if (dump && stamped) {
      s += "$end\n";
      dumpvars_done_ = true;
    }
  }
  events_.erase(events_.begin(), end);
  std::fwrite(s.data(), 1, s.size(), out_);
}

}  // namespace mcucim::sim

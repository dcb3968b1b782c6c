#include "models/cim_macro.h"

#include <cmath>
#include <cstring>

#include "mcucim/cim_regs.h"

namespace mcucim::models {

namespace {
// Each device is its own chip: the non-ideality seed is mixed with the device's name (FNV-1a), so the
// macros of an array (cim0, cim1, ...) draw different device variation from the same config seed.
cim::MacroConfig own_seed(cim::MacroConfig c, const char* name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char* p = name; *p; ++p) h = (h ^ uint8_t(*p)) * 0x100000001b3ull;
  c.nonideal.seed ^= h;
  return c;
}
}  // namespace

CimMacro::CimMacro(sc_core::sc_module_name name, const cim::MacroConfig& cfg, sc_core::sc_time latency)
    : Device(name, CIM_WINDOW_SIZE, latency), macro_(own_seed(cfg, name)) {
  in_.assign(macro_.array().rows, 0);
  out_.assign(macro_.array().cols, 0);
  pending_.assign(macro_.array().cols, 0);
}

uint64_t CimMacro::to_ps(const sc_core::sc_time& t) {
  return static_cast<uint64_t>(t / sc_core::sc_time(1, sc_core::SC_PS) + 0.5);
}

void CimMacro::settle(const sc_core::sc_time& now) {
  if (busy_ && now >= done_time_) {
    busy_ = false;
    done_ = true;
    if (pending_out_) out_ = pending_;
    pending_out_ = false;
  }
}

void CimMacro::command(uint32_t cmd, const sc_core::sc_time& now) {
  if (cmd == CIM_CTRL_CLEAR) {
    done_ = false;
    err_ = 0;
    return;
  }
  if (cmd != CIM_CTRL_START && cmd != CIM_CTRL_PROGRAM) {
    err_ = CIM_ERR_ARG;
    macro_.counters().errors++;
    return;
  }
  if (busy_) {  // the running command goes on; the error stays until CLEAR or the next command
    err_ = CIM_ERR_BUSY;
    macro_.counters().errors++;
    return;
  }
  done_ = false;
  err_ = 0;
  double ns = 0;
  int rc;
  if (cmd == CIM_CTRL_START) {
    if (nrows_ > in_.size()) {
      macro_.counters().errors++;
      rc = CIM_ERR_RANGE;
    } else if (macro_.wbits() == 0) {
      macro_.counters().errors++;
      rc = CIM_ERR_NOT_PROGRAMMED;
    } else if (wbits_ != macro_.wbits()) {  // WBITS must say what the array holds
      macro_.counters().errors++;
      rc = CIM_ERR_WIDTH;
    } else {
      rc = macro_.mvm(abits_, in_.data(), nrows_, nout_, pending_.data(), &ns);
      pending_out_ = rc == CIM_OK;
    }
  } else {
    // Source bytes: weight (i, o) at SRC + o*STRIDE + i; checked by the macro after the read.
    std::vector<int8_t> w;
    rc = CIM_OK;
    if (nrows_ == 0 || nout_ == 0 || nrows_ > macro_.array().rows || nout_ > macro_.array().cols) {
      rc = CIM_ERR_RANGE;
      macro_.counters().errors++;
    } else {
      const uint64_t n = uint64_t(nout_ - 1) * stride_ + nrows_;
      if (stride_ < nrows_ && nout_ > 1) {
        rc = CIM_ERR_RANGE;
        macro_.counters().errors++;
      } else {
        w.resize(n);
        if (!mem_reader_ || !mem_reader_(src_, w.data(), static_cast<uint32_t>(n))) {
          rc = CIM_ERR_BUS;
          macro_.counters().errors++;
        }
      }
    }
    if (rc == CIM_OK) rc = macro_.program(wbits_, row0_, nrows_, out0_, nout_, w.data(), stride_, &ns);
  }
  if (rc != CIM_OK) {
    err_ = static_cast<uint32_t>(rc);
    return;
  }
  // An idle or off macro wakes first (cim/power.h): the command starts after the wake-up.
  const uint64_t start_ps = macro_.begin_command(to_ps(now));
  const uint64_t done_ps = start_ps + static_cast<uint64_t>(std::llround(ns * 1000));
  macro_.end_command(done_ps);
  busy_ = true;
  done_time_ = sc_core::sc_time(static_cast<double>(done_ps), sc_core::SC_PS);
  if (on_busy) on_busy(now, done_time_);
}

bool CimMacro::read(uint64_t off, unsigned len, uint32_t& v, const sc_core::sc_time& now) {
  settle(now);
  const auto& a = macro_.array();
  if (off >= CIM_IN_BUF && off < CIM_IN_BUF + a.rows) {
    v = 0;
    if (off - CIM_IN_BUF + len > a.rows) return false;
    std::memcpy(&v, in_.data() + (off - CIM_IN_BUF), len);
    return true;
  }
  if (off >= CIM_WIN_TABLE && off < CIM_WIN_TABLE + 4ull * CIM_REF_WIN_TABLE_WORDS) {
    if (len != 4) return false;
    const uint32_t i = static_cast<uint32_t>(off - CIM_WIN_TABLE) / 4;
    v = macro_.window(i / CIM_REF_MAX_PASSES, i % CIM_REF_MAX_PASSES);
    return true;
  }
  if (off >= CIM_OUT_BUF && off < CIM_OUT_BUF + 4ull * a.cols) {
    if (len != 4) return false;
    v = static_cast<uint32_t>(out_[(off - CIM_OUT_BUF) / 4]);
    macro_.counters().buffer_bytes += 4;
    return true;
  }
  if (len != 4) return false;
  switch (off) {
    case CIM_REG_ID: v = CIM_ID_VALUE; return true;
    case CIM_REG_ROWS: v = a.rows; return true;
    case CIM_REG_COLS: v = a.cols; return true;
    case CIM_REG_CFG:
      v = a.cell_bits | (a.adc_bits << 8) | (a.dac_bits << 16) | (a.zero_skip << 24) | ((a.type == CIM_TYPE_DIGITAL) << 28);
      return true;
    case CIM_REG_ADC_STEP: v = a.adc_step; return true;
    case CIM_REG_CTRL: v = 0; return true;
    case CIM_REG_STATUS: v = (busy_ ? CIM_STATUS_BUSY : 0u) | (done_ ? CIM_STATUS_DONE : 0u) | (err_ << 8); return true;
    case CIM_REG_WBITS: v = wbits_; return true;
    case CIM_REG_ABITS: v = abits_; return true;
    case CIM_REG_NROWS: v = nrows_; return true;
    case CIM_REG_NOUT: v = nout_; return true;
    case CIM_REG_ROW0: v = row0_; return true;
    case CIM_REG_OUT0: v = out0_; return true;
    case CIM_REG_SRC: v = src_; return true;
    case CIM_REG_STRIDE: v = stride_; return true;
    case CIM_REG_MVMS: v = static_cast<uint32_t>(macro_.counters().mvms); return true;
    case CIM_REG_MAX_OUT: v = cim_ref_valid_wbits(&a, wbits_) ? cim_ref_max_outputs(&a, wbits_) : 0; return true;
    case CIM_REG_PWBITS: v = macro_.wbits(); return true;
    case CIM_REG_IRQ_EN: v = irq_en_ ? 1u : 0u; return true;
    case CIM_REG_RPP: v = a.rows_per_pass; return true;
    case CIM_REG_MODE: v = macro_.windows_enabled() ? CIM_MODE_WIN_EN : 0u; return true;
    case CIM_REG_WIN_COLS: v = a.win_cols; return true;
    case CIM_REG_POWER: {
      const uint64_t t = to_ps(now);
      v = static_cast<uint32_t>(macro_.power_state(t)) | (macro_.waking(t) ? CIM_POWER_WAKING : 0u);
      return true;
    }
    default: return false;
  }
}

bool CimMacro::write(uint64_t off, unsigned len, uint32_t v, const sc_core::sc_time& now) {
  settle(now);
  const auto& a = macro_.array();
  if (off >= CIM_IN_BUF && off < CIM_IN_BUF + a.rows) {
    if (off - CIM_IN_BUF + len > a.rows) return false;
    std::memcpy(in_.data() + (off - CIM_IN_BUF), &v, len);  // latched at START: writes while busy are safe
    macro_.counters().buffer_bytes += len;
    return true;
  }
  if (off >= CIM_WIN_TABLE && off < CIM_WIN_TABLE + 4ull * CIM_REF_WIN_TABLE_WORDS) {
    if (len != 4) return false;
    // A window outside the ADC range (or on a digital macro) is refused: the entry keeps its value and
    // STATUS shows CIM_ERR_WINDOW until CLEAR or the next accepted command.
    const uint32_t i = static_cast<uint32_t>(off - CIM_WIN_TABLE) / 4;
    const int e = macro_.set_window(i / CIM_REF_MAX_PASSES, i % CIM_REF_MAX_PASSES, v);
    if (e) err_ = static_cast<uint32_t>(e);
    return true;
  }
  if (len != 4) return false;
  switch (off) {
    case CIM_REG_MODE: {
      const int e = macro_.enable_windows((v & CIM_MODE_WIN_EN) != 0);
      if (e) err_ = static_cast<uint32_t>(e);
      return true;
    }
    case CIM_REG_POWER:
      if (busy_) {  // a state change while a command runs is refused; the command goes on
        err_ = CIM_ERR_BUSY;
        macro_.counters().errors++;
      } else if (v > CIM_POWER_OFF) {
        err_ = CIM_ERR_ARG;
        macro_.counters().errors++;
      } else {
        macro_.request_power(static_cast<cim::PowerStateId>(v), to_ps(now));
      }
      return true;
    case CIM_REG_CTRL: command(v, now); return true;
    case CIM_REG_WBITS: wbits_ = v; return true;
    case CIM_REG_ABITS: abits_ = v; return true;
    case CIM_REG_NROWS: nrows_ = v; return true;
    case CIM_REG_NOUT: nout_ = v; return true;
    case CIM_REG_ROW0: row0_ = v; return true;
    case CIM_REG_OUT0: out0_ = v; return true;
    case CIM_REG_SRC: src_ = v; return true;
    case CIM_REG_STRIDE: stride_ = v; return true;
    case CIM_REG_IRQ_EN: irq_en_ = (v & 1) != 0; return true;
    default: return false;
  }
}

}  // namespace mcucim::models

#include "sim/system.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <streambuf>
#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/link.h"
#include "sim/elf.h"
#include "sim/energy.h"
#include "sim/profile.h"
#include "sim/provenance.h"
#include "sim/report.h"
#include "sim/stats.h"
#include "sim/watchdog.h"

namespace mcucim::sim {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_system_config(const Config& cfg) { return cfg.has("system"); }

namespace {

std::string substitute(std::string s, uint32_t index, uint32_t count) {
  for (auto [key, val] : {std::pair<std::string, std::string>{"{index}", std::to_string(index)},
                          {"{count}", std::to_string(count)}}) {
    for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + val.size())) s.replace(at, key.size(), val);
  }
  return s;
}

std::string beside(const Config& cfg, const std::string& key, const std::string& file) {
  if (file.empty() || file[0] == '/') return file;
  return (fs::path(cfg.origin(key).file).parent_path() / file).string();
}

std::vector<std::string> string_list(const Config& cfg, const std::string& key) {
  std::vector<std::string> v;
  if (!cfg.has(key)) return v;
  if (!cfg.is_list(key)) cfg.fail(key, "expected a list of \"dotted.key=value\" strings");
  for (size_t i = 0; i < cfg.list_size(key); ++i) {
    std::string s = cfg.get<std::string>(key + "." + std::to_string(i));
    if (s.find('=') == std::string::npos)
      cfg.fail(key + "." + std::to_string(i), fmt::format("expected \"dotted.key=value\", found '{}'", s));
    v.push_back(s);
  }
  return v;
}

}  // namespace

models::LinkParams read_link_params(const Config& c) {
  models::LinkParams p;
  const std::string kind = c.get_enum("link.kind", {"uart", "spi", "lora"}, "");
  auto positive = [&](const std::string& key, double lo, double hi, const char* unit) {
    const double v = c.get<double>(key);
    if (!(v >= lo) || v > hi) c.fail(key, fmt::format("expected {} .. {} {}, found {}", lo, hi, unit, v));
    return v;
  };
  auto u32 = [&](const std::string& key, uint32_t lo, uint32_t hi, uint32_t def) {
    const uint32_t v = c.get<uint32_t>(key, def);
    if (v < lo || v > hi) c.fail(key, fmt::format("expected {} .. {}, found {}", lo, hi, v));
    return v;
  };
  if (kind == "uart" || kind == "spi") {
    p.kind = kind == "uart" ? models::LinkKind::Uart : models::LinkKind::Spi;
    if (kind == "uart") {
      p.baud = positive("link.baud", 1, 100e6, "baud");
      p.data_bits = u32("link.data_bits", 5, 9, 8);
      p.stop_bits = u32("link.stop_bits", 1, 2, 1);
      p.parity = c.get<bool>("link.parity", false);
    } else {
      p.clock_hz = positive("link.clock_hz", 1, 1e9, "Hz");
    }
    // Energy from the line capacitance and the I/O supply (models/link_model.h).
    p.io_v = positive("link.io_v", 0.1, 10, "V");
    p.driver_pin_pf = positive("link.driver_pin_pf", 0, 1e6, "pF");
    p.receiver_pin_pf = positive("link.receiver_pin_pf", 0, 1e6, "pF");
    p.board_pf = positive("link.board_pf", 0, 1e6, "pF");
    p.max_message = u32("link.max_message", 1, 16u << 20, 65536);
  } else {
    p.kind = models::LinkKind::Lora;
    auto& l = p.lora;
    l.sf = u32("link.sf", 5, 12, 7);
    l.bw_hz = positive("link.bw_hz", 7.8e3, 500e3, "Hz");
    l.cr = u32("link.cr", 1, 4, 1);
    l.preamble = u32("link.preamble", 1, 65535, 8);
    l.explicit_header = c.get<bool>("link.explicit_header", true);
    l.crc = c.get<bool>("link.crc", true);
    const std::string ldro = c.get_enum("link.ldro", {"auto", "on", "off"}, "auto");
    l.ldro = ldro == "auto" ? -1 : ldro == "on" ? 1 : 0;
    // TX current at the output power: the table's entry for tx_power_dbm (configs/links/lora-sx1262.yaml).
    const std::string table = "link.tx_current_ma_by_dbm";
    if (!c.is_map(table) || c.keys(table).empty())
      c.fail(table, "expected a map of output power (dBm) to TX current (mA), e.g. {14: 89.3, 22: 117.9}");
    const int dbm = c.get<int>("link.tx_power_dbm");
    std::string powers;
    bool found = false;
    for (const auto& k : c.keys(table)) {
      const double ma = positive(table + "." + k, 0, 1000, "mA");
      powers += (powers.empty() ? "" : ", ") + k;
      int kd = 0;
      try { size_t used = 0; kd = std::stoi(k, &used); if (used != k.size()) throw std::invalid_argument(k); }
      catch (const std::exception&) { c.fail(table + "." + k, fmt::format("expected an output power in dBm (an integer), found '{}'", k)); }
      if (kd == dbm) { l.tx_current_a = ma * 1e-3; found = true; }
    }
    if (!found)
      c.fail("link.tx_power_dbm", fmt::format("no TX current for {} dBm in {} (powers: {})", dbm, table, powers));
    l.rx_current_a = positive("link.rx_current_ma", 0, 1000, "mA") * 1e-3;
    l.supply_v = positive("link.supply_v", 0.1, 10, "V");
    l.listen = c.get<bool>("link.listen", true);
    l.duty_cycle = c.get<double>("link.duty_cycle", 0);
    if (!(l.duty_cycle >= 0) || l.duty_cycle > 1)
      c.fail("link.duty_cycle", fmt::format("expected a fraction in [0, 1] (0: no limit), found {}", l.duty_cycle));
    // SX126x: the payload length field is one byte.
    p.max_message = c.get<uint32_t>("link.max_payload", 255);
    if (p.max_message < 1 || p.max_message > 255)
      c.fail("link.max_payload", fmt::format("expected 1 .. 255 bytes (the SX126x payload length is one byte), found {}",
                                             p.max_message));
  }
  c.check_all_used();
  return p;
}

SystemSpec read_system_spec(const Config& cfg, const std::string& default_elf, const std::string& default_args) {
  SystemSpec s;
  s.name = cfg.get<std::string>("system.name", "system");
  if (!cfg.is_map("system.mcus") || cfg.keys("system.mcus").empty())
    cfg.fail("system.mcus", "expected a map of MCU groups (name: {config, count, set, elf, args})");
  for (const auto& group : cfg.keys("system.mcus")) {
    const std::string p = "system.mcus." + group;
    const uint32_t count = cfg.get<uint32_t>(p + ".count", 1);
    if (count < 1 || count > 256) cfg.fail(p + ".count", fmt::format("expected 1 .. 256 MCUs, found {}", count));
    const bool grouped = cfg.has(p + ".count");
    const std::string config = beside(cfg, p + ".config", cfg.get<std::string>(p + ".config"));
    const std::vector<std::string> sets = string_list(cfg, p + ".set");
    const std::string elf = cfg.has(p + ".elf") ? beside(cfg, p + ".elf", cfg.get<std::string>(p + ".elf")) : default_elf;
    const std::string args = cfg.get<std::string>(p + ".args", default_args);
    // Files placed in this group's MCUs ("FILE@ADDR", {index}/{count} substituted, FILE relative to
    // this config): blobs 0.. of each MCU, before the command line's --load files (e.g. each rank's
    // model share).
    std::vector<std::string> loads;
    if (cfg.has(p + ".load")) {
      if (!cfg.is_list(p + ".load")) cfg.fail(p + ".load", "expected a list of \"FILE@ADDRESS\" strings");
      for (size_t k = 0; k < cfg.list_size(p + ".load"); ++k) loads.push_back(cfg.get<std::string>(p + ".load." + std::to_string(k)));
    }
    if (elf.empty()) cfg.fail(p + ".elf", "no firmware: give `elf:` here or --elf on the command line");
    for (uint32_t i = 0; i < count; ++i) {
      SystemMcuSpec m;
      m.name = grouped ? group + std::to_string(i) : group;
      m.index = i;
      m.count = count;
      m.config = config;
      for (const auto& st : sets) m.sets.push_back(substitute(st, i, count));
      m.elf = elf;
      m.args = substitute(args, i, count);
      m.origin = cfg.origin(p).str();
      std::vector<BlobSpec> blobs;
      for (size_t k = 0; k < loads.size(); ++k) {
        const std::string key = p + ".load." + std::to_string(k);
        BlobSpec b;
        try {
          b = parse_load_option(substitute(loads[k], i, count));
        } catch (const ConfigError& e) {
          cfg.fail(key, e.what());
        }
        b.file = beside(cfg, key, b.file);
        b.origin = cfg.origin(key).str();
        if (!fs::exists(b.file)) cfg.fail(key, fmt::format("file '{}' (MCU '{}') does not exist", b.file, m.name));
        blobs.push_back(b);
      }
      for (const auto& o : s.mcus)
        if (o.name == m.name) cfg.fail(p, fmt::format("MCU name '{}' is used twice (also at {})", m.name, o.origin));
      if (!fs::exists(config)) cfg.fail(p + ".config", fmt::format("SoC config '{}' does not exist", config));
      try {
        Config mc = Config::load(config, m.sets);
        m.soc = read_soc_spec(mc);
        m.soc.blobs.insert(m.soc.blobs.begin(), blobs.begin(), blobs.end());
        mc.check_all_used();
        m.config_json = mc.to_json();
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{} (MCU '{}' of {})", e.what(), m.name, cfg.origin(p).str()));
      }
      s.mcus.push_back(std::move(m));
    }
  }
  auto mcu_index = [&](const std::string& name) -> int {
    for (size_t i = 0; i < s.mcus.size(); ++i)
      if (s.mcus[i].name == name) return static_cast<int>(i);
    return -1;
  };
  auto mcu_names = [&] {
    std::string n;
    for (const auto& m : s.mcus) n += (n.empty() ? "" : ", ") + m.name;
    return n;
  };
  const std::string main = cfg.get<std::string>("system.main", s.mcus.front().name);
  if (mcu_index(main) < 0) cfg.fail("system.main", fmt::format("no MCU named '{}' (MCUs: {})", main, mcu_names()));
  s.main = static_cast<size_t>(mcu_index(main));
  s.end_all = cfg.get_enum("system.end", {"all", "main"}, "all") == "all";

  // Links: listed, and/or generated by a topology.
  std::map<std::string, std::string> used;  // endpoint -> the link that connects it
  auto add_link = [&](const std::string& key, const std::string& a, const std::string& b, const std::string& model_key,
                      const std::string& sets_key) {
    SystemLinkSpec l;
    const std::string ends[2] = {a, b};
    for (int k = 0; k < 2; ++k) {
      const auto dot = ends[k].find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == ends[k].size())
        cfg.fail(key, fmt::format("endpoint '{}': expected MCU.DEVICE (e.g. node0.link0)", ends[k]));
      l.mcu[k] = ends[k].substr(0, dot);
      l.dev[k] = ends[k].substr(dot + 1);
      const int mi = mcu_index(l.mcu[k]);
      if (mi < 0) cfg.fail(key, fmt::format("endpoint '{}' names MCU '{}', which is not in system.mcus (MCUs: {})", ends[k], l.mcu[k], mcu_names()));
      l.mcu_index[k] = static_cast<size_t>(mi);
      const SocSpec& soc = s.mcus[mi].soc;
      const DeviceSpec* dev = nullptr;
      std::string links;
      for (const auto& d : soc.devices) {
        if (d.name == l.dev[k]) dev = &d;
        if (d.kind == "link") links += (links.empty() ? "" : ", ") + d.name;
      }
      if (!dev)
        cfg.fail(key, fmt::format("endpoint '{}': MCU '{}' has no device '{}' (its link endpoints: {})", ends[k], l.mcu[k],
                                  l.dev[k], links.empty() ? "none; add soc.devices.<name>: {kind: link, base: ...}" : links));
      if (dev->kind != "link")
        cfg.fail(key, fmt::format("endpoint '{}' is a {} device, expected a link endpoint (kind: link)", ends[k], dev->kind));
      if (auto it = used.find(ends[k]); it != used.end())
        cfg.fail(key, fmt::format("endpoint '{}' is already connected by {}: one link per endpoint", ends[k], it->second));
      used[ends[k]] = key;
    }
    if (a == b) cfg.fail(key, fmt::format("a link needs two different endpoints, found '{}' twice", a));
    l.name = a + "-" + b;
    l.model = cfg.get<std::string>(model_key);
    l.model_file = resolve_preset(cfg, model_key, "links", "link model");
    std::vector<std::string> sets;
    for (std::string st : string_list(cfg, sets_key)) sets.push_back(st.rfind("link.", 0) == 0 ? st : "link." + st);
    try {
      l.params = read_link_params(Config::load(l.model_file, sets));
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{} (link model of {} at {})", e.what(), l.name, cfg.origin(key).str()));
    }
    l.origin = cfg.origin(key).str();
    s.links.push_back(std::move(l));
  };
  for (size_t i = 0; i < cfg.list_size("system.links"); ++i) {
    const std::string p = "system.links." + std::to_string(i);
    add_link(p, cfg.get<std::string>(p + ".a"), cfg.get<std::string>(p + ".b"), p + ".model", p + ".set");
  }
  if (cfg.has("system.topology")) {
    const std::string p = "system.topology";
    const std::string kind = cfg.get_enum(p + ".kind", {"ring", "chain"}, "");
    const std::string group = cfg.get<std::string>(p + ".mcus");
    if (!cfg.has("system.mcus." + group)) cfg.fail(p + ".mcus", fmt::format("no MCU group '{}' in system.mcus", group));
    const uint32_t n = cfg.get<uint32_t>("system.mcus." + group + ".count", 1);
    const bool grouped = cfg.has("system.mcus." + group + ".count");
    const std::string out = cfg.get<std::string>(p + ".out", "link0"), in = cfg.get<std::string>(p + ".in", "link1");
    auto name = [&](uint32_t i) { return grouped ? group + std::to_string(i) : group; };
    // ring: i -> i+1 and the last back to the first; chain: no link back. One MCU: no link.
    const uint32_t nlinks = n < 2 ? 0 : kind == "ring" ? n : n - 1;
    for (uint32_t i = 0; i < nlinks; ++i)
      add_link(p, name(i) + "." + out, name((i + 1) % n) + "." + in, p + ".model", p + ".set");
    if (nlinks == 0) {  // still validate the model (a sweep point of one MCU must not hide a bad key)
      cfg.get<std::string>(p + ".model");
      const std::string f = resolve_preset(cfg, p + ".model", "links", "link model");
      std::vector<std::string> sets;
      for (std::string st : string_list(cfg, p + ".set")) sets.push_back(st.rfind("link.", 0) == 0 ? st : "link." + st);
      read_link_params(Config::load(f, sets));
    }
  }
  return s;
}

namespace {

// Each MCU's program output on the run's stdout, a whole line at a time (lines of different MCUs do not
// mix), each prefixed with the MCU's name; finish() writes a last line without a newline.
class PrefixBuf : public std::streambuf {
 public:
  PrefixBuf(std::ostream& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}
  void finish() {
    if (!line_.empty()) out_ << prefix_ << line_ << "\n";
    line_.clear();
    out_.flush();
  }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return 0;
    if (c == '\n') {
      out_ << prefix_ << line_ << "\n";
      line_.clear();
    } else {
      line_.push_back(static_cast<char>(c));
    }
    return c;
  }
  int sync() override {
    out_.flush();
    return 0;
  }

 private:
  std::ostream& out_;
  std::string prefix_, line_;
};

struct Node {
  std::unique_ptr<PrefixBuf> buf;
  std::unique_ptr<std::ostream> out;
  std::unique_ptr<Soc> soc;
  std::unique_ptr<EnergyModel> model;
  std::unique_ptr<Stats> stats;
  ElfImage elf;
  RunSummary summary;  // after the run (with energy)
  bool ended = false;
};

struct Outcome {
  std::string status;
  int code = 0;
};

Outcome outcome(const models::Core& core, bool stopped) {
  switch (core.end_reason()) {
    case models::EndReason::Exit: return {"exit", core.exit_code() & 0xff};
    case models::EndReason::Fatal: return {"fault", kExitFault};
    case models::EndReason::MaxCycles: return {"cycle_limit", kExitCycleLimit};
    case models::EndReason::TimeLimit: return {"time_limit", kExitTimeLimit};
    case models::EndReason::Deadlock: return {"deadlock", kExitDeadlock};
    case models::EndReason::Stall: return {"stall", kExitStall};
    case models::EndReason::Running: return stopped ? Outcome{"stopped", 0} : Outcome{"deadlock", kExitDeadlock};
    default: return {"error", kExitFault};
  }
}

}  // namespace

int run_system(const RunOptions& opt, const Config& cfg, std::ostream& out, std::ostream& err) {
  SystemSpec sys = read_system_spec(cfg, opt.elf_path, opt.args);
  cfg.check_all_used();
  std::vector<BlobSpec> loads;
  for (const auto& l : opt.loads) loads.push_back(parse_load_option(l));
  if (opt.semihost_write && opt.semihost_root.empty())
    throw ConfigError("--semihost-write needs --semihost-root DIR (the folder the program may write in)");
  // Options that observe one core: not for a system (exit 2 rather than ignored). Run one MCU alone
  // (its SoC config) to use them.
  auto refuse = [&](const std::string& option) {
    throw ConfigError(fmt::format("{}: not available for a system run ({} is a system of {} MCUs); run one MCU's "
                                  "SoC config to use it (docs/SYSTEM.md, Run options)",
                                  option, opt.config_path, sys.mcus.size()));
  };
  if (!opt.log_commits_path.empty() || !opt.log_from.empty() || !opt.log_to.empty())
    refuse("--log-commits/--log-from/--log-to");
  if (opt.stats_interval || !opt.stats_path.empty()) refuse("--stats-interval/--stats-file");
  if (opt.gdb_port >= 0) refuse("--gdb");
  if (!opt.vcd_path.empty() || !opt.vcd_from.empty() || !opt.vcd_to.empty()) refuse("--vcd/--vcd-from/--vcd-to");
  if (!opt.energy && !opt.trace_path.empty())
    throw ConfigError("--trace needs the energy model (its tracks are regions, tokens and power): drop --no-energy");

  std::vector<InputFile> inputs = {{"config", opt.config_path, std::nullopt}};
  std::set<std::string> seen;
  for (const auto& m : sys.mcus) {
    if (seen.insert(m.config).second) inputs.push_back({"config", m.config, std::nullopt});
    if (seen.insert(m.elf).second) inputs.push_back({"elf", m.elf, std::nullopt});
    for (const auto& b : m.soc.blobs)
      if (seen.insert(fmt::format("{}@{}", b.file, b.addr)).second) inputs.push_back({"load", b.file, b.addr});
  }
  for (const auto& l : sys.links)
    if (seen.insert(l.model_file).second) inputs.push_back({"config", l.model_file, std::nullopt});
  for (const auto& b : loads) inputs.push_back({"load", b.file, b.addr});

  std::vector<Node> nodes(sys.mcus.size());
  size_t ended = 0;
  bool stopping = false;   // sc_stop() called (once)
  bool timed_out = false;  // --timeout reached: every running MCU stopped with status time_limit
  for (size_t i = 0; i < sys.mcus.size(); ++i) {
    SystemMcuSpec& m = sys.mcus[i];
    Node& n = nodes[i];
    for (const auto& b : loads) m.soc.blobs.push_back(b);
    n.elf = load_elf(m.elf);
    n.buf = std::make_unique<PrefixBuf>(out, m.name + "| ");
    n.out = std::make_unique<std::ostream>(n.buf.get());
    m.soc.core.cpu.profile = opt.profile;
    n.soc = std::make_unique<Soc>(m.name.c_str(), m.soc, *n.out);
    Soc& soc = *n.soc;
    soc.load(n.elf);
    soc.load_blobs(n.elf);
    if (opt.max_cycles)
      for (uint32_t h = 0; h < soc.harts(); ++h) soc.core(h).set_max_cycles(opt.max_cycles);
    soc.core().semihosting().set_cmdline(m.args);
    soc.core().semihosting().set_note_stream(&err);
    if (const std::string e = soc.core().semihosting().set_sandbox({opt.semihost_root, opt.semihost_write}); !e.empty())
      throw ConfigError("--semihost-root " + opt.semihost_root + ": " + e);
    n.model = std::make_unique<EnergyModel>(m.soc.tech, m.soc.power, m.soc.core.cpu.fetch_line_bytes,
                                            m.soc.core.cpu.fetch_lines);
    Soc* sp = &soc;
    n.stats = std::make_unique<Stats>(
        *n.model, [sp] { return sp->sample_counters(); },
        [sp](uint32_t id) {
          if (!sp->simctrl()) return std::string();
          auto it = sp->simctrl()->names().find(id);
          return it == sp->simctrl()->names().end() ? std::string() : it->second;
        });
    Stats* st = n.stats.get();
    const sc_core::sc_time period = soc.core().cycle_time();
    // --no-energy: no marks, so no regions, tokens or energy (as for one SoC).
    if (opt.energy) soc.set_mark_listener([st, period](const models::SimCtrl::Event& e) {
      using K = models::SimCtrl::EventKind;
      const uint64_t cycle = static_cast<uint64_t>(std::llround(e.time / period));
      switch (e.kind) {
        case K::RegionBegin: st->mark(MarkKind::RegionBegin, e.value, cycle); break;
        case K::RegionEnd: st->mark(MarkKind::RegionEnd, e.value, cycle); break;
        case K::Token: st->mark(MarkKind::Token, e.value, cycle); break;
        case K::WorkMacs: st->mark(MarkKind::WorkMacs, e.value, cycle); break;
        case K::TokenCount: st->mark(MarkKind::TokenCount, e.value, cycle); break;
        default: break;
      }
    });
    const bool is_main = i == sys.main, end_all = sys.end_all;
    const size_t total = sys.mcus.size();
    soc.core().on_end = [&n, &ended, &stopping, is_main, end_all, total] {
      n.ended = true;
      ++ended;
      if (!stopping && ((!end_all && is_main) || ended == total)) {
        stopping = true;
        sc_core::sc_stop();
      }
    };
  }
  // At each core's quantum boundaries: power samples for --trace, the wall-clock limit (--timeout: every
  // MCU still running ends with status time_limit), and a progress line on a terminal (the main MCU's).
  const auto t0 = std::chrono::steady_clock::now();
  const bool timed = opt.timeout_s > 0;
  const bool sample_power = opt.energy && !opt.trace_path.empty();
  const bool show_progress = opt.progress && isatty(fileno(stderr));
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(timed ? opt.timeout_s : 0.0));
  auto last_progress = std::make_shared<std::chrono::steady_clock::time_point>(t0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].stats->set_power_samples(sample_power);
    if (!sample_power && !timed && !(show_progress && i == sys.main)) continue;
    Stats* st = nodes[i].stats.get();
    const bool progress = show_progress && i == sys.main;
    const double freq = sys.mcus[i].soc.freq_hz;
    nodes[i].soc->core().on_quantum = [&nodes, &stopping, &timed_out, &err, &opt, st, progress, freq, sample_power,
                                       timed, deadline, t0, last_progress](uint64_t cycle) {
      if (sample_power) st->tick(cycle);
      if (timed && !timed_out && std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        const std::string msg = fmt::format("wall-clock limit of {} s reached (--timeout)", opt.timeout_s);
        for (auto& other : nodes)
          if (!other.ended) other.soc->core().stop(models::EndReason::TimeLimit, msg);
        if (!stopping) {
          stopping = true;
          sc_core::sc_stop();
        }
      }
      if (!progress) return;
      const auto now = std::chrono::steady_clock::now();
      if (now - *last_progress < std::chrono::milliseconds(500)) return;
      *last_progress = now;
      err << fmt::format("\r[mcucim] system: simulated {:.4f} s | tokens {}   ", cycle / freq, st->tokens().size())
          << std::flush;
    };
  }
  std::vector<std::unique_ptr<models::Link>> links;
  for (const auto& l : sys.links) {
    models::LinkEndpoint* ep[2] = {nullptr, nullptr};
    for (int k = 0; k < 2; ++k) {
      Soc& soc = *nodes[l.mcu_index[k]].soc;
      const auto devs = soc.devices();
      for (size_t j = 0; j < devs.size(); ++j)
        if (soc.spec().devices[j].name == l.dev[k]) ep[k] = dynamic_cast<models::LinkEndpoint*>(devs[j]);
    }
    links.push_back(std::make_unique<models::Link>(l.name, l.params, ep[0], ep[1]));
  }

  Watchdog watchdog(timed ? opt.timeout_s : 0.0, err);
  sc_core::sc_start();
  watchdog.disarm();
  if (show_progress) err << "\r" << std::string(60, ' ') << "\r" << std::flush;
  const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& n : nodes) n.buf->finish();
  out.flush();
  const double sim_s = sc_core::sc_time_stamp().to_seconds();
  const bool main_ended = nodes[sys.main].ended;

  // Per MCU: its summary, energy and statistics (as a one-SoC run reports them).
  json mcus = json::array();
  int code = 0;
  bool fault = false, deadlock = false, limit = false, time_limit = false, stall = false;
  if (timed_out)
    err << fmt::format("mcucim: wall-clock limit of {} s reached (--timeout) at simulated time {}: every MCU still "
                       "running stopped (status time_limit)\n", opt.timeout_s, si(sim_s, "s"));
  double total_j = 0, link_j = 0, listen_j = 0, token_j = 0, dynamic_j = 0, leakage_j = 0;
  uint64_t main_positions = 0;
  uint64_t instret_all = 0;
  std::string table = fmt::format("\n--- mcucim system ({}): {} MCUs, {} links ---\n", sys.name, sys.mcus.size(), sys.links.size());
  table += fmt::format("{:<10} {:<14} {:>13} {:>12} {:>10} {:>13} {:>13} {:>13} {:>7} {:>13}\n", "mcu", "status",
                       "cycles", "time", "MHz", "energy", "link energy", "listening", "tokens", "uJ/token");
  for (size_t i = 0; i < nodes.size(); ++i) {
    Node& n = nodes[i];
    const SystemMcuSpec& m = sys.mcus[i];
    const models::Core& core = n.soc->core();
    const Outcome oc = outcome(core, main_ended && !sys.end_all);
    if (oc.status == "time_limit") time_limit = true;
    if (oc.status == "fault") {
      fault = true;
      if (!core.cpu().fatal().reason.empty()) err << "[" << m.name << "] " << trap_report(core, n.elf);
      else err << "[" << m.name << "] mcucim: FATAL: " << core.end_message() << "\n";
    }
    if (oc.status == "deadlock") {
      deadlock = true;
      err << fmt::format("[{}] mcucim: deadlock: {} at pc 0x{:08x}\n", m.name,
                         core.end_reason() == models::EndReason::Running
                             ? "waiting in wfi for a link message that no MCU will send (all other MCUs ended or wait too)"
                             : core.end_message(),
                         core.cpu().pc());
    }
    if (oc.status == "cycle_limit") limit = true;
    if (oc.status == "stall") {
      stall = true;
      err << fmt::format("[{}] mcucim: {} at pc 0x{:08x}\n", m.name, core.end_message(), core.cpu().pc());
    }
    if (i == sys.main) code = oc.code;
    else if (code == 0 && oc.code != 0 && oc.status == "exit") code = oc.code;
    RunSummary sum;
    sum.soc_name = m.name;
    sum.status = oc.status;
    sum.exit_code = oc.code;
    sum.cycles = core.cpu().cycle();
    sum.instret = 0;
    for (uint32_t h = 0; h < n.soc->harts(); ++h) sum.instret += n.soc->core(h).cpu().instret();
    sum.time_s = sum.cycles / m.soc.freq_hz;
    sum.host_s = host_s;
    sum.mips = 0;
    sum.config = m.config_json;
    instret_all += sum.instret;
    // Receivers still armed at the end listened until then (models/link.h): until this MCU's own end if
    // it ended (exit, fault, limits), else until the run's end (stopped when the system ended).
    uint64_t listen_ps = 0;
    const sc_core::sc_time listen_end = n.ended ? sc_core::sc_time(sum.time_s, sc_core::SC_SEC) : sc_core::sc_time_stamp();
    for (models::Device* d : n.soc->devices())
      if (auto* ep = dynamic_cast<models::LinkEndpoint*>(d)) {
        ep->finish(listen_end);
        listen_ps += ep->listen_ps;
      }
    const double listen_s = listen_ps * 1e-12;
    if (!opt.energy) {
      // --no-energy: the basic counts only (as a one-SoC run's report without the energy model).
      table += fmt::format("{:<10} {:<14} {:>13} {:>12} {:>10.1f} {:>13} {:>13} {:>13} {:>7} {:>13}\n", m.name,
                           oc.status == "exit" ? fmt::format("exit ({})", core.exit_code()) : oc.status, sum.cycles,
                           si(sum.time_s, "s"), m.soc.freq_hz / 1e6, "-", "-", "-", "-", "-");
      mcus.push_back({{"name", m.name},
                      {"config_file", m.config},
                      {"elf", m.elf},
                      {"args", m.args},
                      {"main", i == sys.main},
                      {"decode_tokens", nullptr},
                      {"decode_tokens_per_s", nullptr},
                      {"decode_energy_per_token_j", nullptr},
                      {"link_energy_j", nullptr},
                      {"link_listen_energy_j", nullptr},
                      {"link_listen_s", listen_s},
                      {"report", {{"config", sum.config}, {"status", sum.status}, {"exit_code", sum.exit_code},
                                  {"cycles", sum.cycles}, {"instret", sum.instret}, {"time_s", sum.time_s},
                                  {"energy_j", nullptr}, {"sim", {{"host_s", host_s}, {"mips", 0.0}}}}}});
      continue;
    }
    sum.counters = n.soc->sample_counters();
    sum.counters.cycles = sum.cycles;
    n.stats->finish(sum.counters);
    sum.energy = n.model->compute(sum.counters);
    n.summary = sum;
    double lj = 0, lsj = 0;  // link energy (listening included), listening
    for (const auto& p : sum.energy.parts)
      for (const auto& [name, j] : p.parts_j) {
        if (name == "link_tx" || name == "link_rx" || name == "link_listen") lj += j;
        if (name == "link_listen") lsj += j;
      }
    total_j += sum.energy.total_j();
    dynamic_j += sum.energy.dynamic_j();
    leakage_j += sum.energy.leakage_j();
    link_j += lj;
    listen_j += lsj;
    if (i == sys.main) main_positions = n.stats->tokens().size();
    // Decode tokens of this MCU: its mean energy per token (each MCU marks one token per position it
    // takes part in; the system's energy per token is the sum over MCUs).
    double dec_j = 0, dec_s = 0;
    size_t dec_n = 0;
    for (const auto& k : n.stats->tokens())
      if (k.phase == TokenPhase::Decode) {
        dec_j += k.energy_j;
        dec_s += (k.end_cycle - k.begin_cycle) / m.soc.freq_hz;
        dec_n++;
      }
    if (dec_n) token_j += dec_j / dec_n;
    table += fmt::format("{:<10} {:<14} {:>13} {:>12} {:>10.1f} {:>13} {:>13} {:>13} {:>7} {:>13}\n", m.name,
                         oc.status == "exit" ? fmt::format("exit ({})", core.exit_code()) : oc.status, sum.cycles,
                         si(sum.time_s, "s"), m.soc.freq_hz / 1e6, si(sum.energy.total_j(), "J"), si(lj, "J"),
                         si(lsj, "J"), dec_n, dec_n ? fmt::format("{:.3f}", dec_j / dec_n * 1e6) : "-");
    json r = report_json(sum, *n.stats);
    r.erase("provenance");  // one for the whole system (top level)
    mcus.push_back({{"name", m.name},
                    {"config_file", m.config},
                    {"elf", m.elf},
                    {"args", m.args},
                    {"main", i == sys.main},
                    {"decode_tokens", dec_n},
                    {"decode_tokens_per_s", dec_s > 0 ? dec_n / dec_s : 0.0},
                    {"decode_energy_per_token_j", dec_n ? dec_j / dec_n : 0.0},
                    {"link_energy_j", lj},
                    {"link_listen_energy_j", lsj},
                    {"link_listen_s", listen_s},
                    {"report", r}});
  }
  // The most telling code: a fault; the main MCU's own error; a deadlock; the cycle limit; else the
  // main MCU's code (0) or the first other MCU's non-zero exit code.
  const bool main_error = nodes[sys.main].soc->core().end_reason() == models::EndReason::Exit && code != 0;
  if (fault) code = kExitFault;
  else if (stall) code = kExitStall;
  else if (main_error) {}
  else if (time_limit) code = kExitTimeLimit;
  else if (deadlock) code = kExitDeadlock;
  else if (limit) code = kExitCycleLimit;

  json jl = json::array();
  table += fmt::format("\n{:<28} {:<5} {:>9} {:>11} {:>12} {:>8} {:>13}\n", "link", "kind", "messages", "bytes", "busy",
                       "busy %", "energy");
  for (size_t i = 0; i < links.size(); ++i) {
    const models::Link& l = *links[i];
    const double busy_s = l.channel().busy_ps * 1e-12;
    const double le = (l.end(0)->listen_pj + l.end(1)->listen_pj) * 1e-12;
    const double ls = (l.end(0)->listen_ps + l.end(1)->listen_ps) * 1e-12;
    const double e = (l.end(0)->tx_pj + l.end(0)->rx_pj + l.end(1)->tx_pj + l.end(1)->rx_pj) * 1e-12 + le;
    table += fmt::format("{:<28} {:<5} {:>9} {:>11} {:>12} {:>7.2f}% {:>13}\n", l.name(),
                         models::link_kind_name(l.params().kind), l.messages, l.bytes, si(busy_s, "s"),
                         sim_s > 0 ? 100 * busy_s / sim_s : 0.0, opt.energy ? si(e, "J") : "-");
    json params = {{"kind", models::link_kind_name(l.params().kind)}, {"max_message", l.params().max_message}};
    if (l.params().kind != models::LinkKind::Lora)
      params.update({{"io_v", l.params().io_v},
                     {"capacitance_pf", models::line_capacitance_pf(l.params())},
                     {"pj_per_bit", models::pj_per_wire_bit(l.params())}});
    if (l.params().kind == models::LinkKind::Uart)
      params.update({{"baud", l.params().baud}, {"bits_per_byte", models::wire_bits(l.params(), 1)}});
    else if (l.params().kind == models::LinkKind::Spi)
      params.update({{"clock_hz", l.params().clock_hz}});
    else {
      const auto& lo = l.params().lora;
      params.update({{"sf", lo.sf}, {"bw_hz", lo.bw_hz}, {"cr", lo.cr}, {"preamble", lo.preamble},
                     {"ldro", models::lora_ldro(lo)}, {"symbol_s", models::lora_symbol_s(lo)},
                     {"time_on_air_max_payload_s", models::lora_time_on_air_s(lo, l.params().max_message)},
                     {"duty_cycle", lo.duty_cycle}, {"tx_current_a", lo.tx_current_a},
                     {"rx_current_a", lo.rx_current_a}, {"supply_v", lo.supply_v}, {"listen", lo.listen}});
    }
    jl.push_back({{"name", l.name()},
                  {"a", sys.links[i].mcu[0] + "." + sys.links[i].dev[0]},
                  {"b", sys.links[i].mcu[1] + "." + sys.links[i].dev[1]},
                  {"model", sys.links[i].model},
                  {"params", params},
                  {"messages", l.messages},
                  {"bytes", l.bytes},
                  {"busy_s", busy_s},
                  {"utilization", sim_s > 0 ? busy_s / sim_s : 0.0},
                  {"energy_j", e},
                  {"listen_j", le},
                  {"listen_s", ls}});
  }
  uint64_t link_bytes = 0;
  for (const auto& l : links) link_bytes += l->bytes;
  const double bytes_per_position = main_positions ? double(link_bytes) / main_positions : 0.0;
  const size_t main_decode = opt.energy ? mcus[sys.main]["decode_tokens"].get<size_t>() : 0;
  const double tps = main_decode ? mcus[sys.main]["decode_tokens_per_s"].get<double>() : 0.0;
  table += fmt::format("\nsystem         {} MCUs, status {}, simulated time {} ({} instructions), host time {:.3f} s\n",
                       sys.mcus.size(), code == 0 ? "ok" : fmt::format("exit {}", code), si(sim_s, "s"), instret_all,
                       host_s);
  if (opt.energy)
    table += fmt::format("energy         {} (compute {}, links {} of which listening {})\n", si(total_j, "J"),
                         si(total_j - link_j, "J"), si(link_j, "J"), si(listen_j, "J"));
  else
    table += "energy         - (--no-energy)\n";
  if (main_decode)
    table += fmt::format("decode         {:.2f} tokens/s ({}), {:.3f} uJ/token (sum over MCUs of each one's mean)\n", tps,
                         sys.mcus[sys.main].name, token_j * 1e6);
  if (!sys.links.empty() && main_positions)
    table += fmt::format("links          {:.1f} bytes per position on all links ({} bytes, {} positions)\n",
                         bytes_per_position, link_bytes, main_positions);
  if (!opt.quiet) err << table;

  // --profile: each MCU's flat profile (energy estimated per instruction class, as for one SoC).
  if (opt.profile) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      Node& n = nodes[i];
      EnergyEstimator estimator;
      if (opt.energy) {
        const TechTable& t = n.model->tech();
        const double scale = n.model->dyn_scale() * 1e-12;
        estimator = [&t, scale](isa::TClass c, uint64_t k, uint64_t cyc) {
          return (t.insn_pj[static_cast<size_t>(c)] * k + t.clock_pj_per_cycle * cyc) * scale;
        };
      }
      err << fmt::format("\n--- profile of {} ---\n", sys.mcus[i].name)
          << format_profile(flat_profile(n.soc->core().cpu(), n.elf, estimator), n.soc->core().cpu().cycle());
    }
  }

  // --trace: one Chrome/Perfetto timeline, one process per MCU (pid = its index + 1), each with its
  // regions, tokens and power tracks as for one SoC; times are every MCU's own simulated time (all start at 0).
  if (!opt.trace_path.empty()) {
    json events = json::array();
    for (size_t i = 0; i < nodes.size(); ++i) {
      json t = trace_json(nodes[i].summary, *nodes[i].stats);
      for (auto& e : t["traceEvents"]) {
        e["pid"] = static_cast<int>(i + 1);
        events.push_back(std::move(e));
      }
    }
    std::ofstream f(opt.trace_path);
    if (!f) throw ConfigError(fmt::format("--trace {}: cannot open for writing", opt.trace_path));
    f << json{{"traceEvents", events}, {"displayTimeUnit", "ns"}, {"otherData", {{"system", sys.name}}}}.dump() << "\n";
  }

  if (!opt.report_path.empty()) {
    const json& mr = mcus[sys.main]["report"];
    // The fields a one-SoC report has at its top level (docs/REPORT.md), for the system as a whole, so
    // sweeps (sweep/results.cpp) tabulate system runs like any other: cycles and tokens of the main MCU,
    // energy summed over MCUs, split into compute and links. Schema: docs/report.schema.json ($defs.system).
    std::string status = "exit";
    for (const auto& m : mcus) {
      const std::string st = m["report"]["status"].get<std::string>();
      if (st != "exit" && st != "stopped") status = st;
    }
    json energy = nullptr, power = nullptr, tokens = nullptr, sys_energy = nullptr, decode = nullptr;
    if (opt.energy) {
      auto component = [total_j](const char* name, const char* kind, double dyn, double leak) {
        return json{{"name", name}, {"kind", kind}, {"dynamic_j", dyn}, {"leakage_j", leak},
                    {"total_j", dyn + leak}, {"share", total_j > 0 ? (dyn + leak) / total_j : 0.0}};
      };
      energy = {{"total", total_j},
                {"dynamic", dynamic_j},
                {"leakage", leakage_j},
                {"by_component", {{"compute", total_j - link_j}, {"links", link_j}}},
                {"components", json::array({component("compute", "compute", dynamic_j - link_j, leakage_j),
                                            component("links", "link", link_j, 0.0)})}};
      power = {{"average", sim_s > 0 ? total_j / sim_s : 0.0}};
      tokens = {{"count", main_decode},
                {"tokens_per_s", tps},
                {"latency_s", {{"mean", tps > 0 ? 1.0 / tps : 0.0}}},
                {"energy_j_per_token", {{"mean", token_j}}}};
      sys_energy = {{"total", total_j}, {"links", link_j}, {"compute", total_j - link_j}, {"listen", listen_j}};
      decode = {{"tokens_per_s", tps}, {"energy_per_token_j", token_j}};
    } else {
      for (auto& l : jl) l["energy_j"] = l["listen_j"] = nullptr;
    }
    json j = {{"status", status},
              {"exit_code", code},
              {"cycles", mr["cycles"]},
              {"instret", instret_all},
              {"time_s", sim_s},
              {"energy_j", energy},
              {"power_w", power},
              {"tokens", tokens},
              {"sim", {{"host_s", host_s}}},
              {"system", {{"name", sys.name},
                          {"main", sys.mcus[sys.main].name},
                          {"end", sys.end_all ? "all" : "main"},
                          {"exit_code", code},
                          {"time_s", sim_s},
                          {"host_s", host_s},
                          {"instret", instret_all},
                          {"energy_j", sys_energy},
                          {"decode", decode},
                          {"link_bytes", link_bytes},
                          {"link_bytes_per_position", bytes_per_position},
                          {"config", cfg.to_json()}}},
              {"mcus", mcus},
              {"links", jl},
              {"provenance", provenance_json(opt.argv, inputs)}};
    std::ofstream f(opt.report_path);
    if (!f) throw ConfigError(fmt::format("--report {}: cannot open for writing", opt.report_path));
    f << j.dump(2) << "\n";
  }
  return code;
}

}  // namespace mcucim::sim

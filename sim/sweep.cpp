// Design-space sweeps: spec parsing and validation, point expansion, the local runner (child
// processes, resumable), result collection and the `mcucim sweep` / `mcucim plot` commands.
#include "sim/sweep.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "sim/soc.h"

namespace mcucim::sim {

namespace fs = std::filesystem;
using nlohmann::json;

// ------------------------------------------------------------------------------------------------
// Small helpers.
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Parse a number the way config files do (1e6, 0x2000_0000, 512KiB, 0.8); cached.
bool to_number(const std::string& text, double& out) {
  static std::map<std::string, std::pair<bool, double>> cache;
  auto it = cache.find(text);
  if (it == cache.end()) {
    std::pair<bool, double> r{false, 0.0};
    if (!text.empty() && text.find_first_of("\n\r") == std::string::npos) {
      try {
        Config c = Config::parse("{}", "number", {"v=" + text});
        r = {true, c.get<double>("v")};
      } catch (const ConfigError&) {
      }
    }
    it = cache.emplace(text, r).first;
  }
  out = it->second.second;
  return it->second.first;
}
bool to_integer(const std::string& text) {
  try {
    Config c = Config::parse("{}", "number", {"v=" + text});
    try {
      c.get<int64_t>("v");
    } catch (const ConfigError&) {
      c.get<uint64_t>("v");
    }
    return true;
  } catch (const ConfigError&) {
    return false;
  }
}
bool is_bool_text(const std::string& s) { return s == "true" || s == "false" || s == "True" || s == "False"; }

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Write a file atomically: a temporary beside it, then rename (a reader sees the old or the new file).
void write_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw ConfigError("cannot write " + tmp + ": " + std::strerror(errno));
    f << text;
    f.flush();
    if (!f) throw ConfigError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw ConfigError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
}

// A point file is valid when it is a complete JSON object with a status (a run killed while writing
// its report leaves an invalid file, which counts as not done).
bool read_point_file(const std::string& path, json& out) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;
  try {
    out = json::parse(slurp(path));
  } catch (const json::exception&) {
    return false;
  }
  return out.is_object() && out.contains("status") && out["status"].is_string();
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "mcucim";
  buf[n] = 0;
  return buf;
}

// First lines of a stderr capture, for the results table.
std::string first_lines(const std::string& text, size_t max_lines = 3, size_t max_chars = 400) {
  std::istringstream in(text);
  std::string line, out;
  size_t n = 0;
  while (n < max_lines && std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t b = line.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    out += (out.empty() ? "" : " | ") + line.substr(b);
    ++n;
  }
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

std::string fmt_duration(double s) {
  if (s < 0) s = 0;
  const long t = std::lround(s);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Constraint expressions.
struct SweepConstraint::Expr {
  enum class Kind { Num, Str, Name, Unary, Binary } kind = Kind::Num;
  std::string op;    // Unary/Binary
  double num = 0;    // Num
  std::string text;  // Str / Name (the dotted path)
  std::shared_ptr<const Expr> a, b;
};

namespace {

using ExprPtr = std::shared_ptr<const SweepConstraint::Expr>;
using Expr = SweepConstraint::Expr;

struct Tok {
  enum Kind { Num, Str, Name, Op, End } kind;
  std::string text;
  double num = 0;
};

class ExprParser {
 public:
  ExprParser(const std::string& text, std::string where) : s_(text), where_(std::move(where)) { lex(); }
  ExprPtr parse() {
    ExprPtr e = parse_or();
    if (toks_[pos_].kind != Tok::End) fail("unexpected '" + toks_[pos_].text + "'");
    return e;
  }
  std::vector<std::string> names;  // every dotted name used

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ConfigError(where_ + ": constraint \"" + s_ + "\": " + what +
                      " (expected an expression such as \"soc.cim.rows * soc.cim.cols > 65536\")");
  }
  void lex() {
    size_t i = 0;
    while (i < s_.size()) {
      const char c = s_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && i + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i + 1])))) {
        size_t j = i;
        const bool hex = s_.compare(i, 2, "0x") == 0 || s_.compare(i, 2, "0X") == 0;
        while (j < s_.size()) {
          const char d = s_[j];
          if (std::isalnum(static_cast<unsigned char>(d)) || d == '_' || d == '.') ++j;
          else if ((d == '+' || d == '-') && !hex && j > i && (s_[j - 1] == 'e' || s_[j - 1] == 'E')) ++j;
          else break;
        }
        Tok t{Tok::Num, s_.substr(i, j - i)};
        if (!to_number(t.text, t.num)) fail("'" + t.text + "' is not a number");
        toks_.push_back(t);
        i = j;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_' || s_[j] == '.')) ++j;
        std::string w = s_.substr(i, j - i);
        if (w == "and") toks_.push_back({Tok::Op, "&&"});
        else if (w == "or") toks_.push_back({Tok::Op, "||"});
        else if (w == "not") toks_.push_back({Tok::Op, "!"});
        else if (w == "true") toks_.push_back({Tok::Num, w, 1.0});
        else if (w == "false") toks_.push_back({Tok::Num, w, 0.0});
        else toks_.push_back({Tok::Name, w});
        i = j;
      } else if (c == '\'' || c == '"') {
        size_t j = s_.find(c, i + 1);
        if (j == std::string::npos) fail("unterminated string");
        toks_.push_back({Tok::Str, s_.substr(i + 1, j - i - 1)});
        i = j + 1;
      } else {
        static const char* two[] = {"<=", ">=", "==", "!=", "&&", "||"};
        bool done = false;
        for (const char* op : two)
          if (s_.compare(i, 2, op) == 0) {
            toks_.push_back({Tok::Op, op});
            i += 2;
            done = true;
            break;
          }
        if (done) continue;
        if (std::string("+-*/%<>!()").find(c) == std::string::npos) fail(std::string("unexpected character '") + c + "'");
        toks_.push_back({Tok::Op, std::string(1, c)});
        ++i;
      }
    }
    toks_.push_back({Tok::End, "end of expression"});
  }
  bool accept(const char* op) {
    if (toks_[pos_].kind == Tok::Op && toks_[pos_].text == op) {
      ++pos_;
      return true;
    }
    return false;
  }
  static ExprPtr bin(const std::string& op, ExprPtr a, ExprPtr b) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::Binary;
    e->op = op;
    e->a = std::move(a);
    e->b = std::move(b);
    return e;
  }
  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (accept("||")) e = bin("||", e, parse_and());
    return e;
  }
  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (accept("&&")) e = bin("&&", e, parse_not());
    return e;
  }
  ExprPtr parse_not() {
    if (accept("!")) {
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::Unary;
      e->op = "!";
      e->a = parse_not();
      return e;
    }
    return parse_cmp();
  }
  ExprPtr parse_cmp() {
    ExprPtr e = parse_add();
    for (const char* op : {"<=", ">=", "==", "!=", "<", ">"})
      if (accept(op)) return bin(op, e, parse_add());
    return e;
  }
  ExprPtr parse_add() {
    ExprPtr e = parse_mul();
    while (true) {
      if (accept("+")) e = bin("+", e, parse_mul());
      else if (accept("-")) e = bin("-", e, parse_mul());
      else return e;
    }
  }
  ExprPtr parse_mul() {
    ExprPtr e = parse_unary();
    while (true) {
      if (accept("*")) e = bin("*", e, parse_unary());
      else if (accept("/")) e = bin("/", e, parse_unary());
      else if (accept("%")) e = bin("%", e, parse_unary());
      else return e;
    }
  }
  ExprPtr parse_unary() {
    if (accept("-")) {
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::Unary;
      e->op = "-";
      e->a = parse_unary();
      return e;
    }
    return parse_primary();
  }
  ExprPtr parse_primary() {
    const Tok t = toks_[pos_];
    auto e = std::make_shared<Expr>();
    switch (t.kind) {
      case Tok::Num:
        ++pos_;
        e->kind = Expr::Kind::Num;
        e->num = t.num;
        return e;
      case Tok::Str:
        ++pos_;
        e->kind = Expr::Kind::Str;
        e->text = t.text;
        return e;
      case Tok::Name:
        ++pos_;
        e->kind = Expr::Kind::Name;
        e->text = t.text;
        names.push_back(t.text);
        return e;
      case Tok::Op:
        if (accept("(")) {
          ExprPtr inner = parse_or();
          if (!accept(")")) fail("missing ')'");
          return inner;
        }
        fail("unexpected '" + t.text + "'");
      case Tok::End:
        fail("expression ends too early");
    }
    fail("unexpected token");
  }

  std::string s_, where_;
  std::vector<Tok> toks_;
  size_t pos_ = 0;
};

struct Value {
  bool is_num = true;
  double num = 0;
  std::string str;
};

Value value_of_text(const std::string& text) {
  Value v;
  if (text == "true" || text == "True") v.num = 1;
  else if (text == "false" || text == "False") v.num = 0;
  else if (!to_number(text, v.num)) {
    v.is_num = false;
    v.str = text;
  }
  return v;
}

std::string value_text(const Value& v) { return v.is_num ? fmt::format("{}", v.num) : v.str; }

Value eval(const Expr& e, const SweepPoint& p, const Config& base, const SweepConstraint& c) {
  switch (e.kind) {
    case Expr::Kind::Num: return Value{true, e.num, ""};
    case Expr::Kind::Str: return Value{false, 0, e.text};
    case Expr::Kind::Name: {
      for (const auto& kv : p.values)
        if (kv.first == e.text) return value_of_text(kv.second);
      if (base.has(e.text) && !base.is_map(e.text) && !base.is_list(e.text))
        return value_of_text(base.get<std::string>(e.text));
      throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": '" + e.text +
                        "' is neither an axis of the sweep nor a value of the base config");
    }
    case Expr::Kind::Unary: {
      Value a = eval(*e.a, p, base, c);
      if (e.op == "!") return Value{true, (a.is_num ? a.num == 0 : a.str.empty()) ? 1.0 : 0.0, ""};
      if (!a.is_num)
        throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": cannot negate the string '" + a.str + "'");
      return Value{true, -a.num, ""};
    }
    case Expr::Kind::Binary: {
      if (e.op == "&&" || e.op == "||") {
        auto truth = [](const Value& v) { return v.is_num ? v.num != 0 : !v.str.empty(); };
        const bool a = truth(eval(*e.a, p, base, c));
        if (e.op == "&&" && !a) return Value{true, 0, ""};
        if (e.op == "||" && a) return Value{true, 1, ""};
        return Value{true, truth(eval(*e.b, p, base, c)) ? 1.0 : 0.0, ""};
      }
      Value a = eval(*e.a, p, base, c), b = eval(*e.b, p, base, c);
      const bool cmp = e.op == "<" || e.op == "<=" || e.op == ">" || e.op == ">=" || e.op == "==" || e.op == "!=";
      if (cmp) {
        int r;
        if (a.is_num && b.is_num) r = a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
        else {
          const std::string x = value_text(a), y = value_text(b);
          r = x < y ? -1 : x > y ? 1 : 0;
        }
        bool t = e.op == "<" ? r < 0 : e.op == "<=" ? r <= 0 : e.op == ">" ? r > 0 : e.op == ">=" ? r >= 0
                 : e.op == "==" ? r == 0 : r != 0;
        return Value{true, t ? 1.0 : 0.0, ""};
      }
      if (!a.is_num || !b.is_num)
        throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": arithmetic '" + e.op +
                          "' on a non-number ('" + value_text(a.is_num ? b : a) + "')");
      if (e.op == "+") return Value{true, a.num + b.num, ""};
      if (e.op == "-") return Value{true, a.num - b.num, ""};
      if (e.op == "*") return Value{true, a.num * b.num, ""};
      if (e.op == "/") return Value{true, a.num / b.num, ""};
      return Value{true, std::fmod(a.num, b.num), ""};
    }
  }
  return Value{};
}

}  // namespace

bool sweep_constraint_true(const SweepConstraint& c, const SweepPoint& p, const Config& base) {
  Value v = eval(*c.expr, p, base, c);
  return v.is_num ? v.num != 0 : !v.str.empty();
}

// ------------------------------------------------------------------------------------------------
// Spec loading.
std::string sweep_point_id(std::vector<std::string> overrides) {
  std::sort(overrides.begin(), overrides.end());
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (const auto& o : overrides) {
    for (unsigned char c : o + "\n") {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  }
  // Finalizer (MurmurHash3 fmix64) so ids differing in one character differ everywhere.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return fmt::format("{:016x}", h);
}

namespace {

std::string firmware_dir_default() {
  if (const char* e = std::getenv("MCUCIM_FIRMWARE_DIR")) return e;
  return (fs::path(self_exe()).parent_path() / "firmware").string();
}

// The text a spec value gives to --set: scalars as written, lists and maps as JSON flow (valid YAML).
std::string value_text_at(const Config& sc, const std::string& path, const std::string& axis) {
  if (sc.is_map(path) || sc.is_list(path)) {
    sc.mark_used(path);
    return sc.sub(path).to_json().dump();
  }
  if (!sc.has(path)) sc.fail(path, "axis '" + axis + "': empty value");
  return sc.get<std::string>(path);
}

// Values of a range {from, to, step}: integers when all three are integers, else rounded to 12
// significant digits so 0.6 + 3 x 0.1 is written 0.9.
std::vector<std::string> range_values(const Config& sc, const std::string& rp, const std::string& axis) {
  for (const char* k : {"from", "to", "step"})
    if (!sc.has(rp + "." + k))
      sc.fail(rp, "axis '" + axis + "': a range needs from, to and step (missing '" + k + "')");
  const std::string tf = sc.get<std::string>(rp + ".from"), tt = sc.get<std::string>(rp + ".to"),
                    ts = sc.get<std::string>(rp + ".step");
  double from, to, step;
  if (!to_number(tf, from)) sc.fail(rp + ".from", "axis '" + axis + "': expected a number, found '" + tf + "'");
  if (!to_number(tt, to)) sc.fail(rp + ".to", "axis '" + axis + "': expected a number, found '" + tt + "'");
  if (!to_number(ts, step) || step <= 0)
    sc.fail(rp + ".step", "axis '" + axis + "': expected a positive number, found '" + ts + "'");
  std::vector<std::string> out;
  const bool ints = std::floor(from) == from && std::floor(to) == to && std::floor(step) == step &&
                    std::fabs(from) < 9e15 && std::fabs(to) < 9e15;
  const double n = std::floor((to - from) / step + 1e-9);
  if (n > 100000) sc.fail(rp, "axis '" + axis + "': the range has more than 100000 values");
  for (long i = 0; i <= static_cast<long>(n); ++i) {
    const double v = from + i * step;
    out.push_back(ints ? fmt::format("{}", static_cast<long long>(v)) : fmt::format("{:.12g}", v));
  }
  return out;
}

// What a base config value is, to check axis values against it.
enum class VType { Bool, Int, Number, String, List, Map, Unknown };
VType base_type(const Config& base, const std::string& path) {
  if (!base.has(path)) return VType::Unknown;
  if (base.is_map(path)) return VType::Map;
  if (base.is_list(path)) return VType::List;
  const std::string t = base.get<std::string>(path);
  if (is_bool_text(t)) return VType::Bool;
  double d;
  const bool hex = t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
  if (!hex && t.find_first_of(".eE") != std::string::npos && to_number(t, d)) return VType::Number;
  if (to_integer(t)) return VType::Int;
  if (to_number(t, d)) return VType::Number;
  return VType::String;
}
const char* vtype_name(VType t) {
  switch (t) {
    case VType::Bool: return "a boolean (true or false)";
    case VType::Int: return "an integer";
    case VType::Number: return "a number";
    case VType::String: return "a string";
    case VType::List: return "a list";
    case VType::Map: return "a map";
    default: return "a value";
  }
}
bool value_fits(VType t, const std::string& text) {
  const bool structured = !text.empty() && (text[0] == '[' || text[0] == '{');
  double d;
  switch (t) {
    case VType::Bool: return is_bool_text(text);
    case VType::Int: return !structured && to_integer(text);
    case VType::Number: return !structured && to_number(text, d);
    case VType::String: return !structured;
    case VType::List: return !text.empty() && text[0] == '[';
    case VType::Map: return !text.empty() && text[0] == '{';
    default: return true;
  }
}

// The base config's paths matching `path`, whose segments after the first may hold * and ? (fnmatch):
// "soc.devices.cim*.adc.bits" -> soc.devices.cim0.adc.bits, soc.devices.cim1.adc.bits, ... (segments
// after the last pattern need not exist in the base: they may be keys read with a default).
bool is_path_pattern(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }
std::vector<std::string> expand_path_pattern(const Config& base, const std::string& path) {
  std::vector<std::string> parts, frontier;
  std::stringstream ss(path);
  for (std::string x; std::getline(ss, x, '.');) parts.push_back(x);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    std::vector<std::string> next;
    if (i == 0) {
      if (is_path_pattern(part)) return {};
      next.push_back(part);
    } else {
      for (const auto& pre : frontier) {
        if (!is_path_pattern(part)) {
          next.push_back(pre + "." + part);
        } else if (base.is_map(pre)) {
          for (const auto& k : base.keys(pre))
            if (fnmatch(part.c_str(), k.c_str(), 0) == 0) next.push_back(pre + "." + k);
        }
      }
    }
    frontier = std::move(next);
  }
  return frontier;
}

// Read the base config with `sets` the way `mcucim run` does; "" if fine, else the error.
std::string probe_config(const std::string& base, const std::vector<std::string>& sets) {
  try {
    Config c = Config::load(base, sets);
    read_soc_spec(c);
    c.check_all_used();
    return "";
  } catch (const ConfigError& e) {
    return e.what();
  }
}

std::string resolve_relative(const std::string& name, const fs::path& spec_dir) {
  fs::path p(name);
  if (p.is_absolute()) return p.string();
  if (fs::exists(spec_dir / p)) return fs::absolute(spec_dir / p).lexically_normal().string();
  if (fs::exists(p)) return fs::absolute(p).lexically_normal().string();
  return "";
}

}  // namespace

SweepSpec load_sweep_spec(const std::string& path, const SweepLoadOptions& opt) {
  if (!fs::exists(path)) throw ConfigError("sweep spec '" + path + "' does not exist");
  Config sc = Config::load(path);
  SweepSpec s;
  s.file = path;
  const fs::path spec_dir = fs::absolute(path).parent_path();

  // base: a path relative to the spec file (or the current directory), or a preset name in configs/.
  const std::string base_name = sc.get<std::string>("base");
  s.base_config = resolve_relative(base_name, spec_dir);
  if (s.base_config.empty() && base_name.find('/') == std::string::npos) {
    fs::path preset = fs::path(MCUCIM_SOURCE_DIR) / "configs" / (base_name + ".yaml");
    if (fs::exists(preset)) s.base_config = preset.string();
  }
  if (s.base_config.empty())
    sc.fail("base", "base config '" + base_name + "' not found (looked beside the spec, in the current directory "
                    "and for configs/" + base_name + ".yaml)");

  // prepare: a shell command run once, in the spec's folder, before anything else is checked (e.g. to
  // generate the data files the workload loads). {build} is the folder of the mcucim binary.
  if (sc.has("prepare") && opt.run_prepare) {
    std::string cmd = sc.get<std::string>("prepare");
    for (size_t at; (at = cmd.find("{build}")) != std::string::npos;)
      cmd.replace(at, 7, fs::path(self_exe()).parent_path().string());
    const std::string full = "cd '" + spec_dir.string() + "' && " + cmd + " 1>&2";
    const int st = std::system(full.c_str());
    if (st != 0)
      sc.fail("prepare", "the prepare command failed (exit status " + std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : -1) +
                             "): " + cmd);
  } else if (sc.has("prepare")) {
    sc.mark_used("prepare");
  }

  // workload
  if (!sc.has("workload.firmware")) sc.fail("workload", "expected workload.firmware: the ELF to run");
  const std::string fw = sc.get<std::string>("workload.firmware");
  const bool is_path = fw.find('/') != std::string::npos;
  if (is_path) {
    s.firmware = resolve_relative(fw, spec_dir);
  } else {
    const std::string dir = opt.firmware_dir.empty() ? firmware_dir_default() : opt.firmware_dir;
    const std::string file = fw.size() > 4 && fw.substr(fw.size() - 4) == ".elf" ? fw : fw + ".elf";
    if (fs::exists(fs::path(dir) / file)) s.firmware = fs::absolute(fs::path(dir) / file).string();
    else if (fs::exists(spec_dir / file)) s.firmware = (spec_dir / file).string();
    if (s.firmware.empty())
      sc.fail("workload.firmware", "firmware '" + fw + "' not found as " + (fs::path(dir) / file).string() +
                                       " (build it first, or give a path)");
  }
  if (s.firmware.empty()) sc.fail("workload.firmware", "firmware file '" + fw + "' does not exist");
  for (size_t i = 0, n = sc.list_size("workload.args"); i < n; ++i)
    s.args.push_back(sc.get<std::string>("workload.args." + std::to_string(i)));
  s.timeout_s = sc.get<double>("workload.timeout_s", 0.0);
  if (s.timeout_s < 0) sc.fail("workload.timeout_s", "expected a time in seconds >= 0 (0 = no limit)");
  for (size_t i = 0, n = sc.list_size("workload.metrics"); i < n; ++i)
    s.metrics.push_back(sc.get<std::string>("workload.metrics." + std::to_string(i)));
  // data files placed in memory for every point (`mcucim run --load FILE@ADDR`, in order: blob 0, 1, ...)
  for (size_t i = 0, n = sc.list_size("workload.loads"); i < n; ++i) {
    const std::string k = "workload.loads." + std::to_string(i);
    const std::string v = sc.get<std::string>(k);
    const auto at = v.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == v.size())
      sc.fail(k, "expected FILE@ADDRESS (FILE relative to the spec), e.g. ../../sweeps/models/model.tllm@0x20100000, found '" + v + "'");
    const bool templated = v.find('{') != std::string::npos;  // {param}: checked per point below
    const std::string file = templated ? (fs::path(v.substr(0, at)).is_absolute() ? fs::path(v.substr(0, at)) : spec_dir / v.substr(0, at)).lexically_normal().string()
                                       : resolve_relative(v.substr(0, at), spec_dir);
    if (file.empty())
      sc.fail(k, "file '" + v.substr(0, at) + "' not found beside the spec (" + spec_dir.string() +
                     ") or in the current directory (generate it first: see the comment at the top of the spec)");
    s.args.push_back("--load");
    s.args.push_back(file + "@" + v.substr(at + 1));
  }
  for (const auto& a : s.args)
    if (a == "--report" || a == "-c" || a == "--config" || a == "--elf" || a == "-e")
      sc.fail("workload.args", "'" + a + "' is set by the sweep itself; use base/workload.firmware/axes instead");

  // fixed overrides
  for (size_t i = 0, n = sc.list_size("set"); i < n; ++i) {
    const std::string k = "set." + std::to_string(i);
    const std::string v = sc.get<std::string>(k);
    if (v.find('=') == std::string::npos || v.find('=') == 0)
      sc.fail(k, "expected 'dotted.path=value', found '" + v + "'");
    s.sets.push_back(v);
  }
  if (opt.validate_paths && !s.sets.empty()) {
    const std::string e = probe_config(s.base_config, s.sets);
    if (!e.empty()) sc.fail("set", "the fixed overrides do not apply to " + s.base_config + ": " + e);
  }
  Config base = Config::load(s.base_config, s.sets);

  // axes
  const size_t naxes = sc.list_size("axes");
  if (naxes == 0) sc.fail("axes", "expected a list of axes (each '- path: dotted.config.path' with values or range)");
  for (size_t i = 0; i < naxes; ++i) {
    const std::string ap = "axes." + std::to_string(i);
    SweepAxis ax;
    ax.param = sc.has(ap + ".param");
    ax.origin = sc.origin(ap + (ax.param ? ".param" : ".path"));
    if (ax.param && sc.has(ap + ".path")) sc.fail(ap, "axis " + std::to_string(i + 1) + ": give either 'path:' or 'param:', not both");
    if (!ax.param && !sc.has(ap + ".path")) sc.fail(ap, "axis " + std::to_string(i + 1) + ": expected 'path: dotted.config.path' (or 'param: NAME')");
    ax.path = sc.get<std::string>(ap + (ax.param ? ".param" : ".path"));
    const std::string where = ax.origin.str() + ": axis '" + ax.path + "'";
    for (const auto& other : s.axes)
      if (other.path == ax.path) throw ConfigError(where + ": the same path is already an axis at " + other.origin.str());
    const bool has_values = sc.has(ap + ".values"), has_range = sc.has(ap + ".range");
    if (has_values == has_range)
      throw ConfigError(where + ": expected exactly one of 'values: [...]' or 'range: {from, to, step}'");
    if (has_range) ax.values = range_values(sc, ap + ".range", ax.path);
    else if (sc.is_map(ap + ".values")) ax.values = range_values(sc, ap + ".values", ax.path);
    else {
      if (!sc.is_list(ap + ".values"))
        throw ConfigError(where + ": 'values' must be a list (or {from, to, step}), found '" +
                          sc.get<std::string>(ap + ".values") + "'");
      for (size_t j = 0, n = sc.list_size(ap + ".values"); j < n; ++j)
        ax.values.push_back(value_text_at(sc, ap + ".values." + std::to_string(j), ax.path));
    }
    if (ax.values.empty()) throw ConfigError(where + ": the axis has no values (empty list or empty range)");
    for (size_t j = 0; j < ax.values.size(); ++j)
      for (size_t k = 0; k < j; ++k)
        if (ax.values[j] == ax.values[k])
          throw ConfigError(where + ": value '" + ax.values[j] + "' appears twice");
    if (ax.path.find('=') != std::string::npos || ax.path.empty() || ax.path.front() == '.' || ax.path.back() == '.')
      throw ConfigError(where + ": expected a dotted config path such as soc.clock.freq_hz");

    if (ax.param) {
      if (ax.path.empty() || ax.path.find_first_of("{}=. ") != std::string::npos)
        throw ConfigError(where + ": a param name is a plain word (used as {NAME} in workload.args/loads)");
      s.axes.push_back(std::move(ax));
      continue;
    }
    ax.targets = {ax.path};
    if (is_path_pattern(ax.path)) {
      ax.targets = expand_path_pattern(base, ax.path);
      if (ax.targets.empty())
        throw ConfigError(where + ": the pattern matches no key of " + s.base_config +
                          " (wildcards * ? are allowed in the segments after the first, e.g. soc.devices.cim*.adc.bits)");
    }
    // Known path? Type? (a pattern: every key it matches)
    for (const std::string& target : ax.targets) {
    if (opt.validate_paths) {
      const VType t = base_type(base, target);
      if (t == VType::Unknown) {
        // Not in the base file: maybe a key read with a default (e.g. timing.cycles.load). Read the
        // config with the first value the way `mcucim run` does; an unknown key is an error now.
        const std::string e = probe_config(s.base_config, [&] {
          auto v = s.sets;
          v.push_back(target + "=" + ax.values[0]);
          return v;
        }());
        if (e.find("unknown key '") != std::string::npos) {
          bool ours = false;
          std::string prefix;
          for (const std::string& part : [&] {
                 std::vector<std::string> v;
                 std::stringstream ss(target);
                 std::string x;
                 while (std::getline(ss, x, '.')) v.push_back(x);
                 return v;
               }()) {
            prefix += (prefix.empty() ? "" : ".") + part;
            if (e.find("unknown key '" + prefix + "'") != std::string::npos) ours = true;
          }
          if (ours)
            throw ConfigError(where + ": unknown config path: " + s.base_config + " has no key '" + target +
                              "' and no model reads it (" + e + ")");
        }
      } else {
        for (const auto& v : ax.values)
          if (!value_fits(t, v))
            throw ConfigError(where + ": value '" + v + "' does not fit the key's type: " + s.base_config +
                              " has " + target + " = " +
                              (t == VType::Map || t == VType::List ? std::string(vtype_name(t))
                                                                   : "'" + base.get<std::string>(target) + "'") +
                              ", so expected " + vtype_name(t));
      }
    }
    }
    s.axes.push_back(std::move(ax));
  }

  // combine
  if (sc.is_map("combine")) {
    auto ks = sc.keys("combine");
    if (ks.size() != 1 || ks[0] != "random")
      sc.fail("combine", "expected product, zip or {random: {count: N, seed: S}}");
    s.combine = "random";
    if (!sc.has("combine.random.count")) sc.fail("combine.random", "random sampling needs 'count'");
    s.random_count = sc.get<uint64_t>("combine.random.count");
    s.random_seed = sc.get<uint64_t>("combine.random.seed", 0);
  } else {
    s.combine = sc.get_enum("combine", {"product", "zip"}, "product");
  }

  // constraints
  for (size_t i = 0, n = sc.list_size("exclude"); i < n; ++i) {
    const std::string k = "exclude." + std::to_string(i);
    SweepConstraint c;
    c.text = sc.get<std::string>(k);
    c.origin = sc.origin(k);
    ExprParser parser(c.text, c.origin.str());
    c.expr = parser.parse();
    for (const auto& name : parser.names) {
      bool known = std::any_of(s.axes.begin(), s.axes.end(), [&](const SweepAxis& a) { return a.path == name; });
      if (!known && !(base.has(name) && !base.is_map(name) && !base.is_list(name)))
        throw ConfigError(c.origin.str() + ": constraint \"" + c.text + "\": '" + name +
                          "' is neither an axis of the sweep nor a value of the base config " + s.base_config);
    }
    s.constraints.push_back(std::move(c));
  }
  sc.check_all_used();

  // Expand.
  auto make_point = [&](const std::vector<size_t>& idx) {
    SweepPoint p;
    std::vector<std::string> ov = s.sets;
    for (size_t a = 0; a < s.axes.size(); ++a) {
      p.values.emplace_back(s.axes[a].path, s.axes[a].values[idx[a]]);
      ov.push_back(s.axes[a].path + "=" + s.axes[a].values[idx[a]]);
    }
    p.id = sweep_point_id(ov);
    return p;
  };
  auto excluded = [&](const SweepPoint& p) {
    for (const auto& c : s.constraints)
      if (sweep_constraint_true(c, p, base)) return true;
    return false;
  };
  if (s.combine == "zip") {
    const size_t n = s.axes[0].values.size();
    for (const auto& a : s.axes)
      if (a.values.size() != n)
        throw ConfigError(a.origin.str() + ": axis '" + a.path + "' has " + std::to_string(a.values.size()) +
                          " values but combine: zip needs every axis to have " + std::to_string(n) + " (as '" +
                          s.axes[0].path + "')");
    for (size_t i = 0; i < n; ++i) {
      SweepPoint p = make_point(std::vector<size_t>(s.axes.size(), i));
      if (!excluded(p)) s.points.push_back(std::move(p));
    }
  } else {
    uint64_t total = 1;
    for (const auto& a : s.axes) {
      if (total > (uint64_t(1) << 62) / a.values.size())
        throw ConfigError(a.origin.str() + ": the product of the axes is too large to enumerate");
      total *= a.values.size();
    }
    auto decode = [&](uint64_t k) {
      std::vector<size_t> idx(s.axes.size());
      for (size_t a = s.axes.size(); a-- > 0;) {
        idx[a] = k % s.axes[a].values.size();
        k /= s.axes[a].values.size();
      }
      return idx;
    };
    if (s.combine == "product") {
      if (total > 1000000) sc.fail("axes", "the product has " + std::to_string(total) +
                                               " points (more than 1000000); use combine: {random: ...}");
      for (uint64_t k = 0; k < total; ++k) {
        SweepPoint p = make_point(decode(k));
        if (!excluded(p)) s.points.push_back(std::move(p));
      }
    } else {
      // Seeded sample without replacement: mt19937_64 (its output sequence is fixed by the C++
      // standard) with our own index arithmetic, so the sample is the same on every platform.
      std::mt19937_64 rng(s.random_seed);
      std::vector<uint64_t> chosen;
      if (total <= 1000000) {
        std::vector<uint64_t> allowed;
        for (uint64_t k = 0; k < total; ++k)
          if (!excluded(make_point(decode(k)))) allowed.push_back(k);
        const uint64_t m = std::min<uint64_t>(s.random_count, allowed.size());
        for (uint64_t i = 0; i < m; ++i) {
          const uint64_t j = i + rng() % (allowed.size() - i);
          std::swap(allowed[i], allowed[j]);
        }
        chosen.assign(allowed.begin(), allowed.begin() + m);
      } else {
        std::set<uint64_t> seen;
        for (uint64_t tries = 0; chosen.size() < s.random_count && tries < s.random_count * 100; ++tries) {
          const uint64_t k = rng() % total;
          if (!seen.insert(k).second) continue;
          if (!excluded(make_point(decode(k)))) chosen.push_back(k);
        }
      }
      std::sort(chosen.begin(), chosen.end());
      for (uint64_t k : chosen) s.points.push_back(make_point(decode(k)));
    }
  }
  // files loaded with a {param} in their name must exist for every point
  for (const auto& p : s.points) {
    const auto argv = sweep_point_argv(s, p, "mcucim", "r.json");
    for (size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == "--load") {
        const std::string file = argv[i + 1].substr(0, argv[i + 1].rfind('@'));
        if (!fs::exists(file))
          sc.fail("workload.loads", "file '" + file + "' (for the point " + [&] {
            std::string t;
            for (const auto& kv : p.values) t += (t.empty() ? "" : ", ") + kv.first + "=" + kv.second;
            return t;
          }() + ") does not exist (generate it first: see the comment at the top of the spec)");
      }
  }
  return s;
}

// ------------------------------------------------------------------------------------------------
// Command lines.
std::vector<std::string> sweep_point_argv(const SweepSpec& s, const SweepPoint& p, const std::string& binary,
                                          const std::string& report_path) {
  std::vector<std::string> v = {binary, "run", "-c", s.base_config, "--elf", s.firmware};
  for (const auto& set : s.sets) v.insert(v.end(), {"--set", set});
  for (const auto& kv : p.values) {
    const SweepAxis* ax = nullptr;
    for (const auto& a : s.axes)
      if (a.path == kv.first) ax = &a;
    if (ax && ax->param) continue;  // substituted into the arguments below
    if (ax && !ax->targets.empty()) {
      for (const auto& t : ax->targets) v.insert(v.end(), {"--set", t + "=" + kv.second});
    } else {
      v.insert(v.end(), {"--set", kv.first + "=" + kv.second});
    }
  }
  v.insert(v.end(), {"--report", report_path, "-q", "--no-progress"});
  const size_t first_arg = v.size();
  v.insert(v.end(), s.args.begin(), s.args.end());
  for (const auto& kv : p.values)
    for (const auto& a : s.axes)
      if (a.param && a.path == kv.first)
        for (size_t i = first_arg; i < v.size(); ++i)
          for (size_t at; (at = v[i].find("{" + a.path + "}")) != std::string::npos;)
            v[i].replace(at, a.path.size() + 2, kv.second);
  return v;
}

std::string sweep_point_shell(const SweepSpec& s, const SweepPoint& p, const std::string& binary,
                              const std::string& out_dir) {
  const std::string base = (fs::absolute(out_dir) / "points" / p.id).lexically_normal().string();
  std::string line;
  for (const auto& a : sweep_point_argv(s, p, binary, base + ".json")) line += (line.empty() ? "" : " ") + shell_quote(a);
  line += " > " + shell_quote(base + ".out") + " 2> " + shell_quote(base + ".err") + "; echo $? > " +
          shell_quote(base + ".rc");
  return line;
}

// ------------------------------------------------------------------------------------------------
// Results.
namespace {

const json* jpath(const json& j, const std::string& path) {
  const json* cur = &j;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (cur->is_object()) {
      auto it = cur->find(part);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      size_t i = std::stoul(part);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}
json jget(const json& j, const std::string& path) {
  const json* v = jpath(j, path);
  return v ? *v : json(nullptr);
}

std::string csv_field(const json& v) {
  std::string s;
  if (v.is_null()) return "";
  if (v.is_string()) s = v.get<std::string>();
  else if (v.is_boolean()) s = v.get<bool>() ? "true" : "false";
  else if (v.is_number_integer()) s = v.dump();
  else if (v.is_number_float()) s = fmt::format("{}", v.get<double>());
  else s = v.dump();
  if (s.find_first_of(",\"\n\r") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

std::string status_for_exit(int code) {
  switch (code) {
    case 0: return "ok";
    case 2: return "config_error";
    case 124: return "cycle_limit";
    case 125: return "fault";
    case 126: return "deadlock";
    default: return code > 128 ? "crashed" : "exit";
  }
}

// METRIC lines on the program's stdout: "METRIC name=value [name=value ...]".
std::vector<std::pair<std::string, std::string>> parse_metric_lines(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> m;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 7, "METRIC ") != 0) continue;
    std::istringstream words(line.substr(7));
    std::string w;
    while (words >> w) {
      const size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0) continue;
      m.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
  }
  return m;
}

}  // namespace

SweepResults collect_sweep_results(const SweepSpec& s, const std::string& out_dir) {
  SweepResults r;
  const fs::path pdir = fs::path(out_dir) / "points";
  std::vector<std::string> components, metric_names;
  for (const auto& m : s.metrics)
    if (m.compare(0, 7, "report:") != 0) metric_names.push_back(m);
  std::vector<std::map<std::string, json>> rows;
  for (const auto& p : s.points) {
    std::map<std::string, json> row;
    row["id"] = p.id;
    for (const auto& kv : p.values) row[kv.first] = kv.second;  // as written (results.jsonl: numbers)
    const std::string base = (pdir / p.id).string();
    json rec;
    const bool have = read_point_file(base + ".json", rec);
    const std::string err_text = slurp(base + ".err");
    std::string status;
    json exit_code = nullptr;
    std::string error;
    if (have) {
      exit_code = rec.value("exit_code", json(nullptr));
      const std::string st = rec["status"].get<std::string>();
      if (st == "exit") status = exit_code.is_number() ? status_for_exit(exit_code.get<int>()) : "exit";
      else status = st;
      if (status == "exit" && exit_code.is_number()) error = "program exit code " + exit_code.dump();
      if (rec.contains("error") && rec["error"].is_string()) error = rec["error"].get<std::string>();
    } else if (fs::exists(base + ".rc")) {  // a run from --list (e.g. Slurm) that wrote no report
      int code = -1;
      std::ifstream(base + ".rc") >> code;
      exit_code = code;
      status = code == 0 ? "error" : status_for_exit(code);
      if (code == 0) error = "exit code 0 but no report";
    } else {
      status = "missing";
    }
    if (status != "ok" && status != "missing" && error.empty()) error = first_lines(err_text);
    if (status != "ok" && status != "missing" && error.empty() && exit_code.is_number())
      error = "exit code " + exit_code.dump();
    row["status"] = status;
    row["exit_code"] = exit_code;
    row["error"] = error.empty() ? json(nullptr) : json(error);
    if (status == "ok") r.ok++;
    else if (status == "missing") r.missing++;
    else r.failed++;
    if (have && rec.contains("cycles")) {
      row["cycles"] = jget(rec, "cycles");
      row["instret"] = jget(rec, "instret");
      row["time_s"] = jget(rec, "time_s");
      row["energy_j"] = jget(rec, "energy_j.total");
      row["energy_dynamic_j"] = jget(rec, "energy_j.dynamic");
      row["energy_leakage_j"] = jget(rec, "energy_j.leakage");
      row["power_w"] = jget(rec, "power_w.average");
      row["tokens"] = jget(rec, "tokens.count");
      row["latency_per_token_s"] = jget(rec, "tokens.latency_s.mean");
      row["energy_per_token_j"] = jget(rec, "tokens.energy_j_per_token.mean");
      row["tokens_per_s"] = jget(rec, "tokens.tokens_per_s");
      row["tops_per_w"] = jget(rec, "tops_per_w");
      row["macs"] = jget(rec, "macs.declared");
      row["macs_hw"] = jget(rec, "macs.hardware");
      row["host_s"] = jget(rec, "sim.host_s");
      if (const json* bc = jpath(rec, "energy_j.by_component"); bc && bc->is_object())
        for (auto it = bc->begin(); it != bc->end(); ++it) {
          if (std::find(components.begin(), components.end(), it.key()) == components.end())
            components.push_back(it.key());
          row["energy_j." + it.key()] = it.value();
        }
      for (const auto& m : s.metrics)
        if (m.compare(0, 7, "report:") == 0) row[m.substr(7)] = jget(rec, m.substr(7));
    }
    for (const auto& kv : parse_metric_lines(slurp(base + ".out"))) {
      if (std::find(metric_names.begin(), metric_names.end(), kv.first) == metric_names.end())
        metric_names.push_back(kv.first);
      double d;
      row["metric." + kv.first] = to_number(kv.second, d) ? json(d) : json(kv.second);
    }
    rows.push_back(std::move(row));
  }

  r.columns = {"id"};
  for (const auto& a : s.axes) r.columns.push_back(a.path);
  for (const char* c : {"status", "exit_code", "error", "cycles", "instret", "time_s", "energy_j", "energy_dynamic_j",
                        "energy_leakage_j", "power_w", "tokens", "latency_per_token_s", "energy_per_token_j",
                        "tokens_per_s", "tops_per_w", "macs", "macs_hw"})
    r.columns.push_back(c);
  for (const auto& c : components) r.columns.push_back("energy_j." + c);
  for (const auto& m : metric_names) r.columns.push_back("metric." + m);
  for (const auto& m : s.metrics)
    if (m.compare(0, 7, "report:") == 0) r.columns.push_back(m.substr(7));
  r.columns.push_back("host_s");

  std::string csv, jsonl;
  for (size_t i = 0; i < r.columns.size(); ++i) csv += (i ? "," : "") + csv_field(r.columns[i]);
  csv += "\n";
  for (auto& row : rows) {
    json o = json::object();
    for (size_t i = 0; i < r.columns.size(); ++i) {
      auto it = row.find(r.columns[i]);
      const json v = it == row.end() ? json(nullptr) : it->second;
      csv += (i ? "," : "") + csv_field(v);
      o[r.columns[i]] = v;
    }
    csv += "\n";
    // In results.jsonl, numeric axis values are numbers (the CSV keeps them as written).
    for (const auto& a : s.axes) {
      const std::string t = o[a.path].get<std::string>();
      double d;
      if (!is_bool_text(t) && to_number(t, d)) o[a.path] = d;
    }
    jsonl += o.dump() + "\n";
    r.rows.push_back(std::move(o));
  }
  fs::create_directories(out_dir);
  write_atomic((fs::path(out_dir) / "results.csv").string(), csv);
  write_atomic((fs::path(out_dir) / "results.jsonl").string(), jsonl);
  return r;
}

// ------------------------------------------------------------------------------------------------
// The runner.
namespace {

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

struct Running {
  pid_t pid = -1;
  size_t point = 0;
  std::chrono::steady_clock::time_point start;
  std::string tmp_report;
  bool timed_out = false;
};

pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int fi = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fo < 0 || fe < 0 || fi < 0) throw ConfigError("cannot create " + out + " / " + err + ": " + std::strerror(errno));
  std::vector<char*> av;
  for (const auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Die with the sweep (a killed sweep leaves no orphan simulations writing into DIR).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    execv(av[0], av.data());
    const char msg[] = "mcucim sweep: cannot execute the simulator\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  ::close(fo);
  ::close(fe);
  ::close(fi);
  if (pid < 0) throw ConfigError(std::string("fork failed: ") + std::strerror(errno));
  return pid;
}

void log_line(int fd, const std::string& s) {
  const std::string line = s + "\n";
  (void)!::write(fd, line.data(), line.size());
}

}  // namespace

int run_sweep(const SweepSpec& s, const SweepRunOptions& opt, std::ostream& err) {
  const fs::path dir = opt.out_dir;
  const fs::path pdir = dir / "points";
  fs::create_directories(pdir);

  // One sweep per directory at a time.
  const std::string lock_path = (dir / ".lock").string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
    throw ConfigError("--out " + dir.string() + ": another sweep is running in this directory (" + lock_path + ")");

  // The manifest: what the point files of this directory were computed with.
  json manifest = {{"spec", fs::absolute(s.file).string()}, {"base_config", s.base_config},
                   {"firmware", s.firmware}, {"args", s.args}};
  const std::string mpath = (dir / "sweep.json").string();
  json old;
  if (fs::exists(mpath)) {
    try {
      old = json::parse(slurp(mpath));
    } catch (const json::exception&) {
    }
    for (const char* k : {"base_config", "firmware", "args"})
      if (old.is_object() && old.contains(k) && old[k] != manifest[k])
        throw ConfigError("--out " + dir.string() + " holds results of a different sweep: " + k + " was " +
                          old[k].dump() + ", now " + manifest[k].dump() +
                          " (use another --out directory, or delete " + dir.string() + ")");
  }
  write_atomic(mpath, manifest.dump(2) + "\n");

  // Leftovers of a killed sweep.
  for (const auto& e : fs::directory_iterator(pdir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path());

  std::vector<size_t> todo;
  size_t already = 0;
  for (size_t i = 0; i < s.points.size(); ++i) {
    json rec;
    const std::string f = (pdir / (s.points[i].id + ".json")).string();
    if (read_point_file(f, rec)) {
      const bool ok = rec["status"] == "exit" && rec.value("exit_code", -1) == 0;
      if (!opt.retry_failed || ok) {
        ++already;
        continue;
      }
    }
    todo.push_back(i);
  }
  std::reverse(todo.begin(), todo.end());  // pop from the back = spec order

  const std::string log_path = (dir / "sweep.log").string();
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  log_line(log_fd, fmt::format("sweep {} points {} already {} pid {}", s.file, s.points.size(), already, getpid()));

  unsigned jobs = opt.jobs ? opt.jobs : std::max(1u, std::thread::hardware_concurrency());
  const bool tty = opt.progress && isatty(fileno(stderr));
  struct sigaction sa {}, old_int {}, old_term {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  g_stop = 0;

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Running> running;
  size_t done = 0, failed = 0;
  const size_t to_run = todo.size();
  auto last_draw = t0 - std::chrono::seconds(1);
  std::vector<std::string> failures;

  auto draw = [&](bool force) {
    if (!tty) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw < std::chrono::milliseconds(250)) return;
    last_draw = now;
    const size_t total = s.points.size(), finished = already + done;
    const int width = 24;
    const int fill = total ? static_cast<int>(width * finished / total) : width;
    std::string eta = "-";
    if (done > 0) {
      const double el = std::chrono::duration<double>(now - t0).count();
      eta = fmt_duration(el / done * (to_run - done));
    }
    err << fmt::format("\r[sweep] [{}{}] {}/{} done, {} failed, {} running, ETA {}   ", std::string(fill, '#'),
                       std::string(width - fill, '.'), finished, total, failed, running.size(), eta)
        << std::flush;
  };

  auto finish = [&](Running& r, int st) {
    const SweepPoint& p = s.points[r.point];
    const std::string base = (pdir / p.id).string();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
    json rec;
    std::string status;
    if (r.timed_out) {
      status = "timeout";
      rec = {{"status", status}, {"exit_code", nullptr},
             {"error", fmt::format("killed after {} s (workload.timeout_s)", s.timeout_s)}};
    } else if (read_point_file(r.tmp_report, rec)) {
      const int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      status = rec["status"] == "exit" ? status_for_exit(rec.value("exit_code", code)) : rec["status"].get<std::string>();
      fs::rename(r.tmp_report, base + ".json");
    } else {
      const int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      if (WIFSIGNALED(st)) status = "crashed";
      else status = code == 0 ? "error" : status_for_exit(code) == "ok" ? "error" : status_for_exit(code);
      std::string e = first_lines(slurp(base + ".err"));
      if (e.empty()) e = WIFSIGNALED(st) ? fmt::format("killed by signal {}", WTERMSIG(st))
                                         : fmt::format("exit code {} and no report", code);
      rec = {{"status", status}, {"exit_code", WIFEXITED(st) ? json(code) : json(nullptr)}, {"error", e}};
      if (WIFSIGNALED(st)) rec["signal"] = WTERMSIG(st);
    }
    if (!rec.contains("cycles")) {  // a failure record of the runner: write it atomically
      rec["wall_s"] = wall;
      write_atomic(base + ".json", rec.dump(2) + "\n");
    }
    std::error_code ec;
    fs::remove(r.tmp_report, ec);
    ++done;
    if (status != "ok") {
      ++failed;
      failures.push_back(fmt::format("{} ({}): {}", p.id, status, first_lines(slurp(base + ".err"), 1, 200)));
    }
    log_line(log_fd, fmt::format("done {} {} {:.3f}", p.id, status, wall));
  };

  while ((!todo.empty() || !running.empty()) && !g_stop) {
    while (running.size() < jobs && !todo.empty() && !g_stop) {
      Running r;
      r.point = todo.back();
      todo.pop_back();
      const SweepPoint& p = s.points[r.point];
      const std::string base = (pdir / p.id).string();
      r.tmp_report = base + ".json.tmp." + std::to_string(getpid());
      r.start = std::chrono::steady_clock::now();
      log_line(log_fd, "start " + p.id);
      r.pid = spawn(sweep_point_argv(s, p, opt.binary, r.tmp_report), base + ".out", base + ".err");
      running.push_back(r);
    }
    for (size_t i = 0; i < running.size();) {
      int st = 0;
      const pid_t w = waitpid(running[i].pid, &st, WNOHANG);
      if (w == running[i].pid) {
        finish(running[i], st);
        running.erase(running.begin() + i);
        continue;
      }
      if (s.timeout_s > 0 && !running[i].timed_out &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - running[i].start).count() > s.timeout_s) {
        kill(running[i].pid, SIGKILL);
        running[i].timed_out = true;
      }
      ++i;
    }
    draw(false);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool interrupted = g_stop != 0;
  if (interrupted) {
    // Stop the running points; they are not recorded and run again next time.
    for (auto& r : running) kill(r.pid, SIGTERM);
    for (auto& r : running) {
      int st;
      for (int i = 0; i < 100 && waitpid(r.pid, &st, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (waitpid(r.pid, &st, WNOHANG) == 0) {
        kill(r.pid, SIGKILL);
        waitpid(r.pid, &st, 0);
      }
      std::error_code ec;
      fs::remove(r.tmp_report, ec);
      log_line(log_fd, "stopped " + s.points[r.point].id);
    }
  }
  draw(true);
  if (tty) err << "\n";
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);

  SweepResults res = collect_sweep_results(s, dir.string());
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_line(log_fd, fmt::format("end ran {} ok {} failed {} missing {}{}", done, res.ok, res.failed, res.missing,
                               interrupted ? " interrupted" : ""));
  ::close(log_fd);
  err << fmt::format("mcucim sweep: {} points: {} ok, {} failed{} ({} run now in {:.1f} s, {} already done); "
                     "results: {}\n",
                     s.points.size(), res.ok, res.failed, res.missing ? fmt::format(", {} not run", res.missing) : "",
                     done, el, already, (dir / "results.csv").string());
  for (size_t i = 0; i < failures.size() && i < 10; ++i) err << "  failed: " << failures[i] << "\n";
  if (failures.size() > 10) err << "  ... (" << failures.size() - 10 << " more; see results.csv)\n";
  ::close(lock_fd);
  if (interrupted) {
    err << "mcucim sweep: interrupted; run the same command again to resume\n";
    return 130;
  }
  return res.failed || res.missing ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------
// The CLI.
namespace {
const char* kSweepUsage =
    "usage: mcucim sweep SPEC [-j N] [--out DIR] [--list] [--collect] [--retry-failed] [--no-progress]\n"
    "  Run every point of a sweep spec (docs/SWEEPS.md) as an independent `mcucim run`, N at a time\n"
    "  (default: the number of cores); points whose DIR/points/<id>.json exists are skipped (resume).\n"
    "  -j N            parallel simulations\n"
    "  --out DIR       output directory (default: sweeps/<spec name>)\n"
    "  --list          print one self-contained shell command line per point (for Slurm job arrays)\n"
    "  --collect       only (re)build DIR/results.csv and results.jsonl from the point files\n"
    "  --retry-failed  also re-run points recorded as failed\n"
    "  --no-progress   no progress bar\n"
    "exit: 0 all points ok, 1 some failed or not run, 2 bad spec or usage, 130 interrupted\n";
}

int cmd_sweep(int argc, char** argv) {
  std::string spec_path, out;
  unsigned jobs = 0;
  bool list = false, collect = false, retry = false, progress = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto need = [&](const std::string& name) -> std::string {
      if (i + 1 >= argc) throw ConfigError("mcucim sweep: " + name + " needs a value\n" + kSweepUsage);
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kSweepUsage;
      return 0;
    } else if (a == "-j" || a == "--jobs" || (a.size() > 2 && a.compare(0, 2, "-j") == 0)) {
      const std::string v = a.size() > 2 && a[1] == 'j' ? a.substr(2) : need(a);
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (!end || *end || n < 1 || n > 1024)
        throw ConfigError("mcucim sweep: -j expects a number of parallel simulations 1..1024, found '" + v + "'");
      jobs = static_cast<unsigned>(n);
    } else if (a == "--out" || a == "-o") {
      out = need(a);
    } else if (a == "--list") {
      list = true;
    } else if (a == "--collect") {
      collect = true;
    } else if (a == "--retry-failed") {
      retry = true;
    } else if (a == "--no-progress") {
      progress = false;
    } else if (!a.empty() && a[0] == '-') {
      throw ConfigError("mcucim sweep: unknown option '" + a + "'\n" + kSweepUsage);
    } else if (spec_path.empty()) {
      spec_path = a;
    } else {
      throw ConfigError("mcucim sweep: more than one spec ('" + spec_path + "', '" + a + "')\n" + kSweepUsage);
    }
  }
  if (spec_path.empty()) throw ConfigError(std::string("mcucim sweep: no spec file given\n") + kSweepUsage);
  SweepSpec s = load_sweep_spec(spec_path);
  if (out.empty()) out = (fs::path("sweeps") / fs::path(spec_path).stem()).string();
  if (s.points.empty()) std::cerr << "mcucim sweep: " << spec_path << ": every point is excluded; nothing to run\n";
  if (list) {
    fs::create_directories(fs::path(out) / "points");
    for (const auto& p : s.points) std::cout << sweep_point_shell(s, p, self_exe(), out) << "\n";
    return 0;
  }
  if (collect) {
    SweepResults r = collect_sweep_results(s, out);
    std::cerr << fmt::format("mcucim sweep: {} points: {} ok, {} failed, {} not run; results: {}\n", s.points.size(),
                             r.ok, r.failed, r.missing, (fs::path(out) / "results.csv").string());
    return r.failed || r.missing ? 1 : 0;
  }
  SweepRunOptions ro;
  ro.out_dir = out;
  ro.jobs = jobs;
  ro.binary = self_exe();
  ro.progress = progress;
  ro.retry_failed = retry;
  return run_sweep(s, ro, std::cerr);
}

int cmd_plot(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::cerr << "usage: mcucim plot DIR\n  charts (PNG and SVG) and DIR/index.html from DIR/results.csv of a sweep\n";
    return argc < 2 ? 2 : 0;
  }
  const std::string dir = argv[1];
  if (!fs::exists(fs::path(dir) / "results.csv"))
    throw ConfigError("mcucim plot: " + dir + "/results.csv does not exist (run `mcucim sweep SPEC --out " + dir +
                      "` first)");
  std::string script = (fs::path(MCUCIM_SOURCE_DIR) / "scripts" / "plot_sweep.py").string();
  if (const char* e = std::getenv("MCUCIM_PLOT_SCRIPT")) script = e;
  if (!fs::exists(script)) throw ConfigError("mcucim plot: the plotting script " + script + " does not exist");
  // Debian's python3-matplotlib lives under /usr/bin/python3 (a python3 first in PATH may lack it).
  std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (const char* e = std::getenv("MCUCIM_PYTHON")) python = e;
  std::vector<std::string> args = {python, script, dir};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  av.push_back(nullptr);
  std::cout.flush();
  const pid_t pid = fork();
  if (pid == 0) {
    execvp(av[0], av.data());
    std::fprintf(stderr, "mcucim plot: cannot run %s: %s\n", av[0], std::strerror(errno));
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

}  // namespace mcucim::sim

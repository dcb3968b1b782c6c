// sim::Config implementation: YAML (yaml-cpp) is converted once into a small tree of our own nodes
// (ordered map / list / scalar / null, each with an Origin and a `used` mark). Includes, --set overrides,
// typed reads and the unknown-key check all work on that tree.
#include "sim/config.h"
#include "sim/limits.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <unordered_map>

namespace mcucim::sim {

namespace fs = std::filesystem;

std::string Origin::str() const {
  if (line > 0) return file + ":" + std::to_string(line);
  return file;
}

// ------------------------------------------------------------------------------------------------
// The tree.
namespace {

struct Node;
using NodePtr = std::shared_ptr<Node>;

struct Node {
  enum class Kind { Null, Scalar, Map, List };
  Kind kind = Kind::Null;
  std::string text;     // Scalar
  bool quoted = false;  // Scalar written quoted or with an explicit tag: always a string in to_json
  std::vector<std::pair<std::string, NodePtr>> map;  // Map, in file order
  std::vector<NodePtr> list;                         // List
  Origin origin;
  bool used = false;

  NodePtr find(const std::string& key) const {
    for (const auto& kv : map)
      if (kv.first == key) return kv.second;
    return nullptr;
  }
  void set(const std::string& key, NodePtr value) {
    for (auto& kv : map)
      if (kv.first == key) {
        kv.second = std::move(value);
        return;
      }
    map.emplace_back(key, std::move(value));
  }
  void erase(const std::string& key) {
    map.erase(std::remove_if(map.begin(), map.end(), [&](const auto& kv) { return kv.first == key; }),
              map.end());
  }
};

NodePtr make_node(Node::Kind kind, Origin origin) {
  auto n = std::make_shared<Node>();
  n->kind = kind;
  n->origin = std::move(origin);
  return n;
}

void mark_subtree(Node& n) {
  n.used = true;
  for (auto& kv : n.map) mark_subtree(*kv.second);
  for (auto& e : n.list) mark_subtree(*e);
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "." + b;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  if (path.empty()) return parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw ConfigError("invalid configuration path '" + path + "' (empty component)");
    parts.push_back(part);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool parse_index(const std::string& s, size_t& out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  out = static_cast<size_t>(std::stoul(s));
  return true;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// How a value looks in an error message.
std::string describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null:
      return "an empty value";
    case Node::Kind::Scalar:
      return "'" + n.text + "'";
    case Node::Kind::Map: {
      std::vector<std::string> ks;
      for (const auto& kv : n.map) ks.push_back(kv.first);
      if (ks.empty()) return "an empty map";
      if (ks.size() > 6) {
        ks.resize(6);
        ks.push_back("...");
      }
      return "a map (keys: " + join_list(ks) + ")";
    }
    case Node::Kind::List:
      return "a list of " + std::to_string(n.list.size()) + " element" + (n.list.size() == 1 ? "" : "s");
  }
  return "?";
}

// ------------------------------------------------------------------------------------------------
// YAML -> tree.
[[noreturn]] void throw_yaml_error(const std::string& name, const YAML::Exception& e) {
  std::ostringstream os;
  os << name;
  if (!e.mark.is_null()) os << ":" << e.mark.line + 1 << ":" << e.mark.column + 1;
  os << ": YAML syntax error: " << (e.msg.empty() ? std::string(e.what()) : e.msg);
  throw ConfigError(os.str());
}

// Bounds for one document's conversion: yaml-cpp keeps an alias as a reference to its anchor's node,
// so an alias bomb is small as YAML but grows exponentially when copied into our tree; an anchor can
// even contain an alias to itself (a cycle). Both are stopped by counting values and depth.
struct ConvertBudget {
  std::string name;       // the document, for messages
  uint64_t nodes = 0;     // values converted so far
  uint64_t max_nodes = 0;
  unsigned depth = 0;
};
constexpr unsigned kMaxConvertDepth = 1000;  // yaml-cpp itself refuses nesting beyond 2000

NodePtr convert(const YAML::Node& y, const Origin& origin, ConvertBudget& b) {
  if (++b.nodes > b.max_nodes)
    throw ConfigError((origin.str().empty() ? b.name : origin.str()) + ": the YAML document '" + b.name + "' has more than " +
                      std::to_string(b.max_nodes) +
                      " values after expanding aliases (*name), the limit; an alias bomb? " +
                      limit_hint("config_nodes"));
  if (b.depth >= kMaxConvertDepth)
    throw ConfigError(origin.str() + ": the YAML document '" + b.name + "' nests deeper than " +
                      std::to_string(kMaxConvertDepth) + " levels (an alias that contains itself?)");
  struct Deeper {
    unsigned& d;
    explicit Deeper(unsigned& x) : d(x) { ++d; }
    ~Deeper() { --d; }
  } deeper(b.depth);
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return make_node(Node::Kind::Null, origin);
    case YAML::NodeType::Scalar: {
      auto n = make_node(Node::Kind::Scalar, origin);
      n->text = y.Scalar();
      n->quoted = y.Tag() != "?";
      return n;
    }
    case YAML::NodeType::Sequence: {
      auto n = make_node(Node::Kind::List, origin);
      for (const auto& e : y) {
        Origin eo = origin;
        if (!origin.file.empty() && origin.line > 0 && !e.Mark().is_null()) eo.line = e.Mark().line + 1;
        n->list.push_back(convert(e, eo, b));
      }
      return n;
    }
    case YAML::NodeType::Map: {
      auto n = make_node(Node::Kind::Map, origin);
      std::unordered_map<std::string, size_t> seen;  // key -> index in n->map (linear find is O(n^2))
      for (auto it = y.begin(); it != y.end(); ++it) {
        Origin ko = origin;
        if (origin.line > 0 && !it->first.Mark().is_null()) ko.line = it->first.Mark().line + 1;
        if (!it->first.IsScalar())
          throw ConfigError(ko.str() + ": a map key must be a plain name, found a " +
                            (it->first.IsMap() ? "map" : it->first.IsSequence() ? "list" : "empty key"));
        const std::string key = it->first.Scalar();
        if (key.empty()) throw ConfigError(ko.str() + ": empty map key");
        // A dot separates the components of a path (soc.clock.freq_hz): a key containing one could
        // never be addressed. Nested maps say the same thing.
        if (key.find('.') != std::string::npos)
          throw ConfigError(ko.str() + ": key '" + key + "' contains a '.', which separates the components of a " +
                            "configuration path; write nested maps instead (e.g. 'a:' then '  b: ...' for a.b)");
        auto [at, fresh] = seen.emplace(key, n->map.size());
        if (!fresh)
          throw ConfigError(ko.str() + ": duplicate key '" + key + "' (first defined at " +
                            n->map[at->second].second->origin.str() + ")");
        n->map.emplace_back(key, convert(it->second, ko, b));
      }
      return n;
    }
  }
  return make_node(Node::Kind::Null, origin);
}

NodePtr convert(const YAML::Node& y, const Origin& origin, const std::string& name) {
  ConvertBudget b;
  b.name = name;
  b.max_nodes = limits().config_nodes;
  return convert(y, origin, b);
}

// Parse a YAML document; origins are `name`:line (line numbers are kept only when `with_lines`).
NodePtr parse_document(const std::string& text, const std::string& name, bool with_lines) {
  YAML::Node y;
  try {
    y = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops at its nesting limit with the message "bad file".
    throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML nests too deeply (more than " + std::to_string(e.depth()) +
                      " levels of maps or lists); expected a configuration");
  } catch (const YAML::Exception& e) {
    throw_yaml_error(name, e);
  }
  Origin root_origin{name, 0};
  if (!with_lines) return convert(y, root_origin, name);
  // Convert with line numbers: a positive line in the parent origin enables per-node lines.
  Origin lined{name, 1};
  NodePtr root = convert(y, lined, name);
  root->origin = root_origin;
  return root;
}

// Merge `src` into `dst` (both maps): maps merge recursively, anything else replaces.
void merge_into(Node& dst, const Node& src) {
  std::unordered_map<std::string, size_t> index;  // dst's keys (Node::find is linear: O(n^2) for big maps)
  index.reserve(dst.map.size());
  for (size_t i = 0; i < dst.map.size(); ++i) index.emplace(dst.map[i].first, i);
  for (const auto& kv : src.map) {
    auto it = index.find(kv.first);
    if (it == index.end()) {
      index.emplace(kv.first, dst.map.size());
      dst.map.emplace_back(kv.first, kv.second);
      continue;
    }
    NodePtr& existing = dst.map[it->second].second;
    if (existing->kind == Node::Kind::Map && kv.second->kind == Node::Kind::Map) {
      merge_into(*existing, *kv.second);
    } else {
      existing = kv.second;
    }
  }
}

// The text of a YAML file, at most limits().config_bytes long. Only regular files and pipes are read: a
// directory, /dev/zero or another device is refused (`problem` says why; empty when the text is good).
std::string read_text_file(const std::string& path, std::string& problem) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    problem = "not found (no such file)";
    return {};
  }
  if (fs::is_directory(st)) {
    problem = "is a directory, expected a YAML file";
    return {};
  }
  if (!fs::is_regular_file(st) && !fs::is_fifo(st)) {
    problem = "is not a regular file (a device or socket), expected a YAML file";
    return {};
  }
  const uint64_t max = limits().config_bytes;
  if (fs::is_regular_file(st)) {
    const uint64_t size = fs::file_size(path, ec);
    if (!ec && size > max) {
      problem = "is " + std::to_string(size) + " bytes, larger than the limit of " +
                limit_value_str("config_bytes", max) + " for a YAML file " + limit_hint("config_bytes");
      return {};
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = "not a readable file";
    return {};
  }
  std::string text;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > max) {
      problem = "is larger than the limit of " + limit_value_str("config_bytes", max) + " for a YAML file " +
                limit_hint("config_bytes");
      return {};
    }
  }
  if (in.bad()) {
    problem = "read error";
    return {};
  }
  problem.clear();
  return text;
}

std::string canonical_key(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  if (ec) return path;  // e.g. an empty name (fs::absolute throws on it): reading it reports the error
  fs::path p = fs::weakly_canonical(abs, ec);
  if (ec) return abs.lexically_normal().string();
  return p.string();
}

NodePtr load_with_includes(NodePtr own, const std::string& name, const fs::path& base_dir,
                           std::vector<std::pair<std::string, std::string>>& stack);

// A copy of a tree whose nodes are all new (`used` marks cleared).
NodePtr clone_tree(const Node& n) {
  auto c = make_node(n.kind, n.origin);
  c->text = n.text;
  c->quoted = n.quoted;
  c->map.reserve(n.map.size());
  for (const auto& kv : n.map) c->map.emplace_back(kv.first, clone_tree(*kv.second));
  c->list.reserve(n.list.size());
  for (const auto& e : n.list) c->list.push_back(clone_tree(*e));
  return c;
}

// Files parsed before, by name and text: the same file is often read several times in one process
// (the timing profile by load_timing and load_core_features, the technology table and presets by
// every SoC of a system, the base config of every sweep point), and yaml-cpp's parser costs far more
// than a copy of the converted tree. The file is still read each time, and only the same text under
// the same name (the origins in messages carry the name) with the same node limit gets the cached
// tree, so a changed file is parsed anew. Each load gets its own copy (loads mark and merge nodes).
// Bounded: the cache is emptied when its texts exceed kParsedCacheBytes.
constexpr size_t kParsedCacheBytes = 4u << 20;
struct ParsedFile {
  std::string text;
  uint64_t max_nodes = 0;
  NodePtr tree;
};
std::mutex g_parsed_mutex;
std::unordered_map<std::string, ParsedFile> g_parsed;  // by name
size_t g_parsed_bytes = 0;

NodePtr parse_file_document(const std::string& text, const std::string& name) {
  const uint64_t max_nodes = limits().config_nodes;
  {
    std::lock_guard<std::mutex> lock(g_parsed_mutex);
    const auto it = g_parsed.find(name);
    if (it != g_parsed.end() && it->second.max_nodes == max_nodes && it->second.text == text)
      return clone_tree(*it->second.tree);
  }
  NodePtr tree = parse_document(text, name, true);  // throws on a bad document: nothing cached
  std::lock_guard<std::mutex> lock(g_parsed_mutex);
  if (text.size() > kParsedCacheBytes) return tree;
  if (g_parsed_bytes + text.size() > kParsedCacheBytes) {
    g_parsed.clear();
    g_parsed_bytes = 0;
  }
  auto& slot = g_parsed[name];
  g_parsed_bytes = g_parsed_bytes - slot.text.size() + text.size();
  slot = ParsedFile{text, max_nodes, tree};
  return clone_tree(*tree);
}

// Load one file (and its includes); `stack` holds (canonical path, display name) of files being loaded.
NodePtr load_file(const std::string& path, const Origin& included_from,
                  std::vector<std::pair<std::string, std::string>>& stack) {
  const std::string key = canonical_key(path);
  for (size_t i = 0; i < stack.size(); ++i) {
    if (stack[i].first == key) {
      std::string chain;
      for (size_t j = i; j < stack.size(); ++j) chain += stack[j].second + " -> ";
      chain += path;
      throw ConfigError(included_from.str() + ": include cycle: " + chain);
    }
  }
  if (stack.size() >= limits().include_depth)
    throw ConfigError(included_from.str() + ": includes nest deeper than " + std::to_string(limits().include_depth) +
                      " files (" + stack.front().second + " -> ... -> " + path + ") " + limit_hint("include_depth"));
  std::string problem;
  std::string text = read_text_file(path, problem);
  if (!problem.empty()) {
    if (included_from.file.empty()) throw ConfigError("cannot read config file '" + path + "': " + problem);
    throw ConfigError(included_from.str() + ": included file '" + path + "': " + problem);
  }
  NodePtr own = parse_file_document(text, path);
  stack.emplace_back(key, path);
  NodePtr n = load_with_includes(std::move(own), path, fs::path(path).parent_path(), stack);
  stack.pop_back();
  return n;
}

// `own`: the parsed document (changed here: its include key is taken out).
NodePtr load_with_includes(NodePtr own, const std::string& name, const fs::path& base_dir,
                           std::vector<std::pair<std::string, std::string>>& stack) {
  if (own->kind == Node::Kind::Null) {
    own->kind = Node::Kind::Map;  // an empty file is an empty map
  }
  if (own->kind != Node::Kind::Map)
    throw ConfigError(name + ": expected a map of keys at the top level, found " + describe(*own));
  NodePtr inc = own->find("include");
  if (!inc) return own;
  own->erase("include");

  std::vector<NodePtr> names;
  if (inc->kind == Node::Kind::Scalar) {
    names.push_back(inc);
  } else if (inc->kind == Node::Kind::List) {
    names = inc->list;
  } else {
    throw ConfigError(inc->origin.str() + ": include: expected a file name or a list of file names, found " +
                      describe(*inc));
  }
  auto merged = make_node(Node::Kind::Map, own->origin);
  for (const auto& n : names) {
    if (n->kind != Node::Kind::Scalar)
      throw ConfigError(n->origin.str() + ": include: expected a file name, found " + describe(*n));
    if (n->text.empty())  // (a fuzzer finding: `include: ""` reached std::filesystem::absolute(""), which throws)
      throw ConfigError(n->origin.str() + ": include: expected a file name, found an empty name");
    fs::path p(n->text);
    if (p.is_relative() && !base_dir.empty()) p = base_dir / p;
    std::string shown = p.lexically_normal().string();
    NodePtr sub = load_file(shown, n->origin, stack);
    merge_into(*merged, *sub);
  }
  merge_into(*merged, *own);
  return merged;
}

// ------------------------------------------------------------------------------------------------
// Scalar parsing.
using i128 = __int128;

bool is_digit_in_base(char c, int base, int& v) {
  if (c >= '0' && c <= '9') v = c - '0';
  else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
  else return false;
  return v < base;
}

// Digits with '_' separators (not leading, trailing or doubled).
bool parse_digits(const std::string& s, int base, i128& out) {
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  const i128 limit = (static_cast<i128>(1) << 120);
  out = 0;
  bool prev_us = false;
  for (char c : s) {
    if (c == '_') {
      if (prev_us) return false;
      prev_us = true;
      continue;
    }
    prev_us = false;
    int v;
    if (!is_digit_in_base(c, base, v)) return false;
    out = out * base + v;
    if (out > limit) out = limit;  // saturate; reported as out of range
  }
  return true;
}

std::string strip_underscores_between_digits(const std::string& s, bool& ok) {
  std::string out;
  ok = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      bool l = i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1]));
      bool r = i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!l || !r) ok = false;
      continue;
    }
    out += s[i];
  }
  return out;
}

// A decimal floating literal without sign ("1.5", "200e6", ".5", "1_000.25"); no inf/nan.
bool parse_float_body(const std::string& s, double& out) {
  if (s.empty()) return false;
  if (!(std::isdigit(static_cast<unsigned char>(s[0])) ||
        (s[0] == '.' && s.size() > 1 && std::isdigit(static_cast<unsigned char>(s[1])))))
    return false;
  bool ok;
  std::string t = strip_underscores_between_digits(s, ok);
  if (!ok) return false;
  double v = 0;
  auto res = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
  if (res.ec != std::errc() || res.ptr != t.data() + t.size()) return false;
  if (!std::isfinite(v)) return false;
  out = v;
  return true;
}

struct IntParse {
  enum Status { Ok, NotANumber, NotIntegral, TooLarge } status = NotANumber;
  i128 value = 0;
};

struct Suffix {
  const char* name;
  uint64_t mult;
};
const Suffix kSizeSuffixes[] = {
    {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40},
    {"kB", 1000ull},     {"KB", 1000ull},     {"MB", 1000000ull},  {"GB", 1000000000ull},
    {"TB", 1000000000000ull}};

// Integers: [+-] decimal | 0x hex | 0b binary | 0o octal, '_' separators, an optional size suffix,
// or a float literal that is integral ("200e6", "1.5KiB").
IntParse parse_int(const std::string& text) {
  IntParse r;
  std::string s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.erase(0, 1);
  }
  uint64_t mult = 1;
  for (const auto& suf : kSizeSuffixes) {
    size_t n = std::char_traits<char>::length(suf.name);
    if (s.size() > n && s.compare(s.size() - n, n, suf.name) == 0) {
      mult = suf.mult;
      s.erase(s.size() - n);
      while (!s.empty() && s.back() == ' ') s.pop_back();
      break;
    }
  }
  if (s.empty()) return r;
  i128 v = 0;
  bool parsed = false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    parsed = parse_digits(s.substr(2), 16, v);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    parsed = parse_digits(s.substr(2), 2, v);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    parsed = parse_digits(s.substr(2), 8, v);
  } else if (parse_digits(s, 10, v)) {
    parsed = true;
  } else {
    double d;
    if (!parse_float_body(s, d)) return r;
    long double x = static_cast<long double>(d) * static_cast<long double>(mult);
    if (x != std::floor(x)) {
      r.status = IntParse::NotIntegral;
      return r;
    }
    if (x >= 1e36L) {
      r.status = IntParse::TooLarge;
      return r;
    }
    r.value = static_cast<i128>(x);
    if (neg) r.value = -r.value;
    r.status = IntParse::Ok;
    return r;
  }
  if (!parsed) return r;
  if (v >= (static_cast<i128>(1) << 120) / static_cast<i128>(mult)) {
    r.status = IntParse::TooLarge;
    return r;
  }
  r.value = v * static_cast<i128>(mult);
  if (neg) r.value = -r.value;
  r.status = IntParse::Ok;
  return r;
}

bool parse_double(const std::string& text, double& out) {
  std::string s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.erase(0, 1);
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF") {
    out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if ((s == ".nan" || s == ".NaN" || s == ".NAN") && text[0] != '-' && text[0] != '+') {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  double d;
  if (parse_float_body(s, d)) {
    out = neg ? -d : d;
    return true;
  }
  IntParse ip = parse_int(text);
  if (ip.status == IntParse::Ok) {
    out = static_cast<double>(ip.value);
    return true;
  }
  return false;
}

bool is_true(const std::string& s) { return s == "true" || s == "True" || s == "TRUE"; }
bool is_false(const std::string& s) { return s == "false" || s == "False" || s == "FALSE"; }
bool looks_like_yaml11_bool(const std::string& s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "yes" || l == "no" || l == "on" || l == "off" || l == "y" || l == "n";
}

std::string i128_to_string(i128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  std::string s;
  while (v != 0) {
    int d = static_cast<int>(v % 10);
    s += static_cast<char>('0' + (d < 0 ? -d : d));
    v /= 10;
  }
  if (neg) s += '-';
  std::reverse(s.begin(), s.end());
  return s;
}

// Unit hint from the key name (units live in key names: freq_hz, latency_ns, energy_pj, ...).
std::string unit_hint(const std::string& path) {
  static const std::pair<const char*, const char*> units[] = {
      {"_hz", "Hz"},   {"_ns", "ns"}, {"_ps", "ps"},   {"_us", "us"},   {"_ms", "ms"},
      {"_pj", "pJ"},   {"_fj", "fJ"}, {"_nj", "nJ"},   {"_uj", "uJ"},   {"_mw", "mW"},
      {"_uw", "uW"},   {"_nw", "nW"}, {"_w", "W"},     {"_v", "V"},     {"_mv", "mV"},
      {"_bytes", "bytes"}, {"_bits", "bits"}, {"_cycles", "cycles"}, {"_s", "s"}};
  std::string leaf = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  for (const auto& u : units) {
    size_t n = std::char_traits<char>::length(u.first);
    if (leaf.size() > n && leaf.compare(leaf.size() - n, n, u.first) == 0) return std::string(" (") + u.second + ")";
  }
  return "";
}

template <typename T>
const char* int_type_name() {
  if (std::is_same_v<T, int>) return "int32";
  if (std::is_same_v<T, uint32_t>) return "uint32";
  if (std::is_same_v<T, int64_t>) return "int64";
  if (std::is_same_v<T, uint64_t>) return "uint64";
  return "integer";
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

// ------------------------------------------------------------------------------------------------
struct Config::Impl {
  NodePtr root;
  std::string file;

  // Result of walking a path.
  struct Walk {
    NodePtr node;                  // the value, or nullptr if absent
    std::vector<NodePtr> chain;    // existing nodes from root down to the deepest one reached
    std::string reached_path;      // path of chain.back() (set when node is nullptr)
    std::string blocked;           // if the walk stopped at a scalar/null: explanation
  };

  // Walks components in place (no split into strings: config reads are frequent).
  Walk walk(const std::string& full_path) const {
    if (!full_path.empty() &&
        (full_path.front() == '.' || full_path.back() == '.' || full_path.find("..") != std::string::npos))
      split_path(full_path);  // throws: empty component
    Walk w;
    NodePtr cur = root;
    w.chain.push_back(cur);
    size_t reached = 0;  // length of the path of chain.back()
    for (size_t start = 0; start < full_path.size();) {
      size_t end = full_path.find('.', start);
      if (end == std::string::npos) end = full_path.size();
      const std::string_view part(full_path.data() + start, end - start);
      NodePtr next;
      if (cur->kind == Node::Kind::Map) {
        for (const auto& kv : cur->map)
          if (kv.first == part) {
            next = kv.second;
            break;
          }
      } else {
        const std::string so_far = full_path.substr(0, reached);
        if (cur->kind == Node::Kind::List) {
          size_t idx;
          if (parse_index(std::string(part), idx) && idx < cur->list.size()) next = cur->list[idx];
          if (!next)
            w.blocked = "'" + so_far + "' is a list of " + std::to_string(cur->list.size()) +
                        " elements (addressed as '" + so_far + ".0', '" + so_far + ".1', ...)";
        } else {
          w.blocked = "'" + so_far + "' is " + describe(*cur) + ", not a map";
        }
      }
      if (!next) {
        w.reached_path = full_path.substr(0, reached);
        return w;
      }
      cur = next;
      reached = end;
      w.chain.push_back(cur);
      start = end + 1;
    }
    w.node = cur;  // (reached_path is for the message of a missing key only)
    return w;
  }

  static void mark_chain(const Walk& w) {
    for (const auto& n : w.chain) n->used = true;
  }

  std::string err_prefix(const Node& n, const std::string& key) const {
    std::string o = n.origin.str();
    if (o.empty()) o = file.empty() ? "<config>" : file;
    return o + ": " + (key.empty() ? std::string("<root>") : key) + ": ";
  }

  [[noreturn]] void throw_missing(const Walk& w, const std::string& key) const {
    const Node& parent = *w.chain.back();
    std::string where = parent.origin.str();
    if (where.empty()) where = file.empty() ? "<config>" : file;
    std::string msg = where + ": missing required key '" + key + "'";
    if (!w.blocked.empty()) {
      msg += " (" + w.blocked + ")";
    } else if (!w.reached_path.empty()) {
      std::vector<std::string> ks;
      for (const auto& kv : parent.map) ks.push_back(kv.first);
      msg += " (expected under '" + w.reached_path + "'" +
             (ks.empty() ? std::string(", which is empty") : ", which has: " + join_list(ks)) + ")";
    }
    throw ConfigError(msg);
  }

  // The value at `key` for a required typed read: a scalar node (marked used). `expected()` names
  // what was expected (built only for the message: reads are frequent, errors are not).
  template <typename Expected>
  NodePtr require_scalar(const std::string& key, const Expected& expected) const {
    Walk w = walk(key);
    mark_chain(w);
    if (!w.node) throw_missing(w, key);
    if (w.node->kind != Node::Kind::Scalar)
      throw ConfigError(err_prefix(*w.node, key) + "expected " + expected() + ", found " + describe(*w.node));
    return w.node;
  }

  void find_unused(const Node& n, const std::string& path, bool is_start) const {
    if (!is_start && !n.used) {
      report_unknown(path);
    }
    for (const auto& kv : n.map) find_unused(*kv.second, join_path(path, kv.first), false);
    for (size_t i = 0; i < n.list.size(); ++i) find_unused(*n.list[i], join_path(path, std::to_string(i)), false);
  }

  [[noreturn]] void report_unknown(const std::string& path) const {
    Walk w = walk(path);
    const Node& n = *w.node;
    const Node& parent = *w.chain[w.chain.size() - 2];
    std::string leaf = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
    std::string msg = n.origin.str();
    if (msg.empty()) msg = file;
    msg += ": unknown key '" + path + "' (not used by any model";
    if (parent.kind == Node::Kind::Map) {
      std::vector<std::string> known;
      std::string best;
      size_t best_d = 3;
      for (const auto& kv : parent.map) {
        if (!kv.second->used) continue;
        known.push_back(kv.first);
        size_t d = edit_distance(leaf, kv.first);
        if (d < best_d && d < std::max<size_t>(leaf.size(), 2)) {
          best_d = d;
          best = kv.first;
        }
      }
      if (!best.empty()) msg += "; did you mean '" + best + "'?";
      msg += known.empty() ? std::string("; no key at this level was read")
                           : "; known keys at this level: " + join_list(known);
    } else {
      msg += "; list element never read";
    }
    msg += ")";
    throw ConfigError(msg);
  }

  void apply_set(const std::string& set) {
    size_t eq = set.find('=');
    const std::string shown = "--set " + set;
    if (eq == std::string::npos)
      throw ConfigError(shown + ": expected path=value (e.g. soc.clock.freq_hz=100e6)");
    const std::string path = set.substr(0, eq);
    const std::string value_text = set.substr(eq + 1);
    std::vector<std::string> parts;
    try {
      parts = split_path(path);
    } catch (const ConfigError&) {
      throw ConfigError(shown + ": invalid path '" + path + "' (expected dotted names like soc.clock.freq_hz)");
    }
    if (parts.empty()) throw ConfigError(shown + ": empty path");
    Origin origin{shown, 0};
    NodePtr value;
    try {
      value = convert(YAML::Load(value_text), origin, shown);
    } catch (const YAML::Exception& e) {
      throw ConfigError(shown + ": value '" + value_text + "' is not valid YAML: " + e.msg);
    }
    if (parts.size() == 1 && parts[0] == "include")
      throw ConfigError(shown + ": 'include' can only be used in files");

    NodePtr cur = root;
    std::string so_far;
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      const bool last = i + 1 == parts.size();
      if (cur->kind == Node::Kind::Null) {  // "key:" with no value becomes a map
        cur->kind = Node::Kind::Map;
      }
      if (cur->kind == Node::Kind::Map) {
        NodePtr next = cur->find(part);
        if (last) {
          if (next && next->kind == Node::Kind::Map && value->kind == Node::Kind::Map)
            merge_into(*next, *value);
          else
            cur->set(part, value);
          return;
        }
        if (!next) {
          next = make_node(Node::Kind::Map, origin);
          cur->map.emplace_back(part, next);
        }
        cur = next;
      } else if (cur->kind == Node::Kind::List) {
        size_t idx;
        if (!parse_index(part, idx) || idx > cur->list.size())
          throw ConfigError(shown + ": '" + so_far + "' (" + cur->origin.str() + ") is a list of " +
                            std::to_string(cur->list.size()) + " elements; '" + part +
                            "' is not an index 0.." + std::to_string(cur->list.size()) +
                            " (the last one appends)");
        if (idx == cur->list.size()) cur->list.push_back(last ? value : make_node(Node::Kind::Map, origin));
        if (last) {
          cur->list[idx] = value;
          return;
        }
        cur = cur->list[idx];
      } else {
        throw ConfigError(shown + ": cannot set '" + path + "': '" + so_far + "' (" + cur->origin.str() +
                          ") is a scalar " + describe(*cur) + ", not a map");
      }
      so_far = join_path(so_far, part);
    }
  }

  nlohmann::json to_json(const Node& n) const {
    switch (n.kind) {
      case Node::Kind::Null:
        return nullptr;
      case Node::Kind::Map: {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& kv : n.map) j[kv.first] = to_json(*kv.second);
        return j;
      }
      case Node::Kind::List: {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& e : n.list) j.push_back(to_json(*e));
        return j;
      }
      case Node::Kind::Scalar: {
        if (n.quoted) return n.text;
        if (is_true(n.text)) return true;
        if (is_false(n.text)) return false;
        IntParse ip = parse_int(n.text);
        if (ip.status == IntParse::Ok) {
          if (ip.value >= std::numeric_limits<int64_t>::min() && ip.value <= std::numeric_limits<int64_t>::max())
            return static_cast<int64_t>(ip.value);
          if (ip.value >= 0 && ip.value <= std::numeric_limits<uint64_t>::max())
            return static_cast<uint64_t>(ip.value);
        }
        double d;
        if (parse_double(n.text, d) && std::isfinite(d)) return d;
        return n.text;
      }
    }
    return nullptr;
  }
};

// ------------------------------------------------------------------------------------------------
Config::Config() : impl_(std::make_shared<Impl>()) { impl_->root = make_node(Node::Kind::Map, Origin{}); }
Config::~Config() = default;
Config::Config(const Config&) = default;
Config& Config::operator=(const Config&) = default;
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(Config&&) noexcept = default;

Config Config::load(const std::string& path, const std::vector<std::string>& sets) {
  Config c;
  std::vector<std::pair<std::string, std::string>> stack;
  c.impl_->root = load_file(path, Origin{}, stack);
  c.impl_->root->origin = Origin{path, 0};
  c.impl_->file = path;
  for (const auto& s : sets) c.impl_->apply_set(s);
  return c;
}

Config Config::parse(const std::string& yaml_text, const std::string& name, const std::vector<std::string>& sets) {
  Config c;
  std::vector<std::pair<std::string, std::string>> stack;
  c.impl_->root = load_with_includes(parse_document(yaml_text, name, true), name, fs::path(), stack);
  c.impl_->root->origin = Origin{name, 0};
  c.impl_->file = name;
  for (const auto& s : sets) c.impl_->apply_set(s);
  return c;
}

bool Config::has(const std::string& path) const {
  return impl_->walk(join_path(prefix_, path)).node != nullptr;
}

namespace {

// `err_prefix()` gives the start of an error message (built only when there is an error).
template <typename T, typename Prefix>
T convert_scalar(const Node& n, const std::string& key, const Prefix& err_prefix) {
  const std::string& s = n.text;
  if constexpr (std::is_same_v<T, std::string>) {
    return s;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (is_true(s)) return true;
    if (is_false(s)) return false;
    std::string msg = err_prefix() + "expected a boolean (true or false), found '" + s + "'";
    if (looks_like_yaml11_bool(s)) msg += " (YAML 1.2: only true/false are booleans; write true or false)";
    throw ConfigError(msg);
  } else if constexpr (std::is_same_v<T, double>) {
    double d;
    if (parse_double(s, d)) return d;
    throw ConfigError(err_prefix() + "expected a number" + unit_hint(key) + ", found '" + s + "'");
  } else {
    static_assert(std::is_integral_v<T>);
    IntParse ip = parse_int(s);
    const auto expected = [&] {
      return std::string("expected an integer") + unit_hint(key) + " in " + int_type_name<T>() + " range " +
             i128_to_string(std::numeric_limits<T>::min()) + " .. " + i128_to_string(std::numeric_limits<T>::max());
    };
    switch (ip.status) {
      case IntParse::Ok:
        if (ip.value < static_cast<i128>(std::numeric_limits<T>::min()) ||
            ip.value > static_cast<i128>(std::numeric_limits<T>::max()))
          throw ConfigError(err_prefix() + "value " + i128_to_string(ip.value) + " (written '" + s +
                            "') is out of range: " + expected());
        return static_cast<T>(ip.value);
      case IntParse::NotIntegral:
        throw ConfigError(err_prefix() + expected() + ", found '" + s + "' (not a whole number)");
      case IntParse::TooLarge:
        throw ConfigError(err_prefix() + "value '" + s + "' is out of range: " + expected());
      default:
        throw ConfigError(err_prefix() + expected() + ", found '" + s + "'");
    }
  }
}

template <typename T>
std::string expected_name(const std::string& key) {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_same_v<T, bool>) return "a boolean (true or false)";
  else if constexpr (std::is_same_v<T, double>) return "a number" + unit_hint(key);
  else return std::string("an integer") + unit_hint(key) + " (" + int_type_name<T>() + ")";
}

}  // namespace

template <typename T>
T Config::get(const std::string& path) const {
  const std::string key = join_path(prefix_, path);
  NodePtr n = impl_->require_scalar(key, [&] { return expected_name<T>(key); });
  return convert_scalar<T>(*n, key, [&] { return impl_->err_prefix(*n, key); });
}

template <typename T>
T Config::get(const std::string& path, const T& default_value) const {
  const std::string key = join_path(prefix_, path);
  Impl::Walk w = impl_->walk(key);
  Impl::mark_chain(w);  // the enclosing map was understood, even if this key takes its default
  if (!w.node || w.node->kind == Node::Kind::Null) return default_value;
  if (w.node->kind != Node::Kind::Scalar)
    throw ConfigError(impl_->err_prefix(*w.node, key) + "expected " + expected_name<T>(key) + ", found " +
                      describe(*w.node));
  return convert_scalar<T>(*w.node, key, [&] { return impl_->err_prefix(*w.node, key); });
}

#define MCUCIM_CONFIG_INSTANTIATE(T)                       \
  template T Config::get<T>(const std::string&) const; \
  template T Config::get<T>(const std::string&, const T&) const;
MCUCIM_CONFIG_INSTANTIATE(bool)
MCUCIM_CONFIG_INSTANTIATE(int)
MCUCIM_CONFIG_INSTANTIATE(int64_t)
MCUCIM_CONFIG_INSTANTIATE(uint32_t)
MCUCIM_CONFIG_INSTANTIATE(uint64_t)
MCUCIM_CONFIG_INSTANTIATE(double)
MCUCIM_CONFIG_INSTANTIATE(std::string)
#undef MCUCIM_CONFIG_INSTANTIATE

std::string Config::get_enum(const std::string& path, const std::vector<std::string>& allowed,
                             const std::string& default_value) const {
  const std::string v = get<std::string>(path, default_value);
  if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return v;
  fail(path, "expected one of " + join_list(allowed) + ", found '" + v + "'");
}

std::vector<std::string> Config::keys(const std::string& path) const {
  const std::string key = join_path(prefix_, path);
  Impl::Walk w = impl_->walk(key);
  if (!w.node) return {};
  Impl::mark_chain(w);
  if (w.node->kind == Node::Kind::Null) return {};
  if (w.node->kind != Node::Kind::Map)
    throw ConfigError(impl_->err_prefix(*w.node, key) + "expected a map of named entries, found " +
                      describe(*w.node));
  std::vector<std::string> out;
  for (const auto& kv : w.node->map) out.push_back(kv.first);
  return out;
}

size_t Config::list_size(const std::string& path) const {
  const std::string key = join_path(prefix_, path);
  Impl::Walk w = impl_->walk(key);
  if (!w.node) return 0;
  Impl::mark_chain(w);
  if (w.node->kind == Node::Kind::Null) return 0;
  if (w.node->kind != Node::Kind::List)
    throw ConfigError(impl_->err_prefix(*w.node, key) + "expected a list, found " + describe(*w.node));
  return w.node->list.size();
}

bool Config::is_map(const std::string& path) const {
  NodePtr n = impl_->walk(join_path(prefix_, path)).node;
  return n && n->kind == Node::Kind::Map;
}

bool Config::is_list(const std::string& path) const {
  NodePtr n = impl_->walk(join_path(prefix_, path)).node;
  return n && n->kind == Node::Kind::List;
}

Origin Config::origin(const std::string& path) const {
  Impl::Walk w = impl_->walk(join_path(prefix_, path));
  Origin o = w.chain.back()->origin;
  if (o.file.empty()) o.file = impl_->file;
  return o;
}

std::string Config::file() const { return impl_->file; }

void Config::check_all_used() const {
  Impl::Walk w = impl_->walk(prefix_);
  if (!w.node) return;
  impl_->find_unused(*w.node, prefix_, true);
}

void Config::mark_used(const std::string& path) const {
  Impl::Walk w = impl_->walk(join_path(prefix_, path));
  if (!w.node) return;
  Impl::mark_chain(w);
  mark_subtree(*w.node);
}

nlohmann::json Config::to_json() const {
  Impl::Walk w = impl_->walk(prefix_);
  if (!w.node) return nullptr;
  return impl_->to_json(*w.node);
}

Config Config::sub(const std::string& path) const {
  const std::string key = join_path(prefix_, path);
  Impl::Walk w = impl_->walk(key);
  if (w.node) {
    if (w.node->kind == Node::Kind::Scalar)
      throw ConfigError(impl_->err_prefix(*w.node, key) + "expected a map, found " + describe(*w.node));
    Impl::mark_chain(w);
  }
  Config c(*this);
  c.prefix_ = key;
  return c;
}

void Config::fail(const std::string& path, const std::string& what) const {
  const std::string key = join_path(prefix_, path);
  Impl::Walk w = impl_->walk(key);
  throw ConfigError(impl_->err_prefix(*w.chain.back(), key) + what);
}

std::string resolve_preset(const Config& cfg, const std::string& key, const std::string& folder,
                           const std::string& what) {
  const std::string name = cfg.get<std::string>(key);
  // The non-throwing forms: a name longer than the system allows (a fuzzer finding) is "not there",
  // not an exception that ends the process.
  std::error_code ec;
  if (name.find('/') != std::string::npos || name.find(".yaml") != std::string::npos) {
    if (!fs::exists(name, ec)) cfg.fail(key, what + " file '" + name + "' does not exist");
    if (!fs::is_regular_file(name, ec)) cfg.fail(key, what + " file '" + name + "' is not a regular file");
    return name;
  }
  fs::path beside = fs::path(cfg.file()).parent_path() / folder / (name + ".yaml");
  fs::path source = fs::path(MCUCIM_SOURCE_DIR) / "configs" / folder / (name + ".yaml");
  if (fs::exists(beside, ec)) return beside.string();
  if (fs::exists(source, ec)) return source.string();
  cfg.fail(key, "no " + what + " '" + name + "' (looked for " + beside.string() + " and " + source.string() + ")");
}

}  // namespace mcucim::sim

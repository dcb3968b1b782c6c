// Report selectors: parsing, selection, checks against the report schema and the firmware.
#include "sweep/select.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "sim/elf.h"

namespace mcucim::sweep {

using nlohmann::json;

std::string parse_selector(const std::string& text, Selector& out) {
  out = Selector{};
  out.text = text;
  if (text.empty()) return "empty selector";
  // Split at dots outside brackets.
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) return "unbalanced ']'";
    if (c == '.' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) return "unbalanced '['";
  parts.push_back(cur);
  for (const std::string& part : parts) {
    if (part.empty()) return "empty step (two dots, or a dot at the start or end)";
    const size_t br = part.find('[');
    const std::string head = part.substr(0, br);
    if (head.empty()) return "'" + part + "': a match needs the list's name before '[' (e.g. regions[name=ffn])";
    Selector::Step st;
    if (std::all_of(head.begin(), head.end(), ::isdigit)) {
      st.kind = Selector::Step::Index;
      st.index = std::stoul(head);
    } else {
      st.key = head;
    }
    out.steps.push_back(st);
    for (size_t at = br; at != std::string::npos;) {
      const size_t end = part.find(']', at);
      const std::string inner = part.substr(at + 1, end - at - 1);
      const size_t eq = inner.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == inner.size())
        return "'[" + inner + "]': expected [field=value], e.g. [name=ffn]";
      Selector::Step m;
      m.kind = Selector::Step::Match;
      m.key = inner.substr(0, eq);
      m.value = inner.substr(eq + 1);
      out.steps.push_back(m);
      if (end + 1 < part.size() && part[end + 1] != '[')
        return "'" + part + "': unexpected '" + part.substr(end + 1) + "' after ']'";
      at = end + 1 < part.size() ? end + 1 : std::string::npos;
    }
  }
  return "";
}

namespace {
std::string as_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}
}  // namespace

const json* select(const json& report, const Selector& sel) {
  const json* cur = &report;
  for (const auto& st : sel.steps) {
    switch (st.kind) {
      case Selector::Step::Key: {
        if (!cur->is_object()) return nullptr;
        auto it = cur->find(st.key);
        if (it == cur->end()) return nullptr;
        cur = &*it;
        break;
      }
      case Selector::Step::Index:
        if (cur->is_object()) {  // a map keyed by digits
          auto it = cur->find(std::to_string(st.index));
          if (it == cur->end()) return nullptr;
          cur = &*it;
        } else if (cur->is_array() && st.index < cur->size()) {
          cur = &(*cur)[st.index];
        } else {
          return nullptr;
        }
        break;
      case Selector::Step::Match: {
        if (!cur->is_array()) return nullptr;
        const json* found = nullptr;
        for (const auto& e : *cur)
          if (e.is_object() && e.contains(st.key) && as_text(e[st.key]) == st.value) {
            found = &e;
            break;
          }
        if (!found) return nullptr;
        cur = found;
        break;
      }
    }
  }
  return cur;
}

namespace {

const json& resolve(const json& schema, const json& node) {
  if (node.is_object() && node.contains("$ref") && node["$ref"].is_string()) {
    const std::string ref = node["$ref"];
    const std::string prefix = "#/$defs/";
    if (ref.compare(0, prefix.size(), prefix) == 0 && schema.contains("$defs") &&
        schema["$defs"].contains(ref.substr(prefix.size())))
      return resolve(schema, schema["$defs"][ref.substr(prefix.size())]);
  }
  // "oneOf": [{"type": "null"}, X] (a field that is null in some reports, e.g. with --no-energy): X.
  if (node.is_object() && !node.contains("properties") && node.contains("oneOf") && node["oneOf"].is_array())
    for (const auto& alt : node["oneOf"])
      if (!(alt.is_object() && alt.size() == 1 && alt.contains("type") && alt["type"] == "null")) return resolve(schema, alt);
  return node;
}

bool has_type(const json& node, const std::string& t) {
  if (!node.is_object() || !node.contains("type")) return false;
  const json& ty = node["type"];
  if (ty.is_string()) return ty == t;
  if (ty.is_array())
    for (const auto& x : ty)
      if (x == t) return true;
  return false;
}

std::string fields_of(const json& node) {
  std::string out;
  if (node.is_object() && node.contains("properties"))
    for (auto it = node["properties"].begin(); it != node["properties"].end(); ++it)
      out += (out.empty() ? "" : ", ") + it.key();
  return out.empty() ? "none" : out;
}

}  // namespace

namespace {
std::string check_selector_at(const Selector& sel, const json& schema, const json& root, std::vector<MatchStep>& matches);
}  // namespace

std::string check_selector(const Selector& sel, const json& schema, std::vector<MatchStep>& matches) {
  // docs/report.schema.json chooses between a one-SoC report ($defs.soc_report) and a system report
  // ($defs.system_report): a selector is valid if it names a field of either.
  if (!schema.contains("properties") && schema.contains("$defs") && schema["$defs"].contains("soc_report")) {
    std::vector<MatchStep> m;
    const std::string e = check_selector_at(sel, schema, schema["$defs"]["soc_report"], m);
    if (e.empty() || !schema["$defs"].contains("system_report")) {
      matches.insert(matches.end(), m.begin(), m.end());
      return e;
    }
    std::vector<MatchStep> m2;
    if (check_selector_at(sel, schema, schema["$defs"]["system_report"], m2).empty()) {
      matches.insert(matches.end(), m2.begin(), m2.end());
      return "";
    }
    matches.insert(matches.end(), m.begin(), m.end());
    return e;
  }
  return check_selector_at(sel, schema, schema, matches);
}

namespace {
std::string check_selector_at(const Selector& sel, const json& schema, const json& root, std::vector<MatchStep>& matches) {
  const json* node = &resolve(schema, root);
  std::string path;  // the steps so far, as written
  for (size_t i = 0; i < sel.steps.size(); ++i) {
    const auto& st = sel.steps[i];
    const std::string where = path.empty() ? "the report" : "'" + path + "'";
    switch (st.kind) {
      case Selector::Step::Key: {
        const bool open = has_type(*node, "object") && !node->contains("properties") &&
                          !node->contains("additionalProperties");  // free-form (e.g. config)
        if (open) return "";
        if (node->contains("properties") && (*node)["properties"].contains(st.key)) {
          node = &resolve(schema, (*node)["properties"][st.key]);
        } else if (node->contains("additionalProperties") && (*node)["additionalProperties"].is_object()) {
          node = &resolve(schema, (*node)["additionalProperties"]);  // a map: any key
        } else if (has_type(*node, "array")) {
          return where + " is a list: select an element by position (." + "0) or by a field ([name=...])";
        } else if (node->contains("properties")) {
          return where + " has no field '" + st.key + "' (fields: " + fields_of(*node) + ")";
        } else {
          return where + " is a value, not an object: nothing to select with '." + st.key + "'";
        }
        path += (path.empty() ? "" : ".") + st.key;
        break;
      }
      case Selector::Step::Index:
      case Selector::Step::Match: {
        if (st.kind == Selector::Step::Index && node->contains("additionalProperties")) {  // digit map key
          node = &resolve(schema, (*node)["additionalProperties"]);
          path += "." + std::to_string(st.index);
          break;
        }
        if (!has_type(*node, "array") || !node->contains("items"))
          return where + " is not a list: '" +
                 (st.kind == Selector::Step::Index ? std::to_string(st.index) : "[" + st.key + "=" + st.value + "]") +
                 "' does not apply";
        const json& items = resolve(schema, (*node)["items"]);
        if (st.kind == Selector::Step::Match) {
          if (!items.contains("properties") || !items["properties"].contains(st.key))
            return "the elements of " + where + " have no field '" + st.key + "' (fields: " + fields_of(items) + ")";
          matches.push_back({path, st.key, st.value});
          path += "[" + st.key + "=" + st.value + "]";
        } else {
          path += "." + std::to_string(st.index);
        }
        node = &items;
        break;
      }
    }
  }
  return "";
}
}  // namespace

std::vector<std::string> elf_strings(const std::string& elf_path) {
  const sim::ElfImage img = sim::load_elf(elf_path);
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& seg : img.segments) {
    std::string cur;
    for (uint8_t b : seg.data) {
      if (b >= 0x20 && b < 0x7f) {
        cur += static_cast<char>(b);
        if (cur.size() > 256) cur.clear();
        continue;
      }
      if (b == 0 && !cur.empty() && seen.insert(cur).second) out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

bool region_name_possible(const std::string& name, const std::vector<std::string>& strings) {
  // The linker merges a string into the tail of a longer one ("ffn" into "rms_ffn"): a suffix counts.
  for (const auto& s : strings)
    if (s.size() >= name.size() && s.compare(s.size() - name.size(), name.size(), name) == 0) return true;
  size_t n = name.size();
  while (n > 0 && std::isdigit(static_cast<unsigned char>(name[n - 1]))) --n;
  if (n == name.size() || n == 0) return false;
  const std::string prefix = name.substr(0, n);
  for (const auto& s : strings)
    if (s.find(prefix) != std::string::npos) return true;
  return false;
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;
  for (const auto& c : candidates) {
    if (c.empty() || !std::all_of(c.begin(), c.end(), [](char x) { return std::isalnum(static_cast<unsigned char>(x)) || x == '_'; }))
      continue;  // only names (not messages) are worth suggesting
    if (c.size() > word.size() + 2 || word.size() > c.size() + 2) continue;
    std::vector<size_t> prev(c.size() + 1), row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j)
        row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (word[i - 1] == c[j - 1] ? 0 : 1)});
      prev.swap(row);
    }
    if (prev[c.size()] < best_d) {
      best_d = prev[c.size()];
      best = c;
    }
  }
  return best;
}

}  // namespace mcucim::sweep

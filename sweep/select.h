// Report selectors: which field of a point's JSON report (docs/REPORT.md) a `report:` metric of a
// sweep spec reads. A selector is a dotted path whose steps are object keys, list indexes, or a
// match on a field of the list's elements:
//   energy_j.dynamic              an object field
//   regions[name=ffn].cycles      the element of `regions` whose name is "ffn", then its cycles
//   energy_j.components[name=core].leakage_j
//   regions.2.cycles              the third element (by position; fragile when regions are added)
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcucim::sweep {

struct Selector {
  struct Step {
    enum Kind { Key, Index, Match } kind = Key;
    std::string key;                 // Key: the field; Match: the element field compared
    size_t index = 0;                // Index
    std::string value;               // Match: the value it must have (compared as text)
  };
  std::string text;
  std::vector<Step> steps;
};

// Parse a selector; returns "" or the problem (e.g. "unbalanced '['").
std::string parse_selector(const std::string& text, Selector& out);

// The selected value of `report`, or nullptr when a key, index or match is absent.
const nlohmann::json* select(const nlohmann::json& report, const Selector& sel);

// Check a selector against the report's JSON schema (docs/report.schema.json): every key must be a
// field the report can have, every index or match must apply to a list and a match's field must be
// a field of its elements. Returns "" or the problem, naming the step and the fields available there.
// `matches` receives the (list path, field, value) of every match step, e.g. ("regions", "name",
// "ffn"), so the caller can check the value (region names against the firmware, component names
// against the config).
struct MatchStep {
  std::string list, field, value;
};
std::string check_selector(const Selector& sel, const nlohmann::json& schema, std::vector<MatchStep>& matches);

// The strings a firmware may pass as region names: NUL-terminated printable strings in the ELF's
// loadable segments. Throws sim::ElfError for an unreadable ELF.
std::vector<std::string> elf_strings(const std::string& elf_path);
// True when `name` ends one of `strings` (the linker merges "ffn" into the tail of "rms_ffn"), or is
// letters followed by digits whose letters occur in one of them (names built at run time, e.g.
// expert0, expert1 from "expert"). An approximation: it accepts any such string, not only the ones
// the firmware passes to sim_region_name.
bool region_name_possible(const std::string& name, const std::vector<std::string>& strings);
// The closest of `candidates` to `word` (edit distance <= 2), or "".
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace mcucim::sweep

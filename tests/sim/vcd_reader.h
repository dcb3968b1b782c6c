// A small reader of Value Change Dump files (IEEE 1364-2005 clause 18), written for the tests
// independently of sim/vcd.cpp: the header ($timescale, $scope/$var/$upscope, $enddefinitions) and the
// value changes (#time, scalar 0/1/x/z, bBITS, rREAL, $dumpvars blocks). A malformed file fails the
// test with a message (error()).
#pragma once
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace vcdtest {

struct Change {
  uint64_t time;
  std::string value;  // "0"/"1" for scalars, the bits (no leading 'b') of vectors, the number of reals
};
struct Signal {
  std::string type;  // wire, reg, real, ...
  unsigned width = 0;
  std::vector<Change> changes;
  // The value at `time` (the last change at or before it); "" before the first.
  std::string at(uint64_t time) const {
    std::string v;
    for (const auto& c : changes)
      if (c.time <= time) v = c.value;
    return v;
  }
};
struct Vcd {
  std::string timescale;                   // e.g. "1ps"
  std::map<std::string, Signal> signals;   // by full name: soc.core.pc
  std::vector<uint64_t> times;             // every #time, in file order
  std::string error;                       // empty if the file parsed
};

inline uint64_t bits(const std::string& b) { return b.empty() ? 0 : std::stoull(b, nullptr, 2); }

inline Vcd read_vcd(const std::string& text) {
  Vcd v;
  std::istringstream in(text);
  std::vector<std::string> scope;
  std::map<std::string, std::string> by_id;  // id code -> full name
  std::string tok;
  auto fail = [&](const std::string& m) {
    if (v.error.empty()) v.error = m;
    return v;
  };
  auto until_end = [&](std::vector<std::string>& out) {
    for (std::string t; in >> t;) {
      if (t == "$end") return true;
      out.push_back(t);
    }
    return false;
  };
  // Header.
  bool defs = false;
  while (!defs && in >> tok) {
    std::vector<std::string> body;
    if (tok == "$timescale") {
      if (!until_end(body)) return fail("unterminated $timescale");
      for (const auto& b : body) v.timescale += b;
    } else if (tok == "$scope") {
      if (!until_end(body) || body.size() != 2) return fail("bad $scope");
      scope.push_back(body[1]);
    } else if (tok == "$upscope") {
      if (!until_end(body) || scope.empty()) return fail("bad $upscope");
      scope.pop_back();
    } else if (tok == "$var") {
      if (!until_end(body) || body.size() < 4) return fail("bad $var");
      std::string name;
      for (const auto& s : scope) name += s + ".";
      name += body[3];
      Signal s;
      s.type = body[0];
      s.width = static_cast<unsigned>(std::stoul(body[1]));
      if (v.signals.count(name)) return fail("signal defined twice: " + name);
      v.signals[name] = s;
      by_id[body[2]] = name;
    } else if (tok == "$enddefinitions") {
      if (!until_end(body)) return fail("unterminated $enddefinitions");
      defs = true;
    } else if (tok == "$version" || tok == "$date" || tok == "$comment") {
      if (!until_end(body)) return fail("unterminated " + tok);
    } else {
      return fail("unexpected in header: " + tok);
    }
  }
  if (!defs) return fail("no $enddefinitions");
  if (!scope.empty()) return fail("unbalanced $scope");
  // Value changes.
  uint64_t now = 0;
  bool have_time = false;
  auto change = [&](const std::string& id, const std::string& value) {
    auto it = by_id.find(id);
    if (it == by_id.end()) return false;
    if (!have_time) return false;
    v.signals[it->second].changes.push_back({now, value});
    return true;
  };
  while (in >> tok) {
    if (tok == "$dumpvars" || tok == "$end" || tok == "$dumpall" || tok == "$dumpon" || tok == "$dumpoff") continue;
    if (tok == "$comment") {
      std::vector<std::string> body;
      if (!until_end(body)) return fail("unterminated $comment");
      continue;
    }
    if (tok[0] == '#') {
      const uint64_t t = std::stoull(tok.substr(1));
      if (have_time && t <= now) return fail("time not increasing at " + tok);
      now = t;
      have_time = true;
      v.times.push_back(t);
    } else if (tok[0] == 'b' || tok[0] == 'B' || tok[0] == 'r' || tok[0] == 'R') {
      std::string id;
      if (!(in >> id)) return fail("value without identifier: " + tok);
      if (!change(id, tok.substr(1))) return fail("change of an unknown signal or before a time: " + id);
    } else if (tok[0] == '0' || tok[0] == '1' || tok[0] == 'x' || tok[0] == 'z') {
      if (tok.size() < 2 || !change(tok.substr(1), tok.substr(0, 1))) return fail("bad scalar change: " + tok);
    } else {
      return fail("unexpected: " + tok);
    }
  }
  return v;
}

}  // namespace vcdtest

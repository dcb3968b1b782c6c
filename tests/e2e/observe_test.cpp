// `mcucim run --log-commits / --log-from / --log-to` and `--stats-interval` end to end: observing a
// run must not change it, windows cut the full log exactly, interval rows add up to the report.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sim/elf.h"
#include "tests/e2e/e2e_util.h"

namespace {
using e2e::mcucim;
using e2e::run_args;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
uint64_t cycle_of(const std::string& line) { return std::stoull(line.substr(0, line.find(' '))); }
uint32_t pc_of(const std::string& line) {
  const auto p = line.find(": 3 0x");
  return static_cast<uint32_t>(std::stoul(line.substr(p + 6, 8), nullptr, 16));
}
nlohmann::json report(const std::string& path) { return nlohmann::json::parse(e2e::slurp(path)); }

// The full log of a program, checked line by line for the format and against the report.
struct Logged {
  std::vector<std::string> lines;
  nlohmann::json report;
};
Logged logged_run(const std::string& fw, const std::string& extra = "") {
  static int n = 0;
  const std::string base = e2e::tmpdir() + "/obs" + std::to_string(n++);
  auto r = mcucim(run_args(fw, "-q --report " + base + ".json --log-commits " + base + ".log " + extra));
  EXPECT_EQ(r.code, 0) << r.err;
  return {split_lines(e2e::slurp(base + ".log")), report(base + ".json")};
}

void expect_same_run(const std::string& fw) {
  const std::string base = e2e::tmpdir() + "/plain_" + fw;
  auto r = mcucim(run_args(fw, "-q --report " + base + ".json"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto plain = report(base + ".json");
  const Logged l = logged_run(fw);
  EXPECT_EQ(l.report["cycles"], plain["cycles"]) << fw << ": logging changed the timing";
  EXPECT_EQ(l.report["instret"], plain["instret"]);
  EXPECT_DOUBLE_EQ(l.report["energy_j"]["total"].get<double>(), plain["energy_j"]["total"].get<double>());
  // One line per retired instruction, in Spike's format, cycles non-decreasing.
  EXPECT_EQ(l.lines.size(), plain["instret"].get<uint64_t>());
  const std::regex fmt(R"(^\d+ core   0: 3 0x[0-9a-f]{8} \(0x([0-9a-f]{4}|[0-9a-f]{8})\)( (x|f)[0-9 ]{2} 0x[0-9a-f]{8}| c\d+_\w+ 0x[0-9a-f]{8})*( mem 0x[0-9a-f]{8}( 0x([0-9a-f]{2}|[0-9a-f]{4}|[0-9a-f]{8}))?)?$)");
  uint64_t last = 0;
  size_t bad = 0;
  for (const auto& line : l.lines) {
    if (!std::regex_match(line, fmt) && bad++ < 3) ADD_FAILURE() << "bad line: " << line;
    const uint64_t c = cycle_of(line);
    EXPECT_GE(c, last);
    last = c;
  }
  ASSERT_FALSE(l.lines.empty());
  const auto elf = mcucim::sim::load_elf(e2e::fw(fw));
  EXPECT_EQ(pc_of(l.lines.front()), elf.entry);
}

TEST(CommitLog, DoesNotChangeTheRunAndLogsEveryInstruction) { expect_same_run("selfcheck"); }
TEST(CommitLog, DoesNotChangeARunWithInterrupts) { expect_same_run("timer_irq"); }

TEST(CommitLog, CycleWindowIsASliceOfTheFullLog) {
  const Logged full = logged_run("selfcheck");
  const Logged win = logged_run("selfcheck", "--log-from cycle:300 --log-to cycle:700");
  std::vector<std::string> expect;
  for (const auto& l : full.lines)
    if (cycle_of(l) >= 300 && cycle_of(l) < 700) expect.push_back(l);
  ASSERT_FALSE(expect.empty());
  EXPECT_EQ(win.lines, expect);
  EXPECT_EQ(win.report["cycles"], full.report["cycles"]);
}

TEST(CommitLog, PcWindowBySymbol) {
  const auto elf = mcucim::sim::load_elf(e2e::fw("selfcheck"));
  const uint32_t main_pc = *elf.symbol("main");
  const Logged full = logged_run("selfcheck");
  const Logged win = logged_run("selfcheck", "--log-from pc:main --log-to pc:main");
  ASSERT_EQ(win.lines.size(), 1u);  // the first instruction of main only (both bounds included)
  EXPECT_EQ(pc_of(win.lines[0]), main_pc);
  size_t first = 0;
  while (first < full.lines.size() && pc_of(full.lines[first]) != main_pc) ++first;
  ASSERT_LT(first, full.lines.size());
  EXPECT_EQ(win.lines[0], full.lines[first]);
}

TEST(CommitLog, BadOptionsAreUsageErrors) {
  const std::string d = e2e::tmpdir();
  auto r = mcucim(run_args("exit3", "--log-commits " + d + "/x.log --log-from 1000"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--log-from 1000: expected cycle:N or pc:ADDRESS"), std::string::npos) << r.err;
  r = mcucim(run_args("exit3", "--log-commits " + d + "/x.log --log-to pc:no_such_symbol"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no_such_symbol"), std::string::npos) << r.err;
  r = mcucim(run_args("exit3", "--log-commits /nonexistent-dir/x.log"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--log-commits /nonexistent-dir/x.log: cannot open for writing"), std::string::npos) << r.err;
  r = mcucim(run_args("exit3", "--log-from cycle:5"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("need --log-commits"), std::string::npos) << r.err;
  r = mcucim(run_args("exit3", "--stats-interval 100"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--stats-file"), std::string::npos) << r.err;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> v;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) v.push_back(cell);
  if (!line.empty() && line.back() == ',') v.push_back("");
  return v;
}

TEST(StatsInterval, RowsAddUpToTheReport) {
  const std::string base = e2e::tmpdir() + "/stats";
  auto plain = mcucim(run_args("regions", "-q --report " + base + "_plain.json"));
  ASSERT_EQ(plain.code, 0) << plain.err;
  auto r = mcucim(run_args("regions", "-q --report " + base + ".json --stats-interval 1000 --stats-file " + base + ".csv"));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = report(base + ".json");
  EXPECT_EQ(j["cycles"], report(base + "_plain.json")["cycles"]) << "--stats-interval changed the timing";
  const auto rows = split_lines(e2e::slurp(base + ".csv"));
  ASSERT_GE(rows.size(), 3u);
  const auto head = split_csv(rows[0]);
  ASSERT_GE(head.size(), 7u);
  EXPECT_EQ(head[0], "cycle_begin");
  EXPECT_EQ(head[4], "energy_j");
  EXPECT_EQ(head.back(), "region");
  const auto& comps = j["energy_j"]["components"];
  ASSERT_EQ(head.size(), 6 + comps.size());
  for (size_t i = 0; i < comps.size(); ++i) EXPECT_EQ(head[5 + i], comps[i]["name"].get<std::string>() + "_j");
  uint64_t cycles = 0, insns = 0, prev_end = 0;
  double total = 0;
  std::vector<double> by(comps.size(), 0.0);
  bool saw_region = false;
  for (size_t k = 1; k < rows.size(); ++k) {
    const auto c = split_csv(rows[k]);
    ASSERT_EQ(c.size(), head.size()) << rows[k];
    const uint64_t b = std::stoull(c[0]), e = std::stoull(c[1]);
    EXPECT_EQ(b, prev_end) << "rows must tile the run";
    EXPECT_EQ(std::stoull(c[2]), e - b);
    if (k + 1 < rows.size()) {
      EXPECT_GE(e, k * 1000) << "a row ends at or after its multiple of N";
    }
    prev_end = e;
    cycles += e - b;
    insns += std::stoull(c[3]);
    total += std::stod(c[4]);
    for (size_t i = 0; i < comps.size(); ++i) by[i] += std::stod(c[5 + i]);
    saw_region = saw_region || !c.back().empty();
  }
  EXPECT_EQ(cycles, j["cycles"].get<uint64_t>());
  EXPECT_EQ(prev_end, j["cycles"].get<uint64_t>());
  // The report's instret counts retired instructions; the rows count the same events.
  EXPECT_EQ(insns, j["instret"].get<uint64_t>());
  const double jt = j["energy_j"]["total"].get<double>();
  EXPECT_NEAR(total, jt, 1e-6 * jt);
  for (size_t i = 0; i < comps.size(); ++i) {
    const double ct = comps[i]["total_j"].get<double>();
    EXPECT_NEAR(by[i], ct, 1e-6 * jt) << comps[i]["name"];
  }
  EXPECT_TRUE(saw_region) << "the regions workload marks regions; some row must name one";
}

}  // namespace

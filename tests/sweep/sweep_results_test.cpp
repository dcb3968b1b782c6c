// Sweep results beyond the basic table: constraints (feasible column, the Pareto chart's excluded
// count), the long format, timeouts (local runner and --list lines), --list of pending points only,
// provenance copied from the points' reports. Firmware metric_args prints `METRIC name=value` for each
// argument, so the metric values below are chosen by the spec and the expectations follow by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"
#include "sweep_util.h"

namespace fs = std::filesystem;
using sweep_test::read_table;
using sweep_test::Row;

namespace {

std::string base_cfg() { return std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base.yaml"; }

// Four points, zipped: (q, spin) = (0.5, 1000) (0.9, 2000) (0.96, 30000) (1.0, 40000). More spin
// iterations take longer and cost more energy, so without constraints q=0.5 is the fastest and
// cheapest point; with metric.q >= 0.95 only q=0.96 and q=1.0 qualify and q=0.96 dominates q=1.0.
std::string constrained_spec(const std::string& dir) {
  fs::create_directories(dir);
  const std::string p = dir + "/spec.yaml";
  std::ofstream(p) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("metric_args")
                   << "\n  args: [\"--args\", \"q={q} spin={spin}\"]\n  metrics: [q, \"report:regions[name=spin].cycles\"]\n"
                   << "axes:\n  - param: q\n    values: [0.5, 0.9, 0.96, 1.0]\n"
                   << "  - param: spin\n    values: [1000, 2000, 30000, 40000]\n"
                   << "combine: zip\nconstraints:\n  - \"metric.q >= 0.95\"\n";
  return p;
}

}  // namespace

TEST(SweepResults, ConstraintsMarkPointsAndTheParetoChartCountsThem) {
  const std::string dir = e2e::tmpdir() + "/constraints";
  const std::string spec = constrained_spec(dir);
  e2e::Result r = e2e::mcucim("sweep " + spec + " -j 2 --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;  // infeasible points are not failures
  EXPECT_NE(r.err.find("2 ok points do not meet the constraints"), std::string::npos) << r.err;
  const auto rows = read_table(dir + "/out/results.csv");
  ASSERT_EQ(rows.size(), 4u);
  const char* feasible[] = {"false", "false", "true", "true"};
  const char* q[] = {"0.5", "0.9", "0.96", "1.0"};
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rows[i].at("q"), q[i]);
    EXPECT_EQ(rows[i].at("status"), "ok");
    EXPECT_EQ(rows[i].at("feasible"), feasible[i]);
    EXPECT_EQ(rows[i].at("violated"), std::string(feasible[i]) == "true" ? "" : "metric.q >= 0.95");
  }
  // The spin region's cycles grow with the iterations (the report column by region name).
  EXPECT_LT(std::stoull(rows[0].at("regions[name=spin].cycles")), std::stoull(rows[3].at("regions[name=spin].cycles")));

  r = e2e::mcucim("plot " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string svg = e2e::slurp(dir + "/out/plots/pareto.svg");
  EXPECT_NE(svg.find("2 excluded by constraints"), std::string::npos);
  EXPECT_NE(svg.find("Pareto front (1)"), std::string::npos);
  EXPECT_NE(svg.find("q=0.96, spin=30k"), std::string::npos);  // the front: the best point meeting q >= 0.95
  EXPECT_EQ(svg.find("q=0.5, spin=1000"), std::string::npos);  // best without constraints, not labelled now
  const std::string html = e2e::slurp(dir + "/out/index.html");
  EXPECT_NE(html.find("2 of 4 ok points excluded from the Pareto front"), std::string::npos);
  EXPECT_NE(html.find("<code>metric.q &gt;= 0.95</code>"), std::string::npos);
}

TEST(SweepResults, LongFormatHasEveryComponentWithItsKind) {
  const std::string dir = e2e::tmpdir() + "/long";
  const std::string spec = constrained_spec(dir);
  e2e::Result r = e2e::mcucim("sweep " + spec + " -j 2 --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto wide = read_table(dir + "/out/results.csv");
  const auto lng = read_table(dir + "/out/results_long.csv");
  // mcu-base.yaml's components (the one-line fetch buffer; memories flash, sram, mram; devices clint,
  // uart0, simctrl, dma0), with the kinds its config gives them.
  const std::map<std::string, std::string> kinds = {{"core", "core"},   {"icache", "fetch_buffer"},
                                                    {"bus", "bus"},     {"flash", "flash"},
                                                    {"sram", "sram"},   {"mram", "mram"},   {"clint", "clint"},
                                                    {"uart0", "uart"}, {"simctrl", "simctrl"}, {"dma0", "dma"}};
  ASSERT_EQ(lng.size(), wide.size() * kinds.size());
  for (const auto& w : wide) {
    double sum = 0;
    std::set<std::string> seen;
    for (const auto& l : lng) {
      if (l.at("point") != w.at("id")) continue;
      EXPECT_EQ(l.at("q"), w.at("q"));  // the axes are repeated for pandas users
      ASSERT_TRUE(kinds.count(l.at("component"))) << l.at("component");
      EXPECT_EQ(l.at("kind"), kinds.at(l.at("component")));
      seen.insert(l.at("component"));
      sum += std::stod(l.at("dynamic_j")) + std::stod(l.at("leakage_j"));
      // the same component's total in the wide table
      EXPECT_NEAR(std::stod(l.at("dynamic_j")) + std::stod(l.at("leakage_j")),
                  std::stod(w.at("energy_j." + l.at("component"))), 1e-18);
    }
    EXPECT_EQ(seen.size(), kinds.size());
    EXPECT_NEAR(sum, std::stod(w.at("energy_j")), std::stod(w.at("energy_j")) * 1e-9);
  }
}

TEST(SweepResults, TimeoutIsRecordedLocallyAndFromListLines) {
  // bench_int runs for seconds; a 0.3 s limit stops it.
  const std::string dir = e2e::tmpdir() + "/timeout";
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("bench_int")
                      << "\n  timeout_s: 0.3\naxes:\n  - path: soc.clock.freq_hz\n    values: [100e6]\n";
  e2e::Result r = e2e::mcucim("sweep " + spec + " --out " + dir + "/local");
  EXPECT_EQ(r.code, 1) << r.err;
  auto rows = read_table(dir + "/local/results.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "timeout");
  EXPECT_EQ(rows[0].at("exit_code"), "");
  EXPECT_NE(rows[0].at("error").find("killed after 0.3 s"), std::string::npos) << rows[0].at("error");

  // The --list line of the same point runs under `timeout` and is collected as a timeout too.
  r = e2e::mcucim("sweep " + spec + " --out " + dir + "/list --list");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.compare(0, 9, "mkdir -p "), 0) << r.out;  // the point's semihosting folder first
  EXPECT_NE(r.out.find(" && timeout -k 10 0.3 "), std::string::npos) << r.out;
  ASSERT_EQ(std::system(("bash -c " + sweep_test::sh_quote(r.out)).c_str()), 0);
  r = e2e::mcucim("sweep " + spec + " --out " + dir + "/list --collect");
  rows = read_table(dir + "/list/results.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "timeout");
  EXPECT_EQ(rows[0].at("exit_code"), "124");
}

TEST(SweepResults, ListCreatesItsFolderAndListsOnlyPendingPoints) {
  const std::string dir = e2e::tmpdir() + "/listpending";
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("selfcheck")
                      << "\naxes:\n  - path: soc.clock.freq_hz\n    values: [50e6, 100e6, 200e6]\n";
  const std::string out = dir + "/a/b/out";  // does not exist yet
  e2e::Result r = e2e::mcucim("sweep " + spec + " --out " + out + " --list");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_directory(out + "/points"));
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3);
  ASSERT_EQ(e2e::mcucim("sweep " + spec + " --out " + out).code, 0);
  r = e2e::mcucim("sweep " + spec + " --out " + out + " --list");
  EXPECT_EQ(r.out, "");  // all done
  // Lose one point: the list has just that one.
  const auto rows = read_table(out + "/results.csv");
  ASSERT_EQ(rows.size(), 3u);
  fs::remove(out + "/points/" + rows[1].at("id") + ".json");
  r = e2e::mcucim("sweep " + spec + " --out " + out + " --list");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  EXPECT_NE(r.out.find(rows[1].at("id") + ".json"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("1 of 3 points pending"), std::string::npos) << r.err;
}

TEST(SweepResults, RowsCarryTheProvenanceOfTheirReports) {
  // The row side of `provenance` (docs/REPORT.md): a nested object in results.jsonl, scalar fields as
  // provenance.<key> columns, lists as compact JSON. Injected into a point file, so this holds
  // whatever mcucim run writes.
  const std::string dir = e2e::tmpdir() + "/provenance";
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("selfcheck")
                      << "\naxes:\n  - path: soc.clock.freq_hz\n    values: [50e6]\n";
  ASSERT_EQ(e2e::mcucim("sweep " + spec + " --out " + dir + "/out").code, 0);
  const std::string id = read_table(dir + "/out/results.csv").at(0).at("id");
  const std::string pf = dir + "/out/points/" + id + ".json";
  auto rec = nlohmann::json::parse(e2e::slurp(pf));
  rec["provenance"] = {{"mcucim", {{"version", "0.1"}, {"commit", "abc123"}, {"dirty", true}}},
                       {"host", "node7"},
                       {"inputs", {{{"role", "elf"}, {"path", "/x/fw.elf"}, {"sha256", "ff00"}}}}};
  std::ofstream(pf) << rec.dump();
  ASSERT_EQ(e2e::mcucim("sweep " + spec + " --out " + dir + "/out --collect").code, 0);
  const auto row = read_table(dir + "/out/results.csv").at(0);
  EXPECT_EQ(row.at("provenance.mcucim.commit"), "abc123");
  EXPECT_EQ(row.at("provenance.mcucim.dirty"), "true");
  EXPECT_EQ(row.at("provenance.host"), "node7");
  EXPECT_EQ(nlohmann::json::parse(row.at("provenance.inputs"))[0]["sha256"], "ff00");
  std::istringstream jl(e2e::slurp(dir + "/out/results.jsonl"));
  std::string line;
  std::getline(jl, line);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["provenance"]["inputs"][0]["path"], "/x/fw.elf");
  EXPECT_EQ(j["provenance"]["mcucim"]["version"], "0.1");
  EXPECT_FALSE(j.contains("provenance.mcucim.commit"));
}

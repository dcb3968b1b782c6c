// Real sweeps through the mcucim binary: rows, a failing point, resume after a kill, plots.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"

namespace fs = std::filesystem;

namespace {

std::string base_cfg() { return std::string(MCUCIM_SOURCE_DIR) + "/configs/mcu-base.yaml"; }

// Four clock frequencies of selfcheck, one of them invalid (0 Hz: `mcucim run` rejects it, exit 2).
std::string write_spec(const std::string& dir) {
  fs::create_directories(dir);
  const std::string p = dir + "/spec.yaml";
  std::ofstream(p) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("selfcheck")
                   << "\n  timeout_s: 60\naxes:\n  - path: soc.clock.freq_hz\n    values: [50e6, 100e6, 0, 200e6, 25e6]\n";
  return p;
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {  // (no quoted newlines in these tables)
    std::vector<std::string> cells;
    std::string cell;
    bool q = false;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (q) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cell += '"', ++i;
        else if (c == '"') q = false;
        else cell += c;
      } else if (c == '"') q = true;
      else if (c == ',') cells.push_back(cell), cell.clear();
      else cell += c;
    }
    cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

// The table without the columns that differ between identical runs (host time, provenance).
std::vector<std::vector<std::string>> deterministic(std::vector<std::vector<std::string>> t) {
  if (t.empty()) return t;
  for (size_t k = t[0].size(); k-- > 0;) {
    if (t[0][k] != "host_s" && t[0][k].compare(0, 11, "provenance.") != 0) continue;
    for (auto& r : t)
      if (k < r.size()) r.erase(r.begin() + k);
  }
  return t;
}

std::map<std::string, int> count_log(const std::string& log, const std::string& what) {
  std::map<std::string, int> n;
  std::istringstream in(e2e::slurp(log));
  std::string w, id;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    l >> w >> id;
    if (w == what) n[id]++;
  }
  return n;
}

}  // namespace

TEST(SweepRun, RowsAndOneFailedPoint) {
  const std::string dir = e2e::tmpdir() + "/rows";
  const std::string spec = write_spec(dir);
  e2e::Result r = e2e::mcucim("sweep " + spec + " -j 2 --out " + dir + "/out");
  EXPECT_EQ(r.code, 1) << r.err;  // one point failed
  EXPECT_NE(r.err.find("5 points: 4 ok, 1 failed"), std::string::npos) << r.err;

  // Independent reference: the same program run directly.
  e2e::Result ref = e2e::mcucim(e2e::run_args("selfcheck", "-q --report " + dir + "/ref.json"));
  ASSERT_EQ(ref.code, 0) << ref.err;
  const auto refj = nlohmann::json::parse(e2e::slurp(dir + "/ref.json"));
  const uint64_t cycles = refj["cycles"];

  auto t = read_csv(dir + "/out/results.csv");
  ASSERT_EQ(t.size(), 6u);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < t[0].size(); ++i) col[t[0][i]] = i;
  for (const char* c : {"id", "soc.clock.freq_hz", "status", "exit_code", "error", "cycles", "time_s", "energy_j",
                        "energy_j.core", "tokens", "latency_per_token_s", "energy_per_token_j", "tokens_per_s",
                        "tops_per_w", "macs", "host_s"})
    EXPECT_TRUE(col.count(c)) << c;
  const std::vector<std::string> freqs = {"50e6", "100e6", "0", "200e6", "25e6"};
  for (size_t i = 0; i < freqs.size(); ++i) {
    const auto& row = t[i + 1];
    EXPECT_EQ(row[col["soc.clock.freq_hz"]], freqs[i]);
    if (freqs[i] == "0") {
      EXPECT_EQ(row[col["status"]], "config_error");
      EXPECT_EQ(row[col["exit_code"]], "2");
      EXPECT_NE(row[col["error"]].find("soc.clock.freq_hz"), std::string::npos) << row[col["error"]];
      EXPECT_EQ(row[col["cycles"]], "");
      continue;
    }
    EXPECT_EQ(row[col["status"]], "ok");
    EXPECT_EQ(row[col["exit_code"]], "0");
    // Wait states are in core cycles: the cycle count does not depend on the clock.
    EXPECT_EQ(std::stoull(row[col["cycles"]]), cycles);
    const double f = std::stod(freqs[i]);
    EXPECT_NEAR(std::stod(row[col["time_s"]]), cycles / f, cycles / f * 1e-12);
    EXPECT_GT(std::stod(row[col["energy_j"]]), 0.0);
    EXPECT_EQ(row[col["tokens"]], "0");
  }
  // results.jsonl has the same rows, axis values as numbers.
  std::istringstream jl(e2e::slurp(dir + "/out/results.jsonl"));
  std::string line;
  int n = 0;
  while (std::getline(jl, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_DOUBLE_EQ(j["soc.clock.freq_hz"].get<double>(), std::stod(freqs[n]));
    ++n;
  }
  EXPECT_EQ(n, 5);
  // Re-running does nothing: every point has its file.
  r = e2e::mcucim("sweep " + spec + " -j 2 --out " + dir + "/out");
  EXPECT_NE(r.err.find("0 run now"), std::string::npos) << r.err;
}

TEST(SweepRun, MetricLinesBecomeColumns) {
  // A fake "simulator" is not needed: hello prints no METRIC lines, so check the parser on a point's
  // .out file directly through --collect.
  const std::string dir = e2e::tmpdir() + "/metric";
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("hello")
                      << "\n  metrics: [agreement, report:events.idle_cycles]\naxes:\n"
                      << "  - path: soc.xmac.lanes\n    values: [2]\n";
  e2e::Result r = e2e::mcucim("sweep " + spec + " --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string id = fs::directory_iterator(dir + "/out/points")->path().stem().string();
  std::ofstream(dir + "/out/points/" + id + ".out") << "hello\nMETRIC agreement=0.875 ppl=12.5\nnot METRIC x=1\n";
  r = e2e::mcucim("sweep " + spec + " --out " + dir + "/out --collect");
  ASSERT_EQ(r.code, 0) << r.err;
  auto t = read_csv(dir + "/out/results.csv");
  ASSERT_EQ(t.size(), 2u);
  std::map<std::string, std::string> row;
  for (size_t i = 0; i < t[0].size(); ++i) row[t[0][i]] = t[1][i];
  EXPECT_EQ(row["metric.agreement"], "0.875");
  EXPECT_EQ(row["metric.ppl"], "12.5");
  EXPECT_EQ(row.count("metric.x"), 0u);
  EXPECT_EQ(row["events.idle_cycles"], "0");
}

TEST(SweepRun, ResumeAfterKillEqualsUninterruptedRun) {
  const std::string dir = e2e::tmpdir() + "/resume";
  const std::string spec = write_spec(dir);
  // Uninterrupted reference.
  e2e::Result full = e2e::mcucim("sweep " + spec + " -j 1 --out " + dir + "/full");
  ASSERT_EQ(full.code, 1) << full.err;

  // Interrupted run: SIGKILL the sweep once its first point is done.
  const std::string out = dir + "/killed";
  fs::create_directories(out);
  const std::string bin = std::string(MCUCIM_BINARY_DIR) + "/mcucim";
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    execl(bin.c_str(), bin.c_str(), "sweep", spec.c_str(), "-j", "1", "--out", out.c_str(), (char*)nullptr);
    _exit(127);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (count_log(out + "/sweep.log", "done").size() < 1 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  kill(pid, SIGKILL);
  int st;
  waitpid(pid, &st, 0);
  const auto done_first = count_log(out + "/sweep.log", "done");
  ASSERT_GE(done_first.size(), 1u);
  ASSERT_LT(done_first.size(), 5u) << "the sweep finished before it could be killed";
  // Also delete one finished point's file: it must run again.
  const std::string deleted = done_first.begin()->first;
  fs::remove(out + "/points/" + deleted + ".json");

  e2e::Result resumed = e2e::mcucim("sweep " + spec + " -j 1 --out " + out);
  EXPECT_EQ(resumed.code, 1) << resumed.err;
  EXPECT_EQ(deterministic(read_csv(out + "/results.csv")), deterministic(read_csv(dir + "/full/results.csv")));

  // No finished point ran twice (except the one whose file was deleted); every point finished once.
  const auto done = count_log(out + "/sweep.log", "done");
  EXPECT_EQ(done.size(), 5u);
  for (const auto& [id, n] : done) EXPECT_EQ(n, id == deleted ? 2 : 1) << id;
}

TEST(SweepRun, ListPrintsRunnableCommandLines) {
  const std::string dir = e2e::tmpdir() + "/list";
  const std::string spec = write_spec(dir);
  e2e::Result r = e2e::mcucim("sweep " + spec + " --list --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 5u);
  // Run two lines by hand (as a Slurm array task would), then collect.
  for (int i : {0, 2}) std::system(("bash -c " + std::string("'") + [&] {
                                     std::string q;
                                     for (char c : lines[i]) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
                                     return q;
                                   }() + "'")
                                       .c_str());
  r = e2e::mcucim("sweep " + spec + " --collect --out " + dir + "/out");
  EXPECT_EQ(r.code, 1);
  auto t = read_csv(dir + "/out/results.csv");
  ASSERT_EQ(t.size(), 6u);
  const size_t s = std::find(t[0].begin(), t[0].end(), "status") - t[0].begin();
  EXPECT_EQ(t[1][s], "ok");
  EXPECT_EQ(t[2][s], "missing");
  EXPECT_EQ(t[3][s], "config_error");
}

TEST(SweepRun, PlotsAreValidPngAndSvg) {
  const std::string dir = e2e::tmpdir() + "/plot";
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("selfcheck")
                      << "\naxes:\n  - path: soc.power.voltage_v\n    values: [0.7, 0.8, 0.9]\n"
                      << "  - path: soc.core.timing\n    values: [picorv32, ibex]\n";
  e2e::Result r = e2e::mcucim("sweep " + spec + " --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  r = e2e::mcucim("plot " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  for (const char* name : {"pareto", "energy_breakdown", "vs_soc_power_voltage_v"}) {
    SCOPED_TRACE(name);
    const std::string png = e2e::slurp(dir + "/out/plots/" + std::string(name) + ".png");
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    const std::string svg = e2e::slurp(dir + "/out/plots/" + std::string(name) + ".svg");
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
  }
  const std::string html = e2e::slurp(dir + "/out/index.html");
  EXPECT_NE(html.find("plots/pareto.png"), std::string::npos);
  EXPECT_NE(html.find("<table class='results'>"), std::string::npos);
}

TEST(SweepRun, EachPointGetsItsOwnSemihostingFolder) {
  // Issue 18: a sweep passes each point DIR/points/<id>/ as --semihost-root. The probe program writes
  // "pwned\n" to the file named by the `name` parameter (--semihost-write in the spec's args): out.txt
  // lands in the point's folder, ../escape.txt is refused (outside it).
  const std::string dir = e2e::tmpdir() + "/semiroot";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << base_cfg() << "\nworkload:\n  firmware: " << e2e::fw("semihost_probe")
                      << "\n  args: [--semihost-write, --args, 'write {name}']\n"
                      << "axes:\n  - param: name\n    values: [out.txt, ../escape.txt]\n";
  e2e::Result r = e2e::mcucim("sweep " + spec + " -j 2 --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  int folders = 0, written = 0, refused = 0;
  for (const auto& e : fs::directory_iterator(dir + "/out/points")) {
    if (!e.is_directory()) continue;
    ++folders;
    const std::string out = e2e::slurp(e.path().string() + ".out");
    if (out.find("open=-1 errno=13") != std::string::npos) {
      ++refused;
      EXPECT_TRUE(fs::is_empty(e.path())) << e.path();
    } else {
      ++written;
      EXPECT_EQ(e2e::slurp((e.path() / "out.txt").string()), "pwned\n") << e.path() << ": " << out;
    }
  }
  EXPECT_EQ(folders, 2);
  EXPECT_EQ(written, 1);
  EXPECT_EQ(refused, 1);
  EXPECT_FALSE(fs::exists(dir + "/out/points/escape.txt"));
}

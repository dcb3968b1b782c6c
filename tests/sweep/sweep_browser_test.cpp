// index.html in a real browser: headless Chromium loads the page of a small sweep (with constraints)
// and dumps the DOM after the load event; the page's own check (every <img class='chart'> decoded,
// no script error) must report every chart as loaded, and the console must show no uncaught error.
// Skipped, with the reason, where Chromium is not installed (scripts/install-deps.sh test installs it).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "../e2e/e2e_util.h"
#include "sweep_util.h"

namespace fs = std::filesystem;

namespace {

std::string find_browser() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    size_t at = 0;
    while (at <= p.size()) {
      const size_t colon = p.find(':', at);
      const std::string d = p.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
      const std::string f = (d.empty() ? "." : d) + "/" + name;
      if (access(f.c_str(), X_OK) == 0) return f;
      if (colon == std::string::npos) break;
      at = colon + 1;
    }
  }
  return "";
}

std::string attr(const std::string& dom, const std::string& name) {
  std::smatch m;
  if (std::regex_search(dom, m, std::regex(name + "=\"([^\"]*)\""))) return m[1];
  return "(absent)";
}

}  // namespace

TEST(SweepBrowser, IndexHtmlLoadsEveryChartWithoutErrors) {
  const std::string browser = find_browser();
  if (browser.empty()) GTEST_SKIP() << "no chromium on PATH: the browser check of index.html did not run";

  const std::string dir = e2e::tmpdir() + "/browser";
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << e2e::cfg() << "\nworkload:\n  firmware: " << e2e::fw("metric_args")
                      << "\n  args: [\"--args\", \"q={q} spin=1000\"]\n  metrics: [q]\naxes:\n"
                      << "  - param: q\n    values: [0.5, 1.0]\n"
                      << "  - path: soc.xmac.lanes\n    values: [1, 2, 4]\n"
                      << "constraints: [\"metric.q >= 0.95\"]\n";
  e2e::Result r = e2e::mcucim("sweep " + spec + " -j 2 --out " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  r = e2e::mcucim("plot " + dir + "/out");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string html = e2e::slurp(dir + "/out/index.html");
  size_t charts = 0;
  for (size_t at = 0; (at = html.find("<img class='chart'", at)) != std::string::npos; ++at) ++charts;
  size_t pngs = 0;
  for (const auto& e : fs::directory_iterator(dir + "/out/plots"))
    if (e.path().extension() == ".png") ++pngs;
  ASSERT_GE(charts, 4u);  // pareto, energy_breakdown, vs_q, vs_soc_xmac_lanes
  EXPECT_EQ(charts, pngs);

  const std::string profile = dir + "/chromium-profile";
  fs::create_directories(profile);
  const std::string cmd = browser +
                          " --headless --no-sandbox --disable-gpu --disable-background-networking"
                          " --disable-component-update --disable-sync --no-first-run --user-data-dir=" +
                          profile + " --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom " +
                          sweep_test::sh_quote("file://" + fs::absolute(dir + "/out/index.html").string()) + " > " +
                          dir + "/dom.html 2> " + dir + "/chromium.log < /dev/null";
  const int st = std::system(("timeout 120 " + cmd).c_str());
  const std::string dom = e2e::slurp(dir + "/dom.html");
  const std::string log = e2e::slurp(dir + "/chromium.log");
  ASSERT_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0) << log;
  ASSERT_NE(dom.find("<body"), std::string::npos) << log;
  EXPECT_EQ(attr(dom, "data-charts-total"), std::to_string(charts)) << dom.substr(0, 2000);
  EXPECT_EQ(attr(dom, "data-charts-loaded"), std::to_string(charts));
  EXPECT_EQ(attr(dom, "data-js-errors"), "0");
  EXPECT_NE(dom.find("all " + std::to_string(charts) + " charts loaded"), std::string::npos);
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
  // The summary opens the page: axes, points, constraints, wall time.
  const size_t summary = dom.find("id=\"summary\"");
  ASSERT_NE(summary, std::string::npos);
  EXPECT_LT(summary, dom.find("<figure"));
  for (const char* s : {"soc.xmac.lanes</code>: 1, 2, 4 (3)", "6 points: 6 ok", "metric.q &gt;= 0.95", "wall time"})
    EXPECT_NE(dom.find(s), std::string::npos) << s;

  // A missing chart is reported on the page, not silently broken.
  fs::remove(dir + "/out/plots/pareto.png");
  std::system(("timeout 120 " + cmd).c_str());
  const std::string dom2 = e2e::slurp(dir + "/dom.html");
  EXPECT_EQ(attr(dom2, "data-charts-loaded"), std::to_string(charts - 1));
  EXPECT_NE(dom2.find("missing: pareto"), std::string::npos);
}

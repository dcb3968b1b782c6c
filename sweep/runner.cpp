// The local backend: child processes N at a time, timeouts, crash-safe point files, resume.
#include "sweep/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "sweep/results.h"

namespace mcucim::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

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

int run_local(const Spec& s, const RunOptions& opt, std::ostream& err) {
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
    const Point& p = s.points[r.point];
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
      const Point& p = s.points[r.point];
      const std::string base = (pdir / p.id).string();
      r.tmp_report = base + ".json.tmp." + std::to_string(getpid());
      r.start = std::chrono::steady_clock::now();
      log_line(log_fd, "start " + p.id);
      r.pid = spawn(point_argv(s, p, opt.binary, r.tmp_report), base + ".out", base + ".err");
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

  Results res = collect_results(s, dir.string());
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

}  // namespace mcucim::sweep

// Running points: the child-process pool (timeouts, crash-safe point files, stop on signals), the
// output directory's lock/manifest/log, the local backend and the Slurm array task.
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

namespace {

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

struct Running {
  pid_t pid = -1;
  size_t job = 0;
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
  if (fd < 0) return;
  const std::string line = s + "\n";
  (void)!::write(fd, line.data(), line.size());
}

// The argv with its --report value replaced by `report`.
std::vector<std::string> with_report(std::vector<std::string> argv, const std::string& report) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "--report") argv[i + 1] = report;
  return argv;
}

}  // namespace

std::vector<Job> jobs_for(const Spec& s, const std::vector<size_t>& points, const std::string& out_dir,
                          const std::string& binary) {
  const fs::path pdir = fs::absolute(fs::path(out_dir) / "points").lexically_normal();
  std::vector<Job> jobs;
  for (size_t i : points) {
    // The point's own folder: the only host files its program's semihosting calls reach (README, Security).
    const fs::path root = pdir / s.points[i].id;
    fs::create_directories(root);
    jobs.push_back({s.points[i].id, point_argv(s, s.points[i], binary, (pdir / (s.points[i].id + ".json")).string(),
                                               root.string())});
  }
  return jobs;
}

PoolResult run_jobs(const std::vector<Job>& jobs, const std::string& out_dir, const PoolOptions& opt, int log_fd,
                    std::ostream& err) {
  const fs::path pdir = fs::path(out_dir) / "points";
  fs::create_directories(pdir);
  PoolResult res;
  std::vector<size_t> todo;
  for (size_t i = jobs.size(); i-- > 0;) todo.push_back(i);  // pop from the back = given order

  const unsigned n = std::max(1u, opt.jobs);
  const bool tty = opt.progress && isatty(fileno(stderr));
  struct sigaction sa {}, old_int {}, old_term {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  g_stop = 0;

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Running> running;
  auto last_draw = t0 - std::chrono::seconds(1);

  auto draw = [&](bool force) {
    if (!tty) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw < std::chrono::milliseconds(250)) return;
    last_draw = now;
    const size_t total = opt.total ? opt.total : jobs.size(), finished = opt.already + res.ran;
    const int width = 24;
    const int fill = total ? static_cast<int>(width * std::min(finished, total) / total) : width;
    std::string eta = "-";
    if (res.ran > 0) {
      const double el = std::chrono::duration<double>(now - t0).count();
      eta = fmt_duration(el / res.ran * (jobs.size() - res.ran));
    }
    err << fmt::format("\r[sweep] [{}{}] {}/{} done, {} failed, {} running, ETA {}   ", std::string(fill, '#'),
                       std::string(width - fill, '.'), finished, total, res.failed, running.size(), eta)
        << std::flush;
  };

  // A child has ended: record it (or not, when it was stopped from outside).
  auto finish = [&](Running& r, int st) {
    const Job& job = jobs[r.job];
    const std::string base = (pdir / job.id).string();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
    std::error_code ec;
    const bool stopped = !r.timed_out && WIFSIGNALED(st) && (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGINT);
    if (stopped || (g_stop && !r.timed_out && !WIFEXITED(st))) {
      fs::remove(r.tmp_report, ec);
      log_line(log_fd, "stopped " + job.id);
      return;
    }
    json rec;
    std::string status;
    if (r.timed_out) {
      status = "timeout";
      rec = {{"status", status}, {"exit_code", nullptr},
             {"error", fmt::format("killed after {} s (workload.timeout_s)", opt.timeout_s)}};
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
    fs::remove(r.tmp_report, ec);
    fs::remove(base + ".rc", ec);  // a stale exit code of a --list run
    ++res.ran;
    if (status != "ok") {
      ++res.failed;
      res.failures.push_back(fmt::format("{} ({}): {}", job.id, status, first_lines(slurp(base + ".err"), 1, 200)));
    }
    log_line(log_fd, fmt::format("done {} {} {:.3f}", job.id, status, wall));
  };

  while ((!todo.empty() || !running.empty()) && !g_stop) {
    while (running.size() < n && !todo.empty() && !g_stop) {
      Running r;
      r.job = todo.back();
      todo.pop_back();
      const Job& job = jobs[r.job];
      const std::string base = (pdir / job.id).string();
      r.tmp_report = base + ".json.tmp." + std::to_string(getpid());
      r.start = std::chrono::steady_clock::now();
      log_line(log_fd, "start " + job.id);
      r.pid = spawn(with_report(job.argv, r.tmp_report), base + ".out", base + ".err");
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
      if (opt.timeout_s > 0 && !running[i].timed_out &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - running[i].start).count() > opt.timeout_s) {
        kill(running[i].pid, SIGKILL);
        running[i].timed_out = true;
      }
      ++i;
    }
    draw(false);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  res.interrupted = g_stop != 0;
  if (res.interrupted) {
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
      log_line(log_fd, "stopped " + jobs[r.job].id);
    }
  }
  draw(true);
  if (tty) err << "\n";
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return res;
}

std::vector<size_t> pending_points(const Spec& s, const std::string& out_dir, bool retry_failed, size_t& already) {
  const fs::path pdir = fs::path(out_dir) / "points";
  std::vector<size_t> todo;
  already = 0;
  for (size_t i = 0; i < s.points.size(); ++i) {
    json rec;
    if (read_point_file((pdir / (s.points[i].id + ".json")).string(), rec)) {
      const bool ok = rec["status"] == "exit" && rec.value("exit_code", -1) == 0;
      if (!retry_failed || ok) {
        ++already;
        continue;
      }
    }
    todo.push_back(i);
  }
  return todo;
}

// ------------------------------------------------------------------------------------------------
// The output directory.
OutDir::OutDir(const Spec& s, const std::string& dir) : dir_(dir) {
  const fs::path d = dir;
  fs::create_directories(d / "points");
  const std::string lock_path = (d / ".lock").string();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0 || flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw ConfigError("--out " + dir + ": another sweep is running in this directory (" + lock_path + ")");
  }
  // The manifest: what the point files of this directory were computed with (and the run history).
  json manifest = {{"spec", fs::absolute(s.file).string()}, {"base_config", s.base_config},
                   {"firmware", s.firmware}, {"args", s.args}, {"runs", json::array()}};
  const std::string mpath = (d / "sweep.json").string();
  if (fs::exists(mpath)) {
    json old;
    try {
      old = json::parse(slurp(mpath));
    } catch (const json::exception&) {
    }
    for (const char* k : {"base_config", "firmware", "args"})
      if (old.is_object() && old.contains(k) && old[k] != manifest[k]) {
        ::close(lock_fd_);
        throw ConfigError("--out " + dir + " holds results of a different sweep: " + k + " was " + old[k].dump() +
                          ", now " + manifest[k].dump() + " (use another --out directory, or delete " + dir + ")");
      }
    if (old.is_object() && old.contains("runs") && old["runs"].is_array()) manifest["runs"] = old["runs"];
  }
  write_atomic(mpath, manifest.dump(2) + "\n");
  log_fd_ = ::open((d / "sweep.log").string().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

OutDir::~OutDir() {
  if (log_fd_ >= 0) ::close(log_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void OutDir::log(const std::string& line) const { log_line(log_fd_, line); }

void OutDir::record_run(const json& run) const {
  const std::string mpath = (fs::path(dir_) / "sweep.json").string();
  json m;
  try {
    m = json::parse(slurp(mpath));
  } catch (const json::exception&) {
    return;
  }
  if (!m.contains("runs") || !m["runs"].is_array()) m["runs"] = json::array();
  m["runs"].push_back(run);
  write_atomic(mpath, m.dump(2) + "\n");
}

// ------------------------------------------------------------------------------------------------
// The local backend.
int run_local(const Spec& s, const RunOptions& opt, std::ostream& err) {
  OutDir out(s, opt.out_dir);
  const fs::path pdir = fs::path(opt.out_dir) / "points";
  // Leftovers of a killed sweep.
  for (const auto& e : fs::directory_iterator(pdir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path());

  size_t already = 0;
  const std::vector<size_t> todo = pending_points(s, opt.out_dir, opt.retry_failed, already);
  out.log(fmt::format("sweep {} points {} already {} pid {}", s.file, s.points.size(), already, getpid()));

  PoolOptions po;
  po.jobs = opt.jobs ? opt.jobs : std::max(1u, std::thread::hardware_concurrency());
  po.timeout_s = s.timeout_s;
  po.progress = opt.progress;
  po.total = s.points.size();
  po.already = already;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string started = now_utc();
  PoolResult pr = run_jobs(jobs_for(s, todo, opt.out_dir, opt.binary), opt.out_dir, po, out.log_fd(), err);
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.record_run({{"backend", "local"}, {"started", started}, {"jobs", po.jobs}, {"ran", pr.ran},
                  {"failed", pr.failed}, {"wall_s", el}, {"interrupted", pr.interrupted}});

  Results res = collect_results(s, opt.out_dir);
  out.log(fmt::format("end ran {} ok {} failed {} missing {}{}", pr.ran, res.ok, res.failed, res.missing,
                      pr.interrupted ? " interrupted" : ""));
  err << fmt::format("mcucim sweep: {} points: {} ok, {} failed{} ({} run now in {:.1f} s, {} already done); "
                     "results: {}\n",
                     s.points.size(), res.ok, res.failed, res.missing ? fmt::format(", {} not run", res.missing) : "",
                     pr.ran, el, already, (fs::path(opt.out_dir) / "results.csv").string());
  if (res.infeasible) err << fmt::format("  {} ok points do not meet the constraints (column feasible)\n", res.infeasible);
  for (size_t i = 0; i < pr.failures.size() && i < 10; ++i) err << "  failed: " << pr.failures[i] << "\n";
  if (pr.failures.size() > 10) err << "  ... (" << pr.failures.size() - 10 << " more; see results.csv)\n";
  if (pr.interrupted) {
    err << "mcucim sweep: interrupted; run the same command again to resume\n";
    return 130;
  }
  return res.failed || res.missing ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------
// One Slurm array task.
int run_task(const std::string& task_file, long index, std::ostream& err) {
  json t;
  try {
    t = json::parse(slurp(task_file));
  } catch (const json::exception& e) {
    throw ConfigError("mcucim sweep --task: " + task_file + " is not a task file (" + e.what() + ")");
  }
  if (!t.is_object() || !t.contains("points") || !t["points"].is_array() || !t.contains("out_dir"))
    throw ConfigError("mcucim sweep --task: " + task_file + " is not a task file (expected out_dir and points)");
  const size_t chunk = std::max<size_t>(1, t.value("chunk", size_t(1)));
  const size_t n = t["points"].size();
  if (index < 0 || size_t(index) * chunk >= n)
    throw ConfigError(fmt::format("mcucim sweep --task: index {} is outside the {} tasks of {}", index,
                                  (n + chunk - 1) / chunk, task_file));
  std::vector<Job> jobs;
  for (size_t i = size_t(index) * chunk; i < std::min(n, size_t(index + 1) * chunk); ++i) {
    const json& p = t["points"][i];
    jobs.push_back({p.at("id").get<std::string>(), p.at("argv").get<std::vector<std::string>>()});
  }
  const std::string out_dir = t["out_dir"];
  // Points already recorded (e.g. a requeued task) are not run again.
  std::vector<Job> todo;
  for (auto& j : jobs) {
    json rec;
    if (!read_point_file((fs::path(out_dir) / "points" / (j.id + ".json")).string(), rec)) todo.push_back(std::move(j));
  }
  PoolOptions po;
  po.jobs = 1;
  po.timeout_s = t.value("timeout_s", 0.0);
  err << fmt::format("mcucim sweep --task {} {}: {} points ({} already done) on {}\n", task_file, index, todo.size(),
                     jobs.size() - todo.size(), host_name());
  const auto t0 = std::chrono::steady_clock::now();
  PoolResult pr = run_jobs(todo, out_dir, po, fileno(stderr), err);
  err << fmt::format("mcucim sweep --task: {} run, {} failed, {:.1f} s{}\n", pr.ran, pr.failed,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                     pr.interrupted ? ", stopped" : "");
  return pr.interrupted ? 130 : 0;
}

}  // namespace mcucim::sweep

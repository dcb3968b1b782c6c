// The Slurm backend: submit the pending points as a job array, wait, collect.
#include "sweep/slurm.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "sweep/results.h"
#include "sweep/runner.h"

namespace mcucim::sweep {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

volatile sig_atomic_t g_stop_waiting = 0;
void on_stop_waiting(int) { g_stop_waiting = 1; }

// Array tasks of job `job` still in the queue, by state (PENDING, RUNNING, ...). `gone` when Slurm no
// longer knows the job or lists none of its tasks as active; `error` for any other squeue failure.
struct QueueState {
  std::map<std::string, size_t> states;
  bool gone = false;
  std::string error;
};
QueueState query(const std::string& job) {
  static const std::set<std::string> active = {"PENDING",    "RUNNING",   "CONFIGURING", "COMPLETING",
                                               "SUSPENDED",  "REQUEUED",  "REQUEUE_HOLD", "REQUEUE_FED",
                                               "RESIZING",   "SIGNALING", "STAGE_OUT",    "STOPPED"};
  QueueState q;
  std::string out, err;
  const int rc = run_command({"squeue", "-h", "-r", "-t", "all", "-j", job, "-o", "%T"}, out, err);
  if (rc != 0) {
    if (err.find("Invalid job id") != std::string::npos) q.gone = true;
    else q.error = first_lines(err.empty() ? out : err, 2, 300);
    return q;
  }
  std::istringstream in(out);
  for (std::string st; in >> st;)
    if (active.count(st)) q.states[st]++;
  q.gone = q.states.empty();
  return q;
}

size_t count(const QueueState& q, const std::string& st) {
  auto it = q.states.find(st);
  return it == q.states.end() ? 0 : it->second;
}

std::string sbatch_script_default() {
  if (const char* e = std::getenv("MCUCIM_SBATCH_SCRIPT")) return e;
  return (fs::path(MCUCIM_SOURCE_DIR) / "scripts" / "sweep.sbatch").string();
}

}  // namespace

int run_slurm(const Spec& s, const SlurmOptions& opt, std::ostream& err) {
  if (find_program("sbatch").empty() || find_program("squeue").empty())
    throw ConfigError("--backend slurm: sbatch/squeue not found on PATH (install the Slurm client tools, e.g. Debian's "
                      "slurm-client, and set SLURM_CONF if the cluster's slurm.conf is not in /etc/slurm)");
  const std::string script = opt.sbatch_script.empty() ? sbatch_script_default() : opt.sbatch_script;
  if (!fs::exists(script)) throw ConfigError("--backend slurm: the batch script " + script + " does not exist");
  double poll_s = opt.poll_s;
  if (const char* e = std::getenv("MCUCIM_SLURM_POLL_S")) poll_s = std::max(0.05, std::atof(e));

  OutDir out(s, opt.out_dir);
  const fs::path dir = fs::absolute(opt.out_dir).lexically_normal();
  const fs::path sdir = dir / "slurm";
  fs::create_directories(sdir);
  const std::string active_path = (sdir / "active.json").string();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string started = now_utc();

  // A job of an earlier command still in the queue: wait for it rather than submit its points again.
  json active;
  bool reattached = false;
  if (fs::exists(active_path)) {
    try {
      active = json::parse(slurp(active_path));
    } catch (const json::exception&) {
      active = nullptr;
    }
    if (active.is_object() && active.contains("job")) {
      const QueueState q = query(active["job"].get<std::string>());
      if (!q.gone && q.error.empty()) {
        reattached = true;
        err << fmt::format("mcucim sweep: Slurm job {} of an earlier submission is still queued or running; "
                           "waiting for it\n", active["job"].get<std::string>());
        out.log("reattach " + active["job"].get<std::string>());
      } else if (!q.error.empty()) {
        throw ConfigError("--backend slurm: cannot ask Slurm about job " + active["job"].get<std::string>() + ": " +
                          q.error);
      }
    }
    if (!reattached) fs::remove(active_path);
  }

  size_t tasks = 0, submitted = 0;
  if (!reattached) {
    // No job of ours is running: temporaries of killed runs can go.
    for (const auto& e : fs::directory_iterator(dir / "points"))
      if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path());
    size_t already = 0;
    const std::vector<size_t> todo = pending_points(s, opt.out_dir, opt.retry_failed, already);
    out.log(fmt::format("sweep {} points {} already {} pid {} backend slurm", s.file, s.points.size(), already, getpid()));
    if (todo.empty()) {
      Results res = collect_results(s, opt.out_dir);
      err << fmt::format("mcucim sweep: {} points: {} ok, {} failed; all already done, nothing submitted; results: {}\n",
                         s.points.size(), res.ok, res.failed, (dir / "results.csv").string());
      return res.failed || res.missing ? 1 : 0;
    }
    for (size_t i : todo) {  // --retry-failed: the old record goes, the task writes a new one
      std::error_code ec;
      fs::remove(dir / "points" / (s.points[i].id + ".json"), ec);
      fs::remove(dir / "points" / (s.points[i].id + ".rc"), ec);
    }
    const unsigned chunk = std::max(1u, opt.chunk);
    tasks = (todo.size() + chunk - 1) / chunk;
    submitted = todo.size();
    size_t n = 1;
    while (fs::exists(sdir / std::to_string(n))) ++n;
    const fs::path sub = sdir / std::to_string(n);
    fs::create_directories(sub);
    json tf = {{"spec", fs::absolute(s.file).string()}, {"out_dir", dir.string()}, {"timeout_s", s.timeout_s},
               {"chunk", chunk}, {"points", json::array()}};
    for (const Job& j : jobs_for(s, todo, dir.string(), opt.binary))
      tf["points"].push_back({{"id", j.id}, {"argv", j.argv}});
    const std::string task_file = (sub / "tasks.json").string();
    write_atomic(task_file, tf.dump(1) + "\n");

    std::vector<std::string> cmd = {"sbatch", "--parsable", fmt::format("--array=0-{}", tasks - 1),
                                    "--job-name=mcucim-sweep-" + fs::path(s.file).stem().string(),
                                    "--output=" + (sub / "task-%a.log").string(), "--cpus-per-task=1"};
    if (s.timeout_s > 0)  // the whole chunk, plus a minute for start-up: Slurm's own limit is a backstop
      cmd.push_back(fmt::format("--time={}", static_cast<long>(std::ceil((chunk * s.timeout_s + 60) / 60.0))));
    if (!opt.partition.empty()) cmd.push_back("--partition=" + opt.partition);
    cmd.insert(cmd.end(), opt.sbatch_args.begin(), opt.sbatch_args.end());
    cmd.insert(cmd.end(), {script, "--task", opt.binary, task_file});
    std::string sout, serr;
    const int rc = run_command(cmd, sout, serr);
    std::string job = sout.substr(0, sout.find_first_of(";\n"));
    if (rc != 0 || job.empty() || job.find_first_not_of("0123456789") != std::string::npos) {
      std::string line;
      for (const auto& a : cmd) line += (line.empty() ? "" : " ") + shell_quote(a);
      throw ConfigError(fmt::format("--backend slurm: sbatch failed (exit {}): {}\n  command: {}", rc,
                                    first_lines(serr.empty() ? sout : serr, 3, 400), line));
    }
    active = {{"job", job}, {"submission", n}, {"points", submitted}, {"tasks", tasks}, {"chunk", chunk},
              {"submitted", now_utc()}, {"ids", json::array()}};
    for (size_t i : todo) active["ids"].push_back(s.points[i].id);
    write_atomic(active_path, active.dump(1) + "\n");
    out.log(fmt::format("submit {} points {} tasks {} chunk {} dir {}", job, submitted, tasks, chunk, sub.string()));
    err << fmt::format("mcucim sweep: submitted {} points as Slurm job {} ({} array tasks of up to {} points{}); "
                       "task logs in {}\n",
                       submitted, job, tasks, chunk, opt.partition.empty() ? "" : ", partition " + opt.partition,
                       sub.string());
  }
  const std::string job = active["job"].get<std::string>();
  std::vector<std::string> ids;
  if (active.contains("ids"))
    for (const auto& x : active["ids"]) ids.push_back(x.get<std::string>());
  submitted = ids.size();
  tasks = active.value("tasks", size_t(0));

  // Wait, with progress. Ctrl-C leaves the job running: the same command waits for it again.
  struct sigaction sa {}, old_int {}, old_term {};
  sa.sa_handler = on_stop_waiting;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  g_stop_waiting = 0;
  const bool tty = opt.progress && isatty(fileno(stderr));
  std::set<std::string> done;
  size_t failed = 0, errors = 0;
  std::string last_line;
  double first_done_s = -1;
  QueueState q;
  while (!g_stop_waiting) {
    q = query(job);  // before counting files: a task that has left the queue has written its points
    for (const auto& id : ids) {
      if (done.count(id)) continue;
      json rec;
      if (read_point_file((dir / "points" / (id + ".json")).string(), rec)) {
        done.insert(id);
        if (!(rec["status"] == "exit" && rec.value("exit_code", -1) == 0)) ++failed;
        if (first_done_s < 0) first_done_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
    }
    if (!q.error.empty()) {
      if (++errors >= 30) break;  // Slurm unreachable for a while: report what is known
    } else {
      errors = 0;
    }
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string line =
        fmt::format("[slurm] job {}: {}/{} points done, {} failed; tasks: {} running, {} pending{}", job, done.size(),
                    submitted, failed, count(q, "RUNNING") + count(q, "COMPLETING"), count(q, "PENDING"),
                    q.error.empty() ? "" : " (squeue: " + q.error + ")");
    if (tty) {
      err << "\r" << line << fmt::format(", {}   ", fmt_duration(el)) << std::flush;
    } else if (line != last_line) {
      err << line << fmt::format(" ({})\n", fmt_duration(el));
    }
    last_line = line;
    if (q.gone) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(poll_s));
  }
  if (tty) err << "\n";
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Results res = collect_results(s, opt.out_dir);
  if (g_stop_waiting || !q.gone) {
    out.log("detach " + job);
    err << fmt::format("mcucim sweep: stopped waiting; Slurm job {} keeps running. Run the same command again to "
                       "wait for it and collect its results (or cancel it: scancel {}).\n",
                       job, job);
    return g_stop_waiting ? 130 : 1;
  }
  std::error_code ec;
  fs::remove(active_path, ec);
  size_t missing = 0;
  for (const auto& id : ids)
    if (!done.count(id)) ++missing;
  out.record_run({{"backend", "slurm"}, {"started", started}, {"job", job}, {"ran", done.size()},
                  {"submitted", submitted}, {"tasks", tasks}, {"chunk", active.value("chunk", 1)},
                  {"failed", failed}, {"missing", missing}, {"first_point_s", first_done_s}, {"wall_s", el},
                  {"reattached", reattached}});
  out.log(fmt::format("end job {} done {} failed {} missing {} wall {:.1f}", job, done.size(), failed, missing, el));
  err << fmt::format("mcucim sweep: {} points: {} ok, {} failed{} (Slurm job {}: {} of {} submitted points in "
                     "{:.1f} s); results: {}\n",
                     s.points.size(), res.ok, res.failed, res.missing ? fmt::format(", {} not run", res.missing) : "",
                     job, done.size(), submitted, el, (dir / "results.csv").string());
  if (res.infeasible) err << fmt::format("  {} ok points do not meet the constraints (column feasible)\n", res.infeasible);
  if (missing)
    err << fmt::format("  {} points have no result: their array tasks ended without running them (cancelled, "
                       "killed, time limit or node failure; see {}/task-*.log). Run the same command again to "
                       "submit just those.\n",
                       missing, (sdir / std::to_string(active.value("submission", 0))).string());
  return res.failed || res.missing ? 1 : 0;
}

}  // namespace mcucim::sweep

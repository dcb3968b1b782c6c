// The Slurm backend against a real Slurm: the test brings up munged, slurmctld and slurmd on this
// machine (a generated slurm.conf in a temporary folder, free ports, its own munge key and socket),
// runs a sweep through `mcucim sweep --backend slurm --chunk 2`, cancels one held task and one running
// task, checks that the points of those tasks are missing, reruns (only the missing points are
// submitted; one of them hits the spec's timeout), and compares the results with a local run. The
// daemons are started and stopped by their PIDs. Where Slurm is not installed or cannot start, the
// test says why and is skipped (scripts/install-deps.sh test installs slurm-wlm and munge).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"
#include "sweep_util.h"

namespace fs = std::filesystem;
using nlohmann::json;
using sweep_test::read_table;
using sweep_test::Row;

namespace {

std::string find_tool(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream ss(path);
  for (std::string d; std::getline(ss, d, ':');)
    if (!d.empty() && access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
  return "";
}

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(s);
  return port;
}

// Start argv with stdout/stderr to `log`; returns the PID.
pid_t start(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    setpgid(0, 0);
    std::vector<char*> av;
    for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    execv(av[0], av.data());
    _exit(127);
  }
  return pid;
}

void stop(pid_t& pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  int st;
  for (int i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (waitpid(pid, &st, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  pid = -1;
}

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

std::string tail(const std::string& file, size_t n = 1500) {
  const std::string s = e2e::slurp(file);
  return s.size() > n ? s.substr(s.size() - n) : s;
}

// A single-node Slurm on localhost: munged, slurmctld, slurmd.
class LocalSlurm {
 public:
  // Empty when up; otherwise why not.
  std::string up() {
    for (const char* t : {"munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo"})
      if (find_tool(t).empty()) return std::string(t) + " is not installed (Debian: slurm-wlm, munge)";
    if (geteuid() != 0) return "slurmd must run as root to start jobs, and this test is not root";
    char tmpl[] = "/tmp/mcucim-slurm-XXXXXX";
    if (!mkdtemp(tmpl)) return "cannot create a temporary folder";
    dir_ = tmpl;
    chmod(dir_.c_str(), 0755);  // munged wants its socket's folders traversable by all
    for (const char* d : {"key", "sock", "state", "spool", "log"}) fs::create_directories(dir_ + "/" + d);
    chmod((dir_ + "/key").c_str(), 0700);
    chmod((dir_ + "/sock").c_str(), 0755);
    {
      std::ifstream r("/dev/urandom", std::ios::binary);
      std::string key(1024, '\0');
      r.read(key.data(), key.size());
      std::ofstream(dir_ + "/key/munge.key", std::ios::binary) << key;
      chmod((dir_ + "/key/munge.key").c_str(), 0400);
    }
    const std::string sock = dir_ + "/sock/munge.sock";
    munged_ = start({find_tool("munged"), "-F", "--key-file=" + dir_ + "/key/munge.key", "--socket=" + sock,
                     "--pid-file=" + dir_ + "/key/munged.pid", "--log-file=" + dir_ + "/log/munged.log",
                     "--seed-file=" + dir_ + "/key/munged.seed"},
                    dir_ + "/log/munged.out");
    if (!wait_for([&] { return fs::exists(sock); }, 10)) return "munged did not start: " + tail(dir_ + "/log/munged.out");

    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    std::string h = host;
    h = h.substr(0, h.find('.'));
    const int p1 = free_port(), p2 = free_port();
    conf_ = dir_ + "/slurm.conf";
    std::ofstream(conf_) << "ClusterName=mcucimtest\nSlurmctldHost=" << h << "(127.0.0.1)\n"
                         << "SlurmctldPort=" << p1 << "\nSlurmdPort=" << p2 << "\n"
                         << "SlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\nCredType=cred/munge\n"
                         << "AuthInfo=socket=" << sock << "\n"
                         << "StateSaveLocation=" << dir_ << "/state\nSlurmdSpoolDir=" << dir_ << "/spool\n"
                         << "SlurmctldPidFile=" << dir_ << "/slurmctld.pid\nSlurmdPidFile=" << dir_ << "/slurmd.pid\n"
                         << "SlurmctldLogFile=" << dir_ << "/log/slurmctld.log\nSlurmdLogFile=" << dir_
                         << "/log/slurmd.log\n"
                         << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
                         << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
                         << "JobCompType=jobcomp/none\nSwitchType=switch/none\nMpiDefault=none\n"
                         << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nReturnToService=2\n"
                         << "SchedulerType=sched/backfill\nMaxArraySize=1001\nKillWait=5\n"
                         << "NodeName=" << h << " NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n"
                         << "PartitionName=debug Nodes=" << h << " Default=YES MaxTime=INFINITE State=UP\n";
    setenv("SLURM_CONF", conf_.c_str(), 1);
    ctld_ = start({find_tool("slurmctld"), "-D", "-i", "-f", conf_}, dir_ + "/log/slurmctld.out");
    slurmd_ = start({find_tool("slurmd"), "-D", "-f", conf_, "-N", h}, dir_ + "/log/slurmd.out");
    if (!wait_for([&] { return run("sinfo -h -o %T 2>/dev/null").find("idle") != std::string::npos; }, 30))
      return "the node did not become idle in 30 s: slurmctld: " + tail(dir_ + "/log/slurmctld.out", 800) +
             " slurmd: " + tail(dir_ + "/log/slurmd.out", 800);
    return "";
  }
  ~LocalSlurm() {
    stop(slurmd_);
    stop(ctld_);
    stop(munged_);
    unsetenv("SLURM_CONF");
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  template <typename F>
  static bool wait_for(F f, double seconds) {
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return f();
  }

 private:
  std::string dir_, conf_;
  pid_t munged_ = -1, ctld_ = -1, slurmd_ = -1;
};

// mcucim in the background; wait() returns its exit code.
struct Background {
  pid_t pid = -1;
  std::string log;
  Background(const std::string& args, const std::string& log_file) : log(log_file) {
    pid = fork();
    if (pid == 0) {
      const std::string cmd = std::string(MCUCIM_BINARY_DIR) + "/mcucim " + args + " > " + log + " 2>&1 < /dev/null";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  int wait() {
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
};

std::set<std::string> ids_with_results(const std::string& out) {
  std::set<std::string> ids;
  for (const auto& r : read_table(out + "/results.csv"))
    if (r.at("status") != "missing") ids.insert(r.at("id"));
  return ids;
}

}  // namespace

TEST(SweepSlurm, JobArrayChunksCancelRerunEqualsLocal) {
  LocalSlurm slurm;
  const std::string why = slurm.up();
  if (!why.empty()) GTEST_SKIP() << "Slurm could not start, the Slurm test did not run: " << why;

  // Six points in chunks of 2 = 3 array tasks: {0, 1} {2, 3} {4, 5}. Point 0 spins for a minute
  // (2e9 loop iterations) and is cut by timeout_s (6 s); the others take well under a second.
  const std::string dir = e2e::tmpdir() + "/slurm";
  fs::create_directories(dir);
  const std::string spec = dir + "/spec.yaml";
  std::ofstream(spec) << "base: " << e2e::cfg() << "\nworkload:\n  firmware: " << e2e::fw("metric_args")
                      << "\n  args: [\"--args\", \"q={q} spin={spin}\"]\n  metrics: [q]\n  timeout_s: 6\n"
                      << "axes:\n  - param: q\n    values: [1, 2, 3, 4, 5, 6]\n"
                      << "  - param: spin\n    values: [2000000000, 1000, 1001, 1002, 1003, 1004]\n"
                      << "combine: zip\n";
  const std::string out = dir + "/slurm";

  // Run 1, submitted held: cancel task 2 while it waits, release, cancel task 0 once its first point runs.
  Background first("sweep " + spec + " --out " + out + " --backend slurm --chunk 2 --sbatch-arg=--hold", dir + "/run1.log");
  ASSERT_TRUE(LocalSlurm::wait_for([&] { return fs::exists(out + "/slurm/active.json"); }, 60)) << e2e::slurp(first.log);
  const json active = json::parse(e2e::slurp(out + "/slurm/active.json"));
  const std::string job = active["job"];
  EXPECT_EQ(active["tasks"], 3);
  EXPECT_EQ(active["points"], 6);
  const std::vector<std::string> ids = active["ids"];
  ASSERT_EQ(ids.size(), 6u);
  run("scancel " + job + "_2");
  run("scontrol release " + job);
  ASSERT_TRUE(LocalSlurm::wait_for([&] { return fs::exists(out + "/points/" + ids[0] + ".out"); }, 60))
      << e2e::slurp(first.log);
  run("scancel " + job + "_0");
  EXPECT_EQ(first.wait(), 1) << e2e::slurp(first.log);
  const std::string log1 = e2e::slurp(first.log);
  EXPECT_NE(log1.find("submitted 6 points as Slurm job " + job + " (3 array tasks of up to 2 points)"), std::string::npos)
      << log1;
  EXPECT_NE(log1.find("4 not run"), std::string::npos) << log1;
  EXPECT_EQ(ids_with_results(out), (std::set<std::string>{ids[2], ids[3]}));  // only task 1 ran
  EXPECT_NE(e2e::slurp(out + "/slurm/1/task-1.log").find("2 points (0 already done)"), std::string::npos);

  // Run 2 submits only the four points without results, as two tasks.
  e2e::Result second = e2e::mcucim("sweep " + spec + " --out " + out + " --backend slurm --chunk 2");
  EXPECT_EQ(second.code, 1) << second.err;  // point 0 times out
  const json tasks2 = json::parse(e2e::slurp(out + "/slurm/2/tasks.json"));
  std::set<std::string> resubmitted;
  for (const auto& p : tasks2["points"]) resubmitted.insert(p["id"].get<std::string>());
  EXPECT_EQ(resubmitted, (std::set<std::string>{ids[0], ids[1], ids[4], ids[5]}));
  EXPECT_NE(second.err.find("submitted 4 points"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("(2 array tasks of up to 2 points)"), std::string::npos) << second.err;
  // A third run has nothing to submit.
  e2e::Result third = e2e::mcucim("sweep " + spec + " --out " + out + " --backend slurm --chunk 2");
  EXPECT_NE(third.err.find("nothing submitted"), std::string::npos) << third.err;
  EXPECT_FALSE(fs::exists(out + "/slurm/3"));

  // The same results as a local run (host time aside).
  e2e::Result local = e2e::mcucim("sweep " + spec + " --out " + dir + "/local -j 2");
  EXPECT_EQ(local.code, 1) << local.err;
  const auto a = sweep_test::deterministic(read_table(out + "/results.csv"));
  const auto b = sweep_test::deterministic(read_table(dir + "/local/results.csv"));
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0].at("status"), "timeout");
  EXPECT_NE(a[0].at("error").find("killed after 6 s"), std::string::npos);
  for (size_t i = 1; i < 6; ++i) {
    EXPECT_EQ(a[i].at("status"), "ok") << i;
    EXPECT_EQ(a[i].at("metric.q"), std::to_string(i + 1));
  }
  // The run history has both Slurm jobs (the third command ran nothing).
  const json m = json::parse(e2e::slurp(out + "/sweep.json"));
  ASSERT_EQ(m["runs"].size(), 2u);
  EXPECT_EQ(m["runs"][0]["backend"], "slurm");
  EXPECT_EQ(m["runs"][0]["missing"], 4);
  EXPECT_EQ(m["runs"][1]["missing"], 0);
}

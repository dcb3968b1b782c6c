// The last resort of --timeout (one SoC or a system): the run is normally ended cleanly at a quantum
// boundary after the limit (with its summary and report); if the simulation does not get there within
// a grace period (stuck in one host call), this thread prints the reason and ends the process with the
// time-limit exit code.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "sim/soc.h"  // kExitTimeLimit

namespace mcucim::sim {

class Watchdog {
 public:
  Watchdog(double seconds, std::ostream& err) : err_(err) {
    if (seconds <= 0) return;
    thread_ = std::thread([this, seconds] {
      const auto hard = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(seconds + kGraceS));
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_until(lock, hard, [this] { return done_; })) return;
      err_ << fmt::format("mcucim: wall-clock limit of {} s reached (--timeout) and the simulation did not stop "
                          "within {} s more: ended without a report\n", seconds, kGraceS)
           << std::flush;
      std::_Exit(kExitTimeLimit);
    });
  }
  void disarm() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  ~Watchdog() { disarm(); }

 private:
  static constexpr double kGraceS = 5.0;
  std::ostream& err_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

}  // namespace mcucim::sim

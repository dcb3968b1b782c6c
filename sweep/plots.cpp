// `mcucim plot DIR`: runs scripts/plot_sweep.py (matplotlib) on a sweep's results.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "sweep/cli.h"
#include "sweep/util.h"

namespace mcucim::sweep {

namespace fs = std::filesystem;

int cmd_plot(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::cerr << "usage: mcucim plot DIR\n  charts (PNG and SVG) and DIR/index.html from DIR/results.csv of a sweep\n";
    return argc < 2 ? 2 : 0;
  }
  const std::string dir = argv[1];
  if (!fs::exists(fs::path(dir) / "results.csv"))
    throw ConfigError("mcucim plot: " + dir + "/results.csv does not exist (run `mcucim sweep SPEC --out " + dir +
                      "` first)");
  std::string script = (fs::path(MCUCIM_SOURCE_DIR) / "scripts" / "plot_sweep.py").string();
  if (const char* e = std::getenv("MCUCIM_PLOT_SCRIPT")) script = e;
  if (!fs::exists(script)) throw ConfigError("mcucim plot: the plotting script " + script + " does not exist");
  // Debian's python3-matplotlib lives under /usr/bin/python3 (a python3 first in PATH may lack it).
  std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (const char* e = std::getenv("MCUCIM_PYTHON")) python = e;
  std::vector<std::string> args = {python, script, dir};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  av.push_back(nullptr);
  std::cout.flush();
  const pid_t pid = fork();
  if (pid == 0) {
    execvp(av[0], av.data());
    std::fprintf(stderr, "mcucim plot: cannot run %s: %s\n", av[0], std::strerror(errno));
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

}  // namespace mcucim::sweep

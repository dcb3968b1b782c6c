// The sweep commands of the mcucim CLI.
#pragma once

namespace mcucim::sweep {

// `mcucim sweep SPEC [-j N] [--out DIR] [--list] [--collect] [--retry-failed]` and `mcucim plot DIR`.
// argv[0] is the subcommand name. Return the process exit code; spec and usage errors are thrown as
// sim::ConfigError (the CLI prints them and exits 2).
int cmd_sweep(int argc, char** argv);
int cmd_plot(int argc, char** argv);

}  // namespace mcucim::sweep

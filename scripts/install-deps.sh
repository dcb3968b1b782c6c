#!/usr/bin/env bash
# Installs the Debian packages mcucim needs to build, test and run. Idempotent: installs only what is
# missing. Must run as root (CI does); otherwise prints the apt-get command to run.
# Usage: scripts/install-deps.sh [run|test|fuzz|int2]   (default: test)
#   run   what `make run` needs: the compilers and libraries to build the simulator, the firmware
#         and the model packer (the first run stays short on a fresh machine)
#   test  also what the test suite uses (`make test`, .ci/run): python for the charts and schema
#         checks, a single-node Slurm for the Slurm backend's test, Chromium for the index.html check,
#         gdb-multiarch for the GDB stub's test, PyTorch for the QAT tests (a short scripts/qat.py run,
#         the fake-quantizer checks)
#   fuzz  run's packages and clang with its runtime libraries (libFuzzer): `make fuzz`, .ci/run's fuzz stage
#   int2  what `make int2` needs: `run` plus python3 with numpy and PyTorch (scripts/qat.py, CPU only)
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  libsystemc-dev libboost-program-options-dev libboost-dev
  libgtest-dev libgmock-dev
  libyaml-cpp-dev nlohmann-json3-dev libfmt-dev
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
)
TEST_PKGS=(
  libbenchmark-dev
  python3 python3-numpy python3-matplotlib python3-jsonschema
  slurm-wlm munge
  chromium
  gdb-multiarch
  python3-torch
)
INT2_PKGS=(python3 python3-numpy python3-torch)
# Optional: only the benchmark script uses QEMU as its reference.
OPTIONAL_PKGS=(qemu-system-misc)
# `make fuzz` only (libFuzzer comes with clang's runtime libraries).
FUZZ_PKGS=(clang libclang-rt-14-dev)

profile=${1:-test}
want=("${PKGS[@]}")
case "$profile" in
  run) ;;
  test) want+=("${TEST_PKGS[@]}") ;;
  fuzz) want+=("${FUZZ_PKGS[@]}") ;;
  int2) want+=("${INT2_PKGS[@]}") ;;
  *) echo "usage: scripts/install-deps.sh [run|test|fuzz|int2]" >&2; exit 2 ;;
esac
if [ "${MCUCIM_WITH_QEMU:-0}" = 1 ]; then want+=("${OPTIONAL_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Host instructions per simulated instruction, counted by valgrind (callgrind's Ir): a deterministic
# speed measure that a busy host does not disturb (wall and CPU time do). Two runs of the same program
# to different cycle limits; their difference removes start-up and elaboration.
# Usage: bench/hostinsn.sh MCUCIM CONFIG ELF [mcucim run options...]
#   e.g. bench/hostinsn.sh build/mcucim configs/mcu-secure.yaml build/firmware/bench_int_user.elf
# Env: CYCLES1, CYCLES2 (default 20e6, 60e6 simulated cycles). Needs valgrind.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,8p' "$0"; exit 2; }
command -v valgrind > /dev/null || { echo "hostinsn.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
BIN=$1 CFG=$2 ELF=$3; shift 3
C1=${CYCLES1:-20000000} C2=${CYCLES2:-60000000}
rep=$(mktemp)
count() {  # prints "host_instructions simulated_instructions"
  local out ir
  # (the run ends at the cycle limit: mcucim exits 124)
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" run -c "$CFG" --elf "$ELF" -q --no-progress \
          --max-cycles "$1" --report "$rep" "${@:2}" 2>&1 > /dev/null || true)
  ir=$(grep -o "Collected : [0-9]*" <<< "$out" | grep -o "[0-9]*$")
  echo "$ir $(python3 -c "import json; print(json.load(open('$rep'))['instret'])")"
}
read -r h1 n1 < <(count "$C1" "$@")
read -r h2 n2 < <(count "$C2" "$@")
rm -f "$rep"
python3 -c "print(f'{($h2 - $h1) / ($n2 - $n1):.3f} host instructions per simulated instruction (over {$n2 - $n1} instructions)')"

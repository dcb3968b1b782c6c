#!/usr/bin/env bash
# One quiet stage of `make run`: prints "[i/n] what ... done (12 s)" and sends the command's whole
# output to LOG; on failure prints the end of LOG and where the rest is, and exits with its status.
# Usage: scripts/stage.sh "i/n" "what" LOG command [args...]
set -uo pipefail
step=$1 what=$2 log=$3
shift 3
printf '[%s] %s ... ' "$step" "$what"
start=$(date +%s)
{ echo "=== [$step] $what: $*"; } >> "$log"
"$@" >> "$log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  echo "FAILED (exit $rc)"
  echo "--- last lines of $log:"
  tail -n 25 "$log"
  echo "--- full log: $log"
  exit $rc
fi
echo "done ($(( $(date +%s) - start )) s)"

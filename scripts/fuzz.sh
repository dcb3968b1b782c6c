#!/usr/bin/env bash
# Fuzzing campaign (`make fuzz`; fuzz/README.md): builds the libFuzzer targets of fuzz/ with clang in
# their own build folder (ASan + UBSan + coverage), seeds each target's working corpus from the shipped
# files and fuzz/corpus/<target>/, then runs each target for SECONDS (default 60), JOBS at a time.
# A crash, sanitizer report, leak, timeout (10 s per input) or out-of-memory (2 GB) fails the run; the
# input is saved as $FUZZ_BUILD/artifacts/<target>-crash-... (add it to fuzz/corpus/<target>/ once fixed).
# Prints the executions per target. Environment: FUZZ_BUILD (build-fuzz), FUZZ_TARGETS (all),
# FUZZ_JOBS (2), FUZZ_RUNS (stop a target after this many executions even before SECONDS; unlimited),
# BUILD (the normal build, whose firmware ELFs seed the ELF target; build).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
FB="${FUZZ_BUILD:-build-fuzz}"
NB="${BUILD:-build}"
JOBS="${FUZZ_JOBS:-2}"
RUNS="${FUZZ_RUNS:--1}"
# Faster allocations (no allocation stack traces, no fill): replay a finding with the target alone for
# the full report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0:max_malloc_fill_size=0}"

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/install-deps.sh installs clang)"; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$FB/CMakeCache.txt" ]; then
  cmake -S . -B "$FB" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DMCUCIM_FUZZ=ON "${launcher[@]}" > "$FB.configure.log" 2>&1 || { cat "$FB.configure.log"; exit 1; }
fi
targets=(${FUZZ_TARGETS:-$(sed -n 's/^set(MCUCIM_FUZZ_TARGETS \(.*\))$/\1/p' fuzz/CMakeLists.txt)})
cmake --build "$FB" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") > "$FB.build.log" 2>&1 ||
  { tail -40 "$FB.build.log"; exit 1; }

# Seeds: what the parsers read in a checkout, plus fuzz/corpus/<target>/.
seed() {
  local t="$1" dir="$FB/corpus/$t"
  mkdir -p "$dir"
  cp -n fuzz/corpus/"$t"/* "$dir"/ 2>/dev/null || true
  case "$t" in
    elf) cp -n "$NB"/firmware/*.elf "$dir"/ 2>/dev/null || true ;;
    config) for f in configs/*.yaml configs/timing/*.yaml configs/tech/*.yaml configs/cim/*.yaml; do
              cp -n "$f" "$dir/shipped_$(echo "$f" | tr / _)"; done ;;
    sweep_spec) for f in configs/sweeps/*.yaml; do cp -n "$f" "$dir/shipped_$(basename "$f")"; done ;;
  esac
}
mkdir -p "$FB/artifacts" "$FB/logs"
run() {
  local t="$1" log="$FB/logs/$t.log"
  seed "$t"
  local dict=() t0
  t0=$(date +%s)
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  if "$FB/fuzz/fuzz_$t" "$FB/corpus/$t" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -runs="$RUNS" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$FB/artifacts/$t-" > "$log" 2>&1; then
    echo "fuzz: $t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") executions in $(( $(date +%s) - t0 )) s ($(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")/s), no failure"
  else
    echo "fuzz: $t: FAILED after $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") executions (log $log):"
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
    return 1
  fi
}
failed=0
pids=()
for t in "${targets[@]}"; do
  run "$t" & pids+=($!)
  if [ "${#pids[@]}" -ge "$JOBS" ]; then wait "${pids[0]}" || failed=$((failed + 1)); pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
echo "fuzz: $(( ${#targets[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]

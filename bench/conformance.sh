#!/usr/bin/env bash
# ISA conformance: builds the public RISC-V conformance programs (riscv-software-src/riscv-tests, the
# physical-memory "p" environment) for RV32 and runs each one under `mcucim run` on the shipped SoC
# configs whose core has the extension the suite needs. A program reports through HTIF `tohost`:
# exit code 0 is a pass, N > 0 is a failure in its test case N (mcucim maps tohost = (N << 1) | 1 to
# exit code N, mod 256); 124/125 are the cycle limit and an unhandled trap; anything mcucim prints
# (the program prints nothing) is shown.
#
# Usage: bench/conformance.sh [--build DIR] [--out DIR] [--config NAME|PATH]... RISCV_TESTS_DIR [SUITE...]
#   RISCV_TESTS_DIR  a riscv-tests checkout (isa/, env/ with p/riscv_test.h, p/link.ld, encoding.h);
#                    it is not part of this repository (other projects' code is not committed here).
#   SUITE            rv32ui rv32um rv32uc rv32uf rv32mi (default: all five)
#   --config         configs to run on (default: every configs/*.yaml); a suite is skipped on a config
#                    whose ISA lacks its extension (M, C or F).
# A program that needs a core feature the config lacks (breakpoint: triggers, pmpaddr: PMP, ma_data:
# misaligned accesses that do not trap) is not run there and counted as n/a, with the reason.
# Prints one line per program that does not pass and a table of pass/fail/n/a counts per suite and
# config; exits 1 if any program failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
OUT=""
CONFIGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --config) CONFIGS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "conformance.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: bench/conformance.sh [--build DIR] [--config NAME]... RISCV_TESTS_DIR [SUITE...]" >&2; exit 2; }
RT=$(cd "$1" && pwd); shift
SUITES=("$@"); [ ${#SUITES[@]} -gt 0 ] || SUITES=(rv32ui rv32um rv32uc rv32uf rv32mi)
MCUCIM=$BUILD/mcucim
[ -x "$MCUCIM" ] || { echo "conformance.sh: build first: missing $MCUCIM" >&2; exit 2; }
for f in env/p/riscv_test.h env/p/link.ld env/encoding.h isa/macros/scalar/test_macros.h; do
  [ -f "$RT/$f" ] || { echo "conformance.sh: $RT is not a riscv-tests tree: missing $f" >&2; exit 2; }
done
CC=${CC:-riscv64-unknown-elf-gcc}
command -v "$CC" > /dev/null || { echo "conformance.sh: $CC not found (scripts/install-deps.sh)" >&2; exit 2; }
[ ${#CONFIGS[@]} -gt 0 ] || CONFIGS=(configs/*.yaml)
OUT=${OUT:-$BUILD/conformance}
mkdir -p "$OUT"

# -march per suite: the programs are built without C except rv32uc (several rely on 4-byte
# instructions, e.g. handlers that skip the trapping instruction with mepc += 4).
march() {
  case "$1" in
    rv32ui|rv32mi) echo rv32i_zicsr_zifencei ;;
    rv32um) echo rv32im_zicsr_zifencei ;;
    rv32uc) echo rv32ic_zicsr_zifencei ;;
    rv32uf) echo rv32if_zicsr_zifencei ;;
  esac
}
# The extension a suite needs from the config's core (soc.core.isa letters).
needs() {
  case "$1" in rv32um) echo m ;; rv32uc) echo c ;; rv32uf) echo f ;; *) echo "" ;; esac
}
# What a config's core has, from its YAML after includes (needs python3-yaml): "ISA TRIGGERS PMP MISALIGNED"
# (absent keys: 0 triggers, 0 PMP entries, misaligned = the timing profile's misaligned.mode).
core_of() {
  python3 - "$1" <<'EOF'
import sys, yaml, os
def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict): merge(a[k], v)
        else: a[k] = v
def load(p):
    d = yaml.safe_load(open(p)) or {}
    inc = d.pop('include', [])
    base = {}
    for i in ([inc] if isinstance(inc, str) else inc):
        merge(base, load(i if os.path.isabs(i) else os.path.join(os.path.dirname(p), i)))
    merge(base, d)
    return base
c = load(sys.argv[1])['soc']['core']
mis = c.get('misaligned')
if mis is None:  # the core's own behaviour: the timing profile's misaligned.mode
    t = c['timing']
    if '/' not in t and not t.endswith('.yaml'):
        beside = os.path.join(os.path.dirname(sys.argv[1]), 'timing', t + '.yaml')
        t = beside if os.path.exists(beside) else os.path.join('configs', 'timing', t + '.yaml')
    mis = load(t)['timing']['misaligned']['mode']
print(c['isa'], c.get('triggers', 0), (c.get('pmp') or {}).get('entries', 0), mis)
EOF
}
# A program that needs a feature the config's core does not have is not run there ("n/a"):
# breakpoint needs triggers, pmpaddr needs PMP, ma_data needs misaligned accesses that do not trap.
na_reason() {  # $1 = program name, $2.. = core_of fields
  local name=$1 trig=$3 pmp=$4 mis=$5
  case "$name" in
    *-breakpoint) [ "$trig" -gt 0 ] || echo "no debug triggers (soc.core.triggers = 0)" ;;
    *-pmpaddr) [ "$pmp" -gt 0 ] || echo "no PMP (soc.core.pmp.entries = 0)" ;;
    *-ma_data) [ "$mis" != trap ] || echo "misaligned loads/stores trap on this core (soc.core.misaligned / the profile: trap)" ;;
    # This version of ma_addr requires every misaligned load/store to trap (newer versions also accept
    # hardware support); the ISA allows a core to perform them, as Ibex and CV32E40P do (split).
    *-ma_addr) [ "$mis" = trap ] || echo "the program requires misaligned loads/stores to trap; this core performs them ($mis)" ;;
  esac
}

declare -A PASS FAIL NA
total_fail=0
for suite in "${SUITES[@]}"; do
  [ -d "$RT/isa/$suite" ] || { echo "conformance.sh: no suite $suite in $RT/isa" >&2; exit 2; }
  mkdir -p "$OUT/$suite"
  elfs=()
  for src in "$RT"/isa/"$suite"/*.S; do
    name=$(basename "$src" .S)
    elf=$OUT/$suite/$suite-p-$name
    if ! "$CC" -march="$(march "$suite")" -mabi=ilp32 -static -mcmodel=medany -fvisibility=hidden \
         -nostdlib -nostartfiles -I"$RT/env/p" -I"$RT/isa/macros/scalar" -T"$RT/env/p/link.ld" \
         "$src" -o "$elf" 2> "$elf.build.log"; then
      echo "BUILD-FAIL $suite-p-$name (see $elf.build.log)"
      total_fail=$((total_fail + 1))
      continue
    fi
    elfs+=("$elf")
  done
  for cfg in "${CONFIGS[@]}"; do
    cname=$(basename "$cfg" .yaml)
    read -r isa trig pmp mis < <(core_of "$cfg")
    base=${isa%%_*}; ext=$(needs "$suite")
    if [ -n "$ext" ] && [[ "${base#rv32i}" != *"$ext"* ]]; then continue; fi
    p=0; f=0; na=0
    for elf in "${elfs[@]}"; do
      why=$(na_reason "$(basename "$elf")" "$isa" "$trig" "$pmp" "$mis")
      if [ -n "$why" ]; then
        echo "N/A  $(basename "$elf") on $cname: $why"
        na=$((na + 1))
        continue
      fi
      set +e
      "$MCUCIM" run -c "$cfg" --elf "$elf" -q --no-progress --max-cycles 5000000 > "$elf.$cname.log" 2>&1
      rc=$?
      set -e
      if [ $rc -eq 0 ]; then p=$((p + 1)); else
        f=$((f + 1))
        case $rc in
          124) why="cycle limit (no tohost write)" ;;
          125) why="unhandled trap: $(grep -m1 FATAL "$elf.$cname.log" | cut -c1-100)" ;;
          *) if [ -s "$elf.$cname.log" ]; then why="mcucim: $(head -1 "$elf.$cname.log" | cut -c1-100)"
             else why="exit code $rc: failed test case $rc (an unexpected trap reports (case | 1337) >> 1, mod 256)"; fi ;;
        esac
        echo "FAIL $(basename "$elf") on $cname: $why"
      fi
    done
    PASS[$suite/$cname]=$p; FAIL[$suite/$cname]=$f; NA[$suite/$cname]=$na
    total_fail=$((total_fail + f))
  done
done

echo
printf "%-8s %-18s %6s %6s %6s\n" suite config pass fail n/a
for suite in "${SUITES[@]}"; do
  for cfg in "${CONFIGS[@]}"; do
    k=$suite/$(basename "$cfg" .yaml)
    [ -n "${PASS[$k]+x}" ] || continue
    printf "%-8s %-18s %6d %6d %6d\n" "$suite" "$(basename "$cfg" .yaml)" "${PASS[$k]}" "${FAIL[$k]}" "${NA[$k]}"
  done
done
[ $total_fail -eq 0 ]

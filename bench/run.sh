#!/usr/bin/env bash
# Simulation-speed benchmark: runs the same compute-bound firmware (workloads/bench_int) under
# mcucim (timing on) and under QEMU (qemu-system-riscv32 -M virt, TCG JIT) in one invocation and
# reports MIPS for each and their ratio. Also runs mcucim with each timing profile.
# Usage: bench/run.sh [BUILD_DIR]   (needs `make build`; QEMU from Debian's qemu-system-misc)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ELF=$BUILD/firmware/bench_int.elf
MCUCIM=$BUILD/mcucim
[ -x "$MCUCIM" ] && [ -f "$ELF" ] || { echo "bench: build first (make build): missing $MCUCIM or $ELF" >&2; exit 1; }

REPEAT=${REPEAT:-3}   # each measurement is the fastest of REPEAT runs (the host is shared and noisy)
run_mcucim() {  # $@ = extra args; prints "instret host_s cycles" (host_s: the minimum over REPEAT runs)
  local rep best=""; rep=$(mktemp)
  for _ in $(seq "$REPEAT"); do
    "$MCUCIM" run -c configs/mcu-base.yaml --elf "$ELF" -q --report "$rep" "$@" > /dev/null
    best=$(python3 -c "import json; r=json.load(open('$rep')); b='$best'.split(); t=r['sim']['host_s']
print(r['instret'], min(t, float(b[1])) if b else t, r['cycles'])")
  done
  echo "$best"
  rm -f "$rep"
}

echo "mcucim simulation speed on $(nproc) core(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf "%-34s %14s %10s %10s\n" "run" "instructions" "host s" "MIPS"
best_mips=0
for prof in picorv32 ibex cv32e40p; do
  read -r instret host cycles < <(run_mcucim --set soc.core.timing=$prof)
  mips=$(python3 -c "print(f'{$instret/$host/1e6:.1f}')")
  printf "%-34s %14d %10.3f %10s   (cycles %d)\n" "mcucim, timing $prof" "$instret" "$host" "$mips" "$cycles"
  [ "$prof" = picorv32 ] && ref_mips=$mips && ref_instret=$instret
done

# Cost of the energy/region accounting: the same run with --no-energy, and the regions firmware (many
# sim-control marks) with and without it.
read -r instret host cycles < <(run_mcucim --no-energy)
noe=$(python3 -c "print(f'{$instret/$host/1e6:.1f}')")
printf "%-34s %14d %10.3f %10s\n" "mcucim, picorv32, --no-energy" "$instret" "$host" "$noe"
python3 -c "print(f'energy accounting on/off speed ratio: {$ref_mips/$noe:.3f}')"

# Cost of the protection checks (docs/CSRS.md, "Cost") on a core with U-mode, PMP and triggers
# (configs/mcu-secure.yaml, ibex timing): bench_int in M-mode (nothing to check: the unchecked loop) and
# bench_int_user, the same kernels in U-mode under one PMP entry (every fetch, load and store checked).
# Compared by user CPU time (fastest of REPEAT), which a busy host disturbs less than wall time.
if [ -f "$BUILD/firmware/bench_int_user.elf" ]; then
  cpu_s() {  # fastest user CPU seconds of REPEAT runs of $1.elf on mcu-secure
    local best=""
    for _ in $(seq "$REPEAT"); do
      t=$( { TIMEFORMAT=%U; time "$MCUCIM" run -c configs/mcu-secure.yaml --elf "$BUILD/firmware/$1.elf" -q > /dev/null; } 2>&1 )
      best=$(python3 -c "b='$best'; print(min($t, float(b)) if b else $t)")
    done
    echo "$best"
  }
  m=$(cpu_s bench_int); u=$(cpu_s bench_int_user)
  printf "%-34s %14s %10.3f (user CPU s)\n" "mcucim, mcu-secure, M-mode" "" "$m"
  printf "%-34s %14s %10.3f (user CPU s)\n" "mcucim, mcu-secure, U-mode + PMP" "" "$u"
  python3 -c "print(f'protection checks in use / not in use, CPU time: {$u/$m:.3f}')"
fi

if command -v qemu-system-riscv32 > /dev/null; then
  qbest=""
  for _ in $(seq "$REPEAT"); do
    t0=$(date +%s.%N)
    timeout 300 qemu-system-riscv32 -M virt -bios none -kernel "$ELF" -nographic -display none -monitor none \
      -serial none -semihosting-config enable=on,target=native < /dev/null > /dev/null 2>&1
    t1=$(date +%s.%N)
    qbest=$(python3 -c "t=$t1-$t0; b='$qbest'; print(min(t, float(b)) if b else t)")
  done
  q=$(python3 -c "print(f'{$ref_instret/$qbest/1e6:.1f}')")
  printf "%-34s %14d %10.3f %10s\n" "qemu-system-riscv32 (TCG)" "$ref_instret" "$qbest" "$q"
  python3 -c "print(f'ratio mcucim/qemu: {$ref_mips/$q:.3f} (QEMU time includes its start-up; same instruction count assumed)')"
else
  echo "qemu-system-riscv32 not installed: MCUCIM_WITH_QEMU=1 scripts/install-deps.sh"
fi

# The MAC benchmarks of issues 3 and 5 (simulated cycles and energy, not host speed).
echo
echo "== bench_matvec: 256x256 INT8/INT4 matrix-vector products, scalar vs Xmac (4 lanes, cv32e40p timing, 4 KiB I-cache)"
"$MCUCIM" run -c configs/mcu-base.yaml --elf "$BUILD/firmware/bench_matvec.elf" -q --set soc.core.isa=rv32imc_xmac \
  --set soc.core.timing=cv32e40p --set soc.core.fetch_buffer.lines=256 | grep -E "cycles|checksum|PASS|FAIL"
if [ -f "$BUILD/firmware/bench_cim.elf" ]; then
  echo
  echo "== bench_cim: the same products on the MRAM CIM macros vs scalar and Xmac (configs/mcu-cim.yaml)"
  "$MCUCIM" run -c configs/mcu-cim.yaml --elf "$BUILD/firmware/bench_cim.elf" 2>&1 | grep -E "^(int|cim|xmac|scalar)|region|TOPS" | head -30
fi

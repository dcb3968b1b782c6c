#!/usr/bin/env bash
# CoreMark on mcucim: cycles and CoreMark/MHz per timing profile at zero wait states.
#
# Usage: bench/coremark.sh CORE_DIR [BUILD_DIR]
#   CORE_DIR  a directory with EEMBC CoreMark's core files (coremark.h, core_main.c, core_list_join.c,
#             core_matrix.c, core_state.c, core_util.c): not part of this repository, fetch them yourself
#   ITERATIONS=n (environment, default 10), CFLAGS_EXTRA="..." (e.g. -O3 -funroll-all-loops)
#   PICORV32_V=path/to/picorv32.v also runs the same ELF on the PicoRV32 RTL (bench/picorv32_rtl.sh)
# Builds CoreMark with our port layer (bench/coremark/core_portme.{c,h}) for mcu-base's SRAM (code and
# data at zero wait states, Debian's riscv64-unknown-elf-gcc + picolibc, rv32imc, -O2 by default) and
# runs it on configs/mcu-base.yaml with each profile. CoreMark/MHz = iterations * 1e6 / cycles of the
# timed region (CoreMark's own start_time/stop_time, read with rdcycle).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 CORE_DIR [BUILD_DIR]" >&2; exit 2; }
CORE=$1
BUILD=${2:-build}
ITERATIONS=${ITERATIONS:-10}
for f in coremark.h core_main.c core_list_join.c core_matrix.c core_state.c core_util.c; do
  [ -f "$CORE/$f" ] || { echo "coremark: $CORE/$f not found (expected EEMBC CoreMark's core files)" >&2; exit 2; }
done
MCUCIM=$BUILD/mcucim
[ -x "$MCUCIM" ] || { echo "coremark: build first (missing $MCUCIM)" >&2; exit 2; }
CC=${CC:-riscv64-unknown-elf-gcc}
OPT=${CFLAGS_EXTRA:--O2}
out=$BUILD/coremark
mkdir -p "$out"
ELF=$out/coremark.elf
FLAGS="-march=rv32imc -mabi=ilp32 -misa-spec=2.2 $OPT"
# shellcheck disable=SC2086
"$CC" $FLAGS --specs=picolibc.specs -DITERATIONS="$ITERATIONS" -DCOMPILER_FLAGS="\"$FLAGS\"" \
  -I bench/coremark -I "$CORE" -I runtime/include \
  "$CORE"/core_main.c "$CORE"/core_list_join.c "$CORE"/core_matrix.c "$CORE"/core_state.c "$CORE"/core_util.c \
  bench/coremark/core_portme.c runtime/board/simctrl_stdio.c \
  -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x40000 \
  -Wl,--defsym=__ram=0x80040000 -Wl,--defsym=__ram_size=0x40000 --crt0=hosted -o "$ELF"

echo "CoreMark ($ITERATIONS iterations, $FLAGS), configs/mcu-base.yaml, code and data in SRAM (zero wait states)"
printf "%-18s %14s %14s %10s  %s\n" profile cycles "cycles/iter" "CM/MHz" validation
for prof in picorv32 picorv32-fastmul ibex cv32e40p; do
  log=$("$MCUCIM" run -c configs/mcu-base.yaml --elf "$ELF" --set soc.core.timing=$prof -q 2>&1 || true)
  cyc=$(sed -n 's/^Total ticks *: *\([0-9]*\).*/\1/p' <<< "$log")
  # CoreMark checks its list/matrix/state CRCs against the known values of the 2K performance run
  # (it also flags runs shorter than 10 s, which does not apply to cycle counts).
  if grep -q "2K performance run parameters" <<< "$log" && ! grep -q "ERROR!.*crc" <<< "$log"; then
    ok="CRCs match the 2K performance run"
  else
    ok="CRC CHECK FAILED"
  fi
  [ -n "$cyc" ] || { echo "coremark: no result for $prof:"; echo "$log"; exit 1; }
  python3 -c "c=$cyc; n=$ITERATIONS; print(f'%-18s %14d %14.0f %10.3f  %s' % ('$prof', c, c/n, n*1e6/c, '$ok'))"
done
if [ -n "${PICORV32_V:-}" ]; then
  bench/picorv32_rtl.sh "$PICORV32_V" "$BUILD" "$ELF"
fi

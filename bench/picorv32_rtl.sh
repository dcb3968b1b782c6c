#!/usr/bin/env bash
# Validate mcucim's picorv32 timing profiles against the PicoRV32 RTL, kernel by kernel.
#
# Usage: bench/picorv32_rtl.sh PICORV32_V [BUILD_DIR] [ELF...]
#   PICORV32_V  path to YosysHQ's picorv32.v (not part of this repository: fetch it yourself)
#   ELF         firmware that prints "kernel <name> cycles <n> check <hex>" lines (default:
#               BUILD_DIR/firmware/timing_kernels.elf; bench/coremark.sh builds one for CoreMark)
# Runs each ELF on the RTL (bench/picorv32_tb.v under Icarus Verilog, zero wait states) with the
# serial multiplier (profile picorv32) and with ENABLE_FAST_MUL (profile picorv32-fastmul), and on
# mcucim with the matching profile (configs/mcu-base.yaml, code and data in SRAM, zero wait states),
# then prints the cycles of each kernel side by side. Needs iverilog (Debian package iverilog).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 PICORV32_V [BUILD_DIR] [ELF...]" >&2; exit 2; }
RTL=$1
BUILD=${2:-build}
shift $(( $# >= 2 ? 2 : 1 ))
ELFS=("$@")
[ ${#ELFS[@]} -gt 0 ] || ELFS=("$BUILD/firmware/timing_kernels.elf")
[ -f "$RTL" ] || { echo "picorv32_rtl: no such file: $RTL" >&2; exit 2; }
command -v iverilog > /dev/null || { echo "picorv32_rtl: iverilog not installed (apt-get install iverilog)" >&2; exit 2; }
OBJCOPY=${OBJCOPY:-riscv64-unknown-elf-objcopy}
MCUCIM=$BUILD/mcucim
[ -x "$MCUCIM" ] || { echo "picorv32_rtl: build first (missing $MCUCIM)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
iverilog -g2005 -o "$work/tb_serial" bench/picorv32_tb.v "$RTL"
iverilog -g2005 -DFAST_MUL -o "$work/tb_fast" bench/picorv32_tb.v "$RTL"

for elf in "${ELFS[@]}"; do
  [ -f "$elf" ] || { echo "picorv32_rtl: no such ELF: $elf" >&2; exit 2; }
  # The SRAM image as one little-endian 32-bit word per line, from 0x8000_0000.
  # (by load address: .data's initial values follow the code; the start-up code copies them)
  "$OBJCOPY" -O binary "$elf" "$work/img.bin"
  [ "$(stat -c %s "$work/img.bin")" -le 262144 ] || { echo "picorv32_rtl: $elf: image larger than 256 KiB (not a LINK sram build?)" >&2; exit 2; }
  python3 - "$work/img.bin" "$work/img.hex" <<'PY'
import sys, struct
b = open(sys.argv[1], 'rb').read()
b += b'\0' * (-len(b) % 4)
with open(sys.argv[2], 'w') as f:
    for i in range(0, len(b), 4):
        f.write('%08x\n' % struct.unpack_from('<I', b, i)[0])
PY
  echo "== $(basename "$elf")"
  printf "%-10s %-18s %12s %12s %9s\n" kernel profile rtl mcucim "diff %"
  for cfg in "picorv32 tb_serial" "picorv32-fastmul tb_fast"; do
    set -- $cfg
    prof=$1 tb=$2
    vvp -n "$work/$tb" +hex="$work/img.hex" +words="$(wc -l < "$work/img.hex")" > "$work/rtl.txt"
    "$MCUCIM" run -c configs/mcu-base.yaml --elf "$elf" --set soc.core.timing="$prof" -q > "$work/sim.txt" || true
    python3 - "$work/rtl.txt" "$work/sim.txt" "$prof" <<'PY'
import sys, re
def parse(p):
    d = {}
    for line in open(p):
        m = re.match(r'kernel (\S+) cycles (\d+) check (\S+)', line)
        if m: d[m.group(1)] = (int(m.group(2)), m.group(3))
    return d
rtl, sim, prof = parse(sys.argv[1]), parse(sys.argv[2]), sys.argv[3]
if not rtl: sys.exit('picorv32_rtl: the RTL run printed no kernel lines:\n' + open(sys.argv[1]).read())
worst = 0.0
for k, (c, chk) in rtl.items():
    s, schk = sim.get(k, (0, '-'))
    d = 100.0 * (s - c) / c if c else 0.0
    worst = max(worst, abs(d))
    flag = '' if schk == chk else '  (check differs: %s vs %s)' % (schk, chk)
    print('%-10s %-18s %12d %12d %+8.2f%%%s' % (k, prof, c, s, d, flag))
print('%-10s %-18s %38s %8.2f%%' % ('worst', prof, '', worst))
PY
  done
done

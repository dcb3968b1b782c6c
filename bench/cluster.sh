#!/usr/bin/env bash
# Multi-hart cluster (issue 14, docs/CLUSTER.md): stories260K INT8 Xmac decode on configs/mcu-llm-cluster.yaml
# with the runtime split across 1, 2, 4 and 8 harts (a cluster of as many harts, 16 TCDM banks), and the
# simulator's aggregate speed (instructions of all harts per host second) with 1 and with 8 harts, the
# ratio taken in this run. Decode figures: the p50 over the generated tokens (steady state).
# Usage: bench/cluster.sh [BUILD_DIR] [TOKENS]   (needs ../shared/models or MCUCIM_MODELS)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-32}
MODELS=${MCUCIM_MODELS:-../shared/models}
REPEAT=${REPEAT:-3}   # host speed: the fastest of REPEAT runs (the host is shared and noisy)
OUT=$BUILD/models
mkdir -p "$OUT"
[ -f "$MODELS/stories260K.bin" ] || { echo "bench/cluster.sh: $MODELS/stories260K.bin not found" >&2; exit 1; }
IMG=$OUT/sl-int8.tllm
[ -s "$IMG" ] || "$BUILD/workloads/tinyllm/mcucim-pack" "$MODELS/stories260K.bin" "$MODELS/tok512.bin" -o "$IMG" --weights int8:32 > /dev/null

run() {  # harts -> "decode_cycles uJ conflicts wait_cycles instret host_s ids_checksum"
  local h=$1 rep out best=""; rep=$(mktemp); out=$(mktemp)
  for _ in $(seq "$REPEAT"); do
    "$BUILD/mcucim" run -c configs/mcu-llm-cluster.yaml --elf "$BUILD/firmware/tinyllm.elf" -q \
      --set soc.core.count="$h" --load "$IMG@0x80080000" --args "-n $N -b xmac -x -T $h" --report "$rep" > "$out"
    best=$(python3 - "$rep" "$out" "$best" <<'PY'
import json, sys, statistics, hashlib
r = json.load(open(sys.argv[1]))
dec = [t for t in r["tokens"]["each"] if t["phase"] == "decode"]
cyc = statistics.median(t["cycles"] for t in dec)
uj = statistics.median(t["energy_j"] for t in dec) * 1e6
banks = next((m.get("banks") for m in r["events"]["memories"] if m["name"] == "sram"), None) or {}
host = r["sim"]["host_s"]
prev = sys.argv[3].split()
if prev: host = min(host, float(prev[5]))
out = open(sys.argv[2]).read()
ids = hashlib.sha1(out[out.find("ids:"):].encode()).hexdigest()[:10]
print(int(cyc), f"{uj:.3f}", banks.get("conflicts", 0), banks.get("wait_cycles", 0), r["instret"], host, ids)
PY
)
  done
  rm -f "$rep" "$out"
  echo "$best"
}

echo "stories260K INT8 Xmac, $N tokens from an empty prompt, mcu-llm-cluster (cv32e40p, 200 MHz, 16-bank TCDM)"
printf "%-6s %14s %9s %10s %11s %12s %8s %12s\n" harts "decode cyc/tok" speed-up "uJ/token" conflicts "wait cycles" MIPS "ids+logits"
base_cyc=""; base_uj=""; mips1=""; mips8=""
for h in 1 2 4 8; do
  read -r cyc uj conf wait instret host ids < <(run "$h")
  [ -z "$base_cyc" ] && base_cyc=$cyc && base_uj=$uj
  mips=$(python3 -c "print(f'{$instret/$host/1e6:.2f}')")
  [ "$h" = 1 ] && mips1=$mips
  [ "$h" = 8 ] && mips8=$mips
  printf "%-6s %14s %9s %10s %11s %12s %8s %12s\n" "$h" "$cyc" "$(python3 -c "print(f'{$base_cyc/$cyc:.2f}x')")" \
    "$uj ($(python3 -c "print(f'{$uj/$base_uj:.2f}x')"))" "$conf" "$wait" "$mips" "$ids"
done
python3 -c "print(f'simulation speed, 8 harts / 1 hart (aggregate instructions per host second): {$mips8/$mips1:.2f}')"

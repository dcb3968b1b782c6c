#!/usr/bin/env bash
# Weight streaming and the MoE expert cache (runtime/STREAMING.md): per-token cycles and energy (the
# `token` region over all tokens) for in-place (XIP) reads vs DMA streaming, on configs/mcu-llm-xflash.yaml.
# Usage: bench/stream.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=$BUILD/models
mkdir -p "$OUT"
SYNTH=$BUILD/workloads/tinyllm/mcucim-synth
[ -s "$OUT/dense7M.tllm" ] || "$SYNTH" -o "$OUT/dense7M.tllm" --dim 256 --hidden 768 --layers 8 --vocab 2048 > /dev/null
[ -s "$OUT/moe16.tllm" ] || "$SYNTH" -o "$OUT/moe16.tllm" --dim 128 --experts 16 --shared 1 --top-k 2 \
  --expert-hidden 64 --layers 4 --vocab 1024 > /dev/null

row() {  # label config image@addr args
  local label=$1 cfg=$2 img=$3 args=$4 rep; rep=$(mktemp)
  if ! "$BUILD/mcucim" run -c "$cfg" --elf "$BUILD/firmware/tinyllm.elf" -q --load "$img" --args "$args" \
       --report "$rep" > "$rep.out" 2>&1; then
    printf "%-40s %s\n" "$label" "$(grep -m1 -o 'error.*' "$rep.out" || tail -1 "$rep.out")"
    rm -f "$rep" "$rep.out"; return
  fi
  python3 - "$rep" "$label" "$rep.out" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
tok = next(g for g in r["regions"] if g["name"] == "token")
n = tok["calls"]
stall = next((g["cycles"] for g in r["regions"] if g["name"] == "dma_wait"), 0)
out = open(sys.argv[3], errors="replace").read()
m = dict(re.findall(r"(\w+)=(\d+)", " ".join(re.findall(r"METRIC (.*)", out))))
extra = f"hits {m['expert_hits']}/{m['expert_uses']}, {int(m['expert_bytes_read'])/1e6:.2f} MB" if "expert_uses" in m else ""
print(f"{sys.argv[2]:<40} {tok['cycles']/n/1e6:8.2f} M {200e6*n/tok['cycles']:8.2f} {tok['energy_j']['total']/n*1e6:9.1f} uJ"
      f" {stall/n/1e6:7.2f} M  {extra}")
PY
  rm -f "$rep" "$rep.out"
}
X=configs/mcu-llm-xflash.yaml
echo "run                                      cycles/tok  tok/s  energy/tok  dma stall/tok"
echo "-- synthetic dense, 6.8 M params (7.7 MB INT8), 8 tokens"
row "XIP from xflash"            $X "$OUT/dense7M.tllm@0x90000000" "-n 8 -b xmac -x"
row "streamed -S 262144"         $X "$OUT/dense7M.tllm@0x90000000" "-n 8 -b xmac -x -S 262144"
row "streamed -S 65536"          $X "$OUT/dense7M.tllm@0x90000000" "-n 8 -b xmac -x -S 65536"
if [ -s "$BUILD/models/stories260K-int8.tllm" ]; then
  S=$BUILD/models/stories260K-int8.tllm
  echo "-- stories260K INT8, 32 tokens"
  row "internal flash, in place" $X "$S@0x20100000" "-n 32 -b xmac"
  row "xflash, XIP"              $X "$S@0x90000000" "-n 32 -b xmac"
  row "xflash, streamed -S auto" $X "$S@0x90000000" "-n 32 -b xmac -S auto"
fi
echo "-- MoE: 16 experts, top-2, 4 layers (2.3 MB), 32 tokens"
row "XIP"                        $X "$OUT/moe16.tllm@0x90000000" "-n 32 -b xmac -x"
row "streamed -S 32768"          $X "$OUT/moe16.tllm@0x90000000" "-n 32 -b xmac -x -S 32768"
row "streamed + cache -E 8"      $X "$OUT/moe16.tllm@0x90000000" "-n 32 -b xmac -x -S 32768 -E 8"
row "streamed + cache -E 12"     $X "$OUT/moe16.tllm@0x90000000" "-n 32 -b xmac -x -S 32768 -E 12"

#!/usr/bin/env bash
# stories260K on the simulated MCU for each precision and backend: where the cycles of a generated token
# go, against the MAC floor. For each variant and each token count (default 64 and 256, from an empty
# prompt, greedy) one run; from its JSON report:
#   Mcyc/tok   mean cycles of the decode tokens (every generated position; start-up excluded)
#   floor      the MAC floor: declared MACs per token (weight matrices + attention at that context, the
#              mean over the run's positions) / soc.xmac.lanes of the config (MACs per cycle)
#   x          Mcyc/tok / floor
#   uJ/tok     mean energy of the decode tokens
# then the prefill of a 24-token prompt one position at a time (-P 1) and in chunks of 8 (-P 8, batched
# prefill): cycles per prompt position.
# Quantized rows use the INT8 KV cache with quantized attention (-k); "fp32 KV" for comparison; "-R"
# copies the image into SRAM at start-up (no flash wait states on weight reads; the default reads it in
# place from the flash, 2 wait states per word).
# Usage: bench/llm.sh [BUILD_DIR] [TOKENS...]   (needs ../shared/models or MCUCIM_MODELS)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(64 256)
MODELS=${MCUCIM_MODELS:-../shared/models}
PACK=$BUILD/workloads/tinyllm/mcucim-pack
OUT=$BUILD/models
mkdir -p "$OUT"
[ -f "$MODELS/stories260K.bin" ] || { echo "bench/llm.sh: $MODELS/stories260K.bin not found" >&2; exit 1; }
pack() { [ -s "$OUT/$1" ] || "$PACK" "$MODELS/stories260K.bin" "$MODELS/tok512.bin" -o "$OUT/$1" "${@:2}" > /dev/null; }
pack sl-fp32.tllm --weights fp32
pack sl-int8.tllm --weights int8:32
pack sl-int4.tllm --weights int4:32
pack sl-int8-cimall.tllm --weights int8:32 --cim all

# one run; prints "cycles_per_decode_token floor_cycles energy_j_per_decode_token" (or the prefill figure)
measure() {  # mode config elf isa image args...
  local mode=$1 cfg=$2 elf=$3 isa=$4 img=$5; shift 5
  local rep; rep=$(mktemp)
  "$BUILD/mcucim" run -c "$cfg" --elf "$BUILD/firmware/$elf.elf" -q --set "soc.core.isa=$isa" \
    --set soc.memories.flash.size=4MiB --load "$OUT/$img@0x20100000" --args "$*" --report "$rep" "${EXTRA[@]}" > /dev/null
  python3 - "$rep" "$mode" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
each = r["tokens"]["each"]
if sys.argv[2] == "prefill":
    pre = [t for t in each if t.get("phase") == "prefill"]
    print(f"{sum(t['cycles'] for t in pre) / len(pre):.0f} {len(pre)}")
    sys.exit(0)
dec = [t for t in each if t.get("phase") == "decode"] or each[1:]
cyc = sum(t["cycles"] for t in dec) / len(dec)
ej = sum(t["energy_j"] for t in dec) / len(dec)
tok = next(g for g in r["regions"] if g["name"] == "token")
lanes = r["config"]["soc"].get("xmac", {}).get("lanes", 4)
floor = tok["declared_macs"] / tok["calls"] / lanes
print(f"{cyc:.0f} {floor:.0f} {ej:.9f}")
PY
  rm -f "$rep"
}

row() {  # name config elf isa image args...
  local name=$1; shift
  local line
  line=$(printf "%-34s" "$name")
  for n in "${COUNTS[@]}"; do
    local out
    if out=$(measure decode "$@" -n "$n" 2> /dev/null) && [ -n "$out" ]; then
      read -r cyc floor ej <<< "$out"
      line+=$(python3 -c "import sys; c,f,e=map(float,sys.argv[1:]); print(f' {c/1e6:8.3f} {f/1e6:7.3f} {c/f:6.1f} {e*1e6:7.2f}', end='')" "$cyc" "$floor" "$ej")
    else
      line+=$(printf " %8s %7s %6s %7s" "n/a" "" "" "")  # the firmware refused the options (an older build)
    fi
  done
  echo "$line"
}

lanes=$(grep -A2 "^  xmac:" configs/mcu-base.yaml | sed -n 's/ *lanes: *\([0-9]*\).*/\1/p')
echo "stories260K, decode from an empty prompt, greedy; mcu-llm (cv32e40p timing, 4 KiB I-cache, flash 2 wait states, 200 MHz, Xmac ${lanes} lanes)"
hdr=$(printf "%-34s" "tokens:")
sub=$(printf "%-34s" "variant")
for n in "${COUNTS[@]}"; do
  hdr+=$(printf " %31s" "$n tokens")
  sub+=$(printf " %8s %7s %6s %7s" "Mcyc/tok" "floor" "x" "uJ/tok")
done
echo "$hdr"
echo "$sub"
EXTRA=()
row "fp32 soft-float (rv32imc)"         configs/mcu-llm.yaml tinyllm_soft rv32imc_xmac sl-fp32.tllm -b scalar
row "fp32 hard-float"                   configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-fp32.tllm -b scalar
row "INT8 scalar"                       configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int8.tllm -b scalar -k
row "INT8 Xmac"                         configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int8.tllm -b xmac -k
row "INT8 Xmac, fp32 KV"                configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int8.tllm -b xmac
row "INT8 Xmac, image in SRAM (-R)"     configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int8.tllm -b xmac -k -R
row "INT4 scalar"                       configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int4.tllm -b scalar -k
row "INT4 Xmac"                         configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int4.tllm -b xmac -k
row "INT4 Xmac, image in SRAM (-R)"     configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int4.tllm -b xmac -k -R
EXTRA=(--set soc.devices.cim.count=63 --set soc.devices.cim.adc.bits=9)
row "INT8 CIM all matrices (63 macros)" configs/mcu-llm-cim.yaml tinyllm rv32imfc_xmac sl-int8-cimall.tllm -b xmac -c all -m 63 -k
EXTRA=()

PROMPT="Once upon a time, there was a little girl named Lily. She loved to play outside in the park"
echo
echo "prefill of a ${#PROMPT}-byte prompt, INT8 Xmac -k: Mcycles per prompt position"
for p in 1 8; do
  if out=$(measure prefill configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int8.tllm -b xmac -k -P "$p" -n 40 -i "$PROMPT" 2> /dev/null) && [ -n "$out" ]; then
    read -r cyc npos <<< "$out"
    python3 -c "import sys; print(f'  -P {sys.argv[1]:<3} {float(sys.argv[2])/1e6:8.3f}   ({sys.argv[3]} positions)')" "$p" "$cyc" "$npos"
  else
    echo "  -P $p    n/a"
  fi
done


# Decode at stated contexts: the demo's workload (INT8 Xmac, prompt "Once upon a time" = BOS + 4 tokens,
# greedy) run to 64 and to 256 positions; figures from the report's tokens.decode (docs/REPORT.md):
# decode tokens/s = generated tokens / their summed latency, energy per generated token (mean), latency
# p50/p90 per token; TTFT = the prompt + the first generated token, start-up excluded.
decode_row() {  # positions
  local rep; rep=$(mktemp)
  "$BUILD/mcucim" run -c configs/mcu-llm.yaml --elf "$BUILD/firmware/tinyllm.elf" -q \
    --load "$OUT/sl-int8.tllm@0x20100000" --args "-n $1 -b xmac -i Once upon a time" --report "$rep" > /dev/null
  python3 - "$rep" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tokens"]
d, c = t["decode"], t["context"]
print(f"{c['start']:>3} -> {c['end']:<4} {d['count']:>6} {d['tokens_per_s']:>9.1f} {d['energy_j_per_token']['mean']*1e6:>9.2f}"
      f" {d['latency_s']['p50']*1e3:>8.2f} {d['latency_s']['p90']*1e3:>8.2f} {t['ttft_s']*1e3:>8.2f} {t['startup_s']*1e3:>8.2f}")
PY
  rm -f "$rep"
}
echo
echo "decode, INT8 Xmac, prompt 'Once upon a time'; mcu-llm (cv32e40p timing, 4 KiB I-cache, 200 MHz, 0.8 V)"
printf "%-11s %6s %9s %9s %8s %8s %8s %8s\n" "context" "tokens" "tok/s" "uJ/token" "p50 ms" "p90 ms" "ttft ms" "start ms"
decode_row 64
decode_row 256

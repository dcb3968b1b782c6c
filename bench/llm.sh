#!/usr/bin/env bash
# stories260K per-token cost on the simulated MCU for each precision and backend: cycles and energy per
# token (median over the generated tokens, i.e. steady state without start-up), from the JSON report.
# Usage: bench/llm.sh [BUILD_DIR] [TOKENS]   (needs ../shared/models or MCUCIM_MODELS)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-16}
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

row() {  # name config elf isa image args...
  local name=$1 cfg=$2 elf=$3 isa=$4 img=$5; shift 5
  local rep; rep=$(mktemp)
  "$BUILD/mcucim" run -c "$cfg" --elf "$BUILD/firmware/$elf.elf" -q --set "soc.core.isa=$isa" \
    --set soc.memories.flash.size=4MiB --load "$OUT/$img@0x20100000" --args "-n $N $*" --report "$rep" "${EXTRA[@]}" > /dev/null
  python3 - "$rep" "$name" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
each = r["tokens"]["each"]
cyc = statistics.median(t["cycles"] for t in each)
ej = statistics.median(t["energy_j"] for t in each)
print(f"{sys.argv[2]:<34} {cyc/1e6:10.2f} {ej*1e6:12.1f} {r['cycles']/1e6:12.1f}")
PY
  rm -f "$rep"
}
echo "stories260K, $N tokens from an empty prompt, greedy; mcu-llm (cv32e40p timing, 4 KiB I-cache, 200 MHz)"
printf "%-34s %10s %12s %12s\n" "variant" "Mcyc/token" "uJ/token" "Mcyc total"
EXTRA=()
row "fp32 soft-float (rv32imc)"        configs/mcu-llm.yaml tinyllm_soft rv32imc_xmac sl-fp32.tllm -b scalar
row "fp32 hard-float"                  configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-fp32.tllm -b scalar
row "INT8 scalar"                      configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int8.tllm -b scalar
row "INT8 Xmac"                        configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int8.tllm -b xmac
row "INT4 scalar"                      configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int4.tllm -b scalar
row "INT4 Xmac"                        configs/mcu-llm.yaml tinyllm rv32imfc_xmac sl-int4.tllm -b xmac
EXTRA=(--set soc.devices.cim.count=63 --set soc.devices.cim.adc.bits=9)
row "INT8 CIM all matrices (63 macros)" configs/mcu-llm-cim.yaml tinyllm rv32imfc_xmac sl-int8-cimall.tllm -b xmac -c all -m 63

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

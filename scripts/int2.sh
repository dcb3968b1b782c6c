#!/usr/bin/env bash
# INT2 stories260K by quantization-aware distillation (`make int2`; workloads/tinyllm/QUANTIZATION.md):
#  1. scripts/qat.py trains the INT2 student from the fp32 checkpoint (the recipe below) -> .tqc
#  2. mcucim-pack stores it unchanged in a model image (prints bits/parameter)
#  3. teacher-forced agreement with the fp32 oracle over 256 positions, host build (tinyllm-host) and
#     simulator (tinyllm.elf, Xmac INT2 kernels): the two must print the same ids and logits checksum
#  4. the story the INT2 model tells in the simulator (greedy, "Once upon a time", 128 tokens) and its
#     median cycles and energy per generated token (JSON report)
# Usage: scripts/int2.sh [BUILD_DIR] [extra qat.py options...]   (MCUCIM_MODELS=DIR for the models)
# Outputs in BUILD_DIR/int2/. Exit 1 if host and simulator differ, 2 on missing inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
MODELS=${MCUCIM_MODELS:-../shared/models}
ORACLE=${MCUCIM_ORACLE:-../shared/oracles/stories260K_fp32_greedy_noprompt_256.ids}
TOOLS=$BUILD/workloads/tinyllm
OUT=$BUILD/int2
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
for f in "$MODELS/stories260K.bin" "$MODELS/tok512.bin" "$ORACLE"; do
  [ -f "$f" ] || { echo "int2: $f not found (scripts/download-models.sh DIR fetches the models; MCUCIM_MODELS=DIR)" >&2; exit 2; }
done
for f in "$TOOLS/mcucim-pack" "$TOOLS/tinyllm-host" "$BUILD/mcucim" "$BUILD/firmware/tinyllm.elf"; do
  [ -x "$f" ] || [ -f "$f" ] || { echo "int2: $f not built (make int2 builds it)" >&2; exit 2; }
done
mkdir -p "$OUT"
TQC=$OUT/stories260K-int2-qat.tqc
IMG=$OUT/stories260K-int2-qat.tllm

# The recipe (QUANTIZATION.md, "Quantization-aware distillation"): every matrix, the shared
# embedding/classifier included, INT2 with one fp32 scale per row and levels {-2,-1,0,1}.
RECIPE=(--weights int2:256:full --seqs 512 --seq-len 256 --steps 600 --batch 8 --short-frac 0.5
        --short-len 64 --lr 2e-3 --lr-scale 1e-3 --lr-norm 1e-3 --tau 1 --seed 1 --threads 2
        --eval-every 50 --eval-ids "$ORACLE")
echo "int2: qat.py ${RECIPE[*]} $*"
start=$(date +%s)
$PY scripts/qat.py "$MODELS/stories260K.bin" -o "$TQC" "${RECIPE[@]}" --log "$OUT/stories260K-int2-qat.log" "$@"
end=$(date +%s)
echo "int2: training took $((end - start)) s wall (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
"$TOOLS/mcucim-pack" "$TQC" "$MODELS/tok512.bin" -o "$IMG"

echo "int2: teacher-forced agreement with $ORACLE (256 positions)"
"$TOOLS/tinyllm-host" "$IMG" --agree "$ORACLE" --positions 256 --backend xmac > "$OUT/agree-host.txt"
"$BUILD/mcucim" run -c configs/mcu-llm.yaml --elf "$BUILD/firmware/tinyllm.elf" -q \
  --load "$IMG@0x20100000" --load "$ORACLE@0x201C0000" --args "-a 256 -b xmac" > "$OUT/agree-sim.txt"
host=$(grep -E '^(ids:|logits_fnv:|METRIC agreement)' "$OUT/agree-host.txt")
sim=$(grep -E '^(ids:|logits_fnv:|METRIC agreement)' "$OUT/agree-sim.txt")
echo "host:      $(grep '^METRIC agreement' "$OUT/agree-host.txt")"
echo "simulator: $(grep '^METRIC agreement' "$OUT/agree-sim.txt")"
if [ -z "$host" ] || [ "$host" != "$sim" ]; then echo "int2: host and simulator differ (see $OUT/agree-*.txt)" >&2; exit 1; fi
echo "int2: host == simulator (ids, logits checksum)"

echo "int2: the INT2 model's story in the simulator (Xmac INT2 kernels, greedy, 128 tokens)"
"$BUILD/mcucim" run -c configs/mcu-llm.yaml --elf "$BUILD/firmware/tinyllm.elf" -q \
  --load "$IMG@0x20100000" --args "-n 128 -b xmac -i Once upon a time" --report "$OUT/story-report.json" \
  | tee "$OUT/story.txt"
$PY - "$OUT/story-report.json" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
t = r["tokens"]
print("int2: per generated token (mcu-llm, Xmac, %d tokens): median %.3f Mcycles, decode %.1f tokens/s "
      "(simulated time), decode p50 %.2f uJ" % (len(t["each"]), statistics.median(e["cycles"] for e in t["each"]) / 1e6,
                                              t["decode"]["tokens_per_s"], t["decode"]["energy_j_per_token"]["p50"] * 1e6))
PY

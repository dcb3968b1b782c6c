#!/usr/bin/env bash
# The default demo (`make run`): stories260K quantized to INT8 generates a story inside the simulated
# MCU (configs/mcu-llm.yaml, Xmac kernels), then mcucim prints the run report (latency and energy per
# token, TOPS/W, breakdown by component and by kernel region).
# Usage: scripts/demo.sh [BUILD_DIR] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
STEPS=${2:-96}
MODELS=${MCUCIM_MODELS:-../shared/models}
TOOLS=$BUILD/workloads/tinyllm
mkdir -p "$BUILD/models"

if [ -f "$MODELS/stories260K.bin" ] && [ -f "$MODELS/tok512.bin" ]; then
  IMG=$BUILD/models/stories260K-int8.tllm
  "$TOOLS/mcucim-pack" "$MODELS/stories260K.bin" "$MODELS/tok512.bin" -o "$IMG" --weights int8:32 > /dev/null
  PROMPT="Once upon a time"
else
  echo "demo: stories260K.bin / tok512.bin not found in $MODELS."
  echo "      Put them there (or set MCUCIM_MODELS=DIR); scripts/download-models.sh DIR fetches them from"
  echo "      their public source and verifies their SHA-256. Running a synthetic model instead (its text is noise)."
  IMG=$BUILD/models/synthetic-int8.tllm
  "$TOOLS/mcucim-synth" -o "$IMG" > /dev/null
  PROMPT=""
fi

echo "demo: $IMG on configs/mcu-llm.yaml (RV32IMFC + Xmac, 200 MHz), $STEPS tokens, greedy"
exec "$BUILD/mcucim" run -c configs/mcu-llm.yaml --elf "$BUILD/firmware/tinyllm.elf" \
  --load "$IMG@0x20100000" --args "-n $STEPS -b xmac ${PROMPT:+-i $PROMPT}"

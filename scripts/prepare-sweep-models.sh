#!/bin/sh
# Generates the model images and reference ids the LLM sweeps load (configs/sweeps/cim-array-adc.yaml,
# configs/sweeps/weight-precision.yaml) into sweeps/models/ (beside configs/, ignored by git):
#   stories260K_int8_ffncim.tllm  INT8, group 32, FFN (w1 w2 w3) flagged for CIM with group = row length
#   stories260K_int8_allcim_win.tllm  INT8, every matrix flagged for CIM, with ADC windows (cim-llm.yaml)
#   stories260K_w32.tllm, _w8, _w4, _w2  fp32, INT8 (group 32), INT4 (group 32), INT2 (group 32, affine,
#                                 MSE-fitted, GPTQ rounding): configs/sweeps/weight-precision.yaml's param wbits
#   oracle.ids                    the fp32 greedy oracle (../shared/oracles), teacher-forcing reference
# Usage: scripts/prepare-sweep-models.sh BUILD_DIR [SHARED_DIR]   (SHARED_DIR default: ../shared)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/prepare-sweep-models.sh BUILD_DIR [SHARED_DIR]}
shared=${2:-$here/../shared}
pack="$build/workloads/tinyllm/mcucim-pack"
models="$shared/models"
oracle="$shared/oracles/stories260K_fp32_greedy_noprompt_256.ids"
out="$here/sweeps/models"
[ -x "$pack" ] || { echo "prepare-sweep-models: $pack not found: build first (cmake --build $build)" >&2; exit 2; }
for f in "$models/stories260K.bin" "$models/tok512.bin" "$oracle"; do
  [ -f "$f" ] || { echo "prepare-sweep-models: $f not found (scripts/download-models.sh fetches the model; the oracle comes with ../shared)" >&2; exit 2; }
done
mkdir -p "$out"
# Each image is generated once (delete sweeps/models/ to regenerate).
p() {
  name=$1; shift
  [ -s "$out/$name" ] && [ "$out/$name" -nt "$pack" ] && return 0
  "$pack" "$models/stories260K.bin" "$models/tok512.bin" -o "$out/$name.part" "$@" && mv "$out/$name.part" "$out/$name"
}
p stories260K_int8_ffncim.tllm --weights int8:32 --cim ffn
# configs/sweeps/cim-llm.yaml: every matrix on CIM, ADC windows for the analog MRAM preset (256 x 512,
# 1-bit cells, 8 window groups) and the ReRAM preset (256 x 256, 16-level cells, 8 groups) at 32, 64,
# 128 and 256 rows per conversion
p stories260K_int8_allcim_win.tllm --weights int8:32 --cim all --cim-windows \
  --cim-macro rows=256,cols=512,cell=1,wcols=64,rpp=32/64/128/256 \
  --cim-macro rows=256,cols=256,cell=4,wcols=32,rpp=32/64/128/256
p stories260K_w32.tllm --weights fp32
p stories260K_w8.tllm --weights int8:32
p stories260K_w4.tllm --weights int4:32
p stories260K_w2.tllm --weights int2:32:affine:mse:gptq
cp "$oracle" "$out/oracle.ids"
echo "prepare-sweep-models: wrote $out"

#!/usr/bin/env bash
# Fetch the stories260K checkpoint and its tokenizer from their public source (Andrej Karpathy's
# llama2.c model files on Hugging Face, MIT licence) into DIR and verify them against the SHA-256 sums
# the project expects (scripts/models.sha256, a copy of ../shared/models/SHA256SUMS).
# Usage: scripts/download-models.sh [DIR]   (default ../shared/models; the demo reads MCUCIM_MODELS)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-$here/../../shared/models}
BASE=${MCUCIM_MODEL_URL:-https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K}
mkdir -p "$DIR"
for f in stories260K.bin tok512.bin; do
  if [ ! -f "$DIR/$f" ]; then
    echo "download-models: fetching $BASE/$f"
    if command -v curl > /dev/null; then curl -fL --retry 3 -o "$DIR/$f.part" "$BASE/$f"
    else wget -O "$DIR/$f.part" "$BASE/$f"; fi
    mv "$DIR/$f.part" "$DIR/$f"
  fi
done
cd "$DIR"
if sha256sum -c "$here/models.sha256"; then
  echo "download-models: verified; run the demo with MCUCIM_MODELS=$DIR make run"
else
  echo "download-models: checksum mismatch: the files in $DIR are not the expected stories260K/tok512" >&2
  exit 1
fi

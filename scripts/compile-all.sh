#!/bin/sh
# Cross-compiles the `pgai` single binary for every released platform and
# writes SHA256SUMS next to them. Used by the release workflow; runs anywhere
# `deno compile` can download its runtimes (not in offline sandboxes).
#
#   scripts/compile-all.sh [OUT_DIR]        (default: dist)
#
# SQL files and tokenizer data are imported statically, so `deno compile`
# embeds them without any `--include`.
set -eu

out="${1:-dist}"
cd "$(dirname "$0")/.."
mkdir -p "$out"

for target in \
  x86_64-unknown-linux-gnu \
  aarch64-unknown-linux-gnu \
  x86_64-apple-darwin \
  aarch64-apple-darwin \
  x86_64-pc-windows-msvc
do
  name="pgai-${target}"
  case "$target" in *windows*) name="${name}.exe" ;; esac
  echo "compiling ${name}" >&2
  deno compile -A --frozen --target "$target" --v8-flags=--max-semi-space-size=4,--no-allocation-site-pretenuring,--expose-gc --output "${out}/${name}" main.ts
done

cd "$out"
sha256sum pgai-* > SHA256SUMS
cat SHA256SUMS

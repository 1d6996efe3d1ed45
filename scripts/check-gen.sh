#!/usr/bin/env bash
# Fails when the generated protobuf code differs from what proto/ generates now: regenerates into a temp dir
# with scripts/gen-proto.sh and compares it with src/plugin/gen/ (or the directory given), file by file.
#   scripts/check-gen.sh [dir]
set -uo pipefail
cd "$(dirname "$0")/.."
committed=${1:-src/plugin/gen}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! bash scripts/gen-proto.sh "$tmp" >"$tmp/gen.out" 2>&1; then
  cat "$tmp/gen.out"
  echo "check-gen: generating from proto/ failed"
  exit 1
fi
if ! diff -r -u "$tmp/src/plugin/gen" "$committed" >"$tmp/diff.out"; then
  head -n 200 "$tmp/diff.out"
  echo "check-gen: $committed differs from what proto/ generates; run npm run gen and commit the result"
  exit 1
fi
echo "generated code matches proto/ ($(find "$committed" -name '*.ts' | wc -l) files)"

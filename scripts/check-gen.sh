#!/usr/bin/env bash
# Fails when the generated protobuf code differs from what proto/ generates now: regenerates into a temp dir
# with scripts/gen-proto.sh and compares every gen/ folder it makes (src/host/gen, src/plugin/gen) with the same
# folder of the repository (or of the directory given, laid out as the repository), file by file.
#   scripts/check-gen.sh [root]
set -uo pipefail
cd "$(dirname "$0")/.."
root=${1:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! bash scripts/gen-proto.sh "$tmp" >"$tmp/gen.out" 2>&1; then
  cat "$tmp/gen.out"
  echo "check-gen: generating from proto/ failed"
  exit 1
fi
status=0
files=0
for fresh in "$tmp"/src/*/gen; do
  committed="$root/${fresh#"$tmp"/}"
  if ! diff -r -u "$fresh" "$committed" >"$tmp/diff.out"; then
    head -n 200 "$tmp/diff.out"
    echo "check-gen: $committed differs from what proto/ generates; run npm run gen and commit the result"
    status=1
    continue
  fi
  files=$((files + $(find "$committed" -name '*.ts' | wc -l)))
done
[ "$status" -eq 0 ] && echo "generated code matches proto/ ($files files)"
exit "$status"

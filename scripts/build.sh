#!/usr/bin/env bash
# Builds the standalone executables into dist/: linux-x64 (tests, demo) and the FreeBSD targets we ship.
# Usage: scripts/build.sh [target…]   targets: linux-x64 freebsd-x64 freebsd-arm64 (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64 freebsd-x64 freebsd-arm64)
mkdir -p dist
for target in "${targets[@]}"; do
  case "$target" in
    linux-x64) bun_target=bun-linux-x64 ;;
    freebsd-x64) bun_target=bun-freebsd-x64 ;;
    freebsd-arm64) bun_target=bun-freebsd-aarch64 ;;
    *) echo "unknown target: $target" >&2; exit 2 ;;
  esac
  out="dist/pot-task-driver-$target"
  # --bytecode needs ESM output when modules use top-level await; it cuts start-up to about a third.
  "$BUN" build src/main.ts --compile --minify --bytecode --format=esm --target="$bun_target" --outfile "$out" >/dev/null
  echo "built $out ($(stat -c %s "$out") bytes)"
done

#!/usr/bin/env bash
# Builds the standalone executables into dist/: linux-x64 (tests, demo) and the FreeBSD targets we ship.
# Usage: scripts/build.sh [target…]   targets: linux-x64 freebsd-x64 freebsd-arm64 (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=${BUN:-node_modules/.bin/bun}
# The oldest Bun whose FreeBSD x64 build runs on SSE4.2 CPUs (one build, AVX2 picked at run time); FreeBSD
# builds themselves, Bun.spawn's detached and terminal options came earlier. See docs/freebsd.md.
MIN_BUN=1.4.1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64 freebsd-x64 freebsd-arm64)
# version_at_least HAVE WANT: true when dotted version HAVE (a "-suffix" ignored) is WANT or newer.
version_at_least() {
  local have=${1%%-*} want=$2 i h w
  IFS=. read -r -a h <<<"$have"
  IFS=. read -r -a w <<<"$want"
  for i in 0 1 2; do
    [[ ${h[i]:-0} =~ ^[0-9]+$ ]] || return 1
    ((10#${h[i]:-0} > 10#${w[i]:-0})) && return 0
    ((10#${h[i]:-0} < 10#${w[i]:-0})) && return 1
  done
  return 0
}
bun_version=$("$BUN" --version 2>/dev/null) || { echo "cannot run $BUN (run npm ci)" >&2; exit 1; }
if ! version_at_least "$bun_version" "$MIN_BUN"; then
  echo "bun $bun_version is too old: the FreeBSD builds need bun $MIN_BUN or newer (docs/freebsd.md)" >&2
  exit 1
fi
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
  "$BUN" build src/app/main.ts --compile --no-compile-autoload-dotenv --no-compile-autoload-bunfig --minify --bytecode --format=esm --target="$bun_target" --outfile "$out" >/dev/null
  echo "built $out ($(wc -c <"$out" | tr -d ' ') bytes)"
done

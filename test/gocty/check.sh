#!/usr/bin/env bash
# Golden msgpack fixtures check: regenerates test/fixtures/msgpack with go-cty's own encoder (v1.12.1, Nomad
# v1.6.3's pin, in test/gocty; v1.14.4's number forms in test/gocty/cty114) into a temp dir and compares every
# file with the committed copy. Last line: "N passed, N failed" (one test per fixture).
#   test/gocty/check.sh            compare
#   test/gocty/check.sh --update   rewrite the committed fixtures
set -uo pipefail
cd "$(dirname "$0")/../.."
BUN=node_modules/.bin/bun
committed=test/fixtures/msgpack
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

mkdir -p "$tmp/out"
if ! "$BUN" test/gocty/dump-specs.ts >"$tmp/out/specs.json" 2>"$tmp/dump.err"; then
  echo "FAIL dump-specs: could not print the spec trees"; cat "$tmp/dump.err"
  failed=$((failed + 1)); finish
fi
if ! (cd test/gocty && go run . -specs "$tmp/out/specs.json" -out "$tmp/out") >"$tmp/gen.out" 2>&1; then
  echo "FAIL generate: go run failed"; cat "$tmp/gen.out"
  failed=$((failed + 1)); finish
fi
# The same number forms from go-cty v1.14.4 (its own module): big whole numbers arrive as strings there.
if ! (cd test/gocty/cty114 && go run . -out "$tmp/out") >"$tmp/gen114.out" 2>&1; then
  echo "FAIL generate: go run in test/gocty/cty114 failed"; cat "$tmp/gen114.out"
  failed=$((failed + 1)); finish
fi

if [ "${1:-}" = "--update" ]; then
  mkdir -p "$committed"
  rm -f "$committed"/*.msgpack "$committed"/*.json
  cp "$tmp/out"/* "$committed"/
  echo "updated $committed"
  passed=$(ls "$committed" | sed -E 's/\.(msgpack|json)$//' | sort -u | wc -l)
  finish
fi

# One test per fixture name (its .msgpack and .json together) plus specs.json.
names=$( (ls "$tmp/out"; ls "$committed" 2>/dev/null) | sed -E 's/\.(msgpack|json)$//' | sort -u)
for name in $names; do
  problem=""
  for ext in msgpack json; do
    fresh="$tmp/out/$name.$ext" kept="$committed/$name.$ext"
    [ "$name" = specs ] && [ "$ext" = msgpack ] && continue
    if [ ! -f "$kept" ] && [ ! -f "$fresh" ]; then continue
    elif [ ! -f "$kept" ]; then problem="$problem $name.$ext is not committed;"
    elif [ ! -f "$fresh" ]; then problem="$problem $name.$ext is no longer generated;"
    elif ! cmp -s "$fresh" "$kept"; then problem="$problem $name.$ext differs;"
    fi
  done
  if [ -z "$problem" ]; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name:$problem (run test/gocty/check.sh --update if the change is intended)"
  fi
done
finish

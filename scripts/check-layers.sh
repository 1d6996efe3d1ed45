#!/usr/bin/env bash
# Enforces the layer rule: plugin → driver → {pot, supervisor}; pot and supervisor never import each other or
# anything above them; log/ and support/ import nothing from src/ layers. Prints every violation.
set -uo pipefail
cd "$(dirname "$0")/../src"
violations=0
check() {
  local layer=$1; shift
  local forbidden
  for forbidden in "$@"; do
    while IFS= read -r hit; do
      echo "layer violation: $hit (src/$layer must not import src/$forbidden)"
      violations=$((violations + 1))
    done < <(grep -rnE "from \"(\.\./)+$forbidden/" "$layer" 2>/dev/null || true)
  done
}
check driver plugin cli
check plugin cli
check pot plugin driver supervisor cli
check supervisor plugin driver pot cli
check cli plugin
check log plugin driver pot supervisor support
check support plugin driver pot supervisor log
[ "$violations" -eq 0 ] && echo "no layer violations"
[ "$violations" -eq 0 ]

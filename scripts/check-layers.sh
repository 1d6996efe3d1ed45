#!/usr/bin/env bash
# The layer rule is the allow-list in scripts/check-layers.ts; this wrapper keeps the old command working.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node_modules/.bin/bun scripts/check-layers.ts "$@"

#!/usr/bin/env bash
# The README's first command: runs the seed job through a real Nomad agent and this driver (real pot on
# FreeBSD, the pot simulator elsewhere; the output says which).
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash test/e2e/demo.sh "$@"

#!/usr/bin/env bash
# Engine benchmark (not a test): prints timings and ratios; see tools/bench/engine.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
exec tools/local-cluster/with-local-cluster.sh npx ts-node --transpile-only tools/bench/engine.ts "$@"

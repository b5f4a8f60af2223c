#!/usr/bin/env bash
# Loopback benchmark (npm run bench:app): see tools/bench/app.ts.
# Needs nginx, redis-server, redis-tools and wrk (npm run app:deps) and Go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node -r ts-node/register/transpile-only tools/bench/app.ts "$@"

#!/usr/bin/env bash
# Engine tests: the real Pulumi CLI against the local control plane (see with-local-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-local-cluster.sh npx mocha --timeout 900000 "${@:-tests/e2e/**/*.test.ts}"

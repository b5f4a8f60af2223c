#!/usr/bin/env bash
# Engine tests: the real Pulumi CLI against the local control plane (see with-local-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# --bail: the steps build on each other (up before update before destroy); the after hook still cleans up.
exec scripts/with-local-cluster.sh npx mocha --bail --timeout 900000 "${@:-tests/e2e/**/*.test.ts}"

#!/usr/bin/env bash
# Engine tests: the real Pulumi CLI against the local cluster (see tools/local-cluster/with-local-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# --bail: the steps build on each other (up before update before destroy); the after hook still cleans up.
# --sort: files run in name order, so user-stack.test.ts (what the others must leave untouched) runs last.
exec tools/local-cluster/with-local-cluster.sh npx mocha --bail --sort --timeout 900000 "${@:-tests/e2e/**/*.test.ts}"

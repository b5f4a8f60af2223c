#!/usr/bin/env bash
# Installs the npm packages of the root package and of its workspace policy/ (one `npm ci`, one lock)
# when node_modules is missing or older than package-lock.json; otherwise does nothing, silently.
# Used by test.sh, deploy.sh and pulumi.sh, so that both README commands work on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm writes node_modules/.package-lock.json at the end of every install.
[ node_modules/.package-lock.json -nt package-lock.json ] && exit 0
echo "npm-deps: npm ci (root and policy/)"
npm ci --ignore-scripts --no-audit --no-fund

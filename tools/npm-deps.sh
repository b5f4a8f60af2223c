#!/usr/bin/env bash
# Installs the npm packages of the root package and of its workspace policy/ (one `npm ci`, one lock)
# unless node_modules already holds every package package-lock.json names, at its version; then it
# does nothing, silently. scripts/test.sh and scripts/pulumi.sh (which deploy and destroy go through)
# call it, so that both README commands work on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm records what it installed in node_modules/.package-lock.json. Comparing contents, not dates,
# also catches a partial install, e.g. `npm ci` run inside policy/ installs that workspace alone.
installed() {
  node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages;
    const missing = Object.entries(want).filter(
      ([p, w]) => p !== "" && !w.optional && (!have[p] || have[p].version !== w.version),
    );
    process.exit(missing.length === 0 ? 0 : 1);
  ' 2>/dev/null
}

installed && exit 0
echo "npm-deps: npm ci (root and policy/)"
npm ci --ignore-scripts --no-audit --no-fund

#!/usr/bin/env bash
# Entry point (npm run toolchain, and every script that needs pulumi): the toolchain program
# tools/toolchain (one table of the Pulumi CLI, language host and kubernetes provider), built by
# tools/shared/run.sh into the toolchain cache, keyed by a hash of its sources, and run.
#   scripts/toolchain.sh ensure|ensure-cli|env|versions
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/tools/shared/run.sh" toolchain "${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/toolchain" --repo "$root" "$@"

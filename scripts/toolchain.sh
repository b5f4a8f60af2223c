#!/usr/bin/env bash
# Entry point (npm run toolchain, and every script that needs pulumi): see tools/toolchain/toolchain.sh.
exec "$(dirname "${BASH_SOURCE[0]}")/../tools/toolchain/toolchain.sh" "$@"

#!/usr/bin/env bash
# Builds the API server (app/backend) for this machine and prints the path of
# the binary on stdout (progress goes to stderr). The binary goes to
# ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/backend/app; set
# BACKEND_BIN_DIR to put it elsewhere. Go's build cache makes a rebuild with
# unchanged sources take well under a second.
set -euo pipefail
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${BACKEND_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/backend}"
command -v go >/dev/null 2>&1 || { echo "build-backend: go not found in PATH" >&2; exit 1; }
mkdir -p "$out_dir"
cd "$root/app/backend"
echo "build-backend: go build -> $out_dir/app" >&2
CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$out_dir/app.tmp" .
mv -f "$out_dir/app.tmp" "$out_dir/app"
echo "$out_dir/app"

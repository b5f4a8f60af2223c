#!/usr/bin/env bash
# Runs one of the project's Go tool programs, tools/NAME, built on first use into
# CACHE/NAME-tool-<hash>/NAME, keyed by a hash of all its sources and this library's, so a warm call costs
# milliseconds. The entry points in scripts/ call it:
#   tools/shared/run.sh NAME CACHE [ARG...]
set -euo pipefail
name=$1 cache=$2
shift 2
tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Every file the build reads: the Go sources of every package (tests excepted), go.mod and go.sum, here
# and in this library, tools/shared, which every tool replaces in. Paths are hashed with the contents,
# so a moved file rebuilds too.
hash="$(cd "$tools" && find "$name" shared \( -name go.mod -o -name go.sum -o -name '*.go' \) ! -name '*_test.go' -print0 |
  sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
bin="$cache/$name-tool-$hash/$name"
if [[ ! -x "$bin" ]]; then
  # Not added to PATH: the program's environment (and what `toolchain env` prints) stays the caller's.
  go=go
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; fi
  command -v "$go" >/dev/null 2>&1 || { echo "$name: no go command to build $tools/$name" >&2; exit 1; }
  mkdir -p "$(dirname "$bin")"
  (cd "$tools/$name" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$go" build -trimpath -o "$bin.tmp" .)
  mv -f "$bin.tmp" "$bin"
fi
exec "$bin" "$@"

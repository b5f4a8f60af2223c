#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint, with shellcheck checking every `run:` step.
#
#   scripts/actionlint.sh [actionlint args...]   # default: every file under .github/workflows/
#
# actionlint is built once from the Go module proxy (`go install`, needs Go >= 1.24) into
# ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/actionlint-v1.7.12/ and reused from there.
# shellcheck comes from Debian (apt-get) when it is missing. Exits non-zero on any finding.
set -euo pipefail

readonly ACTIONLINT_VERSION="v1.7.12"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/actionlint-${ACTIONLINT_VERSION}"
actionlint="${bin_dir}/actionlint"

if [[ ! -x "${actionlint}" ]]; then
    echo "actionlint: building ${ACTIONLINT_VERSION} into ${bin_dir} (once; this takes a few minutes)" >&2
    mkdir -p "${bin_dir}"
    GOBIN="${bin_dir}" GOFLAGS="${GOFLAGS:-} -trimpath" \
        go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "actionlint: installing shellcheck (Debian) so that run: steps are checked too" >&2
    if [[ "$(id -u)" -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq shellcheck >/dev/null
fi

cd "${repo_root}"
if [[ $# -eq 0 ]]; then
    shopt -s nullglob
    set -- .github/workflows/*.yml .github/workflows/*.yaml
    if [[ $# -eq 0 ]]; then
        echo "actionlint: no workflow files under .github/workflows/" >&2
        exit 1
    fi
fi
# -shellcheck names the binary explicitly: without it actionlint silently skips run: steps when it is absent.
exec "${actionlint}" -no-color -shellcheck="$(command -v shellcheck)" "$@"

#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the project's Pulumi CLI (scripts/toolchain.sh) run in the repository with
# its environment (local file backend .pulumi-state/, PULUMI_HOME, passphrase), after installing the npm
# packages and building the toolchain when they are missing. Progress goes to stderr; for clean stdout
# use npm's -s: `npm run -s pulumi -- stack output frontendUrl --stack local`.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/npm-deps.sh >&2
scripts/toolchain.sh ensure
eval "$(scripts/toolchain.sh env)"
# The stack the command works on: --stack/-s in the arguments, else the selected one.
target_stack() {
  while [ $# -gt 0 ]; do
    case $1 in
      --stack | -s) echo "${2:-}"; return ;;
      --stack=*) echo "${1#--stack=}"; return ;;
    esac
    shift
  done
  pulumi stack --show-name 2>/dev/null || true
}

# Stack local (Pulumi.local.yaml: context three-tier-local) reaches the local cluster through its
# kubeconfig, kept out of the tracked stack file. The Kubernetes provider reads $KUBECONFIG as one file
# (not a list), so it is set only for that stack; other stacks keep the user's own.
if [ "$(target_stack "$@")" = local ]; then
  KUBECONFIG="$(scripts/local-cluster.sh kubeconfig)"
  export KUBECONFIG
fi
exec pulumi "$@"

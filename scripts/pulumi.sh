#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the project's Pulumi CLI (scripts/toolchain.sh) run in the repository with
# its environment (local file backend .pulumi-state/, PULUMI_HOME, passphrase), after installing the npm
# packages and building the toolchain when they are missing. Progress goes to stderr; for clean stdout
# use npm's -s: `npm run -s pulumi -- stack output frontendUrl --stack local`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/npm-deps.sh >&2
scripts/toolchain.sh ensure
eval "$(scripts/toolchain.sh env)"
# Stack local (Pulumi.local.yaml: context three-tier-local) reaches the local cluster through this
# kubeconfig, kept out of the tracked stack file; prepended, so the user's own contexts still resolve.
KUBECONFIG="$(scripts/local-cluster.sh kubeconfig):${KUBECONFIG:-$HOME/.kube/config}"
export KUBECONFIG
exec pulumi "$@"

#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the project's Pulumi CLI (scripts/toolchain.sh) run in the repository with
# its environment (PULUMI_HOME, passphrase, stack `local`'s kubeconfig; the local file backend
# .pulumi-state/ unless PULUMI_BACKEND_URL names another), after installing the npm packages and building
# the toolchain when they are missing. Progress goes to stderr; for clean stdout use npm's -s:
# `npm run -s pulumi -- stack output frontendUrl --stack local`.
set -euo pipefail

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

# Whether stack $1's committed config (Pulumi.<stack>.yaml) targets gke.
targets_gke() {
  grep -Eq '^[[:space:]]+three-tier-app:target:[[:space:]]*("gke"|gke)[[:space:]]*(#.*)?$' "Pulumi.$1.yaml" 2>/dev/null
}

main() {
  cd "$(dirname "$0")/.."
  tools/npm-deps.sh >&2
  scripts/toolchain.sh ensure
  # The caller's own choice, read before the toolchain's environment sets its default (off).
  local acquisition=${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-}
  eval "$(scripts/toolchain.sh env)"
  local stack
  stack=$(target_stack "$@")

  # Stack local (Pulumi.local.yaml: context three-tier-local) reaches the local cluster through its
  # kubeconfig, kept out of the tracked stack file. The Kubernetes provider reads $KUBECONFIG as one file
  # (not a list), so it is set only for that stack; other stacks keep the user's own.
  if [ "$stack" = local ]; then
    KUBECONFIG="$(scripts/local-cluster.sh kubeconfig)"
    export KUBECONFIG
  fi
  # A stack on gke needs the gcp provider, which the toolchain does not build: the CLI fetches what
  # PULUMI_HOME lacks, unless the caller chose otherwise.
  if [ -z "$acquisition" ] && targets_gke "$stack"; then
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=false
  fi
  exec pulumi "$@"
}

# Sourced by tests/scripts/pulumi-wrapper.test.ts for its functions; run, it runs pulumi.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi

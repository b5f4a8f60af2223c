#!/usr/bin/env bash
# Runs a command with the Pulumi toolchain on PATH and the local control plane up, for the engine tests
# and benchmark. Starts the cluster if it is not running, and stops it afterwards only if it started it.
# The command sees E2E_KUBECONFIG and E2E_KUBE_CONTEXT naming the cluster, and KUBECTL.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/toolchain.sh ensure
eval "$(scripts/toolchain.sh env)"

started_cluster=false
if ! scripts/local-cluster.sh status >/dev/null 2>&1; then
  start=$(date +%s)
  scripts/local-cluster.sh up
  echo "local control plane up in $(( $(date +%s) - start )) s"
  started_cluster=true
fi
stop_cluster() { if $started_cluster; then scripts/local-cluster.sh down; fi; }
trap stop_cluster EXIT

E2E_KUBECONFIG="$(scripts/local-cluster.sh kubeconfig)"
export E2E_KUBECONFIG
export E2E_KUBE_CONTEXT=three-tier-local
KUBECTL="$(scripts/local-cluster.sh kubectl)"
export KUBECTL
"$@"

#!/usr/bin/env bash
# Runs a command with the Pulumi toolchain on PATH and the local cluster up, for the engine tests
# and benchmark. Starts the cluster if it is not running, and stops it afterwards only if it started it.
# The command sees E2E_KUBECONFIG and E2E_KUBE_CONTEXT naming the cluster, KUBECTL, and the node:
#   E2E_NODE_MODE          real | kwok
#   E2E_NODE_MODE_REASON   which node check failed (kwok), else empty
#   E2E_NODE_IP            the node IP (NodePorts answer there) in real mode, else 127.0.0.1
#   E2E_NODE_EXEC          runs its arguments on the node (netns, PATH, containerd socket)
#   E2E_REGISTRY           the cluster's image registry, host:port over plain HTTP (node IP or 127.0.0.1)
#   E2E_LOCAL_STACK_CONFIG Pulumi.local.yaml (the locally built images)
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/toolchain.sh ensure
eval "$(scripts/toolchain.sh env)"

started_cluster=false
if ! scripts/local-cluster.sh status >/dev/null 2>&1; then
  start=$(date +%s)
  scripts/local-cluster.sh up
  echo "local cluster up in $(( $(date +%s) - start )) s"
  started_cluster=true
fi
stop_cluster() { if $started_cluster; then scripts/local-cluster.sh down; fi; }
trap stop_cluster EXIT

E2E_KUBECONFIG="$(scripts/local-cluster.sh kubeconfig)"
export E2E_KUBECONFIG
export E2E_KUBE_CONTEXT=three-tier-local
KUBECTL="$(scripts/local-cluster.sh kubectl)"
export KUBECTL
mode="$(scripts/local-cluster.sh mode)"
echo "local cluster mode: $mode"
E2E_NODE_MODE="${mode%% *}"
E2E_NODE_MODE_REASON=""
E2E_NODE_IP=127.0.0.1
if [ "$E2E_NODE_MODE" = kwok ]; then
  E2E_NODE_MODE_REASON="${mode#kwok (}"
  E2E_NODE_MODE_REASON="${E2E_NODE_MODE_REASON%)}"
else
  E2E_NODE_IP=172.31.255.2
fi
export E2E_NODE_MODE E2E_NODE_MODE_REASON E2E_NODE_IP
export E2E_NODE_EXEC="$PWD/tools/local-cluster/node-exec"
E2E_REGISTRY="$(scripts/local-cluster.sh registry)"
export E2E_REGISTRY
export E2E_LOCAL_STACK_CONFIG="$PWD/Pulumi.local.yaml"
"$@"

#!/usr/bin/env bash
# The project's own Kubernetes cluster: a control plane plus a real node (containerd, kubelet,
# kube-proxy, CoreDNS, a NetworkPolicy enforcer) in the network namespace three-tier-node, or kwok
# fake nodes on loopback when this machine cannot run the node. The program is tools/local-cluster
# (one table of components); this entry point builds it (tools/shared/run.sh: cached by a hash of its sources) and runs it.
#
# Usage: scripts/local-cluster.sh up|down|status|mode|registry|kubeconfig|kubectl|build
#   up      node checks, then the real node, or kwok mode saying which check failed
#           (LOCAL_CLUSTER_NODE=real fails instead; LOCAL_CLUSTER_NODE=kwok skips the checks)
#   down    stop and remove everything `up` recorded (processes, containers, mounts, netns, veth,
#           routes, cgroups, CNI state, sysctls)
#   status  each component with pid and health; exit 0 only if all are healthy
#   mode    `real` or `kwok (<reason>)`
#   registry  the address of the cluster's image registry (172.31.255.2:5000, or 127.0.0.1:5000 with kwok)
# Environment: see tools/local-cluster/main.go.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${LOCAL_CLUSTER_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/local-cluster-bin}"
exec "$root/tools/shared/run.sh" local-cluster "$cache" --repo "$root" "$@"

#!/usr/bin/env bash
# The project's own Kubernetes cluster: a control plane plus a real node (containerd, kubelet,
# kube-proxy, CoreDNS, a NetworkPolicy enforcer) in the network namespace three-tier-node, or kwok
# fake nodes on loopback when this machine cannot run the node. The program is tools/local-cluster
# (one table of components); this entry point builds it (cached by a hash of its sources) and runs it.
#
# Usage: scripts/local-cluster.sh up|down|status|mode|kubeconfig|kubectl|build
#   up      node checks, then the real node, or kwok mode saying which check failed
#           (LOCAL_CLUSTER_NODE=real fails instead; LOCAL_CLUSTER_NODE=kwok skips the checks)
#   down    stop and remove everything `up` recorded (processes, containers, mounts, netns, veth,
#           routes, cgroups, CNI state, sysctls)
#   status  each component with pid and health; exit 0 only if all are healthy
#   mode    `real` or `kwok (<reason>)`
# Environment: see tools/local-cluster/main.go.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/tools/local-cluster"
cache="${LOCAL_CLUSTER_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/local-cluster-bin}"

hash="$(cd "$src" && find . -maxdepth 1 \( -name go.mod -o -name '*.go' \) ! -name '*_test.go' -print0 |
  sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
bin="$cache/local-cluster-tool-$hash/local-cluster"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null 2>&1 || { echo "local-cluster: no go command to build $src" >&2; exit 1; }
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$bin.tmp" .)
  mv -f "$bin.tmp" "$bin"
fi
exec "$bin" --repo "$root" "$@"

#!/usr/bin/env bash
# README's first command: a real `pulumi up` of the whole app onto a Kubernetes API this machine can reach.
#   - the kubeconfig context of the `dev` stack (minikube by default) when it answers: stack `dev`;
#   - otherwise the project's own local cluster (scripts/local-cluster.sh): stack `local`, with a real
#     node (NodePorts answer on 172.31.255.2) or, where this machine cannot run one, kwok fake nodes.
# STACK=gke deploys the gke stack instead (needs gcloud credentials and gcp:project set).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund
scripts/toolchain.sh ensure
eval "$(scripts/toolchain.sh env)"

context_answers() {
  command -v kubectl >/dev/null 2>&1 &&
    kubectl config get-contexts "$1" >/dev/null 2>&1 &&
    kubectl --context "$1" --request-timeout=5s get --raw /readyz >/dev/null 2>&1
}

stack=${STACK:-}
if [ -z "$stack" ]; then
  if context_answers minikube; then
    stack=dev
  else
    echo "deploy: no reachable 'minikube' context; using the project's local control plane (stack 'local')"
    stack=local
  fi
fi

pulumi stack select --create "$stack" >/dev/null
if [ "$stack" = local ]; then
  scripts/local-cluster.sh up
  echo "deploy: local cluster node: $(scripts/local-cluster.sh mode)"
  pulumi config set three-tier-app:kubeContext three-tier-local --stack local
  pulumi config set three-tier-app:kubeconfig "$(scripts/local-cluster.sh kubeconfig)" --stack local
fi

pulumi up --yes --stack "$stack"
echo
pulumi stack output --stack "$stack"
cat <<NEXT

Next:
  pulumi preview --stack $stack      # what a change would do
  pulumi destroy --stack $stack      # remove everything (the namespace goes with it)
NEXT
if [ "$stack" = local ]; then echo "  scripts/local-cluster.sh down     # then stop the local cluster"; fi
echo "(run pulumi after: eval \"\$(scripts/toolchain.sh env)\")"

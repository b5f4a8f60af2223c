#!/usr/bin/env bash
# README's first command: a real `pulumi up` of the whole app onto a Kubernetes API this machine can reach.
#   - the kubeconfig context of the `dev` stack (minikube by default) when it answers: stack `dev`;
#   - otherwise the project's own local cluster (scripts/local-cluster.sh): stack `local`, with a real
#     node (NodePorts answer on 172.31.255.2) or, where this machine cannot run one, kwok fake nodes.
# STACK=gke deploys the gke stack instead: created beforehand with its Cloud KMS key, in the backend
# PULUMI_BACKEND_URL names, with gcloud credentials and gcp:project set (README, "gke from your own
# machine").
# Works on a fresh clone: installs the npm packages and builds the toolchain when missing. Records the
# stack in .pulumi-state/deployed-stack for `npm run destroy`, and ends with next commands runnable as
# printed (`npm run pulumi -- ...` carries the toolchain's environment).
set -euo pipefail
cd "$(dirname "$0")/.."

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

# Every pulumi call goes through scripts/pulumi.sh, the same way in that `npm run pulumi` and
# `npm run destroy` take: its first call installs the npm packages and builds the toolchain when
# missing, it hands stack local its cluster's kubeconfig, and it lets the CLI fetch gke's gcp provider.
if [ "$stack" = gke ]; then
  # Never created here: a new stack would get a passphrase, and gke's secrets are Cloud KMS's.
  scripts/pulumi.sh stack select gke >/dev/null || {
    echo "deploy: cannot select stack gke (above); a new one is created once with its Cloud KMS key:" >&2
    echo "  pulumi stack init gke --secrets-provider <gkeSecretsProvider>   (README, \"gke from your own machine\")" >&2
    exit 1
  }
else
  scripts/pulumi.sh stack select --create "$stack" >/dev/null
fi
# Recorded before `up`, so that a failed update's partial objects can still be destroyed.
echo "$stack" >.pulumi-state/deployed-stack
if [ "$stack" = local ]; then
  scripts/local-cluster.sh up
  echo "deploy: local cluster node: $(scripts/local-cluster.sh mode)"
fi

# --skip-preview: with --yes nobody reviews the preview, and the update computes the same plan itself
# (about 4 s of every deploy); `npm run pulumi -- preview` is there to look first.
scripts/pulumi.sh up --yes --skip-preview --stack "$stack"
echo
scripts/pulumi.sh stack output --stack "$stack"
cat <<NEXT

Next (runnable as printed, from the repository):
  npm run -s pulumi -- stack output --stack $stack   # the outputs again (-s: no npm banner)
  npm run pulumi -- preview --stack $stack           # what a change would do
  npm run destroy                                    # remove the app: the namespace goes with it
NEXT
if [ "$stack" = local ]; then
  echo "  npm run destroy -- --down                          # ... and stop the local control plane too"
fi

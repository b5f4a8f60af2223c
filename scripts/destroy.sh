#!/usr/bin/env bash
# `npm run destroy [-- [--down] [STACK]]`: `pulumi destroy` of the stack `npm run deploy` last deployed
# (recorded in .pulumi-state/deployed-stack), or of STACK; the namespace and everything in it go.
# Stack `local`: the local control plane is started for the destroy if it is down (and stopped again
# after); when it was already running it keeps running, because the engine suite and other stacks share
# it. --down stops it after the destroy; `npm run cluster:down` does the same later.
set -euo pipefail
cd "$(dirname "$0")/.."

record=.pulumi-state/deployed-stack
usage() { echo "usage: npm run destroy [-- [--down] [STACK]]" >&2; exit 2; }
down=false
stack=""
for arg in "$@"; do
  case $arg in
    --down) down=true ;;
    -*) usage ;;
    *) [ -z "$stack" ] || usage; stack=$arg ;;
  esac
done
if [ -z "$stack" ]; then
  [ -s "$record" ] || { echo "destroy: npm run deploy has recorded no stack here; name one: npm run destroy -- <stack>" >&2; exit 2; }
  stack=$(cat "$record")
fi
if $down && [ "$stack" != local ]; then
  echo "destroy: --down stops the local control plane; stack '$stack' does not run on it" >&2
  exit 2
fi

if [ "$stack" = local ] && ! scripts/local-cluster.sh status >/dev/null 2>&1; then
  echo "destroy: starting the local control plane to delete the stack's objects (stopped again after)"
  scripts/local-cluster.sh up
  down=true
fi
scripts/pulumi.sh destroy --yes --stack "$stack"
if [ "$(cat "$record" 2>/dev/null)" = "$stack" ]; then rm -f "$record"; fi

if [ "$stack" = local ]; then
  if $down; then
    scripts/local-cluster.sh down
  else
    echo "The local control plane keeps running (shared with npm test); to stop it: npm run cluster:down"
  fi
fi

#!/usr/bin/env bash
# Engine tests: the real Pulumi CLI against the local cluster (see tools/local-cluster/with-local-cluster.sh).
#   scripts/test-e2e.sh            the whole suite: user-stack.fixture.ts records the user's stack `local`,
#                                  the other files run side by side (E2E_JOBS at a time, default 2), then
#                                  user-stack.test.ts checks that they left it as it was
#   scripts/test-e2e.sh FILE...    just those files, one after another
# --bail: a file's steps build on each other (up before update before destroy); its after hook still cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
mocha="npx mocha --bail --timeout 900000"
if (( $# > 0 )); then
  exec tools/local-cluster/with-local-cluster.sh $mocha "$@"
fi

# Longest first, so that the lanes end close together. Each file deploys stacks and namespaces of its own.
files="tests/e2e/real-node.test.ts tests/e2e/engine.test.ts tests/e2e/destroy-order.test.ts
  tests/e2e/review-access.test.ts tests/e2e/crash-loop.test.ts tests/e2e/policy.test.ts"
unlisted=$(comm -13 <(printf '%s\n' $files tests/e2e/user-stack.test.ts | sort) <(ls tests/e2e/*.test.ts | sort))
if [[ -n $unlisted ]]; then echo "test-e2e: engine test files missing from this script: $unlisted" >&2; exit 1; fi

record=$(mktemp -d)
trap 'rm -rf "$record"' EXIT
export E2E_USER_STACK_SNAPSHOT=$record/user-stack.json
# The comparison runs even when a file failed: that is when it matters most.
tools/local-cluster/with-local-cluster.sh bash -c "
  rc=0
  $mocha --parallel --jobs ${E2E_JOBS:-2} \
    --require ts-node/register/transpile-only --require tests/e2e/user-stack.fixture.ts $(echo $files) || rc=\$?
  $mocha tests/e2e/user-stack.test.ts || rc=\$?
  exit \$rc"

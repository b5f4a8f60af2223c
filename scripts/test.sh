#!/usr/bin/env bash
# README's test command: every suite, one after another, then one summary line.
#   typecheck  tsc --noEmit
#   lint       eslint (with Pulumi's rules) and prettier
#   unit       mocha + pulumi.runtime.setMocks: config, components, the program per stack, policy rules
#   backend    the Go API's tests (handlers, and against a real redis-server)
#   app        nginx → Go API → redis-server on loopback, running the configs the program deploys
#   workflows  actionlint + shellcheck on .github/workflows
#   cluster    the local cluster program's tests (Go), and that `down` undoes everything `up` did
#   engine     the real Pulumi CLI on a local Kubernetes control plane (preview/up/update/refresh/
#              destroy, and previews under the policy pack)
# Installs what is missing first (Debian packages via scripts/app-deps.sh, the policy pack's npm
# packages); the Pulumi toolchain and control plane are built on first use and cached.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/app-deps.sh || exit 1
[ -d policy/node_modules ] || npm ci --prefix policy --ignore-scripts --no-audit --no-fund || exit 1

passed=0
failed=0
failed_suites=()

# Runs one suite, echoing its output, and adds its passing/failing counts to the totals.
run_suite() {
  local name=$1 output rc p f start
  shift
  echo "=== $name: $*"
  output=$(mktemp)
  start=$(date +%s)
  "$@" 2>&1 | tee "$output"
  rc=${PIPESTATUS[0]}
  # mocha: "N passing" / "N failing"; go test -v: "--- PASS" / "--- FAIL".
  p=$(( $(grep -Eo '^ *[0-9]+ passing' "$output" | awk '{s+=$1} END {print s+0}') + $(grep -Ec '^ *--- PASS' "$output") ))
  f=$(( $(grep -Eo '^ *[0-9]+ failing' "$output" | awk '{s+=$1} END {print s+0}') + $(grep -Ec '^ *--- FAIL' "$output") ))
  if (( rc != 0 && f == 0 )); then f=1; fi        # a crash or a linter finding counts as a failure
  if (( rc == 0 && p == 0 )); then p=1; fi        # a check with no per-test count (the linter) passed once
  passed=$(( passed + p ))
  failed=$(( failed + f ))
  (( rc == 0 )) || failed_suites+=("$name")
  echo "=== $name: exit $rc, $p passed, $f failed, $(( $(date +%s) - start )) s"
  rm -f "$output"
}

run_suite typecheck npx tsc --noEmit
run_suite lint npm run --silent lint
run_suite unit npx mocha 'tests/**/*.test.ts' --exclude 'tests/app/**' --exclude 'tests/e2e/**' --exclude 'tests/tools/local-cluster/**'
run_suite backend bash -c 'cd app/backend && GOTOOLCHAIN=local go test -count=1 -v ./...'
run_suite app npx mocha --timeout 120000 'tests/app/**/*.test.ts'
run_suite workflows scripts/actionlint.sh
run_suite cluster bash -c 'cd tools/local-cluster && GOTOOLCHAIN=local go test -count=1 -v ./... &&
  cd ../.. && npx mocha --timeout 1200000 "tests/tools/local-cluster/**/*.test.ts"'
run_suite engine scripts/test-e2e.sh

if (( ${#failed_suites[@]} > 0 )); then echo "failed suites: ${failed_suites[*]}"; fi
echo "$passed passed, $failed failed"
(( ${#failed_suites[@]} == 0 ))

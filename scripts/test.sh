#!/usr/bin/env bash
# README's test command: every suite, one after another, then a time per step and one summary line.
#   typecheck  tsc --noEmit
#   lint       eslint (with Pulumi's rules) and prettier
#   unit       mocha + pulumi.runtime.setMocks: config, components, the program per stack, policy rules
#   backend    the Go API's tests (handlers, and against a real redis-server)
#   images     tools/images: the image table, layers, build keys, pushes to a registry, reproducible digests
#   toolkit    tools/toolkit: the Go tools' shared logging, caching and version reading
#   toolchain tests  tools/toolchain: its table, pin checks, env and versions rendering
#   netpol     tools/netpol: NetworkPolicy → nftables rendering, and real traffic through those rules
#              between network namespaces the test makes (needs root, ip, nft)
#   app        nginx → Go API → redis-server on loopback, running the configs the program deploys
#   workflows  actionlint + shellcheck on .github/workflows
#   cluster    the local cluster program's tests (Go), and that `down` undoes everything `up` did
#   engine     the real Pulumi CLI on a local Kubernetes control plane (preview/up/update/refresh/
#              destroy, and previews under the policy pack)
# Works on a fresh clone: installs what is missing first (npm packages of the root and its workspace
# policy/, Debian packages), and builds the Pulumi toolchain and the control plane before the engine
# suite when they are not cached. The last line is always `N passed, N failed`, alone.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
failed_suites=()
steps=() # "name<TAB>milliseconds<TAB>note", in the order they ran

now_ms() { date +%s%3N; }

# Runs a step, echoing its output into $output, and records its time; returns its exit code.
timed() {
  local name=$1 start rc
  shift
  echo "=== $name: $*"
  start=$(now_ms)
  "$@" 2>&1 | tee "$output"
  rc=${PIPESTATUS[0]}
  steps+=("$name"$'\t'"$(( $(now_ms) - start ))"$'\t'"$( (( rc == 0 )) || echo "exit $rc")")
  return "$rc"
}

# Adds a suite's passing/failing counts (from the output of its `timed` run) to the totals.
count_suite() {
  local name=$1 rc=$2 p f
  # mocha: "N passing" / "N failing"; go test -v: "--- PASS" / "--- FAIL".
  p=$(( $(grep -Eo '^ *[0-9]+ passing' "$output" | awk '{s+=$1} END {print s+0}') + $(grep -Ec '^ *--- PASS' "$output") ))
  f=$(( $(grep -Eo '^ *[0-9]+ failing' "$output" | awk '{s+=$1} END {print s+0}') + $(grep -Ec '^ *--- FAIL' "$output") ))
  if (( rc != 0 && f == 0 )); then f=1; fi        # a crash or a linter finding counts as a failure
  if (( rc == 0 && p == 0 )); then p=1; fi        # a check with no per-test count (the linter) passed once
  passed=$(( passed + p ))
  failed=$(( failed + f ))
  (( rc == 0 )) || failed_suites+=("$name")
  echo "=== $name: exit $rc, $p passed, $f failed"
}

run_suite() {
  local name=$1 rc
  timed "$@"
  rc=$?
  count_suite "$name" "$rc"
}

# A step every suite depends on: when it fails, nothing else runs.
prepare() {
  timed "$@" && return
  failed_suites+=("$1")
  summary
  echo "$passed passed, $(( failed + 1 )) failed"
  exit 1
}

# Appends a note to the last recorded step when its output has a line matching the pattern.
note_if() { if grep -Eq "$1" "$output"; then steps[-1]+=$2; fi; }

secs() { awk -v ms="$1" 'BEGIN { printf "%7.1f s", ms / 1000 }'; }

# Rows whose name starts with a space happened within the step above and do not add to the total.
summary() {
  local row name ms note total=0
  echo "=== time per step"
  for row in "${steps[@]}"; do
    IFS=$'\t' read -r name ms note <<<"$row"
    [[ $name == " "* ]] || total=$(( total + ms ))
    printf '  %-18s %s%s\n' "$name" "$(secs "$ms")" "${note:+  $note}"
  done
  printf '  %-18s %s\n' total "$(secs "$total")"
  echo "node mode: ${node_mode:-unknown}"
  if (( ${#failed_suites[@]} > 0 )); then echo "failed suites: ${failed_suites[*]}"; fi
}

output=$(mktemp)
trap 'rm -f "$output"' EXIT

prepare "npm packages" tools/npm-deps.sh
note_if '^npm-deps: npm ci' installed
prepare "Debian packages" scripts/app-deps.sh
note_if '^app-deps: installing' installed

run_suite typecheck npx tsc --noEmit
run_suite lint npm run --silent lint
run_suite unit npx mocha 'tests/**/*.test.ts' --exclude 'tests/app/**' --exclude 'tests/e2e/**' --exclude 'tests/tools/local-cluster/**'
run_suite backend bash -c 'cd app/backend && GOTOOLCHAIN=local go test -count=1 -v ./...'
run_suite images bash -c 'cd tools/images && GOTOOLCHAIN=local go test -count=1 -v ./...'
run_suite toolkit bash -c 'cd tools/toolkit && GOTOOLCHAIN=local go test -count=1 -v ./...'
run_suite "toolchain tests" bash -c 'cd tools/toolchain && GOTOOLCHAIN=local go test -count=1 -v ./...'
run_suite netpol bash -c 'cd tools/netpol && NETPOL_NETNS_TEST=1 GOTOOLCHAIN=local go test -count=1 -v ./...'
run_suite app npx mocha --timeout 120000 'tests/app/**/*.test.ts'
run_suite workflows scripts/actionlint.sh

# The cluster's binaries, built before the suites that start it (their time would otherwise count
# against the lifecycle test's timeout: a cold build takes over 20 minutes) and timed on their own.
cluster_built=false
timed "cluster build" scripts/local-cluster.sh build && cluster_built=true
if $cluster_built; then
  run_suite cluster bash -c 'cd tools/local-cluster && GOTOOLCHAIN=local go test -count=1 -v ./... &&
    cd ../.. && npx mocha --timeout 600000 "tests/tools/local-cluster/**/*.test.ts"'
else
  count_suite cluster 1
fi

# The engine suite's other prerequisite, timed on its own: a quick no-op when cached.
if $cluster_built && timed toolchain scripts/toolchain.sh ensure && note_if '^\[toolchain +[0-9.]+s\] building' built; then
  run_suite engine scripts/test-e2e.sh
  # with-local-cluster.sh says how long starting the cluster took, when it had to, and its node mode.
  up_s=$(grep -Eo 'local cluster up in [0-9]+ s' "$output" | grep -Eo '[0-9]+' | tail -n1)
  if [ -n "$up_s" ]; then
    steps+=(" cluster start"$'\t'"$(( up_s * 1000 ))"$'\t'"within engine")
  else
    steps+=(" cluster start"$'\t'0$'\t'"was already running")
  fi
  # "real" or "kwok (<reason>)", as the engine suite ran (the cluster may be down again by now).
  node_mode=$(sed -n 's/^local cluster mode: //p' "$output" | tail -n1)
  [[ $node_mode =~ ^(real|kwok) ]] || node_mode=unknown
else
  count_suite engine 1
fi

summary
echo "$passed passed, $failed failed"
(( ${#failed_suites[@]} == 0 ))

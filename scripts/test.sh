#!/usr/bin/env bash
# README's test command: every suite, one after another, then a time per step and one summary line.
#   typecheck  tsc --noEmit
#   lint       eslint (with Pulumi's rules) and prettier
#   unit       mocha + pulumi.runtime.setMocks: config, components, the program per stack, policy rules
#   backend    the Go API's tests (handlers, and against a real redis-server)
#   images     tools/images: the image table, layers, build keys, pushes to a registry, reproducible digests
#   shared     tools/shared: the Go tools' shared logging, caching and version reading
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
#   npm test                    every suite
#   npm test -- SUITE...        the installs, then only those suites (names as above, e.g. `unit cluster`)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

SUITES=(typecheck lint unit backend images shared "toolchain tests" netpol app workflows cluster engine)
selected=("$@")
for name in "${selected[@]}"; do
  if ! printf '%s\n' "${SUITES[@]}" | grep -qxF -- "$name"; then
    echo "test: no suite '$name'; the suites:$(printf " '%s'" "${SUITES[@]}")" >&2
    exit 2
  fi
done
# Whether suite $1 runs: every suite when none was named.
wanted() { (( ${#selected[@]} == 0 )) || printf '%s\n' "${selected[@]}" | grep -qxF -- "$1"; }

passed=0
failed=0
pending=0
failed_suites=()
checks=()  # "name ok|failed" of the steps that check without counting tests (type check, linters)
steps=() # "name<TAB>milliseconds<TAB>note", in the order they ran

now_ms() { date +%s%3N; }

# Runs a step, echoing its output into $output, and records its time; returns its exit code. The
# step's test runners append their counts to $TEST_COUNTS_FILE (mocha: tests/helpers/counting-reporter.ts,
# go: tools/testreport), one JSON line per run.
timed() {
  local name=$1 start rc
  shift
  echo "=== $name: $*"
  : >"$TEST_COUNTS_FILE"
  start=$(now_ms)
  "$@" 2>&1 | tee "$output"
  rc=${PIPESTATUS[0]}
  steps+=("$name"$'\t'"$(( $(now_ms) - start ))"$'\t'"$( (( rc == 0 )) || echo "exit $rc")")
  return "$rc"
}

# The sums of the last step's count lines: "passed failed pending runs node-mode".
read_counts() {
  node -e '
    const fs = require("fs");
    const runs = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const sum = (k) => runs.reduce((s, r) => s + r[k], 0);
    const modes = runs.map((r) => r.nodeMode).filter(Boolean);
    console.log(sum("passed"), sum("failed"), sum("pending"), runs.length, modes.pop() ?? "-");
  ' "$TEST_COUNTS_FILE"
}

# Adds a suite's counts to the totals; a step with no count is a check. A test runner that exits
# non-zero with no failed test (a crash, a build error) counts as one failure.
count_suite() {
  local name=$1 rc=$2 p f k runs mode
  read -r p f k runs mode < <(read_counts)
  if (( runs == 0 )); then
    checks+=("$name $( (( rc == 0 )) && echo ok || echo failed)")
    (( rc == 0 )) || failed_suites+=("$name")
    echo "=== $name: exit $rc (a check: no test count)"
    return
  fi
  if (( rc != 0 && f == 0 )); then f=1; fi
  passed=$(( passed + p ))
  failed=$(( failed + f ))
  pending=$(( pending + k ))
  [[ $mode == - ]] || node_mode=$mode
  (( rc == 0 )) || failed_suites+=("$name")
  echo "=== $name: exit $rc, $p passed, $f failed, $k pending"
}

# A suite that could not run because a step it needs failed: one failure.
fail_suite() {
  failed=$(( failed + 1 ))
  failed_suites+=("$1")
  echo "=== $1: not run, a step it needs failed"
}

# A Go module's tests, DIR [VAR=VALUE...], through tools/testreport (go test -json in, -v style text and
# counts out).
go_tests() {
  (cd "$1" && env "${@:2}" GOTOOLCHAIN=local go test -count=1 -json ./... |
    "$ROOT/tools/shared/run.sh" testreport "${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/tools")
}

# The cluster program's tests, then the test that `down` undoes everything `up` did.
cluster_tests() {
  go_tests tools/local-cluster && npx mocha --timeout 600000 "tests/tools/local-cluster/**/*.test.ts"
}

run_suite() {
  local name=$1 rc
  wanted "$name" || return 0
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
  if wanted engine; then echo "node mode: ${node_mode:-unknown}"; else echo "node mode: engine suite not run"; fi
  if (( ${#checks[@]} > 0 )); then echo "checks (no test count): $(IFS=,; echo "${checks[*]}" | sed 's/,/, /g')"; fi
  echo "pending: $pending (each names why it did not run)"
  if (( ${#failed_suites[@]} > 0 )); then echo "failed suites: ${failed_suites[*]}"; fi
}

output=$(mktemp)
TEST_COUNTS_FILE=$(mktemp)
export TEST_COUNTS_FILE
trap 'rm -f "$output" "$TEST_COUNTS_FILE"' EXIT

prepare "npm packages" tools/npm-deps.sh
note_if '^npm-deps: npm ci' installed
prepare "Debian packages" scripts/app-deps.sh
note_if '^app-deps: installing' installed

run_suite typecheck npx tsc --noEmit
run_suite lint npm run --silent lint
run_suite unit npx mocha 'tests/**/*.test.ts' --exclude 'tests/app/**' --exclude 'tests/e2e/**' --exclude 'tests/tools/local-cluster/**'
run_suite backend go_tests app/backend
run_suite images go_tests tools/images
run_suite shared go_tests tools/shared
run_suite "toolchain tests" go_tests tools/toolchain
run_suite netpol go_tests tools/netpol NETPOL_NETNS_TEST=1
run_suite app npx mocha --timeout 120000 'tests/app/**/*.test.ts'
run_suite workflows scripts/actionlint.sh

# The cluster's binaries, built before the suites that start it (their time would otherwise count
# against the lifecycle test's timeout: a cold build takes over 20 minutes) and timed on their own.
if wanted cluster || wanted engine; then
  cluster_built=false
  timed "cluster build" scripts/local-cluster.sh build && cluster_built=true
  if $cluster_built; then
    run_suite cluster cluster_tests
  elif wanted cluster; then
    fail_suite cluster
  fi
fi

# The engine suite's other prerequisite, timed on its own: a quick no-op when cached.
if wanted engine; then
  if $cluster_built && timed toolchain scripts/toolchain.sh ensure && note_if '^\[toolchain +[0-9.]+s\] building' built; then
    run_suite engine scripts/test-e2e.sh
    # with-local-cluster.sh says how long starting the cluster took, when it had to, and its node mode.
    up_s=$(grep -Eo 'local cluster up in [0-9]+ s' "$output" | grep -Eo '[0-9]+' | tail -n1)
    if [ -n "$up_s" ]; then
      steps+=(" cluster start"$'\t'"$(( up_s * 1000 ))"$'\t'"within engine")
    else
      steps+=(" cluster start"$'\t'0$'\t'"was already running")
    fi
  else
    fail_suite engine
  fi
fi

summary
echo "$passed passed, $failed failed"
(( ${#failed_suites[@]} == 0 ))

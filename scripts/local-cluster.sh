#!/usr/bin/env bash
# A local Kubernetes control plane on loopback, with fake (kwok) nodes, for real
# `pulumi up` / `pulumi destroy` tests against the Kubernetes provider.
#
# Usage: scripts/local-cluster.sh up|down|status|kubeconfig|kubectl|build
#
#   up          build missing binaries, start etcd, kube-apiserver, kube-controller-manager,
#               kube-scheduler and kwok on 127.0.0.1, create 2 fake Nodes and a default
#               StorageClass `standard`, write <dir>/kubeconfig (context three-tier-local).
#               Already up: says so, exits 0.
#   down        stop every process `up` started (SIGTERM, then SIGKILL), remove the state dir.
#   status      each component up/down with pid and health; exit 0 only if everything is up.
#   kubeconfig  print the kubeconfig path.
#   kubectl     print the path of the kubectl built with the control plane.
#   build       only build (or reuse) the binaries.
#
# Binaries are built from Go modules (scripts/local-cluster/{kubernetes,etcd,kwok}) through the
# module proxy, CGO off, version-stamped, and cached outside the repo, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/local-cluster-bin/<name>-<version>/<name>
#
# Environment (all optional):
#   LOCAL_CLUSTER_DIR             state, logs, pki, etcd data
#                                 (default ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/local-cluster)
#   LOCAL_CLUSTER_BIN_CACHE       binary cache (default .../three-tier-app/local-cluster-bin)
#   LOCAL_CLUSTER_APISERVER_PORT  kube-apiserver https           (default 16443)
#   LOCAL_CLUSTER_ETCD_PORT       etcd client                    (default 12379)
#   LOCAL_CLUSTER_ETCD_PEER_PORT  etcd peer                      (default 12380)
#   LOCAL_CLUSTER_KCM_PORT        kube-controller-manager https  (default 16257)
#   LOCAL_CLUSTER_SCHEDULER_PORT  kube-scheduler https           (default 16259)
#   LOCAL_CLUSTER_KWOK_PORT       kwok server (healthz)          (default 16247)
#   LOCAL_CLUSTER_START_TIMEOUT   seconds to wait for each component (default 180)
#   LOCAL_CLUSTER_STOP_TIMEOUT    seconds between SIGTERM and SIGKILL (default 15)
#   LOCAL_CLUSTER_REBUILD=1       rebuild binaries even if cached
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MOD_DIR="$SCRIPT_DIR/local-cluster"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app"
BIN_CACHE="${LOCAL_CLUSTER_BIN_CACHE:-$CACHE_ROOT/local-cluster-bin}"
STATE_DIR="${LOCAL_CLUSTER_DIR:-$CACHE_ROOT/local-cluster}"
STATE_DIR="${STATE_DIR%/}"

HOST=127.0.0.1
APISERVER_PORT="${LOCAL_CLUSTER_APISERVER_PORT:-16443}"
ETCD_PORT="${LOCAL_CLUSTER_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${LOCAL_CLUSTER_ETCD_PEER_PORT:-12380}"
KCM_PORT="${LOCAL_CLUSTER_KCM_PORT:-16257}"
SCHEDULER_PORT="${LOCAL_CLUSTER_SCHEDULER_PORT:-16259}"
KWOK_PORT="${LOCAL_CLUSTER_KWOK_PORT:-16247}"
START_TIMEOUT="${LOCAL_CLUSTER_START_TIMEOUT:-180}"
STOP_TIMEOUT="${LOCAL_CLUSTER_STOP_TIMEOUT:-15}"

CONTEXT=three-tier-local
SERVICE_CIDR=10.96.0.0/12
SERVICE_APISERVER_IP=10.96.0.1
POD_CIDR=10.244.0.0/16
FAKE_NODES=(kwok-node-0 kwok-node-1)
MARKER=.three-tier-local-cluster

# Start order; `down` stops in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

PKI="$STATE_DIR/pki"
LOGS="$STATE_DIR/logs"
PIDS="$STATE_DIR/pids"
KUBECONFIG_PATH="$STATE_DIR/kubeconfig"

log() { printf '[local-cluster %4ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'local-cluster: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Versions: read from our build modules' go.mod files (no go command needed for a warm cache).
modver() { # modver <go.mod> <module path>
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}
K8S_VERSION="$(modver "$MOD_DIR/kubernetes/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(modver "$MOD_DIR/etcd/go.mod" go.etcd.io/etcd/server/v3)"
KWOK_VERSION="$(modver "$MOD_DIR/kwok/go.mod" sigs.k8s.io/kwok)"
[[ -n "$K8S_VERSION" && -n "$ETCD_VERSION" && -n "$KWOK_VERSION" ]] ||
  die "could not read versions from $MOD_DIR/*/go.mod"

version_of() {
  case "$1" in
    etcd) echo "$ETCD_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;;
    *) echo "$K8S_VERSION" ;;
  esac
}
bin_path() { echo "$BIN_CACHE/$1-$(version_of "$1")/$1"; }
KWOK_STAGES="$BIN_CACHE/kwok-$KWOK_VERSION/stages-fast.yaml"

# ---------------------------------------------------------------------------------------------
# Building

go_build() { # go_build <name> <module dir> <package> <ldflags>
  local name="$1" dir="$2" pkg="$3" ldflags="$4"
  local version dest tmp t0
  version="$(version_of "$name")"
  dest="$(bin_path "$name")"
  if [[ -x "$dest" && "${LOCAL_CLUSTER_REBUILD:-0}" != 1 ]]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "binary $name $version is missing ($dest) and no go command to build it"
  mkdir -p "$BIN_CACHE"
  tmp="$(mktemp -d "$BIN_CACHE/.build-$name-$version.XXXXXX")"
  t0=$SECONDS
  log "building $name $version (package $pkg) ..."
  if ! (cd "$dir" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" \
    nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$tmp/$name" "$pkg") >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log" >&2 || true
    rm -rf "$tmp"
    die "binary $name $version failed to build (go build $pkg in $dir)"
  fi
  if [[ "$name" == kwok ]]; then
    kwok_stage_config "$dir" >"$tmp/stages-fast.yaml" || { rm -rf "$tmp"; die "could not assemble kwok stage config"; }
  fi
  # Check the version stamp before it goes into the cache.
  local reported
  case "$name" in
    kubectl) reported="$("$tmp/$name" version --client 2>&1 || true)" ;;
    *) reported="$("$tmp/$name" --version 2>&1 || true)" ;;
  esac
  if ! grep -qF -- "${version#v}" <<<"$reported"; then
    rm -rf "$tmp"
    die "binary $name built but reports '$reported', expected $version"
  fi
  mkdir -p "$(dirname "$dest")"
  if [[ -f "$tmp/stages-fast.yaml" ]]; then mv -f "$tmp/stages-fast.yaml" "$(dirname "$dest")/stages-fast.yaml"; fi
  mv -f "$tmp/$name" "$dest" # atomic: same file system
  rm -rf "$tmp"
  log "built $name $version in $((SECONDS - t0))s -> $dest"
}

# kwok v0.8.0 ships no default stages: assemble kustomize/stage/fast (node initialize,
# node heartbeat with lease, pod ready/complete/delete) from the module cache.
kwok_stage_config() { # kwok_stage_config <kwok build module dir>
  local moddir fast res sub f
  moddir="$(cd "$1" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  [[ -n "$moddir" && -d "$moddir/kustomize/stage/fast" ]] || return 1
  fast="$moddir/kustomize/stage/fast"
  echo "# Generated by scripts/local-cluster.sh from sigs.k8s.io/kwok@$KWOK_VERSION kustomize/stage/fast"
  for res in $(kustomize_resources "$fast/kustomization.yaml"); do
    sub="$fast/$res"
    for f in $(kustomize_resources "$sub/kustomization.yaml"); do
      echo "---"
      cat "$sub/$f"
    done
  done
}
kustomize_resources() {
  awk '/^resources:/ { r = 1; next } /^[^ -]/ { r = 0 } r && /^- / { print $2 }' "$1"
}

build_all() {
  local t0=$SECONDS ld="-s -w" p minor
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z -X $p.gitCommit=unknown"
  done
  go_build etcd "$MOD_DIR/etcd" . "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION"
  go_build kube-apiserver "$MOD_DIR/kubernetes" k8s.io/kubernetes/cmd/kube-apiserver "$ld"
  go_build kube-controller-manager "$MOD_DIR/kubernetes" k8s.io/kubernetes/cmd/kube-controller-manager "$ld"
  go_build kube-scheduler "$MOD_DIR/kubernetes" k8s.io/kubernetes/cmd/kube-scheduler "$ld"
  go_build kubectl "$MOD_DIR/kubernetes" k8s.io/kubernetes/cmd/kubectl "$ld"
  go_build kwok "$MOD_DIR/kwok" sigs.k8s.io/kwok/cmd/kwok \
    "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}"
  if [[ ! -f "$KWOK_STAGES" ]]; then # binary cached, config lost: regenerate it
    command -v go >/dev/null 2>&1 || die "kwok stage config $KWOK_STAGES is missing and no go command to make it"
    if ! kwok_stage_config "$MOD_DIR/kwok" >"$KWOK_STAGES.tmp"; then
      rm -f "$KWOK_STAGES.tmp"
      die "could not assemble kwok stage config $KWOK_STAGES"
    fi
    mv -f "$KWOK_STAGES.tmp" "$KWOK_STAGES"
  fi
  log "binaries ready ($((SECONDS - t0))s): $BIN_CACHE"
}

# ---------------------------------------------------------------------------------------------
# Processes

pid_of() { # prints the pid if the component is running (and is ours), else nothing
  local f="$PIDS/$1.pid" pid argv0
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  argv0="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1 || true)"
  # Guard against pid reuse: same binary name, and its arguments point into our state dir.
  [[ "$(basename -- "$argv0")" == "$1" ]] || return 0
  grep -qaF -- "$STATE_DIR/" "/proc/$pid/cmdline" 2>/dev/null || return 0
  echo "$pid"
}

start_component() { # start_component <name> <args...>
  local name="$1"; shift
  local bin; bin="$(bin_path "$name")"
  [[ -x "$bin" ]] || die "binary $name is missing: $bin"
  log "starting $name"
  setsid "$bin" "$@" >"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  echo "$!" >"$PIDS/$name.pid"
}

# stop_components <name...>: SIGTERM to all of them at once, wait, SIGKILL what is left.
wait_for_exit() { # wait_for_exit <tenths of a second> <pid...>: returns when all are gone or time is up
  local tries=$1 pid alive
  shift
  while ((tries-- > 0)); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
}

stop_components() {
  local name pid i
  local -a pids=() names=()
  for name in "$@"; do
    pid="$(pid_of "$name")"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
    else
      rm -f "$PIDS/$name.pid"
    fi
  done
  ((${#pids[@]})) || return 0
  wait_for_exit "$((STOP_TIMEOUT * 10))" "${pids[@]}"
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      log "${names[i]} (pid ${pids[i]}) did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
  done
  wait_for_exit 50 "${pids[@]}"
  for i in "${!pids[@]}"; do
    log "stopped ${names[i]} (pid ${pids[i]})"
    rm -f "$PIDS/${names[i]}.pid"
  done
}

port_of() {
  case "$1" in
    etcd) echo "$ETCD_PORT $ETCD_PEER_PORT" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;;
    kube-scheduler) echo "$SCHEDULER_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
  esac
}

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
  fi
}

check_ports() {
  local c p seen=" "
  for c in "${COMPONENTS[@]}"; do
    for p in $(port_of "$c"); do
      [[ "$p" =~ ^[0-9]+$ ]] || die "port for $c is not a number: '$p'"
      [[ "$seen" != *" $p "* ]] || die "port $p is configured twice (check LOCAL_CLUSTER_*_PORT)"
      seen+="$p "
      if port_in_use "$p"; then
        die "port $HOST:$p (for $c) is already in use; free it or set LOCAL_CLUSTER_*_PORT"
      fi
    done
  done
}

# health <component>: 0 if its health endpoint answers ok
health() {
  local url
  case "$1" in
    etcd) curl -fsS -m 3 "http://$HOST:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"' ;;
    kube-apiserver)
      [[ -f "$PKI/ca.crt" && -f "$PKI/admin.token" ]] || return 1
      [[ "$(curl -fsS -m 5 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $(cat "$PKI/admin.token")" \
        "https://$HOST:$APISERVER_PORT/readyz" 2>/dev/null)" == ok ]] ;;
    kube-controller-manager) url="https://$HOST:$KCM_PORT/healthz" ;;&
    kube-scheduler) url="https://$HOST:$SCHEDULER_PORT/healthz" ;;&
    kube-controller-manager | kube-scheduler)
      [[ "$(curl -fsSk -m 3 "$url" 2>/dev/null)" == ok ]] ;;
    kwok) [[ "$(curl -fsS -m 3 "http://$HOST:$KWOK_PORT/healthz" 2>/dev/null)" == ok ]] ;;
  esac
}

wait_healthy() {
  local name="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ! health "$name"; do
    if [[ -z "$(pid_of "$name")" ]]; then
      tail -n 25 "$LOGS/$name.log" >&2 || true
      die "$name exited during startup (log: $LOGS/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 25 "$LOGS/$name.log" >&2 || true
      die "$name not healthy after ${START_TIMEOUT}s (log: $LOGS/$name.log)"
    fi
    sleep 0.5
  done
  log "$name is healthy (pid $(pid_of "$name"))"
}

kubectl_() { "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# ---------------------------------------------------------------------------------------------
# State dir, PKI, kubeconfig

# Only ever delete a state dir this script made (marker file), never an arbitrary path.
remove_state_dir() {
  [[ -d "$STATE_DIR" ]] || return 0
  if [[ -f "$STATE_DIR/$MARKER" ]]; then
    rm -rf -- "$STATE_DIR"
  else
    die "$STATE_DIR exists but was not made by this script (no $MARKER); not removing it"
  fi
}

make_state_dir() {
  if [[ -d "$STATE_DIR" ]] && [[ -n "$(ls -A "$STATE_DIR")" ]]; then
    remove_state_dir # stale state from a stopped or crashed cluster
  fi
  mkdir -p "$STATE_DIR" "$PKI" "$LOGS" "$PIDS" "$STATE_DIR/etcd" "$STATE_DIR/cert-dir" "$STATE_DIR/flexvolume"
  chmod 700 "$STATE_DIR" "$PKI" "$STATE_DIR/etcd"
  : >"$STATE_DIR/$MARKER"
}

make_pki() {
  local o="$PKI"
  (
    set -e
    cd "$o"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=three-tier-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
    printf '%s\n' \
      "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:$HOST,IP:$SERVICE_APISERVER_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
      >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt \
      -days 3650 -extfile apiserver.ext
    # Front proxy (request-header authentication: aggregated APIs, delegated authn in the
    # controller-manager and scheduler).
    openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 3650 \
      -subj "/CN=three-tier-local-front-proxy-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
    openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr -subj "/CN=front-proxy-client"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >front-proxy-client.ext
    openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial \
      -out front-proxy-client.crt -days 3650 -extfile front-proxy-client.ext
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
    # Static token, user `admin` in group system:masters (used by kubectl, pulumi and the components).
    openssl rand -hex 24 >admin.token
    printf '%s,admin,admin,"system:masters"\n' "$(cat admin.token)" >tokens.csv
    chmod 600 ./*.key admin.token tokens.csv
  ) >"$LOGS/openssl.log" 2>&1 || { cat "$LOGS/openssl.log" >&2; die "openssl failed to make the certificates"; }
}

write_kubeconfig() {
  local ca tmp
  ca="$(base64 -w0 <"$PKI/ca.crt")"
  tmp="$KUBECONFIG_PATH.tmp"
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: https://$HOST:$APISERVER_PORT
    certificate-authority-data: $ca
users:
- name: $CONTEXT-admin
  user:
    token: $(cat "$PKI/admin.token")
contexts:
- name: $CONTEXT
  context:
    cluster: $CONTEXT
    user: $CONTEXT-admin
    namespace: default
current-context: $CONTEXT
EOF
  chmod 600 "$tmp"
  mv -f "$tmp" "$KUBECONFIG_PATH"
}

# ---------------------------------------------------------------------------------------------
# Components

start_etcd() {
  start_component etcd \
    --name=local \
    --data-dir="$STATE_DIR/etcd" \
    --listen-client-urls="http://$HOST:$ETCD_PORT" \
    --advertise-client-urls="http://$HOST:$ETCD_PORT" \
    --listen-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster="local=http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster-state=new \
    --auto-compaction-mode=periodic --auto-compaction-retention=5m \
    --quota-backend-bytes=2147483648 \
    --unsafe-no-fsync=true \
    --log-level=warn
}

start_apiserver() {
  start_component kube-apiserver \
    --bind-address="$HOST" \
    --advertise-address="$HOST" \
    --secure-port="$APISERVER_PORT" \
    --endpoint-reconciler-type=none \
    --etcd-servers="http://$HOST:$ETCD_PORT" \
    --cert-dir="$STATE_DIR/cert-dir/kube-apiserver" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --token-auth-file="$PKI/tokens.csv" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --allow-privileged=true \
    --profiling=false
}

start_controller_manager() {
  start_component kube-controller-manager \
    --kubeconfig="$KUBECONFIG_PATH" \
    --authentication-kubeconfig="$KUBECONFIG_PATH" \
    --authorization-kubeconfig="$KUBECONFIG_PATH" \
    --bind-address="$HOST" \
    --secure-port="$KCM_PORT" \
    --cert-dir="$STATE_DIR/cert-dir/kube-controller-manager" \
    --flex-volume-plugin-dir="$STATE_DIR/flexvolume" \
    --leader-elect=false \
    --controllers='*' \
    --use-service-account-credentials=false \
    --service-account-private-key-file="$PKI/sa.key" \
    --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" \
    --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --enable-hostpath-provisioner=true \
    --profiling=false
}

start_scheduler() {
  start_component kube-scheduler \
    --kubeconfig="$KUBECONFIG_PATH" \
    --authentication-kubeconfig="$KUBECONFIG_PATH" \
    --authorization-kubeconfig="$KUBECONFIG_PATH" \
    --bind-address="$HOST" \
    --secure-port="$SCHEDULER_PORT" \
    --cert-dir="$STATE_DIR/cert-dir/kube-scheduler" \
    --leader-elect=false \
    --profiling=false
}

start_kwok() {
  start_component kwok \
    --kubeconfig="$KUBECONFIG_PATH" \
    --config="$KWOK_STAGES" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="$POD_CIDR" \
    --node-ip="$HOST" \
    --node-port="$KWOK_PORT" \
    --server-address="$HOST:$KWOK_PORT" \
    --node-lease-duration-seconds=40
}

bootstrap_objects() {
  local n manifest=""
  manifest+="apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: \"true\"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
"
  for n in "${FAKE_NODES[@]}"; do
    manifest+="---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    type: kwok
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
spec: {}
status:
  allocatable: {cpu: \"32\", memory: 128Gi, pods: \"250\", ephemeral-storage: 500Gi}
  capacity: {cpu: \"32\", memory: 128Gi, pods: \"250\", ephemeral-storage: 500Gi}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $K8S_VERSION
    kubeProxyVersion: $K8S_VERSION
    containerRuntimeVersion: kwok-$KWOK_VERSION
    kernelVersion: kwok-$KWOK_VERSION
    osImage: kwok
"
  done
  kubectl_ apply -f - >"$LOGS/bootstrap.log" 2>&1 <<<"$manifest" ||
    { cat "$LOGS/bootstrap.log" >&2; die "could not create the StorageClass and fake Nodes"; }
}

wait_cluster_usable() {
  local deadline=$((SECONDS + START_TIMEOUT))
  # Nodes Ready (kwok), default ServiceAccount + kube-root-ca.crt (controller-manager running).
  until [[ "$(kubectl_ get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}' 2>/dev/null)" == "True True " ]] &&
    kubectl_ -n default get serviceaccount default >/dev/null 2>&1 &&
    kubectl_ -n default get configmap kube-root-ca.crt >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "cluster not usable after ${START_TIMEOUT}s (nodes Ready / default ServiceAccount); logs in $LOGS"
    sleep 0.5
  done
  log "fake nodes Ready: ${FAKE_NODES[*]}"
}

# ---------------------------------------------------------------------------------------------
# Commands

all_up() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ -n "$(pid_of "$c")" ]] || return 1
  done
  health kube-apiserver
}

any_running() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ -n "$(pid_of "$c")" ]] && return 0
  done
  return 1
}

# Clients of the apiserver first (together), then the apiserver, then etcd.
stop_all() {
  stop_components kwok kube-scheduler kube-controller-manager
  stop_components kube-apiserver
  stop_components etcd
}

# Best effort: remove the hostPath directories of PVs still present (the in-tree provisioner
# puts them under /tmp/hostpath_pv/; it deletes them itself when a PV is released).
cleanup_hostpath_pvs() {
  health kube-apiserver || return 0
  [[ -x "$(bin_path kubectl)" ]] || return 0
  local p
  for p in $(kubectl_ get pv -o jsonpath='{range .items[*]}{.spec.hostPath.path}{"\n"}{end}' 2>/dev/null || true); do
    if [[ "$p" == /tmp/hostpath_pv/* && "$p" != *..* ]]; then
      rm -rf -- "$p"
    fi
  done
}

cmd_up() {
  if all_up; then
    log "already up: kubeconfig $KUBECONFIG_PATH (context $CONTEXT)"
    echo "local-cluster: already up; KUBECONFIG=$KUBECONFIG_PATH"
    return 0
  fi
  if any_running; then
    log "partially up (some components missing or not ready): stopping what runs, starting fresh"
    cleanup_hostpath_pvs
    stop_all
  fi
  check_ports
  build_all
  check_ports

  local t0=$SECONDS
  UP_OK=0
  make_state_dir
  # From here on, a failure stops whatever was started (the logs stay in $LOGS).
  trap '[[ $UP_OK == 1 ]] || { log "up failed: stopping started components; logs kept in $LOGS"; stop_all; }' EXIT
  make_pki
  write_kubeconfig

  start_etcd
  wait_healthy etcd
  start_apiserver
  wait_healthy kube-apiserver
  start_controller_manager
  start_scheduler
  start_kwok
  wait_healthy kube-controller-manager
  wait_healthy kube-scheduler
  wait_healthy kwok
  bootstrap_objects
  wait_cluster_usable
  UP_OK=1
  trap - EXIT
  log "up in $((SECONDS - t0))s (after builds): https://$HOST:$APISERVER_PORT, kubeconfig $KUBECONFIG_PATH, context $CONTEXT"
  echo "local-cluster: up; KUBECONFIG=$KUBECONFIG_PATH"
}

cmd_down() {
  if ! any_running && [[ ! -d "$STATE_DIR" ]]; then
    log "not up; nothing to do"
    return 0
  fi
  local t0=$SECONDS
  cleanup_hostpath_pvs
  stop_all
  remove_state_dir
  log "down in $((SECONDS - t0))s"
}

cmd_status() {
  local c pid rc=0 h
  for c in "${COMPONENTS[@]}"; do
    pid="$(pid_of "$c")"
    if [[ -n "$pid" ]]; then
      if health "$c"; then h=healthy; else h=unhealthy; rc=1; fi
      printf '%-24s up    pid %-8s %s (port %s)\n' "$c" "$pid" "$h" "$(port_of "$c" | cut -d' ' -f1)"
    else
      printf '%-24s down\n' "$c"
      rc=1
    fi
  done
  if health kube-apiserver; then
    printf '%-24s ok    https://%s:%s/readyz\n' readyz "$HOST" "$APISERVER_PORT"
  else
    printf '%-24s no answer at https://%s:%s/readyz\n' readyz "$HOST" "$APISERVER_PORT"
    rc=1
  fi
  printf '%-24s %s (context %s)\n' kubeconfig "$KUBECONFIG_PATH" "$CONTEXT"
  return "$rc"
}

with_lock() {
  mkdir -p "$(dirname "$STATE_DIR")"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE_DIR.lock"
    flock -w 900 9 || die "another local-cluster.sh holds $STATE_DIR.lock"
  fi
  "$@"
}

case "${1:-}" in
  up) with_lock cmd_up ;;
  down) with_lock cmd_down ;;
  status) cmd_status ;;
  kubeconfig) echo "$KUBECONFIG_PATH" ;;
  kubectl) bin_path kubectl ;;
  build) build_all ;;
  *)
    echo "usage: $0 up|down|status|kubeconfig|kubectl|build" >&2
    exit 2
    ;;
esac

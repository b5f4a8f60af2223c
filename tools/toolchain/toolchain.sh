#!/usr/bin/env bash
# Puts the Pulumi CLI, its Node.js language host and the Kubernetes resource provider, at the versions
# pinned below, at the disposal of this project's commands. Nothing is downloaded from get.pulumi.com
# or GitHub (unreachable here): what is missing is built from Go modules through the Go module proxy
# and cached by version outside the repo.
#
#   scripts/toolchain.sh ensure       make the CLI, language host and kubernetes plugin available
#                                     (builds only what is missing; a warm run takes a few seconds)
#   scripts/toolchain.sh ensure-cli   the same without the kubernetes plugin
#   eval "$(scripts/toolchain.sh env)"   PATH, PULUMI_HOME, local file backend, ... for this shell
#   scripts/toolchain.sh versions     what is in use
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app/
#   toolchain/pulumi-v<ver>/bin/{pulumi,pulumi-language-nodejs}
#   toolchain/pulumi-resource-kubernetes-v<ver>/pulumi-resource-kubernetes
#   pulumi-home/          PULUMI_HOME (plugin cache: plugins/resource-kubernetes-v<ver>/)
# Cold builds on 2 busy cores take minutes each (see the progress lines on stderr).
set -euo pipefail

# ---- pins -------------------------------------------------------------------------------------------
# Pulumi CLI (github.com/pulumi/pulumi/pkg/v3): newest the module proxy serves; must be >= the npm
# @pulumi/pulumi in package.json. tools/toolchain/pulumi/go.mod and language-nodejs/go.mod use it.
# Its one place is .pulumi-version, which the workflows read too (pulumi/actions pulumi-version-file).
PULUMI_VERSION=$(tr -d '[:space:]' <"$(dirname "${BASH_SOURCE[0]}")/../../.pulumi-version")
# Kubernetes provider: must equal npm @pulumi/kubernetes in package.json. The provider module has no
# provider/v4.x.y tags, so it is required at the pseudo-version of the v<version> tag's commit
# (tools/toolchain/kubernetes/go.mod must name the same). The module proxy serves one provider/v4
# pseudo-version: 2026-01-15 f47bc2d6f199, the v4.25.0 release (its schema has 4.24/4.25's resource
# set, 4.26 added Kubernetes 1.35 types; crd2pulumi moved to this commit as "pulumi-kubernetes
# v4.25.0"). Newer releases (4.26+) cannot be built here, so npm @pulumi/kubernetes is pinned to 4.25.0.
KUBERNETES_VERSION=4.25.0
KUBERNETES_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
KUBERNETES_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
# -----------------------------------------------------------------------------------------------------

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC_DIR=$REPO_ROOT/tools/toolchain
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/three-tier-app
TOOLCHAIN_CACHE=$CACHE_ROOT/toolchain
PULUMI_DIR=$TOOLCHAIN_CACHE/pulumi-v$PULUMI_VERSION
K8S_DIR=$TOOLCHAIN_CACHE/pulumi-resource-kubernetes-v$KUBERNETES_VERSION
TC_PULUMI_HOME=$CACHE_ROOT/pulumi-home
STATE_DIR=$REPO_ROOT/.pulumi-state

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { printf 'toolchain: error: %s\n' "$*" >&2; exit 1; }
since() { echo "$(( $(date +%s) - $1 ))s"; }
# ver_ge A B: true when version A >= version B (leading v ignored).
ver_ge() { [ "$(printf '%s\n%s\n' "${2#v}" "${1#v}" | sort -V | head -n1)" = "${2#v}" ]; }

# ---- pins vs package.json and the Go build modules ----------------------------------------------------
check_pins() {
	command -v node >/dev/null || die "node is not on PATH"
	local npm_pulumi npm_k8s
	npm_pulumi=$(cd "$REPO_ROOT" && node -p "require('./package.json').dependencies['@pulumi/pulumi'] || ''")
	npm_k8s=$(cd "$REPO_ROOT" && node -p "require('./package.json').dependencies['@pulumi/kubernetes'] || ''")
	[[ $npm_pulumi =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
		die "package.json must pin @pulumi/pulumi to an exact version (found '${npm_pulumi}')"
	[[ $npm_k8s =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
		die "package.json must pin @pulumi/kubernetes to an exact version (found '${npm_k8s}')"
	ver_ge "$PULUMI_VERSION" "$npm_pulumi" ||
		die "PULUMI_VERSION=$PULUMI_VERSION in tools/toolchain/toolchain.sh is older than @pulumi/pulumi $npm_pulumi in package.json"
	[ "$npm_k8s" = "$KUBERNETES_VERSION" ] ||
		die "@pulumi/kubernetes is $npm_k8s in package.json but KUBERNETES_VERSION=$KUBERNETES_VERSION in tools/toolchain/toolchain.sh; change both (and KUBERNETES_MODULE_VERSION, tools/toolchain/kubernetes/go.mod) together"
	local f
	for f in pulumi/go.mod language-nodejs/go.mod; do
		grep -Eq "github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION( |$)" "$SRC_DIR/$f" ||
			die "tools/toolchain/$f does not require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION"
	done
	grep -Eq "github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION( |$)" "$SRC_DIR/pulumi/go.mod" ||
		die "tools/toolchain/pulumi/go.mod does not require github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION"
	grep -Eq "$KUBERNETES_MODULE $KUBERNETES_MODULE_VERSION( |$)" "$SRC_DIR/kubernetes/go.mod" ||
		die "tools/toolchain/kubernetes/go.mod does not require $KUBERNETES_MODULE $KUBERNETES_MODULE_VERSION"
}

# ---- Go -----------------------------------------------------------------------------------------------
go_setup() {
	if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
		export PATH=/usr/local/go/bin:$PATH
	fi
	command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed to build the toolchain)"
	export GOTOOLCHAIN=local CGO_ENABLED=0
	export GOFLAGS=${GOFLAGS:--buildvcs=false}
}

gobuild() { nice -n 10 go build -trimpath -tags osusergo,grpcnotrace "$@"; }

# Temporary build dirs live next to their destination (same filesystem) so the final mv is atomic:
# a cache entry exists only once complete. They are removed on exit, also when interrupted.
TMP_DIRS=()
cleanup() { local d; for d in "${TMP_DIRS[@]+"${TMP_DIRS[@]}"}"; do rm -rf "$d"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# new_tmp NAME: sets TMP to a new temporary build dir (not via $(...): TMP_DIRS must be updated here).
new_tmp() { TMP=$(mktemp -d "$TOOLCHAIN_CACHE/.build-$1.XXXXXX"); TMP_DIRS+=("$TMP"); }

lock_cache() {
	mkdir -p "$TOOLCHAIN_CACHE"
	exec 9>"$TOOLCHAIN_CACHE/.lock"
	if ! flock -n 9; then
		log "waiting for another toolchain.sh ensure to finish…"
		flock 9
	fi
}

# ---- Pulumi CLI + Node.js language host --------------------------------------------------------------
# The language host is our own source (tools/toolchain/language-nodejs): its build is keyed by a hash
# of that source, so an edit rebuilds it (seconds) without rebuilding the CLI.
language_host_source_hash() {
	cat "$SRC_DIR"/language-nodejs/*.go "$SRC_DIR"/language-nodejs/go.mod "$SRC_DIR"/language-nodejs/go.sum | sha256sum | cut -c1-16
}
LANGUAGE_HOST_STAMP=.pulumi-language-nodejs.source
cached_language_host_ok() {
	[ -x "$PULUMI_DIR/bin/pulumi-language-nodejs" ] &&
		[ "$(cat "$PULUMI_DIR/bin/$LANGUAGE_HOST_STAMP" 2>/dev/null)" = "$(language_host_source_hash)" ]
}
cached_cli_ok() { [ -x "$PULUMI_DIR/bin/pulumi" ] && cached_language_host_ok; }

# An ambient pulumi (not our cache) that reports >= PULUMI_VERSION and has a Node.js language host next
# to it or on PATH. Prints its bin dir.
ambient_cli_dir() {
	local p v dir
	p=$(PATH=$(path_without "$PULUMI_DIR/bin") command -v pulumi 2>/dev/null) || return 1
	dir=$(dirname "$p")
	v=$(PULUMI_SKIP_UPDATE_CHECK=true "$p" version 2>/dev/null | head -n1) || return 1
	[[ $v =~ ^v?[0-9]+\.[0-9]+\.[0-9]+ ]] || return 1
	ver_ge "${BASH_REMATCH[0]}" "$PULUMI_VERSION" || return 1
	[ -x "$dir/pulumi-language-nodejs" ] || command -v pulumi-language-nodejs >/dev/null || return 1
	echo "$dir"
}

path_without() { local IFS=:; local out=() e; for e in $PATH; do [ "$e" = "$1" ] || out+=("$e"); done; echo "${out[*]}"; }

build_cli() {
	go_setup
	local tmp t0 t
	new_tmp pulumi
	tmp=$TMP
	mkdir -p "$tmp/bin"
	local ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
	t0=$(date +%s)
	log "building pulumi v$PULUMI_VERSION from the Go module proxy (several minutes)…"
	(cd "$SRC_DIR/pulumi" && gobuild -ldflags "$ldflags" -o "$tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) ||
		die "building pulumi v$PULUMI_VERSION failed (see above)"
	log "built pulumi v$PULUMI_VERSION in $(since "$t0")"
	local got
	got=$(PULUMI_SKIP_UPDATE_CHECK=true "$tmp/bin/pulumi" version)
	[ "$got" = "v$PULUMI_VERSION" ] || die "built pulumi reports '$got', expected v$PULUMI_VERSION"
	rm -rf "$PULUMI_DIR"
	mv -T "$tmp" "$PULUMI_DIR"
	build_language_host
	log "pulumi v$PULUMI_VERSION ready in $PULUMI_DIR/bin (total $(since "$t0"))"
}

# Builds our Node.js language host next to the cached pulumi, then records its source hash.
build_language_host() {
	go_setup
	local t ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
	new_tmp language-nodejs
	t=$(date +%s)
	log "building pulumi-language-nodejs v$PULUMI_VERSION (tools/toolchain/language-nodejs)…"
	(cd "$SRC_DIR/language-nodejs" && gobuild -ldflags "$ldflags" -o "$TMP/pulumi-language-nodejs" .) ||
		die "building pulumi-language-nodejs failed (see above)"
	rm -f "$PULUMI_DIR/bin/$LANGUAGE_HOST_STAMP"
	mv -f "$TMP/pulumi-language-nodejs" "$PULUMI_DIR/bin/pulumi-language-nodejs"
	language_host_source_hash >"$PULUMI_DIR/bin/$LANGUAGE_HOST_STAMP"
	log "built pulumi-language-nodejs in $(since "$t")"
}

# Sets CLI_BIN (dir with pulumi + pulumi-language-nodejs) and CLI_SOURCE. Builds when $1 = build.
resolve_cli() {
	if cached_cli_ok; then
		CLI_BIN=$PULUMI_DIR/bin CLI_SOURCE=cache
	elif [ "${1-}" = build ] && [ -x "$PULUMI_DIR/bin/pulumi" ]; then
		build_language_host
		CLI_BIN=$PULUMI_DIR/bin CLI_SOURCE=cache
	elif CLI_BIN=$(ambient_cli_dir); then
		CLI_SOURCE=ambient
	elif [ "${1-}" = build ]; then
		build_cli
		CLI_BIN=$PULUMI_DIR/bin CLI_SOURCE=cache
	else
		CLI_BIN=$PULUMI_DIR/bin CLI_SOURCE=missing
	fi
}

# ---- Kubernetes provider -------------------------------------------------------------------------------
plugin_dir_in() { echo "$1/plugins/resource-kubernetes-v$KUBERNETES_VERSION"; }
plugin_installed_in() {
	local d; d=$(plugin_dir_in "$1")
	[ -x "$d/pulumi-resource-kubernetes" ] && [ ! -e "$d.partial" ]
}

# The version a pulumi-resource-kubernetes binary reports (launches it through `pulumi package get-schema`).
provider_binary_version() {
	PULUMI_HOME=$TC_PULUMI_HOME PULUMI_SKIP_UPDATE_CHECK=true "$CLI_BIN/pulumi" package get-schema "$1" 2>/dev/null |
		node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).version||''))" 2>/dev/null
}

build_kubernetes() {
	go_setup
	local tmp t0 moddir
	new_tmp kubernetes
	tmp=$TMP
	mkdir -p "$tmp/src" "$tmp/out"
	cp "$SRC_DIR/kubernetes/go.mod" "$tmp/src/"
	[ ! -f "$SRC_DIR/kubernetes/go.sum" ] || cp "$SRC_DIR/kubernetes/go.sum" "$tmp/src/"
	cp -r "$SRC_DIR/kubernetes/gen" "$tmp/src/"
	t0=$(date +%s)
	# The checksum database answers 404 for this pseudo-version and for some Pulumi modules it pulls in
	# (e.g. cloud-ready-checks v1.3.0): skip the database for github.com/pulumi/* only.
	# tools/toolchain/kubernetes/go.sum pins their hashes instead; every other module is still checked.
	export GONOSUMDB=github.com/pulumi
	log "building pulumi-resource-kubernetes v$KUBERNETES_VERSION ($KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION; several minutes)…"
	local dl
	if ! dl=$(cd "$tmp/src" && go mod download -json "$KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION" 2>&1); then
		printf '%s\n' "$dl" >&2
		die "the Go module proxy does not serve $KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION (kubernetes $KUBERNETES_VERSION); pulumi-resource-kubernetes cannot be built"
	fi
	moddir=$(printf '%s\n' "$dl" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[ -d "$moddir" ] || die "could not locate $KUBERNETES_MODULE in the Go module cache"
	(cd "$tmp/src" && align_pulumi_versions) || die "resolving the provider's dependencies failed (see above)"
	(cd "$tmp/src" && nice -n 10 go run -mod=mod ./gen -module-dir "$moddir" -version "$KUBERNETES_VERSION" -out ./provider) ||
		die "generating the kubernetes provider's embedded files failed"
	(cd "$tmp/src" && gobuild -mod=mod \
		-ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=v$KUBERNETES_VERSION" \
		-o "$tmp/out/pulumi-resource-kubernetes" ./provider) ||
		die "building pulumi-resource-kubernetes failed (see above)"
	cp "$tmp/src/go.sum" "$tmp/out/go.sum"
	rm -rf "$K8S_DIR"
	mv -T "$tmp/out" "$K8S_DIR"
	log "built pulumi-resource-kubernetes v$KUBERNETES_VERSION in $(since "$t0")"
}

# The provider's go.mod replaces pulumi-kubernetes/sdk/v4 with a local path; our go.mod requires the
# published sdk/v4 instead, which may pull github.com/pulumi/pulumi/sdk/v3 past the provider's pkg/v3.
# pkg/v3 and sdk/v3 are released together and must match: raise both to the higher of the two.
align_pulumi_versions() {
	local p s m
	p=$(go list -mod=mod -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
	s=$(go list -mod=mod -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)
	if [ "$p" != "$s" ]; then
		m=$p
		ver_ge "$s" "$p" && m=$s
		log "aligning github.com/pulumi/pulumi pkg/v3 ($p) and sdk/v3 ($s) at $m"
		go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$m" -require="github.com/pulumi/pulumi/sdk/v3@$m"
	fi
}

install_plugin() {
	local t0; t0=$(date +%s)
	log "installing kubernetes $KUBERNETES_VERSION into the plugin cache ($TC_PULUMI_HOME) from $1"
	PULUMI_HOME=$TC_PULUMI_HOME PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
		"$CLI_BIN/pulumi" plugin install resource kubernetes "$KUBERNETES_VERSION" --file "$1" >&2
	plugin_installed_in "$TC_PULUMI_HOME" || die "pulumi plugin install did not produce $(plugin_dir_in "$TC_PULUMI_HOME")"
	log "installed in $(since "$t0")"
}

ensure_kubernetes() {
	plugin_installed_in "$TC_PULUMI_HOME" && return 0
	# Reuse an installed plugin of exactly this version from the user's own PULUMI_HOME.
	local home bin v
	for home in "${PULUMI_HOME-}" "$HOME/.pulumi"; do
		if [ -n "$home" ] && [ "$home" != "$TC_PULUMI_HOME" ] && plugin_installed_in "$home"; then
			install_plugin "$(plugin_dir_in "$home")/pulumi-resource-kubernetes"
			return 0
		fi
	done
	# Or a pulumi-resource-kubernetes binary on PATH that reports exactly this version.
	if bin=$(command -v pulumi-resource-kubernetes 2>/dev/null) && v=$(provider_binary_version "$bin") &&
		[ "$v" = "$KUBERNETES_VERSION" ]; then
		install_plugin "$bin"
		return 0
	fi
	[ -x "$K8S_DIR/pulumi-resource-kubernetes" ] || build_kubernetes
	install_plugin "$K8S_DIR/pulumi-resource-kubernetes"
}

# ---- subcommands ------------------------------------------------------------------------------------------
cmd_ensure() {
	local t0; t0=$(date +%s)
	check_pins
	lock_cache
	resolve_cli build
	[ "${1-}" = cli-only ] || ensure_kubernetes
	log "ready (pulumi from $CLI_SOURCE: $CLI_BIN) in $(since "$t0"); use: eval \"\$(scripts/toolchain.sh env)\""
}

cmd_env() {
	resolve_cli
	[ "$CLI_SOURCE" != missing ] || log "warning: pulumi v$PULUMI_VERSION is not built yet; run scripts/toolchain.sh ensure"
	plugin_installed_in "$TC_PULUMI_HOME" ||
		log "warning: kubernetes plugin $KUBERNETES_VERSION is not installed yet; run scripts/toolchain.sh ensure"
	mkdir -p "$STATE_DIR"
	local path
	path=$CLI_BIN:$(path_without "$CLI_BIN")
	printf 'export PATH=%q\n' "$path"
	printf 'export PULUMI_HOME=%q\n' "$TC_PULUMI_HOME"
	printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
	printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
	printf 'export PULUMI_BACKEND_URL=%q\n' "file://$STATE_DIR"
	if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE-}" ]; then
		: # the user's passphrase file is used
	else
		printf 'export PULUMI_CONFIG_PASSPHRASE=%q\n' "${PULUMI_CONFIG_PASSPHRASE-}"
	fi
}

cmd_versions() {
	resolve_cli
	local npm_pulumi npm_k8s
	npm_pulumi=$(cd "$REPO_ROOT" && node -p "require('./package.json').dependencies['@pulumi/pulumi']")
	npm_k8s=$(cd "$REPO_ROOT" && node -p "require('./package.json').dependencies['@pulumi/kubernetes']")
	echo "pins:        pulumi $PULUMI_VERSION, kubernetes $KUBERNETES_VERSION ($KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION)"
	echo "npm:         @pulumi/pulumi $npm_pulumi, @pulumi/kubernetes $npm_k8s"
	if [ "$CLI_SOURCE" = missing ]; then
		echo "pulumi:      not built (run scripts/toolchain.sh ensure)"
	else
		echo "pulumi:      $(PULUMI_SKIP_UPDATE_CHECK=true "$CLI_BIN/pulumi" version) ($CLI_SOURCE: $CLI_BIN/pulumi)"
		local lh=$CLI_BIN/pulumi-language-nodejs
		[ -x "$lh" ] || lh=$(command -v pulumi-language-nodejs || echo "")
		echo "language:    ${lh:-none} $([ -n "$lh" ] && [ "$CLI_SOURCE" = cache ] && "$lh" --version)"
	fi
	if plugin_installed_in "$TC_PULUMI_HOME"; then
		echo "kubernetes:  $KUBERNETES_VERSION ($(plugin_dir_in "$TC_PULUMI_HOME")/pulumi-resource-kubernetes)"
	else
		echo "kubernetes:  not installed in $TC_PULUMI_HOME (run scripts/toolchain.sh ensure)"
	fi
	echo "PULUMI_HOME: $TC_PULUMI_HOME"
	echo "backend:     file://$STATE_DIR"
	echo "node:        $(node --version)  go: $( (command -v go >/dev/null && go env GOVERSION) || /usr/local/go/bin/go env GOVERSION 2>/dev/null || echo none)"
}

case "${1-}" in
ensure) cmd_ensure ;;
ensure-cli) cmd_ensure cli-only ;;
env) cmd_env ;;
versions) cmd_versions ;;
*)
	sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac

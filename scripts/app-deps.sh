#!/usr/bin/env bash
# Installs the Debian packages the loopback app suite, the benchmark and the netpol suite need:
# nginx, redis-server, redis-tools (redis-cli, redis-benchmark), wrk and nftables (nft).
#
# Idempotent: when every binary is already there it does nothing (no apt-get
# update, no network). Debian's packaged services are never left running on the
# standard ports: the tests start their own nginx/redis on free loopback ports
# with their own config and never talk to a system instance.
set -euo pipefail

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
{ command -v redis-cli >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1; } || need+=(redis-tools)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)

if [ "${#need[@]}" -eq 0 ]; then
  echo "app-deps: nginx, redis-server, redis-tools, wrk and nftables already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "app-deps: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
  SUDO="sudo"
fi

# Keep the packages' maintainer scripts from starting their services during
# the install (Docker images usually ship such a policy already; add a
# temporary one only when there is none, and remove only ours).
POLICY=/usr/sbin/policy-rc.d
ours_policy=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# temporary, from scripts/app-deps.sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  ours_policy=1
fi
cleanup() { if [ "$ours_policy" = 1 ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT

echo "app-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"

# Belt and braces: if a service got started anyway (systemd hosts ignore
# policy-rc.d for some units), stop it and keep it from starting at boot.
for svc in redis-server nginx; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    $SUDO service "$svc" stop >/dev/null 2>&1 || true
  fi
done

for b in nginx redis-server redis-cli redis-benchmark wrk nft; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || { echo "app-deps: $b still missing after install" >&2; exit 1; }
done
echo "app-deps: done"

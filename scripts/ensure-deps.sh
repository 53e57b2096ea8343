#!/usr/bin/env bash
# Installs what `npm test` / `npm run demo` need and is missing: Debian
# packages (as root, through apt-get) and the npm dependencies.
# Usage: ensure-deps.sh demo|test
set -euo pipefail
mode=${1:-test}
cd "$(dirname "$0")/.."

demo_pkgs=(libvirt-clients libvirt-daemon)
test_pkgs=("${demo_pkgs[@]}" fence-virt fence-virtd fence-agents libxml2-utils
  resource-agents socat iproute2 e2fsprogs util-linux procps psmisc kmod
  apache2 iputils-arping ndisc6 pacemaker-cli-utils hyperfine
  mariadb-server mariadb-client drbd-utils pcs pacemaker corosync curl python3)
case "$mode" in
  demo) want=("${demo_pkgs[@]}") ;;
  test) want=("${test_pkgs[@]}") ;;
  *) echo "ensure-deps.sh: unknown mode '$mode' (use demo or test)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-deps.sh: missing Debian packages: ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "==> installing Debian packages: ${missing[*]}"
  # Keep package scripts from starting apache2/fence_virtd on the host:
  # tests start their own instances on loopback ports.
  policy=/usr/sbin/policy-rc.d
  had_policy=0; [ -e "$policy" ] && had_policy=1
  if [ $had_policy = 0 ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; fi
  trap '[ "$had_policy" = 1 ] || rm -f "$policy"' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: install when absent or older than the lock file.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
   || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "==> installing npm dependencies"
  # npm install, not npm ci: with this registry setup npm 11 writes lock
  # files without other platforms' optional packages (rollup's), which its
  # own `npm ci` then rejects as out of sync. install still honours the lock.
  npm install --no-audit --no-fund --loglevel=error
fi

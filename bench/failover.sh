#!/usr/bin/env bash
# Failover after a crash of the active node: Palisade's agents and daemon
# against the anchors (ocf:heartbeat agents, fence_virt, Debian's
# fence_virtd), alternating in one run on two e2e labs (test/e2e/lab) booted
# side by side; prints every round's timelines, the phases' medians, the
# ratio and each phase's share. Needs root (namespaces, loop devices) and
# Debian's corosync, pacemaker, pcs, resource-agents, fence-virt(d), apache2.
#   bash bench/failover.sh [--rounds N]     (default 5; about 1 min per round)
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # Pacemaker does not set it; it slows every Node start

[ "$(id -u)" = 0 ] || { echo "failover.sh: needs root (network namespaces, loop devices)" >&2; exit 1; }
for f in /usr/sbin/fence_virtd /usr/sbin/fence_virt /usr/lib/ocf/resource.d/heartbeat/IPaddr2 /usr/sbin/pacemakerd /usr/sbin/corosync; do
  [ -x "$f" ] || { echo "failover.sh: $f missing (Debian packages fence-virtd, fence-virt, resource-agents, pacemaker, corosync)" >&2; exit 1; }
done
# The lab installs this checkout's dist/ on the nodes: build when it is missing or older than a source.
stamp=dist/bin/palisaded.cjs
if [ ! -e "$stamp" ] || [ -n "$(find protocol core daemon agents cli -name '*.ts' -newer "$stamp" -print -quit)" ]; then
  bash scripts/build.sh
fi
exec node_modules/.bin/vite-node bench/failover.ts "$@"

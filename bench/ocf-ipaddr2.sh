#!/usr/bin/env bash
# IPaddr2: ours against ocf:heartbeat:IPaddr2 on a veth pair between two
# throw-away network namespaces (192.0.2.0/24, documentation range).
#   bash bench/ocf-ipaddr2.sh [-n N]     (build first: bash scripts/build.sh)
#   OURS=/path/to/other/build/main.js bash bench/ocf-ipaddr2.sh   (e.g. a bundled build)
# Actions per cycle: probe (7), start, recurring monitor, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # Pacemaker does not set it; it slows every Node start

ours=${OURS:-$PWD/dist/bin/ocf/IPaddr2.cjs}
theirs=/usr/lib/ocf/resource.d/heartbeat/IPaddr2
[ -x "$ours" ] || { echo "ocf-ipaddr2.sh: $ours missing, run bash scripts/build.sh" >&2; exit 1; }
[ -x "$theirs" ] || { echo "ocf-ipaddr2.sh: $theirs missing (Debian package resource-agents)" >&2; exit 1; }

a=pal-bench-a-$$ b=pal-bench-b-$$
rsctmp=$(mktemp -d /tmp/pal-bench-ipaddr2.XXXXXX)
cleanup() { ip netns delete "$a" 2>/dev/null || true; ip netns delete "$b" 2>/dev/null || true; rm -rf "$rsctmp"; }
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add veth-a type veth peer name veth-b netns "$b"
ip -n "$a" addr add 192.0.2.1/24 dev veth-a
ip -n "$b" addr add 192.0.2.2/24 dev veth-b
ip -n "$a" link set lo up
ip -n "$a" link set veth-a up
ip -n "$b" link set veth-b up

echo "== IPaddr2 (192.0.2.10/24 on veth-a, arp_bg default)"
ip netns exec "$a" node bench/ocf-bench.mjs "$@" --ours "$ours" --theirs "$theirs" \
  -e OCF_RESOURCE_INSTANCE=vip1 -e OCF_RESOURCE_TYPE=IPaddr2 -e HA_RSCTMP="$rsctmp" \
  -e OCF_RESKEY_ip=192.0.2.10 -e OCF_RESKEY_cidr_netmask=24 -e OCF_RESKEY_nic=veth-a \
  probe=monitor:OCF_RESKEY_CRM_meta_interval=0@7 start monitor:OCF_RESKEY_CRM_meta_interval=10000 stop

#!/usr/bin/env bash
# Runs every benchmark (each prints Palisade vs its C/shell counterpart and the ratio).
# Not the soak: it runs 10 minutes; use `npm run soak` or `node bench/soak.mjs --minutes N`.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # Pacemaker does not set it; it adds ~50 ms to every Node start here
node bench/fence-tcp.mjs "$@"
node bench/fence-agent.mjs
node bench/fence-xvm-reboot.mjs
node bench/fence-timing.mjs
node_modules/.bin/vite-node bench/libvirt-session.ts
for b in bench/ocf-*.sh; do bash "$b"; done
node bench/ocf-deadline.mjs
bash bench/failover.sh   # root; two e2e labs, about a minute per round

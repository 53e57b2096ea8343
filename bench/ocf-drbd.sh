#!/usr/bin/env bash
# drbd: ours against LINBIT's ocf:linbit:drbd (Debian drbd-utils 9.22) on the
# same drbd-utils stand-in state (test/stand-ins/drbd-utils: this kernel has
# no DRBD), node "alpha" configured and connected to an UpToDate "beta".
# Both agents run inside the stand-in's private mount namespace
# (linbit-ns.sh: /proc/drbd and /dev/drbd0 for LINBIT's checks), so they see
# the same system; the stand-ins' own cost (drbdadm, drbdsetup, crm_*) is
# part of both numbers, so the ratio understates the agents' difference.
#   bash bench/ocf-drbd.sh [-n N]     (build first: bash scripts/build.sh)
# Actions per cycle: monitor (Secondary), promote, monitor (Primary, 8), demote.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # Pacemaker does not set it; it slows every Node start

ours=${OURS:-$PWD/dist/bin/ocf/drbd.cjs}
theirs=/usr/lib/ocf/resource.d/linbit/drbd
standin=$PWD/test/stand-ins/drbd-utils
[ -x "$ours" ] || { echo "ocf-drbd.sh: $ours missing, run bash scripts/build.sh" >&2; exit 1; }
[ -x "$theirs" ] || { echo "ocf-drbd.sh: $theirs missing (Debian package drbd-utils)" >&2; exit 1; }

dir=$(mktemp -d /tmp/pal-bench-drbd.XXXXXX)
trap 'rm -rf "$dir"' EXIT
node "$standin/init.mjs" "$dir"
export DRBD_STANDIN_DIR=$dir DRBD_STANDIN_NODE=alpha PCMK_STANDIN_DIR=$dir PCMK_STANDIN_NODE=alpha
export PATH=$standin:$PWD/test/stand-ins/pacemaker-cli:$PATH
# bring both nodes up through the stand-in: alpha and beta connected, UpToDate
for n in beta alpha; do DRBD_STANDIN_NODE=$n drbdadm -c "$dir/drbd.conf" up r0 2>/dev/null; done

echo "== drbd (stand-in state in $dir; r0 Secondary/UpToDate, peer connected)"
"$standin/linbit-ns.sh" node bench/ocf-bench.mjs "$@" \
  --ours "$ours" --theirs "$theirs" \
  -e OCF_RESOURCE_INSTANCE=d -e OCF_RESOURCE_TYPE=drbd -e OCF_RESKEY_CRM_meta_on_node=alpha \
  -e OCF_RESKEY_drbd_resource=r0 -e OCF_RESKEY_drbdconf="$dir/drbd.conf" \
  -e OCF_RESKEY_CRM_meta_clone_max=2 -e OCF_RESKEY_CRM_meta_clone_node_max=1 \
  -e OCF_RESKEY_CRM_meta_master_max=1 -e OCF_RESKEY_CRM_meta_master_node_max=1 \
  -e OCF_RESKEY_CRM_meta_promoted_max=1 -e OCF_RESKEY_CRM_meta_promoted_node_max=1 \
  -e OCF_RESKEY_CRM_meta_notify=true -e OCF_RESKEY_crm_feature_set=3.16.2 \
  monitor:OCF_RESKEY_CRM_meta_interval=20000 promote \
  monitor-promoted=monitor:OCF_RESKEY_CRM_meta_interval=10000@8 demote

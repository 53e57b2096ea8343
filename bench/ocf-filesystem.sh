#!/usr/bin/env bash
# Filesystem: ours against ocf:heartbeat:Filesystem on the same resource, a
# 64 MiB ext4 image on a loop device, mounted inside a private mount
# namespace (so an interrupted run leaves no mount behind).
#   bash bench/ocf-filesystem.sh [-n N]     (build first: bash scripts/build.sh)
#   OURS=/path/to/other/build/main.js bash bench/ocf-filesystem.sh
# Actions per cycle: probe (7), start, monitor depth 0, monitor depth 20, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # Pacemaker does not set it; it slows every Node start

ours=${OURS:-$PWD/dist/bin/ocf/Filesystem.cjs}
theirs=/usr/lib/ocf/resource.d/heartbeat/Filesystem
[ -x "$ours" ] || { echo "ocf-filesystem.sh: $ours missing, run bash scripts/build.sh" >&2; exit 1; }
[ -x "$theirs" ] || { echo "ocf-filesystem.sh: $theirs missing (Debian package resource-agents)" >&2; exit 1; }

dir=$(mktemp -d /tmp/pal-bench-fs.XXXXXX)
dev=
cleanup() {
  [ -n "$dev" ] && losetup -d "$dev" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

truncate -s 64M "$dir/disk.img"
mkfs.ext4 -q -F "$dir/disk.img"
dev=$(losetup -f --show "$dir/disk.img")
mkdir "$dir/mnt"

echo "== Filesystem ($dev, ext4, on $dir/mnt)"
unshare -m --propagation private node bench/ocf-bench.mjs "$@" --ours "$ours" --theirs "$theirs" \
  -e OCF_RESOURCE_INSTANCE=fs1 -e OCF_RESOURCE_TYPE=Filesystem \
  -e OCF_RESKEY_device="$dev" -e OCF_RESKEY_directory="$dir/mnt" -e OCF_RESKEY_fstype=ext4 \
  probe=monitor:OCF_RESKEY_CRM_meta_interval=0@7 start \
  monitor:OCF_RESKEY_CRM_meta_interval=20000 \
  monitor20=monitor:OCF_RESKEY_CRM_meta_interval=20000,OCF_CHECK_LEVEL=20 stop

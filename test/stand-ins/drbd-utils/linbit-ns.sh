#!/usr/bin/env bash
# STAND-IN environment for LINBIT's ocf:linbit:drbd (test use only).
#   linbit-ns.sh COMMAND [ARGS...]   (DRBD_STANDIN_DIR, DRBD_STANDIN_NODE set)
# LINBIT's agent decides "module loaded" by `test -f /proc/drbd` and
# "started" by `test -b /dev/drbdN`; neither can exist on a kernel without
# DRBD. So COMMAND runs in a private mount namespace (nothing on the host
# changes) where:
#  - /proc is a bind-mounted folder of symlinks into a real procfs mounted
#    beside it, plus a regular file `drbd` while the stand-in's module is
#    "loaded" (the modprobe stand-in creates it: DRBD_STANDIN_PROCDIR);
#  - /dev is an overlay on the host's /dev with a tmpfs upper layer, in which
#    the stand-in creates /dev/drbdN block nodes on new-minor and removes
#    them on down (DRBD_STANDIN_DEVDIR=/dev).
# The agent itself is run unmodified, with the stand-ins first in PATH.
set -euo pipefail
: "${DRBD_STANDIN_DIR:?}" "${DRBD_STANDIN_NODE:?}"
here=$(cd "$(dirname "$0")" && pwd)
w=$DRBD_STANDIN_DIR/ns-$DRBD_STANDIN_NODE
mkdir -p "$w/real" "$w/fake" "$w/devrw"
export DRBD_STANDIN_PROCDIR=$w/fake DRBD_STANDIN_DEVDIR=/dev DRBD_STANDIN_HERE=$here
exec unshare --mount --propagation private bash -c '
  set -e
  w=$DRBD_STANDIN_DIR/ns-$DRBD_STANDIN_NODE
  mount --rbind /proc "$w/real"
  if [ ! -e "$w/fake/self" ]; then
    for e in /proc/*; do
      n=${e#/proc/}
      case $n in *[!0-9]*) ln -sfn "$w/real/$n" "$w/fake/$n" ;; esac
    done
  fi
  eval "$(node "$DRBD_STANDIN_HERE/ns-facts.mjs")"
  if [ "$loaded" = yes ]; then echo "version: $kernel" >"$w/fake/drbd"; else rm -f "$w/fake/drbd"; fi
  mount --bind "$w/fake" /proc
  mount -t tmpfs pal-drbd-dev "$w/devrw"
  mkdir "$w/devrw/up" "$w/devrw/work"
  mount -t overlay pal-drbd-dev -o "lowerdir=/dev,upperdir=$w/devrw/up,workdir=$w/devrw/work" /dev
  for m in $minors; do mknod "/dev/drbd$m" b 147 "$m"; done
  exec "$@"
' linbit-ns "$@"

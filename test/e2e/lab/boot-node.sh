#!/bin/bash
# The "firmware" of one cluster node in the e2e lab. It runs as PID 1 of the
# node's own PID, UTS and mount namespaces (inside the node's network
# namespace), so killing it by PID kills every process of the node at once:
# that is the node losing power.
#
# Environment (set by machine.ts):
#   PAL_NODE   the node's name (hostname, corosync node name)
#   PAL_STATE  the node's disk: etc/, var/lib/…, var/log/… below it are bound
#              over the real paths, so each node has its own
#   PAL_STAGE  `palisade install` staging folder, overlaid on /usr/sbin and
#              /usr/lib/ocf/resource.d (the host's folders are not written)
#   PAL_DRBD_STANDIN  (optional) the drbd-utils stand-in's shared folder: the
#              node becomes one of its pair (stand-ins/drbd-utils/lab-node.sh)
set -eu
: "${PAL_NODE:?}" "${PAL_STATE:?}" "${PAL_STAGE:?}"
hostname "$PAL_NODE"
mount -t tmpfs -o mode=755 run /run
mkdir -p /run/lock /run/corosync /run/apache2 /run/mysqld
chown mysql:mysql /run/mysqld 2>/dev/null || true
if [ -n "${PAL_DRBD_STANDIN:-}" ]; then . "$(dirname "$0")/../../stand-ins/drbd-utils/lab-node.sh"; fi
# libqb IPC rings live here, named by PID: each node needs its own.
mount -t tmpfs -o mode=1777 shm /dev/shm
for d in etc/corosync var/lib/pacemaker var/lib/corosync var/log/pacemaker var/log/corosync; do
  [ -d "/$d" ] || { echo "boot: /$d is missing on this host: install Debian's corosync and pacemaker" >&2; exit 1; }
  mount --bind "$PAL_STATE/$d" "/$d"
done
# only where the service is installed (apache2, mariadb-server)
for d in etc/mysql var/lib/mysql var/log/apache2 var/log/mysql; do
  if [ -d "/$d" ]; then mount --bind "$PAL_STATE/$d" "/$d"; fi
done
mount -t overlay pal-sbin -o "lowerdir=$PAL_STAGE/sbin:/usr/sbin" /usr/sbin
mount -t overlay pal-ocf -o "lowerdir=$PAL_STAGE/ocf/resource.d:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d

echo "boot: $PAL_NODE up, starting corosync"
corosync -f >>/var/log/corosync/stdout.log 2>&1 &
for _ in $(seq 200); do corosync-cfgtool -s >/dev/null 2>&1 && break; sleep 0.05; done
echo "boot: starting pacemaker"
PCMK_logfile=/var/log/pacemaker/pacemaker.log pacemakerd >>/var/log/pacemaker/stdout.log 2>&1 &
echo "boot: $PAL_NODE running"
# PID 1 stays up (and reaps orphans) until the power is cut. Its child
# pal-lab-sentinel must survive everything but that: an agent that signals
# more than its own processes shows up as a dead sentinel.
bash -c 'exec -a pal-lab-sentinel sleep infinity' &
wait

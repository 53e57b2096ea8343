# STAND-IN (test use only): sourced by the e2e lab's boot-node.sh on a node
# of a DRBD lab (PAL_DRBD_STANDIN = the stand-in's shared state folder, set
# up by test/e2e/lab/drbd-standin.ts), before /dev/shm is mounted. Makes the
# node one of the stand-in's pair, see lab-machine.mjs:
#  - its own /dev (an overlay on the host's with a tmpfs upper layer), where
#    the stand-in keeps this node's /dev/drbdN;
#  - the stand-in's drbdadm/drbdsetup first in PATH, for pacemaker-execd and
#    the agents it runs; the node's identity is its host name;
#  - its power: a lock held until the node's PID 1 dies;
#  - a fresh kernel: no DRBD state survives a power cut.
: "${PAL_DRBD_STANDIN:?}" "${PAL_NODE:?}"
pal_drbd_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p /run/pal-drbd-dev/up /run/pal-drbd-dev/work
mount -t overlay pal-drbd-dev -o lowerdir=/dev,upperdir=/run/pal-drbd-dev/up,workdir=/run/pal-drbd-dev/work /dev
export PATH="$PAL_DRBD_STANDIN/bin:$PATH" DRBD_STANDIN_DIR="$PAL_DRBD_STANDIN" DRBD_STANDIN_NODE="$PAL_NODE" DRBD_STANDIN_DEVDIR=/dev
flock --exclusive "$PAL_DRBD_STANDIN/alive-$PAL_NODE" sleep infinity &
node "$pal_drbd_here/lab-boot.mjs"
echo "boot: $PAL_NODE is a node of the drbd stand-in in $PAL_DRBD_STANDIN"

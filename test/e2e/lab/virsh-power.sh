#!/bin/bash
# palisaded's virsh in the e2e lab: a pass-through to the real virsh that
# also works the power of the lab's nodes. Before a line that destroys a
# domain reaches virsh, the node behind that domain loses power (the lab's
# power switch kills its PID namespace and answers once it is gone); after
# a line that starts a domain, the node boots. So a fence that palisaded
# reports done has really happened.
#
# PAL_POWER_SOCKET: the power switch's unix socket (power-switch.ts).
set -u
: "${PAL_POWER_SOCKET:?}"
fifo=$(mktemp -u "${TMPDIR:-/tmp}/pal-virsh-XXXXXX")
mkfifo -m 600 "$fifo"
virsh "$@" <"$fifo" &
real=$!
exec 3>"$fifo"
rm -f "$fifo"
trap 'kill -TERM "$real" 2>/dev/null' TERM INT

power() {
  local reply
  reply=$(printf '%s %s\n' "$1" "$2" | socat -t 60 -T 60 - "UNIX-CONNECT:$PAL_POWER_SOCKET")
  [ "$reply" = ok ] || echo "virsh-power: power $1 $2: ${reply:-no answer}" >&2
}
uuid='([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'
while IFS= read -r line; do
  if [[ $line =~ destroy\ --domain\ \'$uuid\' ]]; then power off "${BASH_REMATCH[1]}"; fi
  printf '%s\n' "$line" >&3
  if [[ $line =~ start\ --domain\ \'$uuid\' ]]; then power on "${BASH_REMATCH[1]}"; fi
done
exec 3>&-
wait "$real"

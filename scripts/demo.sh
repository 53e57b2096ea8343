#!/usr/bin/env bash
# npm run demo: palisaded on loopback over libvirt's test driver with three
# guests, fenced by fence_palisade exactly as Pacemaker would run it; then
# reloaded with more listeners: multicast (fence_xvm) and the hmac-sha256 mode.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/palisade-demo.XXXXXX)
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then kill -TERM "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# A free loopback port, so the demo never collides with a real fence_virtd on 1229.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port)
mport=$(free_port)
hport=$(free_port)

step "1-2. Dependencies installed and project built (npm run demo did this)"

step "3. Generate a shared key"
run node dist/bin/palisade.cjs keygen "$work/fence_xvm.key"

step "4. Start palisaded on 127.0.0.1:$port over libvirt's test driver (3 guests)"
cat > "$work/fence_virt.conf" <<CONF
# The same file works for fence_virtd.
fence_virtd {
	listener = "tcp";
	backend = "libvirt";
	module_path = "/usr/lib/x86_64-linux-gnu/fence-virt";
}
listeners {
	tcp {
		key_file = "$work/fence_xvm.key";
		address = "127.0.0.1";
		port = "$port";
		family = "ipv4";
	}
}
backends {
	libvirt {
		uri = "test://$root/scripts/demo/domains.xml";
	}
}
CONF
chmod 600 "$work/fence_virt.conf"
cat "$work/fence_virt.conf"
run node dist/bin/palisade.cjs config check "$work/fence_virt.conf"
printf '$ palisaded -F -f %s -p %s &\n' "$work/fence_virt.conf" "$work/palisaded.pid"
node dist/bin/palisaded.cjs -F -f "$work/fence_virt.conf" -p "$work/palisaded.pid" 2>"$work/palisaded.log" &
daemon_pid=$!
for _ in $(seq 100); do grep -q 'palisaded ready' "$work/palisaded.log" 2>/dev/null && break; kill -0 $daemon_pid || { cat "$work/palisaded.log"; exit 1; }; sleep 0.1; done
grep -q 'palisaded ready' "$work/palisaded.log" || { echo "palisaded did not start:"; cat "$work/palisaded.log"; exit 1; }

fence() {
  local action=$1 plug=${2:-}
  printf '\n$ fence_palisade <<EOF (as pacemaker-fenced passes it)\n'
  local input="action=$action
ipaddr=127.0.0.1
ipport=$port
key_file=$work/fence_xvm.key
nodename=node-$plug
${plug:+port=$plug}"
  printf '%s\nEOF\n' "$input"
  set +e
  printf '%s\n' "$input" | node dist/bin/fence_palisade.cjs
  local rc=$?
  set -e
  printf '(exit %d)\n' "$rc"
  return 0
}

step "5. Fence through it with fence_palisade"
fence list
fence status web1
fence off web1
fence status web1
fence on web1
fence reboot web1
fence status web1

agent() {
  local what=$1; shift
  printf '\n$ fence_palisade <<EOF (%s)\n' "$what"
  printf '%s\n' "$@"
  printf 'EOF\n'
  set +e
  printf '%s\n' "$@" | node dist/bin/fence_palisade.cjs
  local rc=$?
  set -e
  printf '(exit %d)\n' "$rc"
}

step "6. Reload (SIGHUP) with three listeners: tcp, multicast (fence_xvm) and tcp in the hmac-sha256 mode"
cat > "$work/fence_virt.conf" <<CONF
# palisaded extensions: several listeners in one daemon (fence_virtd takes one).
fence_virtd {
	listener = "tcp multicast tcp:secure";
	backend = "libvirt";
}
listeners {
	tcp { key_file = "$work/fence_xvm.key"; address = "127.0.0.1"; port = "$port"; }
	multicast { key_file = "$work/fence_xvm.key"; address = "225.0.0.12"; interface = "lo"; port = "$mport"; }
	tcp = "secure" { key_file = "$work/fence_xvm.key"; address = "127.0.0.1"; port = "$hport"; auth = "hmac-sha256"; }
}
backends {
	libvirt {
		uri = "test://$root/scripts/demo/domains.xml";
	}
}
CONF
cat "$work/fence_virt.conf"
run kill -HUP "$daemon_pid"
for _ in $(seq 100); do grep -q 'reload complete' "$work/palisaded.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'reload complete' "$work/palisaded.log" || { echo "reload failed:"; cat "$work/palisaded.log"; exit 1; }
grep 'listening:' "$work/palisaded.log" | tail -3 | sed 's/^/  /'

step "7. As fence_xvm: a UDP request, and the host that has the domain calls back over TCP"
agent "no ipaddr: multicast; a unicast multicast_address reaches one host" \
  action=status multicast_address=127.0.0.1 "ipport=$mport" "key_file=$work/fence_xvm.key" port=db1 timeout=10
agent "a domain no host has: nobody answers, so the agent times out" \
  action=status multicast_address=127.0.0.1 "ipport=$mport" "key_file=$work/fence_xvm.key" port=nosuch timeout=3

step "8. The hmac-sha256 mode: HMAC over the request, both nonces and the answer"
agent "auth=hmac-sha256" \
  action=reboot ipaddr=127.0.0.1 "ipport=$hport" "key_file=$work/fence_xvm.key" auth=hmac-sha256 port=web2
agent "a legacy client on that listener fails at once, and says why" \
  action=status ipaddr=127.0.0.1 "ipport=$hport" "key_file=$work/fence_xvm.key" port=web2

step "9. Stop the daemon (SIGTERM)"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
echo "palisaded log:"; sed 's/^/  /' "$work/palisaded.log"
[ ! -e "$work/palisaded.pid" ] && echo "pid file removed"
step "Demo complete"

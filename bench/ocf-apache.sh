#!/usr/bin/env bash
# apache: ours against ocf:heartbeat:apache on the same resource, a private
# httpd.conf in a temp dir (Listen 127.0.0.1:<free port>, mod_status at
# /server-status, own PidFile and ErrorLog; nothing from /etc/apache2, never
# port 80), run inside a private PID namespace so an interrupted run leaves no
# httpd behind.
#   bash bench/ocf-apache.sh [-n N]     (build first: bash scripts/build.sh)
#   OURS=/path/to/other/build/main.js bash bench/ocf-apache.sh
# Actions per cycle: probe (7), start, monitor depth 0 (recurring), stop.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # Pacemaker does not set it; it slows every Node start

ours=${OURS:-$PWD/dist/bin/ocf/apache.cjs}
theirs=/usr/lib/ocf/resource.d/heartbeat/apache
httpd=/usr/sbin/apache2
mods=/usr/lib/apache2/modules
[ -x "$ours" ] || { echo "ocf-apache.sh: $ours missing, run bash scripts/build.sh" >&2; exit 1; }
[ -x "$theirs" ] || { echo "ocf-apache.sh: $theirs missing (Debian package resource-agents)" >&2; exit 1; }
[ -x "$httpd" ] || { echo "ocf-apache.sh: $httpd missing (Debian package apache2)" >&2; exit 1; }

dir=$(mktemp -d /tmp/pal-bench-apache.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/htdocs" "$dir/run" "$dir/state"
echo '<html><body>bench</body></html>' >"$dir/htdocs/index.html"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")

cat >"$dir/httpd.conf" <<CONF
ServerRoot "$dir"
ServerName localhost
DefaultRuntimeDir "$dir/run"
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error.log"
User www-data
Group www-data
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_host_module $mods/mod_authz_host.so
LoadModule status_module $mods/mod_status.so
LoadModule dir_module $mods/mod_dir.so
LoadModule mime_module $mods/mod_mime.so
TypesConfig /etc/mime.types
DocumentRoot "$dir/htdocs"
StartServers 1
<Location /server-status>
  SetHandler server-status
  Require local
</Location>
CONF

echo "== apache ($httpd, $dir/httpd.conf, 127.0.0.1:$port)"
# sh is the namespace's init and reaps the daemonized httpd when it exits:
# heartbeat counts a zombie as running (its stop would then wait 20 s and fail)
unshare --pid --fork --kill-child --mount-proc sh -c 'node "$@"; exit $?' sh bench/ocf-bench.mjs "$@" \
  --ours "$ours" --theirs "$theirs" \
  -e OCF_RESOURCE_INSTANCE=web1 -e OCF_RESOURCE_TYPE=apache -e HA_RSCTMP="$dir/state" \
  -e OCF_RESKEY_configfile="$dir/httpd.conf" \
  probe=monitor:OCF_RESKEY_CRM_meta_interval=0@7 start \
  monitor:OCF_RESKEY_CRM_meta_interval=10000 stop

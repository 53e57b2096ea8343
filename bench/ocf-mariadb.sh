#!/usr/bin/env bash
# mariadb: ours against ocf:heartbeat:mysql on the same server instance: a
# private datadir (mariadb-install-db), my.cnf, socket and pid file in a temp
# dir, listening only on 127.0.0.2:<free port>; never the host's service.
# Runs inside a private PID namespace so an interrupted run leaves no server.
#   bash bench/ocf-mariadb.sh [-n N]     (build first: bash scripts/build.sh)
# Both agents start the server the same way (binary=mysqld_safe, heartbeat's
# default). Two tables:
#   standalone: probe (7), start, monitor depth 0, monitor depth 10, stop
#   promotable (promotable=true notify=true, one node, crm_* stand-ins from
#   test/stand-ins/crm): start, monitor (unpromoted), promote, monitor (promoted), stop
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # Pacemaker does not set it; it slows every Node start

ours=${OURS:-$PWD/dist/bin/ocf/mariadb.cjs}
theirs=/usr/lib/ocf/resource.d/heartbeat/mysql
[ -x "$ours" ] || { echo "ocf-mariadb.sh: $ours missing, run bash scripts/build.sh" >&2; exit 1; }
[ -x "$theirs" ] || { echo "ocf-mariadb.sh: $theirs missing (Debian package resource-agents)" >&2; exit 1; }
command -v mariadb-install-db >/dev/null || { echo "ocf-mariadb.sh: mariadb-install-db missing (Debian package mariadb-server)" >&2; exit 1; }

dir=$(mktemp -d /tmp/pal-bench-mariadb.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/run" "$dir/log" "$dir/binlog" "$dir/tmp" "$dir/crm"
chown mysql:mysql "$dir/run" "$dir/log" "$dir/binlog" "$dir/tmp"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.2',()=>{console.log(s.address().port);s.close()})")
cat >"$dir/my.cnf" <<CONF
[mysqld]
bind-address=127.0.0.2
port=$port
skip-name-resolve
tmpdir=$dir/tmp
log_bin=$dir/binlog/mariadb-bin
log_slave_updates=ON
CONF
mariadb-install-db --defaults-file="$dir/my.cnf" --datadir="$dir/data" --user=mysql --skip-test-db --skip-name-resolve >"$dir/install.log" 2>&1 \
  || { cat "$dir/install.log" >&2; exit 1; }

common=(--ours "$ours" --theirs "$theirs"
  -e OCF_RESOURCE_INSTANCE=db1 -e OCF_RESOURCE_TYPE=mysql -e OCF_RESKEY_CRM_meta_timeout=120000
  -e OCF_RESKEY_config="$dir/my.cnf" -e OCF_RESKEY_datadir="$dir/data" -e OCF_RESKEY_pid="$dir/run/mysqld.pid"
  -e OCF_RESKEY_socket="$dir/run/mysqld.sock" -e OCF_RESKEY_log="$dir/log/error.log")
# sh is the namespace's init and reaps the daemonized servers when they exit
ns() { unshare --pid --fork --kill-child --mount-proc sh -c 'node "$@"; exit $?' sh bench/ocf-bench.mjs "$@"; }

echo "== mariadb standalone (mysqld_safe, $dir/my.cnf, 127.0.0.2:$port)"
ns "$@" "${common[@]}" \
  probe=monitor:OCF_RESKEY_CRM_meta_interval=0@7 start \
  'monitor d0=monitor:OCF_RESKEY_CRM_meta_interval=20000' \
  'monitor d10=monitor:OCF_RESKEY_CRM_meta_interval=20000,OCF_CHECK_LEVEL=10' stop

echo "== mariadb promotable clone (one node; crm_attribute/crm_node stand-ins)"
ns "$@" "${common[@]}" \
  -e PATH="$PWD/test/stand-ins/crm:$PATH" -e HA_SBIN_DIR="$PWD/test/stand-ins/crm" \
  -e CRM_STANDIN_DIR="$dir/crm" -e CRM_STANDIN_NODE="$(uname -n)" \
  -e OCF_RESKEY_CRM_meta_promotable=true -e OCF_RESKEY_CRM_meta_notify=true -e OCF_RESKEY_CRM_meta_clone_max=2 \
  -e OCF_RESKEY_crm_feature_set=3.16.2 \
  start 'monitor=monitor:OCF_RESKEY_CRM_meta_interval=30000' promote \
  'monitor promoted=monitor:OCF_RESKEY_CRM_meta_interval=10000,OCF_RESKEY_CRM_meta_role=Promoted@8' stop

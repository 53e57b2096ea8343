// ocf:heartbeat:mysql's parameters: same names, meanings and defaults, with
// the paths Debian's resource-agents package patches in.

import { param, type ParamValues } from '../framework/params.js';
import { splitWords } from '../apache/words.js';

const absolute = (what: string) => (v: string): string | undefined =>
  v.startsWith('/') ? undefined : `${what} must be an absolute path`;

/** db.table (or table), plain identifiers only: it goes into SQL text. */
export const TEST_TABLE = /^([A-Za-z0-9_$]+\.)?[A-Za-z0-9_$]+$/;

export const params = {
  binary: param.string({
    shortdesc: 'MySQL server binary',
    longdesc:
      'Server launcher: mysqld_safe (then started as heartbeat does) or the server itself (/usr/sbin/mariadbd, ' +
      'started directly, which spares a shell wrapper).',
    default: '/usr/bin/mysqld_safe',
  }),
  client_binary: param.string({
    shortdesc: 'MySQL client binary',
    longdesc: 'Kept for compatibility with ocf:heartbeat:mysql. This agent speaks SQL through the mariadb connector and never runs the client.',
    default: 'mysql',
  }),
  config: param.string({
    shortdesc: 'MySQL config',
    longdesc: 'Configuration file, passed to the server as --defaults-file.',
    default: '/etc/mysql/my.cnf',
    check: absolute('config'),
  }),
  datadir: param.string({
    shortdesc: 'MySQL datadir',
    longdesc: 'Directory containing the databases.',
    default: '/var/lib/mysql',
    check: absolute('datadir'),
  }),
  user: param.string({
    shortdesc: 'MySQL user',
    longdesc: 'User the server runs as (--user).',
    default: 'mysql',
  }),
  group: param.string({
    shortdesc: 'MySQL group',
    longdesc: 'Group owning the log file and the pid and socket directories the agent creates.',
    default: 'mysql',
  }),
  log: param.string({
    shortdesc: 'MySQL log file',
    longdesc: 'Error log (--log-error); its tail is the exit reason when the server dies during start.',
    default: '/var/log/mysql/error.log',
    check: absolute('log'),
  }),
  pid: param.string({
    shortdesc: 'MySQL pid file',
    longdesc: 'Pid file (--pid-file).',
    default: '/var/run/mysqld/mysqld.pid',
    check: absolute('pid'),
  }),
  socket: param.string({
    shortdesc: 'MySQL socket',
    longdesc: 'Unix socket (--socket). All of the agent\'s SQL goes through it.',
    default: '/var/run/mysqld/mysqld.sock',
    check: absolute('socket'),
  }),
  test_table: param.string({
    shortdesc: 'MySQL test table',
    longdesc: 'Table the depth-10 monitor counts rows of (SELECT COUNT(*) FROM test_table).',
    default: 'mysql.user',
    check: (v) => (TEST_TABLE.test(v) ? undefined : `test_table '${v}' is not of the form db.table (letters, digits, _ and $)`),
  }),
  test_user: param.string({
    shortdesc: 'MySQL test user',
    longdesc: 'User for the depth-10 test query.',
    default: 'root',
  }),
  test_passwd: param.string({
    shortdesc: 'MySQL test user password',
    longdesc: 'Password of test_user. It is sent over the socket, never put on a command line.',
    default: '',
  }),
  enable_creation: param.boolean({
    shortdesc: 'Create the database if it does not exist',
    longdesc: 'Initialise the datadir with mariadb-install-db when it has no mysql system database.',
    default: false,
  }),
  additional_parameters: param.string({
    shortdesc: 'Additional parameters to pass to mysqld',
    longdesc: 'More server options, split like a shell would (quotes kept together, no expansion).',
    default: '',
    check: (v) => {
      const w = splitWords(v);
      return w.ok ? undefined : w.problem;
    },
  }),
  replication_user: param.string({
    shortdesc: 'MySQL replication user',
    longdesc:
      'User for replication (CHANGE MASTER TO on replicas) and for every statement the agent runs over the local ' +
      'socket, as in ocf:heartbeat:mysql. It needs SUPER, REPLICATION SLAVE and REPLICATION CLIENT (or the ' +
      'MariaDB 10.5+ split privileges) on localhost and on the replicas\' addresses.',
    default: 'root',
  }),
  replication_passwd: param.string({
    shortdesc: 'MySQL replication user password',
    longdesc: 'Password of replication_user; sent over the socket only.',
    default: '',
  }),
  replication_port: param.string({
    shortdesc: 'MySQL replication port',
    longdesc: 'TCP port of the promoted node that replicas connect to.',
    default: '3306',
    check: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : `replication_port '${v}' is not a port number (1-65535)`),
  }),
  replication_require_ssl: param.boolean({
    shortdesc: 'Enables SSL connection to local MySQL service for replication user.',
    longdesc: 'Replicas connect to the promoted node with MASTER_SSL=1 (and the replication_master_ssl_* files).',
    default: false,
  }),
  replication_master_ssl_ca: param.string({
    shortdesc: 'MySQL master SSL CA',
    longdesc: 'CA file replicas check the promoted node\'s certificate with (MASTER_SSL_CA).',
    default: '',
  }),
  replication_master_ssl_cert: param.string({
    shortdesc: 'MySQL master SSL cert',
    longdesc: 'Client certificate replicas present (MASTER_SSL_CERT).',
    default: '',
  }),
  replication_master_ssl_key: param.string({
    shortdesc: 'MySQL master SSL key',
    longdesc: 'Key of replication_master_ssl_cert (MASTER_SSL_KEY).',
    default: '',
  }),
  max_slave_lag: param.integer({
    shortdesc: 'Maximum time (seconds) a MySQL slave is allowed to lag behind a master',
    longdesc:
      'A replica further behind (Seconds_Behind_Master) loses the reader attribute, and with ' +
      'evict_outdated_slaves its score. The promoted node\'s score is max_slave_lag + 1.',
    default: 3600,
    min: 1,
    max: 999998,
  }),
  evict_outdated_slaves: param.boolean({
    shortdesc: 'Determines whether to shut down badly lagging slaves',
    longdesc: 'A replica lagging more than max_slave_lag fails its monitor with OCF_ERR_INSTALLED (5), so Pacemaker stops it there.',
    default: false,
  }),
  reader_attribute: param.string({
    shortdesc: 'Sets the node attribute that determines whether a node is usable for clients to read from.',
    longdesc: 'Node attribute (lifetime reboot) set to 1 on the promoted node and on healthy replicas, else 0; for reader VIPs.',
    unique: true,
    default: 'readable',
    check: (v) => (/^[A-Za-z0-9_.-]+$/.test(v) ? undefined : `reader_attribute '${v}' is not a valid attribute name`),
  }),
};

export type MariadbParams = ParamValues<typeof params>;

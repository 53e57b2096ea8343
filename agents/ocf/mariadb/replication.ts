// GTID replication: what SHOW SLAVE STATUS says about a replica, and how a
// replica is pointed at the promoted node. No binlog file names or
// positions anywhere: MASTER_USE_GTID=slave_pos finds the place by itself.

import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import type { MariadbParams } from './params.js';
import type { Row, Sql } from './sql.js';

/** Client errors of an IO thread that cannot reach its primary (CR_CONN_HOST_ERROR, ...). */
const UNREACHABLE = new Set([2003, 2005, 2006, 2013, 2002]);

export type Replica =
  | { readonly kind: 'none' }
  | { readonly kind: 'healthy'; readonly host: string; readonly port: number; readonly lag: number | undefined }
  | { readonly kind: 'unreachable'; readonly host: string; readonly port: number; readonly errno: number; readonly problem: string }
  | { readonly kind: 'broken'; readonly host: string; readonly port: number; readonly errno: number; readonly problem: string };

const str = (r: Row, k: string): string => String(r[k] ?? '');
const num = (r: Row, k: string): number => Number(r[k] ?? 0);

export async function replicaStatus(sql: Sql): Promise<Replica> {
  const rows = await sql.query('SHOW SLAVE STATUS');
  const r = rows[0];
  if (r === undefined || str(r, 'Master_Host') === '') return { kind: 'none' };
  const host = str(r, 'Master_Host');
  const port = num(r, 'Master_Port');
  const where = `${host}:${port}`;
  const sqlRunning = str(r, 'Slave_SQL_Running');
  const ioRunning = str(r, 'Slave_IO_Running');
  if (num(r, 'Last_SQL_Errno') !== 0) {
    return { kind: 'broken', host, port, errno: num(r, 'Last_SQL_Errno'), problem: `replication from ${where} stopped: SQL thread error ${num(r, 'Last_SQL_Errno')}: ${str(r, 'Last_SQL_Error')}` };
  }
  if (sqlRunning !== 'Yes') return { kind: 'broken', host, port, errno: 0, problem: `replication from ${where} is stopped (SQL thread not running)` };
  const ioErrno = num(r, 'Last_IO_Errno');
  if (ioRunning !== 'Yes') {
    if (UNREACHABLE.has(ioErrno) || (ioRunning === 'Connecting' && ioErrno === 0)) {
      return { kind: 'unreachable', host, port, errno: ioErrno, problem: `promoted node ${where} unreachable: ${str(r, 'Last_IO_Error') || 'connecting'}` };
    }
    if (ioErrno !== 0) {
      const hint = ioErrno === 1045 ? ' (check replication_user and replication_passwd)' : '';
      return { kind: 'broken', host, port, errno: ioErrno, problem: `replication from ${where} stopped: IO thread error ${ioErrno}: ${str(r, 'Last_IO_Error')}${hint}` };
    }
    return { kind: 'broken', host, port, errno: 0, problem: `replication from ${where} is stopped (IO thread not running)` };
  }
  const lag = r.Seconds_Behind_Master === null || r.Seconds_Behind_Master === undefined ? undefined : num(r, 'Seconds_Behind_Master');
  return { kind: 'healthy', host, port, lag };
}

function sslOptions(p: MariadbParams): { sql: string; values: string[] } {
  if (!p.replication_require_ssl) return { sql: '', values: [] };
  const parts = [', MASTER_SSL=1'];
  const values: string[] = [];
  for (const [opt, v] of [['MASTER_SSL_CA', p.replication_master_ssl_ca], ['MASTER_SSL_CERT', p.replication_master_ssl_cert], ['MASTER_SSL_KEY', p.replication_master_ssl_key]] as const) {
    if (v) {
      parts.push(`, ${opt}=?`);
      values.push(v);
    }
  }
  return { sql: parts.join(''), values };
}

/**
 * Replicates from host:port, continuing from this server's own GTID
 * position (gtid_current_pos: what it applied or, as a former primary,
 * wrote itself).
 */
export async function replicateFrom(sql: Sql, host: string, p: MariadbParams, ctx: OcfContext): Promise<void> {
  const port = Number(p.replication_port);
  await sql.query('STOP SLAVE');
  await sql.query('SET GLOBAL gtid_slave_pos = @@gtid_current_pos');
  const ssl = sslOptions(p);
  await sql.query(
    `CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos${ssl.sql}`,
    [host, port, p.replication_user, p.replication_passwd, ...ssl.values],
  );
  await sql.query('START SLAVE');
  ctx.log.info(`replicating from ${host}:${port} (GTID, slave_pos)`);
}

/** Until the IO thread has connected, or fails for good; bounded by `ms`. */
export async function awaitConnected(sql: Sql, ms: number, ctx: OcfContext): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const st = await replicaStatus(sql);
    if (st.kind === 'healthy') return;
    // right after START SLAVE the threads may not run yet: only an error is final
    if (st.kind === 'broken' && (st.errno !== 0 || Date.now() >= until || ctx.remaining() < 500)) throw new OcfError(OCF.ERR_GENERIC, st.problem);
    if (st.kind === 'broken') {
      await ctx.sleep(20);
      continue;
    }
    if (st.kind === 'none') throw new OcfError(OCF.ERR_GENERIC, 'replication is not configured after CHANGE MASTER');
    // a failed attempt is retried only after master_connect_retry (60 s): no use waiting for it
    if (st.errno !== 0 || Date.now() >= until || ctx.remaining() < 500) throw new OcfError(OCF.ERR_GENERIC, st.problem);
    await ctx.sleep(20);
  }
}

/** A former replica stops replicating, after applying everything it received. */
export async function stopReplicating(sql: Sql, ctx: OcfContext): Promise<void> {
  const rows = await sql.query('SHOW SLAVE STATUS');
  const r = rows[0];
  if (r !== undefined && str(r, 'Master_Host') !== '') {
    await sql.query('STOP SLAVE IO_THREAD');
    const received = str((await sql.query('SHOW SLAVE STATUS'))[0] ?? {}, 'Gtid_IO_Pos');
    if (received !== '' && str(r, 'Slave_SQL_Running') === 'Yes') {
      const secs = Math.max(0, Math.floor((ctx.remaining() - 1000) / 1000));
      const w = await sql.query('SELECT MASTER_GTID_WAIT(?, ?) AS w', [received, secs]);
      if (Number(w[0]?.w) !== 0) ctx.log.warn(`relay log not fully applied up to ${received} within ${secs} s`);
    }
  }
  await sql.query('STOP SLAVE');
  await sql.query('RESET SLAVE ALL');
}

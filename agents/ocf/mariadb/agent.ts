// ocf:palisade:mariadb (also installed as ocf:palisade:mysql), parameter-
// compatible with ocf:heartbeat:mysql: one MariaDB/MySQL server, standalone
// or as a promotable clone with GTID replication. SQL goes through the
// mariadb connector over the server's socket; no client program is forked.

import { fs } from '../framework/_builtins.js';
import { defineAgent, type OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { setPromotionScore } from '../framework/promotion.js';
import { lookup } from './account.js';
import { gtidAttribute, isPromotable, promotedNode, setNodeAttribute } from './cluster.js';
import { params, type MariadbParams } from './params.js';
import { serverState, socketProblem, type ServerState } from './server.js';
import { agentLogin, withSql, type Login, type Sql } from './sql.js';
import type { Owner } from './start.js';

async function owner(p: MariadbParams, ctx: OcfContext): Promise<Owner> {
  const user = await lookup('passwd', p.user, ctx);
  if (!user) throw new OcfError(OCF.ERR_INSTALLED, `user ${p.user} does not exist (parameter user)`);
  const group = await lookup('group', p.group, ctx);
  if (!group) throw new OcfError(OCF.ERR_INSTALLED, `group ${p.group} does not exist (parameter group)`);
  return { user, group };
}

function testLogin(p: MariadbParams): Login {
  return { socket: p.socket, user: p.test_user, password: p.test_passwd, params: 'test_user and test_passwd' };
}

async function testQuery(p: MariadbParams, sql: Sql): Promise<void> {
  await sql.query(`SELECT COUNT(*) AS n FROM ${p.test_table}`);
}

/** The stale pid file and socket of a server that is gone. */
function clearStale(p: MariadbParams, st: ServerState): void {
  if (st.kind === 'stopped' && st.pid !== undefined) {
    fs.rmSync(p.pid, { force: true });
    fs.rmSync(p.socket, { force: true });
  }
}

/** A stopped or stopping instance is no candidate: no score, not readable, no published position. */
async function withdraw(p: MariadbParams, ctx: OcfContext): Promise<void> {
  await setPromotionScore(ctx, undefined);
  await setNodeAttribute(ctx, p.reader_attribute, '0');
  await setNodeAttribute(ctx, gtidAttribute(ctx), undefined);
}

async function stopped(p: MariadbParams, st: Extract<ServerState, { kind: 'stopped' }>, ctx: OcfContext): Promise<'stopped'> {
  if (ctx.action === 'stop' || ctx.action === 'start') clearStale(p, st);
  // a stop of a server that is already gone (crashed, killed) still withdraws it, as heartbeat's stop does
  if (ctx.action === 'stop' && isPromotable(ctx)) await withdraw(p, ctx);
  if (ctx.action !== 'monitor') return 'stopped';
  if (isPromotable(ctx)) await setPromotionScore(ctx, undefined);
  if (!ctx.isProbe && st.why === 'no-process') {
    // 7 as OCF wants, with a reason: the server was running and is gone
    throw new OcfError(OCF.NOT_RUNNING, `server pid ${st.pid} from ${p.pid} is gone (killed or crashed); see ${p.log}`);
  }
  return 'stopped';
}

export const mariadb = defineAgent({
  name: 'mariadb',
  version: '1.0.0',
  shortdesc: 'Manages a MariaDB/MySQL database instance',
  longdesc:
    'Starts, monitors and stops one MariaDB (or MySQL) server, standalone or as a promotable clone ' +
    '(promotable=true notify=true) with GTID replication. Parameter-compatible with ocf:heartbeat:mysql. ' +
    'Monitor depth 0 checks the process in the pid file and its socket; depth 10 runs ' +
    'SELECT COUNT(*) FROM test_table as test_user. In a promotable clone every monitor checks replication: a ' +
    'replica whose replication is broken loses its promotion score and fails the monitor. Replicas follow the ' +
    'promoted node (node attribute <resource>_mysql_master_IP, or its node name, on replication_port) with ' +
    'MASTER_USE_GTID=slave_pos on start and on post-promote/post-start notifications. When a transition leaves ' +
    'no promoted node (a crash), each healthy replica publishes its GTID position (<resource>_gtid_seq) in the ' +
    'notification and scores itself by rank, so the replica with the most data is promoted; a promote of a ' +
    'node behind another waits 10 s for it, then refuses. Demote sets read_only ' +
    'and ends user sessions. Stop runs SHUTDOWN, then SIGTERM, then SIGKILL within the stop timeout. SQL goes ' +
    'through the mariadb connector over the socket: no password on any command line.',
  params,
  actions: [
    { name: 'start', timeout: 120 },
    { name: 'stop', timeout: 120 },
    { name: 'status', timeout: 60 },
    { name: 'monitor', timeout: 30, interval: 20, depth: 0 },
    { name: 'monitor', timeout: 30, interval: 10, depth: 0, role: 'Promoted' },
    { name: 'monitor', timeout: 30, interval: 30, depth: 0, role: 'Unpromoted' },
    { name: 'promote', timeout: 120 },
    { name: 'demote', timeout: 120 },
    { name: 'notify', timeout: 90 },
    { name: 'validate-all', timeout: 5 },
    { name: 'meta-data', timeout: 5 },
  ],

  async validate(p, ctx) {
    // stop needs only the pid file and socket: a broken configuration must not make it a no-op
    if (ctx.action === 'stop') return;
    if (ctx.findBinary(p.binary) === undefined) {
      throw new OcfError(OCF.ERR_INSTALLED, `server binary ${p.binary} not found or not executable (parameter binary)`);
    }
    if (!fs.existsSync(p.config)) throw new OcfError(OCF.ERR_INSTALLED, `config file ${p.config} does not exist (parameter config)`);
    if (!fs.existsSync(p.datadir) && !p.enable_creation) {
      throw new OcfError(OCF.ERR_INSTALLED, `datadir ${p.datadir} does not exist (parameter datadir); create it or set enable_creation=1`);
    }
    await owner(p, ctx);
    if (isPromotable(ctx) && !/^(true|yes|1|on)$/i.test(ctx.meta.notify ?? '')) {
      throw new OcfError(OCF.ERR_CONFIGURED, 'a promotable mariadb clone needs notify=true: replicas follow the promoted node on notifications');
    }
  },

  async observe(p, ctx) {
    const st = serverState(p.pid);
    if (st.kind === 'stopped') return stopped(p, st, ctx);
    // start waits for readiness itself; stop acts on the process
    if (ctx.action === 'start' || ctx.action === 'stop') return 'running';
    const promotable = isPromotable(ctx);
    // outside a promotable clone a server has no role: promote and demote succeed and change nothing
    if (!promotable && ctx.action === 'promote') return 'promoted';
    if (!promotable && ctx.action === 'demote') return 'running';
    const problem = socketProblem(p.socket);
    if (problem !== undefined) throw new OcfError(OCF.ERR_GENERIC, `server pid ${st.pid} runs, but ${problem}`);
    const deep = ctx.action === 'monitor' && (ctx.checkLevel >= 10 || promotable);
    if (!promotable && !deep) return 'running';
    const roles = await import('./roles.js');
    const login = agentLogin(p);
    const same = p.test_user === login.user && p.test_passwd === login.password;
    const role = !promotable
      ? 'running'
      : await withSql(login, ctx, async (sql) => {
          const r = ctx.action === 'monitor' ? await roles.monitorRole(p, sql, ctx) : (await roles.readOnly(sql)) ? 'running' : 'promoted';
          if (deep && same) await testQuery(p, sql);
          return r;
        });
    if (deep && !(promotable && same)) {
      try {
        await withSql(testLogin(p), ctx, (sql) => testQuery(p, sql));
      } catch (e) {
        if (role === 'promoted' && e instanceof OcfError) throw new OcfError(OCF.FAILED_PROMOTED, e.message, { cause: e });
        throw e;
      }
    }
    return role;
  },

  async start(p, ctx) {
    const { startServer } = await import('./start.js');
    const promotable = isPromotable(ctx);
    await startServer(p, await owner(p, ctx), promotable, ctx);
    if (!promotable) return;
    try {
      const { afterStart } = await import('./roles.js');
      await withSql(agentLogin(p), ctx, (sql) => afterStart(p, sql, ctx));
    } catch (e) {
      // nothing is left half-started: the server goes down again
      const st = serverState(p.pid);
      if (st.kind === 'running') await (await import('./stop.js')).stopServer(p, st.proc, false, ctx).catch(() => undefined);
      throw e;
    }
  },

  async stop(p, ctx) {
    const promotable = isPromotable(ctx);
    if (promotable) await withdraw(p, ctx);
    const st = serverState(p.pid);
    if (st.kind === 'running') await (await import('./stop.js')).stopServer(p, st.proc, promotable, ctx);
  },

  async promote(p, ctx) {
    const { promote } = await import('./roles.js');
    await withSql(agentLogin(p), ctx, (sql) => promote(p, sql, ctx));
  },

  async demote(p, ctx) {
    const { demote } = await import('./roles.js');
    await withSql(agentLogin(p), ctx, (sql) => demote(p, sql, ctx));
  },

  // a notify must not fail (Pacemaker ignores its result): problems are logged, the next monitor reports them
  async notify(p, ctx) {
    if (!isPromotable(ctx)) return;
    const type = ctx.meta.notify_type;
    const op = ctx.meta.notify_operation;
    // no promoted node after this transition: rank for the promotion to come
    const rank = promotedNode(ctx) === undefined;
    if (!rank && (type !== 'post' || (op !== 'promote' && op !== 'start'))) return;
    if (serverState(p.pid).kind !== 'running') return;
    try {
      const { notifyFollow, notifyRank } = await import('./roles.js');
      await withSql(agentLogin(p), ctx, (sql) => (rank ? notifyRank(sql, ctx) : notifyFollow(p, sql, ctx)));
    } catch (e) {
      ctx.log.error(`${type}-${op} notification: ${e instanceof Error ? e.message : String(e)}`);
    }
  },
});

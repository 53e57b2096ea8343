// The promotable clone: role from read_only, promotion scores and the reader
// attribute from the replica's health, promote/demote, and pointing replicas
// at the promoted node. Scores use heartbeat mysql's values: 1 for a
// started or healthy replica, max_slave_lag + 1 for the promoted node, none
// for a replica whose replication is broken, so it is never promoted while
// a healthy candidate exists (ClusterLabs/resource-agents#1377, #1005).
// Beyond heartbeat: once the promoted node is unreachable, the replicas'
// data no longer changes, and each ranks itself by its GTID position
// against the others' (published as node attributes): the one with the most
// data gets the highest score, and the scores stay put.

import type { Observed, OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { setPromotionScore } from '../framework/promotion.js';
import { clusterNodes, gtidAttribute, localNode, nodeAttribute, promotedNode, replicationHost, setNodeAttribute } from './cluster.js';
import type { MariadbParams } from './params.js';
import { awaitConnected, replicaStatus, replicateFrom, stopReplicating } from './replication.js';
import type { Sql } from './sql.js';

export const REPLICA_SCORE = 1;
export const promotedScore = (p: MariadbParams): number => p.max_slave_lag + 1;

export async function readOnly(sql: Sql): Promise<boolean> {
  const r = await sql.query('SELECT @@global.read_only AS ro');
  return Number(r[0]?.ro) !== 0;
}

/** The promotable monitor: role, scores and reader attribute; a broken replica fails it. */
export async function monitorRole(p: MariadbParams, sql: Sql, ctx: OcfContext): Promise<Observed> {
  if (!(await readOnly(sql))) {
    await setPromotionScore(ctx, promotedScore(p));
    await setNodeAttribute(ctx, p.reader_attribute, '1');
    return 'promoted';
  }
  const st = await replicaStatus(sql);
  switch (st.kind) {
    case 'none':
      // started, not yet pointed anywhere: a candidate, but not a reader
      await setPromotionScore(ctx, REPLICA_SCORE);
      await setNodeAttribute(ctx, p.reader_attribute, '0');
      return 'running';
    case 'unreachable':
      // the promoted node is gone, not this replica: it stays a candidate for promotion
      ctx.log.warn(st.problem);
      await setPromotionScore(ctx, await rankedScore(sql, ctx));
      await setNodeAttribute(ctx, p.reader_attribute, '0');
      return 'running';
    case 'broken':
      await setPromotionScore(ctx, undefined);
      await setNodeAttribute(ctx, p.reader_attribute, '0');
      throw new OcfError(OCF.ERR_GENERIC, `${st.problem}; promotion score removed`);
    case 'healthy': {
      const lagging = st.lag !== undefined && st.lag > p.max_slave_lag;
      if (lagging && p.evict_outdated_slaves) {
        await setPromotionScore(ctx, undefined);
        await setNodeAttribute(ctx, p.reader_attribute, '0');
        throw new OcfError(OCF.ERR_INSTALLED, `replica is ${st.lag} s behind ${st.host}:${st.port}, more than max_slave_lag ${p.max_slave_lag}, and evict_outdated_slaves is set`);
      }
      await setPromotionScore(ctx, REPLICA_SCORE);
      await setNodeAttribute(ctx, p.reader_attribute, lagging ? '0' : '1');
      return 'running';
    }
  }
}

/** The sum of the sequence numbers of a GTID position ("0-1-57,1-2-3" -> 60). */
export function gtidSeq(pos: string): number {
  return pos.split(',').filter(Boolean).reduce((sum, g) => sum + Number(g.trim().split('-')[2] ?? 0), 0);
}

/**
 * 2 + the number of other nodes that published a lower GTID position:
 * monotonic in this replica's own position, so the order among replicas
 * holds even when a stale value of some node is still published.
 */
async function rankedScore(sql: Sql, ctx: OcfContext): Promise<number> {
  const mine = await ownSeq(sql);
  const attr = gtidAttribute(ctx);
  await setNodeAttribute(ctx, attr, String(mine));
  const me = await localNode(ctx);
  let lower = 0;
  for (const node of await clusterNodes(ctx)) {
    if (node === me) continue;
    const theirs = Number(await nodeAttribute(ctx, attr, 'reboot', node));
    if (Number.isFinite(theirs) && theirs < mine) lower++;
  }
  return REPLICA_SCORE + 1 + lower;
}

/** A server_id from the node name (FNV-1a), never 0 or the default 1. */
export function serverIdFor(node: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(node, 'utf8')) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return (h % 0xfffffffd) + 2;
}

/** Replicate from the promoted node unless already doing so; false when there is none to follow. */
async function follow(p: MariadbParams, sql: Sql, ctx: OcfContext, waitMs: number): Promise<boolean> {
  const primary = promotedNode(ctx);
  if (primary === undefined || primary === (await localNode(ctx))) return false;
  const host = await replicationHost(ctx, primary);
  const st = await replicaStatus(sql);
  if (st.kind !== 'none' && st.kind !== 'broken' && st.host === host && st.port === Number(p.replication_port)) return true;
  await replicateFrom(sql, host, p, ctx);
  if (waitMs > 0) await awaitConnected(sql, waitMs, ctx);
  return true;
}

/** After the server came up as a promotable instance: checks, identity, replication, score. */
export async function afterStart(p: MariadbParams, sql: Sql, ctx: OcfContext): Promise<void> {
  const [v] = await sql.query('SELECT @@global.log_bin AS log_bin, @@global.server_id AS server_id');
  if (Number(v?.log_bin) === 0) {
    throw new OcfError(OCF.ERR_CONFIGURED, `a promotable clone needs binary logging: set log_bin (and log_slave_updates) in ${p.config}`);
  }
  if (Number(v?.server_id) === 1) {
    // the default, the same on every node: a replica would skip its primary's events as its own
    const id = serverIdFor(await localNode(ctx));
    await sql.query(`SET GLOBAL server_id = ${id}`);
    ctx.log.info(`server_id not configured; using ${id}, derived from the node name`);
  }
  await setNodeAttribute(ctx, p.reader_attribute, '0');
  if (!(await follow(p, sql, ctx, Math.min(10_000, ctx.remaining() / 2)))) {
    // no promoted node yet (a cold start): a replication set-up from before the restart, idle under
    // --skip-slave-start, would read as stopped replication; the position stays in gtid_slave_pos
    await sql.query('STOP SLAVE');
    await sql.query('RESET SLAVE ALL');
  }
  await setPromotionScore(ctx, REPLICA_SCORE);
}

/** current_pos: what this server applied as a replica or wrote itself as a former primary. */
async function ownSeq(sql: Sql): Promise<number> {
  const [r] = await sql.query('SELECT @@global.gtid_current_pos AS pos');
  return gtidSeq(String(r?.pos ?? ''));
}

/** The other node that published the highest GTID position (notifyRank, monitorRole), if any. */
async function bestPublished(ctx: OcfContext): Promise<{ node: string; seq: number } | undefined> {
  const attr = gtidAttribute(ctx);
  const me = await localNode(ctx);
  let best: { node: string; seq: number } | undefined;
  for (const node of await clusterNodes(ctx)) {
    if (node === me) continue;
    const seq = Number(await nodeAttribute(ctx, attr, 'reboot', node));
    if (Number.isFinite(seq) && (best === undefined || seq > best.seq)) best = { node, seq };
  }
  return best;
}

/**
 * Pacemaker may pick this node before the replicas' ranking reached it (all
 * scores equal, one notification round): a replica that another one has
 * published more data than (in the pre-promote notification every
 * candidate publishes) applies what it received for a while, and if it is
 * still behind refuses the promotion with the lowest candidate score, so
 * that the next transition promotes the replica with the most data instead
 * of losing that data.
 */
async function refuseIfBehind(sql: Sql, ctx: OcfContext): Promise<void> {
  const best = await bestPublished(ctx);
  if (best === undefined) return;
  const until = Date.now() + Math.min(10_000, ctx.remaining() / 4);
  let mine = await ownSeq(sql);
  while (mine < best.seq && Date.now() < until) {
    await ctx.sleep(100);
    mine = await ownSeq(sql);
  }
  if (mine >= best.seq) return;
  await setPromotionScore(ctx, REPLICA_SCORE);
  throw new OcfError(OCF.ERR_GENERIC, `${best.node} holds more data (GTID sequence ${best.seq}, here ${mine}): not promoting this node, so that ${best.node} is promoted instead`);
}

export async function promote(p: MariadbParams, sql: Sql, ctx: OcfContext): Promise<void> {
  await refuseIfBehind(sql, ctx);
  await stopReplicating(sql, ctx);
  await sql.query('SET GLOBAL read_only = OFF');
  await setNodeAttribute(ctx, gtidAttribute(ctx), undefined);
  await setPromotionScore(ctx, promotedScore(p));
  await setNodeAttribute(ctx, p.reader_attribute, '1');
}

/** read_only here, not in a notify (ClusterLabs/resource-agents#1006), and no user session left to write. */
export async function demote(p: MariadbParams, sql: Sql, ctx: OcfContext): Promise<void> {
  await sql.query('SET GLOBAL read_only = ON');
  const sessions = await sql.query(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user') " +
      "AND COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', 'Slave_worker')",
  );
  for (const s of sessions) {
    await sql.query(`KILL CONNECTION ${Number(s.id)}`).catch(() => undefined);
  }
  if (sessions.length > 0) ctx.log.info(`demote ended ${sessions.length} user session(s)`);
  await setPromotionScore(ctx, REPLICA_SCORE);
}

/**
 * A notification of a transition that leaves no promoted node (the promoted
 * one crashed or stops, or none ran yet): an unpromoted instance ranks itself
 * now, before Pacemaker picks the node to promote. Its replication threads
 * may not have noticed a dead primary yet (slave_net_timeout), so no monitor
 * would rank it in time, and replicas with equal scores leave the choice to
 * Pacemaker's tie-break. Every instance publishes its position in the first
 * notification round, so the later rounds rank against all of them; a
 * changed score makes Pacemaker plan the promotion again.
 */
export async function notifyRank(sql: Sql, ctx: OcfContext): Promise<void> {
  if (!(await readOnly(sql))) return;
  const st = await replicaStatus(sql);
  // a replica whose replication failed stays without a score (see monitorRole)
  if (st.kind === 'broken') return;
  await setPromotionScore(ctx, await rankedScore(sql, ctx));
}

/** post-promote and post-start: an unpromoted instance follows the promoted node. */
export async function notifyFollow(p: MariadbParams, sql: Sql, ctx: OcfContext): Promise<void> {
  if (!(await readOnly(sql))) {
    const primary = promotedNode(ctx);
    if (primary !== undefined && primary !== (await localNode(ctx))) ctx.log.warn(`this instance is writable but ${primary} is the promoted node`);
    return;
  }
  // wait for the threads to run, so the next monitor does not see them still starting
  await follow(p, sql, ctx, Math.min(5000, ctx.remaining() / 2));
}

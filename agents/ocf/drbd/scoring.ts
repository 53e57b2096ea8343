// Applies the score table: reads the state's flags, asks Pacemaker where the
// promoted instance runs only when that matters, writes the score through
// crm_attribute -p (framework/promotion.ts, only on change), and runs the
// unfence-peer handler when asked.

import type { OcfContext } from '../framework/agent.js';
import { setPromotionScore } from '../framework/promotion.js';
import { flagsOf, type StatusFlags } from './flags.js';
import { DEFAULT_SCORES } from './params.js';
import type { DrbdParams, DrbdResource } from './resource.js';
import { decideScore, needsLocate, parseScale, type RemoveIfPeerPrimary, type ScoreScale } from './score.js';
import type { DrbdResourceState } from './state.js';
import { localNodeName, promotedElsewhere } from './pacemaker.js';
import { promotedMax } from './validate.js';

function scaleOf(p: DrbdParams, ctx: OcfContext): ScoreScale {
  const s = parseScale(p.adjust_master_score);
  if (s) return s;
  ctx.log.error(`BAD adjust_master_score '${p.adjust_master_score}' (want four non-decreasing integers); falling back to '${DEFAULT_SCORES}'`);
  return parseScale(DEFAULT_SCORES)!;
}

function removeMode(v: string): RemoveIfPeerPrimary {
  if (/^unexpected$/i.test(v)) return 'unexpected';
  return /^(yes|true|1|on|ja|y)$/i.test(v) ? 'yes' : 'no';
}

/** A Primary peer Pacemaker does not know about, with promoted-max 1 (drbd.ocf unexpected_primary_rejects_promote). */
export async function unexpectedPrimary(f: StatusFlags, ctx: OcfContext): Promise<boolean> {
  if (promotedMax(ctx) !== 1 || f.primary || !f.somePeerPrimary) return false;
  return (await promotedElsewhere(ctx)) === undefined;
}

export async function rescore(p: DrbdParams, res: DrbdResource, st: DrbdResourceState, ctx: OcfContext): Promise<void> {
  const f = flagsOf(st);
  const o = { scale: scaleOf(p, ctx), removeIfPeerPrimary: removeMode(p.remove_master_score_if_peer_primary), unfenceIfAllUpToDate: p.unfence_if_all_uptodate };
  const d = decideScore(f, o, needsLocate(f, o) ? await unexpectedPrimary(f, ctx) : false);
  ctx.log.debug(`promotion score: ${d.kind}${d.kind === 'set' ? ` ${d.score}` : ''} (${d.why})`);
  if (d.kind === 'keep') return;
  await setPromotionScore(ctx, d.kind === 'set' ? d.score : undefined);
  if (d.kind === 'set' && d.unfence) {
    const r = await res.drbdadm(['unfence-peer', res.name], { env: { OCF_RESKEY_unfence_extra_args: p.unfence_extra_args }, timeoutMs: 30_000 });
    if (r.exitCode !== 0) ctx.log.warn(`drbdadm unfence-peer ${res.name} exited ${r.exitCode ?? r.signal}`);
  }
}

/**
 * drbd.ocf maybe_outdate_self: with stop_outdates_secondary, a Secondary that
 * knows (from the notification variables) another promoted node marks its
 * own data Outdated. Returns whether it did.
 */
export async function maybeOutdateSelf(p: DrbdParams, res: DrbdResource, st: DrbdResourceState, ctx: OcfContext): Promise<boolean> {
  if (!p.stop_outdates_secondary) return false;
  const me = localNodeName(ctx).toLowerCase();
  const list = (k: string) => (ctx.meta[k] ?? '').split(/\s+/).filter(Boolean);
  const promoted = [...list('notify_master_uname'), ...list('notify_promoted_uname')];
  const host = promoted.find((h) => h.toLowerCase() !== me);
  if (host === undefined || list('notify_stop_uname').includes(host)) return false;
  if (st.role === 'Primary') {
    ctx.log.error(`resource internal SPLIT BRAIN: both ${me} and ${host} are Primary for ${res.name}, but the replication link is down!`);
    return false;
  }
  ctx.log.info(`outdating ${res.name}: according to the notification variables, '${host}' is still promoted`);
  const r = await res.drbdadm(['outdate', res.name], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) ctx.log.warn(`drbdadm outdate ${res.name} exited ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
  await setPromotionScore(ctx, undefined);
  return true;
}

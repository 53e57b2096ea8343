// Promotion scores for promotable clones, through `crm_attribute -p` (the
// form ocf_promotion_score uses since crm_feature_set 3.10; crm_master is
// deprecated, ClusterLabs/resource-agents#1806). The attribute lives until
// the node reboots, as Pacemaker expects of promotion scores.
//
// A score is written only when it differs from the last one this agent
// wrote on this node, so a steady monitor causes no CIB writes and no
// transitions (ClusterLabs/resource-agents#1850: bouncing scores).

import type { OcfContext } from './agent.js';
import { OCF, OcfError } from './exit.js';

/** The attribute's resource: the clone's primitive, without ":N". */
function resourceName(ctx: OcfContext): string {
  return ctx.instance.replace(/:\d+$/, '');
}

async function crmAttribute(ctx: OcfContext, args: readonly string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  const bin = ctx.findBinary('crm_attribute');
  if (!bin) throw new OcfError(OCF.ERR_INSTALLED, 'crm_attribute not found in PATH: install pacemaker-cli-utils');
  const r = await ctx.run(bin, ['-p', resourceName(ctx), '-l', 'reboot', ...args], { timeoutMs: 10_000 });
  return { code: r.exitCode, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** The promotion score on this node, or undefined when none is set. */
export async function readPromotionScore(ctx: OcfContext): Promise<number | undefined> {
  const r = await crmAttribute(ctx, ['-G', '-q']);
  if (r.code !== 0 || r.out === '') return undefined;
  const n = Number(r.out);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Sets this node's promotion score; a score of 0 or less, or undefined,
 * removes it (as crm_master callers do: no score means "never promote here").
 */
export async function setPromotionScore(ctx: OcfContext, score: number | undefined): Promise<void> {
  const current = await readPromotionScore(ctx);
  if (score === undefined || score <= 0) {
    if (current === undefined) return;
    const r = await crmAttribute(ctx, ['-D']);
    if (r.code !== 0) ctx.log.warn(`could not remove the promotion score of ${resourceName(ctx)}: ${r.err || `exit ${r.code}`}`);
    return;
  }
  if (current === score) return;
  const r = await crmAttribute(ctx, ['-v', String(score)]);
  if (r.code !== 0) ctx.log.warn(`could not set the promotion score of ${resourceName(ctx)} to ${score}: ${r.err || `exit ${r.code}`}`);
}

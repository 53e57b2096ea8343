// stop (drbd.ocf drbd_stop): demote if Primary, `drbdsetup down` until the
// kernel no longer knows the resource, within the stop deadline; then
// (stopTail) outdate self if asked, and remove the promotion score, also
// when the resource was not running.

import type { OcfContext } from '../framework/agent.js';
import { setPromotionScore } from '../framework/promotion.js';
import { failureOf, type DrbdParams, type DrbdResource } from './resource.js';
import { retryUntilDeadline } from './retry.js';
import { maybeOutdateSelf } from './scoring.js';
import type { DrbdResourceState } from './state.js';

export async function stopDrbd(res: DrbdResource, ctx: OcfContext): Promise<void> {
  let problem = '';
  await retryUntilDeadline(
    ctx,
    `stop of DRBD resource ${res.name}`,
    async (n) => {
      const st = n === 0 ? await res.lastOrState() : await res.state();
      if (!st.configured) return true;
      if (st.role === 'Primary') {
        ctx.log.warn(`${res.name} still Primary, demoting`);
        // drbdsetup, not drbdadm: stop must work even when the config lost the resource
        const s = await res.drbdsetup(['secondary', res.name]);
        if (s.exitCode !== 0) {
          problem = failureOf(s);
          return false;
        }
      }
      const r = await res.drbdsetup(['down', res.name]);
      if (r.exitCode === 0) return true;
      problem = failureOf(r);
      return false;
    },
    () => problem,
  );
}

/** After a stop (or on a stopped resource): outdate self if asked, drop the score. */
export async function stopTail(p: DrbdParams, res: DrbdResource, st: DrbdResourceState, wasStopped: boolean, ctx: OcfContext): Promise<void> {
  // deconfigured but not yet removed: one more down, result ignored (as drbd.ocf)
  if (wasStopped && res.kernel.loaded) await res.drbdsetup(['down', res.name], { timeoutMs: 15_000 });
  await maybeOutdateSelf(p, res, st, ctx);
  await setPromotionScore(ctx, undefined);
}

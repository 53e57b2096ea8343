// promote and demote (drbd.ocf drbd_promote/drbd_demote): `drbdadm primary`
// retried with back-off until the promote timeout, except exit 17 (no access
// to UpToDate data), which no retry can fix: it fails at once. No anti-flap
// sleep after a failure: Pacemaker's failure handling (migration-threshold,
// failure-timeout) is the place for that.

import type { OcfContext } from '../framework/agent.js';
import { setPromotionScore } from '../framework/promotion.js';
import { OCF, OcfError } from '../framework/exit.js';
import { flagsOf } from './flags.js';
import { failureOf, lastLine, type DrbdParams, type DrbdResource } from './resource.js';
import { retryUntilDeadline } from './retry.js';
import { unexpectedPrimary } from './scoring.js';

/** drbdsetup's exit code for "(-2) Need access to UpToDate data". */
export const NO_UPTODATE_DATA = 17;

export async function promoteDrbd(p: DrbdParams, res: DrbdResource, ctx: OcfContext): Promise<void> {
  let problem = '';
  await retryUntilDeadline(
    ctx,
    `promote of DRBD resource ${res.name}`,
    async (n) => {
      const st = n === 0 ? await res.lastOrState() : await res.state();
      if (!st.configured) throw new OcfError(OCF.ERR_GENERIC, `cannot promote ${res.name}: the resource was not started`);
      if (st.role === 'Primary') return true;
      if (n > 0 && p.fail_promote_early_if_peer_primary && (await unexpectedPrimary(flagsOf(st), ctx))) {
        await setPromotionScore(ctx, undefined);
        throw new OcfError(OCF.ERR_GENERIC, `Peer node already/still Primary for ${res.name} (fail_promote_early_if_peer_primary)`);
      }
      const r = await res.drbdadm(['primary', res.name]);
      if (r.exitCode === 0) return true;
      if (r.exitCode === NO_UPTODATE_DATA) {
        throw new OcfError(OCF.ERR_GENERIC, `Refusing to be promoted to Primary without access to UpToDate data (${lastLine(r)})`);
      }
      problem = failureOf(r);
      return false;
    },
    () => problem,
  );
  if (p.connect_only_after_promote) await res.drbdadm(['-v', 'adjust', res.name]);
}

export async function demoteDrbd(res: DrbdResource, ctx: OcfContext): Promise<void> {
  let problem = '';
  await retryUntilDeadline(
    ctx,
    `demote of DRBD resource ${res.name}`,
    async (n) => {
      const st = n === 0 ? await res.lastOrState() : await res.state();
      if (st.role !== 'Primary') return true;
      const r = await res.drbdadm(['secondary', res.name]);
      if (r.exitCode === 0) return true;
      problem = failureOf(r);
      return false;
    },
    () => problem,
  );
}

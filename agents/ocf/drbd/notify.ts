// notify (drbd.ocf drbd_notify), which never fails: on start notifications
// re-adjust (reconnects a StandAlone peer), after any operation re-read the
// state, rescore, and outdate self if a peer's disk is unknown and asked to.

import type { OcfContext } from '../framework/agent.js';
import { flagsOf } from './flags.js';
import type { DrbdParams, DrbdResource } from './resource.js';
import { maybeOutdateSelf, rescore } from './scoring.js';

export async function notifyDrbd(p: DrbdParams, res: DrbdResource, ctx: OcfContext): Promise<void> {
  const type = ctx.meta.notify_type ?? '';
  const op = ctx.meta.notify_operation ?? '';
  try {
    if (op === 'start' && !p.connect_only_after_promote) {
      // a stopped instance stays stopped: adjust would bring it up behind Pacemaker's back
      if ((await res.state()).configured) await res.drbdadm(['-v', 'adjust', res.name]);
    }
    if (type === 'post') {
      const st = await res.state();
      await rescore(p, res, st, ctx);
      if (flagsOf(st).pdskAnyUnknown) await maybeOutdateSelf(p, res, st, ctx);
    }
  } catch (e) {
    ctx.log.warn(`notify ${type}-${op}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ocf:palisade:drbd, parameter-compatible with ocf:linbit:drbd (drbd-utils
// 9.22): one DRBD resource under a promotable clone. State comes from
// `drbdsetup events2 --now` (DRBD 9) or `drbdsetup sh-status` (8.4); the
// promotion score follows LINBIT's table and is written with crm_attribute -p.

import { defineAgent } from '../framework/agent.js';
import { params } from './params.js';
import { resourceOf } from './resource.js';
import { validateDrbd } from './validate.js';

export const drbd = defineAgent({
  name: 'drbd',
  version: '1.0.0',
  shortdesc: 'Manages a DRBD device as a promotable clone',
  longdesc:
    'Brings a DRBD resource up and down, connects it to its peers, promotes and demotes it, and publishes a ' +
    'promotion score so that Pacemaker promotes the node with the best data. Parameter-compatible with ' +
    'ocf:linbit:drbd (drbd-utils 9.22). Run it as a promotable clone with promoted-max=1, ' +
    'promoted-node-max=1, clone-max=2, clone-node-max=1 and notify=true, with one monitor per role ' +
    '(different intervals). Works with DRBD 9 (drbdsetup events2) and 8.4 (drbdsetup sh-status) kernel modules. ' +
    'Promote fails at once when DRBD refuses for lack of UpToDate data (exit 17) and otherwise retries ' +
    'within the promote timeout.',
  params,
  actions: [
    { name: 'start', timeout: 240 },
    { name: 'promote', timeout: 90 },
    { name: 'demote', timeout: 90 },
    { name: 'notify', timeout: 90 },
    { name: 'stop', timeout: 100 },
    { name: 'reload', timeout: 30 },
    { name: 'monitor', timeout: 20, interval: 20, role: 'Unpromoted' },
    { name: 'monitor', timeout: 20, interval: 10, role: 'Promoted' },
    { name: 'validate-all', timeout: 10 },
    { name: 'meta-data', timeout: 5 },
  ],
  binaries: ['drbdadm', 'drbdsetup'],

  async validate(p, ctx) {
    await validateDrbd(p, ctx);
  },

  async observe(p, ctx) {
    const res = resourceOf(ctx);
    const st = await res.state();
    if (ctx.action === 'monitor' && !(ctx.isProbe && !st.configured)) {
      await (await import('./scoring.js')).rescore(p, res, st, ctx);
    }
    if (ctx.action === 'stop' && !st.configured) {
      await (await import('./stop.js')).stopTail(p, res, st, !handlerRan.has(ctx), ctx);
    }
    if (!st.configured) return 'stopped';
    if (ctx.action === 'start' && !handlerRan.has(ctx)) {
      // start of a running instance: as drbd.ocf, end unpromoted, (re)connect and score
      handlerRan.add(ctx);
      if (st.role === 'Primary') {
        ctx.log.warn(`${res.name} already Primary, demoting`);
        await (await import('./roles.js')).demoteDrbd(res, ctx);
      }
      await (await import('./start.js')).connectAndScore(p, res, ctx);
      return 'running';
    }
    return st.role === 'Primary' ? 'promoted' : 'running';
  },

  async start(p, ctx) {
    handlerRan.add(ctx);
    await (await import('./start.js')).startDrbd(p, resourceOf(ctx), ctx);
  },

  async stop(_p, ctx) {
    handlerRan.add(ctx);
    await (await import('./stop.js')).stopDrbd(resourceOf(ctx), ctx);
  },

  async promote(p, ctx) {
    await (await import('./roles.js')).promoteDrbd(p, resourceOf(ctx), ctx);
  },

  async demote(_p, ctx) {
    await (await import('./roles.js')).demoteDrbd(resourceOf(ctx), ctx);
  },

  async notify(p, ctx) {
    await (await import('./notify.js')).notifyDrbd(p, resourceOf(ctx), ctx);
  },

  async reload(p, ctx) {
    const res = resourceOf(ctx);
    const st = await res.state();
    if (st.configured) await res.drbdadm(['adjust', res.name]);
    await (await import('./scoring.js')).rescore(p, res, await res.state(), ctx);
  },
});

/**
 * Actions whose start/stop handler ran (or started): observe() then knows
 * whether it sees the state before the handler (an already started/stopped
 * instance, which drbd.ocf still reconnects or downs once more) or after it.
 */
const handlerRan = new WeakSet<object>();

// start (drbd.ocf drbd_start): load the module, create resource and minor,
// attach, connect (first to a peer Pacemaker runs promoted), wait for the
// connection within wfc_timeout and the start deadline, then score.

import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { promotedElsewhere } from './pacemaker.js';
import { lastLine, type DrbdParams, type DrbdResource } from './resource.js';
import { retryUntilDeadline } from './retry.js';
import { rescore } from './scoring.js';

async function loadModule(res: DrbdResource, ctx: OcfContext): Promise<void> {
  const modprobe = ctx.findBinary('modprobe');
  if (!modprobe) throw new OcfError(OCF.ERR_INSTALLED, 'Cannot load the drbd module: modprobe not found in PATH');
  const parms = await res.drbdadm(['sh-mod-parms'], { timeoutMs: 15_000 });
  const extra = parms.exitCode === 0 ? parms.stdout.split(/\s+/).filter(Boolean) : [];
  const r = await ctx.run(modprobe, ['-s', 'drbd', ...extra], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new OcfError(OCF.ERR_INSTALLED, `Cannot load the drbd module: ${lastLine(r)}`);
  res.kernel.loaded = true;
}

/** --wfc-timeout & co. from wfc_timeout (digits only; anything else: no wait). */
function wfcArgs(p: DrbdParams): string[] | undefined {
  const t = p.wfc_timeout.trim();
  if (!/^\d+$/.test(t)) return undefined;
  return [`--wfc-timeout=${t}`, `--degr-wfc-timeout=${t}`, `--outdated-wfc-timeout=${t}`];
}

async function attach(res: DrbdResource): Promise<ReturnType<DrbdResource['drbdadm']>> {
  return res.drbdadm(res.v9 ? ['adjust', '--skip-net', res.name] : ['attach', res.name]);
}

export async function connect(p: DrbdParams, res: DrbdResource, ctx: OcfContext): Promise<void> {
  const wfc = wfcArgs(p);
  const waitOpts = { timeoutMs: wfc ? (Number(p.wfc_timeout) + 5) * 1000 : 1 };
  if (res.v9) {
    const peer = await promotedElsewhere(ctx);
    if (peer !== undefined) {
      await res.drbdadm(['adjust', `${res.name}:${peer}`]);
      const dry = await res.drbdadm(['-d', 'connect', `${res.name}:${peer}`]);
      const line = dry.stdout.split('\n').find((l) => / connect /.test(l));
      if (wfc && line) {
        const [, ...args] = line.trim().replace(' connect ', ' wait-connect-connection ').split(/\s+/);
        await res.drbdsetup([...args, ...wfc], waitOpts);
      }
    }
    const adj = await res.drbdadm(['adjust', res.name]);
    if (adj.exitCode !== 0) ctx.log.warn(`drbdadm adjust ${res.name}: ${lastLine(adj)}`);
    if (wfc) await res.drbdsetup(['wait-connect-resource', res.name, ...wfc], waitOpts);
    return;
  }
  const adj = await res.drbdadm(['adjust', res.name]);
  if (adj.exitCode !== 0) ctx.log.warn(`drbdadm adjust ${res.name}: ${lastLine(adj)}`);
  if (wfc) for (const dev of res.devices) await res.drbdsetup(['wait-connect', dev, ...wfc], waitOpts);
}

export async function startDrbd(p: DrbdParams, res: DrbdResource, ctx: OcfContext): Promise<void> {
  if (!res.kernel.loaded) await loadModule(res, ctx);
  let attachFailures = 0;
  let problem = '';
  await retryUntilDeadline(
    ctx,
    `start of DRBD resource ${res.name}`,
    async (n) => {
      const st = await res.state();
      if (!st.configured) {
        if (n === 0) await res.drbdadm(['check-resize', res.name]);
        for (const step of [['new-resource'], ['new-minor']]) {
          const r = await res.drbdadm([...step, res.name]);
          if (r.exitCode !== 0) {
            problem = `drbdadm ${step[0]} ${res.name}: ${lastLine(r)}`;
            return false;
          }
        }
      } else if (st.role === 'Primary') {
        ctx.log.warn(`${res.name} already Primary, demoting`);
        await res.drbdadm(['secondary', res.name]);
        return false;
      }
      // with a resource and minor, DRBD reports "configured Secondary": attach if the disk is missing
      if (!st.configured || st.devices.some((d) => d.disk === 'Diskless' && !d.client)) {
        const a = await attach(res);
        if (a.exitCode !== 0) {
          problem = `failed to attach: ${lastLine(a)}`;
          if (++attachFailures >= 2) throw new OcfError(OCF.ERR_GENERIC, problem);
          return false;
        }
      }
      return true;
    },
    () => problem,
  );
  await connectAndScore(p, res, ctx);
}

/** The end of every start, also of an already started instance. */
export async function connectAndScore(p: DrbdParams, res: DrbdResource, ctx: OcfContext): Promise<void> {
  if (!p.connect_only_after_promote) await connect(p, res, ctx);
  await rescore(p, res, await res.state(), ctx);
}

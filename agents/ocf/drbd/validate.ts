// drbd.ocf's configuration checks (reference §5 "Validate"): the clone's
// meta attributes, notifications, allow-two-primaries, the config file.

import { fs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { checkVersionBounds, NotInstalledError } from './kernel.js';
import { openResource, type DrbdParams, type DrbdResource } from './resource.js';

const TRUE = /^(yes|true|1|on|ja|y)$/i;

/** Pacemaker 2.1 exports promoted_* and the legacy master_* names; unset counts as 1. */
function metaInt(ctx: OcfContext, ...names: string[]): { value: number; raw: string | undefined } {
  for (const n of names) {
    const raw = ctx.meta[n];
    if (raw !== undefined && raw !== '') return { value: Number(raw), raw };
  }
  return { value: NaN, raw: undefined };
}

function expectMeta(ctx: OcfContext, name: string, aliases: string[], ok: (n: number) => boolean, expected: string, unsetIs?: number): void {
  const m = metaInt(ctx, ...aliases);
  const value = m.raw === undefined && unsetIs !== undefined ? unsetIs : m.value;
  if (Number.isInteger(value) && ok(value)) return;
  throw new OcfError(
    OCF.ERR_CONFIGURED,
    `meta parameter misconfigured, expected ${name} ${expected}, but found ${m.raw ?? 'unset'}: set the clone meta attribute ${name}`,
  );
}

/** promoted-max (legacy master-max), 1 when unset. */
export function promotedMax(ctx: OcfContext): number {
  const m = metaInt(ctx, 'promoted_max', 'master_max');
  return m.raw === undefined ? 1 : m.value;
}

export async function validateDrbd(p: DrbdParams, ctx: OcfContext): Promise<DrbdResource> {
  try {
    fs.accessSync(p.drbdconf, fs.constants.R_OK);
  } catch {
    const problem = `Configuration file ${p.drbdconf} does not exist or is not readable (drbdconf)`;
    // stop still takes down what the kernel runs (drbdsetup needs no config), as drbd.ocf does
    if (ctx.action !== 'stop') throw new NotInstalledError(p.drbdconf, problem);
    ctx.log.warn(problem);
  }
  const res = await openResource(p, ctx);
  checkVersionBounds(res.kernel.code, p.require_drbd_module_version_ge, p.require_drbd_module_version_lt);
  if (ctx.action !== 'stop') {
    expectMeta(ctx, 'clone-node-max', ['clone_node_max'], (n) => n === 1, '= 1', 1);
    expectMeta(ctx, 'promoted-node-max', ['promoted_node_max', 'master_node_max'], (n) => n === 1, '= 1', 1);
    expectMeta(ctx, 'promoted-max', ['promoted_max', 'master_max'], (n) => n <= 2, '<= 2', 1);
    // DRBD 8.4 has one peer; with two Primaries there is no room for a third node either
    if (!res.v9 || promotedMax(ctx) === 2) expectMeta(ctx, 'clone-max', ['clone_max'], (n) => n <= 2, '<= 2');
  }
  if ((ctx.action === 'start' || ctx.action === 'promote') && promotedMax(ctx) > 1) {
    const dump = await res.drbdadm(['-d', '-v', 'dump', res.name], { timeoutMs: 15_000 });
    if (!/^\s*allow-two-primaries(\s+yes)?;$/m.test(dump.stdout)) {
      throw new OcfError(
        OCF.ERR_CONFIGURED,
        `promoted-max > 1, but DRBD resource ${res.name} does not allow-two-primaries: add "allow-two-primaries yes;" to its net section in ${p.drbdconf}`,
      );
    }
  }
  if (!['stop', 'monitor', 'status', 'validate-all'].includes(ctx.action) && !p.ignore_missing_notifications) {
    const notify = TRUE.test(ctx.meta.notify ?? '');
    if (!notify && ctx.meta.notify_start_uname === undefined) {
      throw new OcfError(
        OCF.ERR_CONFIGURED,
        'you really should enable notify when using this RA (clone meta attribute notify=true), or set ignore_missing_notifications=true',
      );
    }
  }
  return res;
}

// One DRBD resource as this invocation sees it: the tools, the kernel
// module, the config, and the commands run on it. Built once per action by
// validate() (resourceOf), reused by the handlers.

import type { OcfContext, RunOptions, RunResult } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { parseEvents2 } from './events2.js';
import { fs } from '../framework/_builtins.js';
import { setPromotionScore } from '../framework/promotion.js';
import { kernelInfo, modinfoCodeOf, versionCode, type KernelInfo } from './kernel.js';
import type { params } from './params.js';
import { parseShStatus } from './sh-status.js';
import { unconfigured, type DrbdResourceState } from './state.js';
import type { ParamValues } from '../framework/params.js';

export type DrbdParams = ParamValues<typeof params>;

export interface DrbdResource {
  readonly name: string;
  readonly kernel: KernelInfo;
  /** DRBD 9 (events2) rather than 8.4 (sh-status) */
  readonly v9: boolean;
  /** device paths from `drbdadm sh-dev` */
  readonly devices: readonly string[];
  /** `drbdadm -c CONF [-S] ARGS` */
  drbdadm(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  drbdsetup(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** The kernel's view of the resource (events2 on DRBD 9, sh-status on 8.4). */
  state(): Promise<DrbdResourceState>;
  /** The state last read in this action (observe() just read it), or a fresh one. */
  lastOrState(): Promise<DrbdResourceState>;
}

const byContext = new WeakMap<OcfContext, DrbdResource>();

/** The loaded module's version code from /proc/drbd ("version: 9.2.12 (api:2/...)"), or 0. */
function procDrbdCode(): number {
  try {
    return modinfoCodeOf(/^version: (\S+)/m.exec(fs.readFileSync('/proc/drbd', 'utf8'))?.[1] ?? '');
  } catch {
    return 0;
  }
}

export function resourceOf(ctx: OcfContext): DrbdResource {
  const r = byContext.get(ctx);
  if (!r) throw new OcfError(OCF.ERR_GENERIC, 'internal error: DRBD resource used before validation');
  return r;
}

function tool(ctx: OcfContext, name: string): string {
  const path = ctx.findBinary(name);
  if (!path) throw new OcfError(OCF.ERR_INSTALLED, `required program '${name}' not found in PATH`);
  return path;
}

/** Status commands are quick; a hung one must not eat the whole operation. */
const STATUS_TIMEOUT_MS = 15_000;

/**
 * Finds the module and the resource's devices. A resource missing from the
 * config is "not running" for a probe (the framework maps any invalid
 * environment to 7 there) and 5 elsewhere.
 */
export async function openResource(p: DrbdParams, ctx: OcfContext): Promise<DrbdResource> {
  const drbdadmBin = tool(ctx, 'drbdadm');
  const drbdsetupBin = tool(ctx, 'drbdsetup');
  const base = ['-c', p.drbdconf];
  // /proc/drbd names the loaded module's version: no `drbdadm --version` needed (a monitor runs often)
  const proc = procDrbdCode();
  const devP = ctx.run(drbdadmBin, [...base, 'sh-dev', p.drbd_resource], { timeoutMs: STATUS_TIMEOUT_MS });
  const verP = proc ? undefined : ctx.run(drbdadmBin, ['--version'], { timeoutMs: STATUS_TIMEOUT_MS });
  const ver = await verP;
  const kernel = proc ? { code: proc, loaded: true } : await kernelInfo(ctx, drbdadmBin, ver?.exitCode === 0 ? ver.stdout : undefined);
  const v9 = kernel.code >= versionCode(9, 0, 0);
  // the state is read while drbdadm parses the config: the first state() answers from it
  let early: Promise<DrbdResourceState> | undefined = kernel.loaded ? readState() : undefined;
  early?.catch(() => {});
  const dev = await devP;
  let stacked = false;
  let devOut = dev;
  if (dev.exitCode !== 0) {
    const st = await ctx.run(drbdadmBin, [...base, '--stacked', 'sh-dev', p.drbd_resource], { timeoutMs: STATUS_TIMEOUT_MS });
    if (st.exitCode !== 0) {
      const detail = (dev.stderr.split('\n').filter((l) => l && !/PRETENDING|__DRBD_NODE__|modinfo:/.test(l)).pop() ?? '').trim();
      const problem = `DRBD resource ${p.drbd_resource} not found in configuration file ${p.drbdconf}${detail ? ` (${detail})` : ''}`;
      // the kernel may still run it: stop goes on with drbdsetup, which needs no config
      if (ctx.action !== 'stop') {
        // as drbd.ocf: a node that cannot find the resource must not be promoted
        if (!ctx.isProbe) await setPromotionScore(ctx, undefined);
        throw new OcfError(OCF.ERR_INSTALLED, problem);
      }
      ctx.log.warn(`${problem}; stopping it with drbdsetup`);
    } else {
      stacked = true;
      devOut = st;
    }
  }
  const prefix = stacked ? [...base, '-S'] : base;
  let last: DrbdResourceState | undefined;

  async function readState(): Promise<DrbdResourceState> {
    const args = v9 ? ['events2', '--now', p.drbd_resource] : ['sh-status', p.drbd_resource];
    // well before the deadline, so that a hung drbdsetup is reported as such
    const r = await ctx.run(drbdsetupBin, args, { timeoutMs: Math.min(STATUS_TIMEOUT_MS, ctx.remaining() * 0.8) });
    if (r.timedOut) throw new OcfError(OCF.ERR_GENERIC, `${r.command} did not answer (hung?): giving up before the operation timeout`);
    // no module (20), or an 8.4 resource drbdsetup does not know: nothing is configured
    if (r.exitCode === 20 || (!v9 && r.exitCode !== 0)) return unconfigured();
    if (r.exitCode !== 0) {
      throw new OcfError(OCF.ERR_GENERIC, `${r.command} failed (exit code ${r.exitCode ?? r.signal}): ${r.stderr.trim() || 'no message'}`);
    }
    return v9 ? parseEvents2(r.stdout, p.drbd_resource) : parseShStatus(r.stdout, p.drbd_resource);
  }

  const res: DrbdResource = {
    name: p.drbd_resource,
    kernel,
    v9,
    devices: devOut.exitCode !== 0 ? [] : devOut.stdout.split('\n').map((l) => l.trim()).filter(Boolean),
    drbdadm: (args, opts) => ctx.run(drbdadmBin, [...prefix, ...args], opts),
    drbdsetup: (args, opts) => ctx.run(drbdsetupBin, args, opts),
    async state() {
      if (!kernel.loaded) return unconfigured();
      const first = early;
      early = undefined;
      last = await (first ?? readState());
      return last;
    },
    lastOrState() {
      return last ? Promise.resolve(last) : res.state();
    },
  };
  byContext.set(ctx, res);
  return res;
}

/** Why a command failed, for exit reasons: it hung, or its last message. */
export function failureOf(r: RunResult): string {
  return r.timedOut ? `${r.command} did not finish` : lastLine(r);
}

/** The last meaningful line drbdadm printed, for exit reasons. */
export function lastLine(r: RunResult): string {
  const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^Command '.*' terminated with exit code/.test(l));
  return lines.pop() ?? `exit code ${r.exitCode ?? r.signal}`;
}

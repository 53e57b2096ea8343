// `palisade list|status|on|off|reboot`: manual fencing through any
// fence-virt daemon (palisaded or fence_virtd), over TCP, or over
// multicast with the daemons calling back, as fence_xvm.
import { FenceCommand, Result } from '../protocol/constants.js';
import { formatHostLine } from '../protocol/host-list.js';
import { fence, type FenceTarget } from '../agents/fence/client.js';
import { readKeyFile } from '../core/key-file.js';

export interface FenceCliOptions {
  readonly host: string;
  /** Set: multicast (fence_xvm) instead of TCP to `host`. */
  readonly multicast?: string;
  readonly port: number;
  readonly key: string;
  readonly hash: string;
  readonly auth: string;
  readonly timeout: number;
  readonly json: boolean;
}

export const VERBS = {
  list: FenceCommand.HOSTLIST, status: FenceCommand.STATUS, on: FenceCommand.ON, off: FenceCommand.OFF, reboot: FenceCommand.REBOOT,
} as const;
export type Verb = keyof typeof VERBS;

const RESULT_TEXT: Record<number, string> = {
  [Result.SUCCESS]: 'success', [Result.FAIL]: 'failed', [Result.OFF]: 'off', [Result.PERM]: 'permission denied',
};

/** Exit codes follow fence_virt: 0 success (status: on), 2 off, 3 permission denied, 1 anything else. */
export async function runFenceVerb(verb: Verb, domain: string | undefined, o: FenceCliOptions): Promise<{ code: number; out: string }> {
  const needsKey = o.hash !== 'none' || o.auth !== 'none';
  const key = needsKey ? await readKeyFile(o.key, 'client') : undefined;
  const target: FenceTarget = o.multicast !== undefined
    ? { transport: 'multicast', address: o.multicast, port: o.port }
    : { transport: 'tcp', host: o.host, port: o.port };
  const reply = await fence(target,
    { key: key?.key, hash: o.hash as 'sha256', auth: o.auth as 'sha256' | 'hmac-sha256' }, VERBS[verb], domain ?? '',
    { timeoutMs: o.timeout * 1000, keyFile: o.key });
  const warnings = key?.warnings ?? [];
  if (verb === 'list') {
    const hosts = reply.hosts ?? [];
    const out = o.json
      ? JSON.stringify(hosts.map((h) => ({ domain: h.domain, uuid: h.uuid, state: h.state === 1 ? 'on' : 'off', libvirtState: h.state })), null, 2)
      : hosts.map(formatHostLine).join('\n');
    return { code: reply.result === Result.SUCCESS || reply.hosts ? 0 : 1, out: [...warnings.map((w) => `warning: ${w}`), out].filter(Boolean).join('\n') };
  }
  const r = reply.result;
  const text = verb === 'status' ? (r === Result.SUCCESS ? 'on' : r === Result.OFF ? 'off' : RESULT_TEXT[r] ?? `result ${r}`) : RESULT_TEXT[r] ?? `result ${r}`;
  const out = o.json ? JSON.stringify({ domain, operation: verb, result: r, text }) : `${domain}: ${verb}: ${text}`;
  const code = r === Result.SUCCESS ? 0 : r === Result.OFF && verb === 'status' ? 2 : r === Result.PERM ? 3 : 1;
  return { code, out };
}

// Where IPaddr2 reads and changes interface state. Without
// network_namespace, reads avoid forking (a monitor runs every few seconds):
// IPv6 addresses and their DAD flags from /proc/net/if_inet6, IPv4
// addresses and labels from getifaddrs (os.networkInterfaces), link state
// from /sys/class/net; all of these follow the caller's network namespace
// (`ip netns exec` remounts /sys). With network_namespace every read and
// change goes through `ip -n NS`, and helper programs through
// `ip netns exec NS`.

import { networkInterfaces } from 'node:os';
import { fs } from '../framework/_builtins.js';
import type { OcfContext, RunResult } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { keyOf, type Family, type ParsedIp } from './addr.js';

/** One configured copy of the address. */
export interface Found {
  nic: string;
  /** IPv4 label (the device name when none was given) */
  label: string | undefined;
  prefix: number;
  tentative: boolean;
  dadfailed: boolean;
}

export interface Link {
  exists: boolean;
  /** lower case, as in /sys/class/net/<nic>/operstate: up, down, lowerlayerdown, unknown ... */
  operstate: string;
  adminUp: boolean;
}

/** check_link_status: DOWN and LOWERLAYERDOWN mean the address does not serve (HEAD ip_served). */
export function linkIsDown(l: Link): boolean {
  return l.operstate === 'down' || l.operstate === 'lowerlayerdown';
}

const IFF_UP = 0x1;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

interface IpJsonAddr {
  family?: string;
  local?: string;
  prefixlen?: number;
  label?: string;
  tentative?: boolean;
  dadfailed?: boolean;
}
interface IpJsonLink {
  ifname?: string;
  flags?: string[];
  operstate?: string;
  addr_info?: IpJsonAddr[];
}

function parseJson(r: RunResult): IpJsonLink[] {
  try {
    const v: unknown = JSON.parse(r.stdout || '[]');
    if (Array.isArray(v)) return v as IpJsonLink[];
  } catch {
    // reported below
  }
  throw new OcfError(OCF.ERR_GENERIC, `cannot parse the output of ${r.command}: ${r.stdout.slice(0, 200)}`);
}

export class Net {
  readonly #ctx: OcfContext;
  readonly ns: string | undefined;

  constructor(ctx: OcfContext, ns: string | undefined) {
    this.#ctx = ctx;
    this.ns = ns;
  }

  /** `ip [-n NS] args`; throws OcfError(1) with the command and stderr on failure. */
  ip(args: readonly string[]): Promise<RunResult> {
    return this.#ctx.mustRun('ip', this.ns ? ['-n', this.ns, ...args] : args);
  }

  /** `ip [-n NS] args` without throwing. */
  tryIp(args: readonly string[]): Promise<RunResult> {
    return this.#ctx.run('ip', this.ns ? ['-n', this.ns, ...args] : args);
  }

  /** A helper program, run inside the namespace when there is one. */
  command(file: string, args: readonly string[]): [string, string[]] {
    return this.ns ? ['ip', ['netns', 'exec', this.ns, file, ...args]] : [file, [...args]];
  }

  async link(nic: string): Promise<Link> {
    if (this.ns === undefined) {
      try {
        const operstate = fs.readFileSync(`/sys/class/net/${nic}/operstate`, 'utf8').trim();
        const flags = parseInt(fs.readFileSync(`/sys/class/net/${nic}/flags`, 'utf8'), 16);
        return { exists: true, operstate, adminUp: (flags & IFF_UP) !== 0 };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, operstate: 'notpresent', adminUp: false };
        throw new OcfError(OCF.ERR_GENERIC, `cannot read the state of interface ${nic}: ${(e as Error).message}`);
      }
    }
    const r = await this.tryIp(['-j', 'link', 'show', 'dev', nic]);
    if (r.exitCode !== 0 && /does not exist|Cannot find device/i.test(r.stderr)) {
      return { exists: false, operstate: 'notpresent', adminUp: false };
    }
    if (r.failed) throw new OcfError(OCF.ERR_GENERIC, `${r.command} failed: ${r.stderr.trim()}`);
    const l = parseJson(r)[0];
    return { exists: true, operstate: (l?.operstate ?? 'unknown').toLowerCase(), adminUp: l?.flags?.includes('UP') ?? false };
  }

  /**
   * Every interface carrying `ip`. `complete` also covers links that are
   * not running, which getifaddrs (libuv) leaves out: stop must find the
   * address on a dead link too.
   */
  async find(ip: ParsedIp, complete: boolean): Promise<Found[]> {
    if (this.ns === undefined) {
      if (ip.family === 6) return this.#findProc(ip);
      const fast = this.#findIfaddrs(ip);
      if (fast.length > 0 || !complete) return fast;
    }
    return this.#findIp(ip);
  }

  #findProc(ip: ParsedIp): Found[] {
    const found: Found[] = [];
    for (const line of fs.readFileSync('/proc/net/if_inet6', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6 || f[0] !== ip.key) continue;
      const flags = parseInt(f[4]!, 16);
      found.push({
        nic: f[5]!,
        label: undefined,
        prefix: parseInt(f[2]!, 16),
        tentative: (flags & IFA_F_TENTATIVE) !== 0,
        dadfailed: (flags & IFA_F_DADFAILED) !== 0,
      });
    }
    return found;
  }

  #findIfaddrs(ip: ParsedIp): Found[] {
    const found: Found[] = [];
    for (const [name, addrs] of Object.entries(networkInterfaces())) {
      for (const a of addrs ?? []) {
        if (a.family !== 'IPv4' || a.address !== ip.text) continue;
        const prefix = Number((a.cidr ?? '').split('/')[1]);
        found.push({ nic: name.split(':')[0]!, label: name, prefix, tentative: false, dadfailed: false });
      }
    }
    return found;
  }

  async #findIp(ip: ParsedIp): Promise<Found[]> {
    const fam = ip.family === 4 ? 'inet' : 'inet6';
    const r = await this.ip(['-j', '-f', fam, 'addr', 'show', 'to', ip.text]);
    const found: Found[] = [];
    for (const l of parseJson(r)) {
      for (const a of l.addr_info ?? []) {
        if (a.local === undefined || keyOf(ip.family, a.local) !== ip.key || l.ifname === undefined) continue;
        found.push({
          nic: l.ifname,
          label: ip.family === 4 ? (a.label ?? l.ifname) : undefined,
          prefix: a.prefixlen ?? (ip.family === 4 ? 32 : 128),
          tentative: a.tentative === true,
          dadfailed: a.dadfailed === true,
        });
      }
    }
    return found;
  }

  /**
   * findif: the directly connected route that covers `ip` (longest prefix,
   * on `nic` when given), giving the interface and prefix length to use.
   */
  async route(ip: ParsedIp, nic: string | undefined, prefix: number | undefined): Promise<{ nic: string; prefix: number } | undefined> {
    const fam = ip.family === 4 ? 'inet' : 'inet6';
    const match = prefix === undefined ? ip.text : `${ip.text}/${prefix}`;
    const r = await this.ip(['-j', '-f', fam, 'route', 'list', 'match', match, ...(ip.family === 4 ? ['scope', 'link'] : [])]);
    let best: { nic: string; prefix: number } | undefined;
    for (const route of parseJson(r) as { dst?: string; dev?: string; gateway?: string; type?: string }[]) {
      if (!route.dst || route.dst === 'default' || route.gateway || !route.dev) continue;
      if (route.type !== undefined && route.type !== 'unicast') continue;
      if (nic !== undefined && route.dev !== nic) continue;
      const len = route.dst.includes('/') ? Number(route.dst.split('/')[1]) : maxPrefix(ip.family);
      if (best === undefined || len > best.prefix) best = { nic: route.dev, prefix: len };
    }
    return best;
  }
}

function maxPrefix(family: Family): number {
  return family === 4 ? 32 : 128;
}

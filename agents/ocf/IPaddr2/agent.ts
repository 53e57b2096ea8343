// ocf:palisade:IPaddr2, parameter-compatible with ocf:heartbeat:IPaddr2:
// manages one IPv4 or IPv6 address on an interface. Exit codes follow
// resource-agents HEAD where it corrected 4.12 (findif failure on start is
// OCF_ERR_INSTALLED; a DOWN/LOWERLAYERDOWN link counts as not running).

import { fs, uptimeMs } from '../framework/_builtins.js';
import { parseBoolean } from '../../../core/booleans.js';
import { defineAgent, type OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { param, type ParamValues } from '../framework/params.js';
import { checkBroadcast, parseIp, parsePrefix, type ParsedIp } from './addr.js';
import { linkIsDown, Net, type Found } from './net.js';
import type { ArpSender } from './senders.js';

const params = {
  ip: param.string({
    shortdesc: 'IPv4 or IPv6 address',
    longdesc: 'The address to manage, in dotted quad (192.0.2.10) or IPv6 notation (2001:db8::10).',
    required: true,
    unique: true,
  }),
  nic: param.string({
    shortdesc: 'Network interface',
    longdesc:
      'The base interface to put the address on. When empty, the interface of the directly connected route ' +
      'covering the address is used. The old form "eth0:label" is accepted and sets the label.',
    check: (v) => (/^[^\s/:]{1,15}(:[^\s/]+)?$/.test(v) ? undefined : 'not an interface name'),
  }),
  cidr_netmask: param.string({
    shortdesc: 'CIDR netmask',
    longdesc:
      'Prefix length of the address (24, or 64 for IPv6). When empty, the prefix of the matching route is used. ' +
      'A dotted IPv4 netmask is converted with a warning.',
  }),
  broadcast: param.string({
    shortdesc: 'Broadcast address',
    longdesc: 'IPv4 broadcast address; "+" (the default) sets the host bits of the prefix, "-" clears them.',
    check: checkBroadcast,
  }),
  iflabel: param.string({
    shortdesc: 'Interface label',
    longdesc: 'IPv4 only: label the address as <nic>:<iflabel>; the whole label may have at most 15 characters.',
    check: (v) => (/^[^\s/]+$/.test(v) ? undefined : 'must not contain blanks or "/"'),
  }),
  arp_interval: param.integer({
    shortdesc: 'ARP/NA interval (ms)',
    longdesc: 'Milliseconds between announcements for send_arp and send_ua (iputils arping always uses one second).',
    min: 1,
    default: 200,
  }),
  arp_count: param.integer({
    shortdesc: 'ARP/NA count',
    longdesc: 'Number of gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6) packets sent after start.',
    min: 1,
    default: 5,
  }),
  arp_bg: param.boolean({
    shortdesc: 'Announce in the background',
    longdesc: 'Send the announcements from a detached process so start returns at once. Default: true for IPv4, false for IPv6.',
  }),
  arp_sender: param.select({
    shortdesc: 'ARP sender',
    longdesc:
      'IPv4 announcement program: iputils_arping (arping from iputils) or send_arp (from resource-agents). ' +
      'Default: whichever is installed, arping first. IPv6 always uses send_ua from resource-agents.',
    // senders.ts (ARP_SENDERS) is loaded lazily; the type keeps both lists in step
    choices: ['iputils_arping', 'send_arp'] as const satisfies readonly ArpSender[],
  }),
  run_arping: param.boolean({
    shortdesc: 'IPv4 collision check',
    longdesc: 'Before adding an IPv4 address, check with arping (duplicate address detection) that no other host uses it.',
    default: false,
  }),
  nodad: param.boolean({
    shortdesc: 'Skip IPv6 DAD',
    longdesc: 'IPv6: add the address without duplicate address detection.',
    default: false,
  }),
  noprefixroute: param.boolean({
    shortdesc: 'No prefix route',
    longdesc: 'Add the address with the noprefixroute flag (no route for its prefix is created).',
    default: false,
  }),
  preferred_lft: param.string({
    shortdesc: 'IPv6 preferred lifetime',
    longdesc: 'IPv6: preferred lifetime in seconds, or "forever". 0 keeps the address from being chosen as a source address.',
    default: 'forever',
    check: (v) => (v === 'forever' || /^\d+$/.test(v) ? undefined : 'expected "forever" or a number of seconds'),
  }),
  flush_routes: param.boolean({
    shortdesc: 'Flush route cache on stop',
    longdesc: 'Run "ip route flush cache" after removing the address, so local connections stop using it at once.',
    default: false,
  }),
  network_namespace: param.string({
    shortdesc: 'Network namespace',
    longdesc: 'Manage the address inside this existing network namespace (as listed by "ip netns list").',
    check: (v) => (/^[A-Za-z0-9_.-]+$/.test(v) && v !== '.' && v !== '..' ? undefined : 'not a namespace name'),
  }),
  check_link_status: param.boolean({
    shortdesc: 'Check link status',
    longdesc: 'Treat the address as not running while its interface is DOWN or LOWERLAYERDOWN (monitor 7, start fails).',
    default: true,
  }),
};

type P = ParamValues<typeof params>;

/** ocf:heartbeat:IPaddr2 parameters this agent does not implement; set, they are an error, not silently ignored. */
const UNSUPPORTED: readonly { name: string; inactive: (v: string) => boolean }[] = [
  { name: 'lvs_support', inactive: isFalse },
  { name: 'lvs_ipv6_addrlabel', inactive: isFalse },
  { name: 'unique_clone_address', inactive: isFalse },
  { name: 'mac', inactive: (v) => v === '' },
  { name: 'arp_count_refresh', inactive: (v) => v === '' || v === '0' },
  { name: 'send_arp_opts', inactive: (v) => v === '' },
  { name: 'proto', inactive: (v) => v === '' },
];

function isFalse(v: string): boolean {
  return v === '' || parseBoolean(v) === false;
}

/** Everything the handlers act on, derived once per action. */
interface Target {
  ip: ParsedIp;
  /** Known after findif; monitor and stop work without it. */
  nic: string | undefined;
  prefix: number | undefined;
  /** iflabel without the "<nic>:" part */
  label: string | undefined;
  broadcast: string;
  net: Net;
}

const targets = new WeakMap<OcfContext, Promise<Target>>();

function target(p: P, ctx: OcfContext): Promise<Target> {
  let t = targets.get(ctx);
  if (t === undefined) {
    t = resolveTarget(p, ctx);
    targets.set(ctx, t);
  }
  return t;
}

const configured = (reason: string) => new OcfError(OCF.ERR_CONFIGURED, reason);

async function resolveTarget(p: P, ctx: OcfContext): Promise<Target> {
  for (const u of UNSUPPORTED) {
    const v = ctx.env[`OCF_RESKEY_${u.name}`];
    if (v !== undefined && !u.inactive(v)) {
      throw configured(`Parameter ${u.name}='${v}' is not supported by this IPaddr2 (no LVS or CLUSTERIP modes); remove it`);
    }
  }
  const cloneMax = Number(ctx.meta.clone_max ?? '1');
  if (cloneMax > 1) throw configured(`IPaddr2 cannot be cloned (clone-max=${ctx.meta.clone_max}): CLUSTERIP load sharing is not supported`);

  const ip = parseIp(p.ip);
  if (ip === undefined) throw configured(`Invalid IP address '${p.ip}'`);
  if (ip.family === 6 && ip.text !== p.ip.trim()) ctx.log.debug(`using canonical form ${ip.text} of ${p.ip}`);

  let nic = p.nic;
  let label = p.iflabel;
  if (nic?.includes(':')) {
    // "eth0:label" in nic is the deprecated label syntax; it wins over iflabel, as upstream
    [nic, label] = [nic.slice(0, nic.indexOf(':')), nic.slice(nic.indexOf(':') + 1)];
    ctx.log.warn(`nic=${p.nic}: put the label in iflabel instead`);
  }

  let prefix: number | undefined;
  const rawMask = p.cidr_netmask ?? (ctx.env.OCF_RESKEY_netmask || undefined);
  if (rawMask !== undefined) {
    const m = parsePrefix(rawMask, ip.family);
    if ('problem' in m) throw configured(`Invalid cidr_netmask '${rawMask}' for ${ip.text}: ${m.problem}`);
    if (m.dotted) ctx.log.warn(`cidr_netmask=${rawMask} converted to prefix length ${m.prefix}; please use ${m.prefix}`);
    prefix = m.prefix;
  }
  if (ip.family === 6 && label !== undefined) throw configured(`iflabel '${label}' is only supported for IPv4 addresses`);
  if (ip.family === 6 && p.broadcast !== undefined) ctx.log.warn(`broadcast=${p.broadcast} ignored for IPv6 address ${ip.text}`);
  if (ip.family === 6 && ip.key.startsWith('fe8') && nic === undefined) {
    throw configured(`link-local address ${ip.text} needs the nic parameter`);
  }

  const ns = p.network_namespace;
  if (ns !== undefined && !fs.existsSync(`/run/netns/${ns}`)) {
    throw new OcfError(OCF.ERR_INSTALLED, `network namespace '${ns}' does not exist on this node (see ip netns list)`);
  }
  const net = new Net(ctx, ns);

  if (nic !== undefined && !(await net.link(nic)).exists) {
    // HEAD: findif failure on start is OCF_ERR_INSTALLED, elsewhere findif's OCF_ERR_CONFIGURED
    throw new OcfError(ctx.action === 'start' ? OCF.ERR_INSTALLED : OCF.ERR_CONFIGURED, `Interface ${nic} does not exist${ns ? ` in namespace ${ns}` : ''}`);
  }

  if ((ctx.action === 'start' || ctx.action === 'validate-all') && (nic === undefined || prefix === undefined)) {
    const r = await net.route(ip, nic, prefix);
    if (r === undefined) {
      throw new OcfError(
        ctx.action === 'start' ? OCF.ERR_INSTALLED : OCF.ERR_GENERIC,
        `Unable to find nic or netmask for ${ip.text}: no directly connected route${nic ? ` on ${nic}` : ''} covers it; set nic and cidr_netmask`,
      );
    }
    nic ??= r.nic;
    prefix ??= r.prefix;
    ctx.log.debug(`findif: ${ip.text} -> nic ${nic}, prefix ${prefix}`);
  }

  const fullLabel = label !== undefined && nic !== undefined ? `${nic}:${label}` : undefined;
  if (fullLabel !== undefined && fullLabel.length > 15) {
    throw configured(`Interface label [${fullLabel}] exceeds the maximum of 15 characters`);
  }
  return { ip, nic, prefix, label, broadcast: p.broadcast ?? '+', net };
}

/** The copy of the address this resource manages, if configured. */
async function served(t: Target, ctx: OcfContext, complete: boolean): Promise<Found | undefined> {
  const all = await t.net.find(t.ip, complete);
  const mine = all.filter((f) => (t.nic === undefined || f.nic === t.nic) && (t.prefix === undefined || f.prefix === t.prefix));
  if (mine.length === 0 && all.length > 0) {
    const where = all.map((f) => `${f.nic}/${f.prefix}`).join(', ');
    ctx.log.info(`${t.ip.text} is configured on ${where}, not as ${t.nic ?? 'any nic'}/${t.prefix ?? 'any prefix'}`);
  }
  return mine[0];
}

/** Changing addresses needs root (as upstream, which answers OCF_ERR_PERM); reading state does not. */
function requireRoot(ctx: OcfContext): void {
  if (process.getuid?.() !== 0) throw new OcfError(OCF.ERR_PERM, `You must be root for the ${ctx.action} operation`);
}

function ensureStartable(t: Target): { nic: string; prefix: number } {
  if (t.nic === undefined || t.prefix === undefined) {
    throw new OcfError(OCF.ERR_GENERIC, `no interface or prefix resolved for ${t.ip.text}`);
  }
  return { nic: t.nic, prefix: t.prefix };
}

/** Polls until the kernel's duplicate address detection is done; a collision removes the address and fails. */
async function waitForDad(t: Target, nic: string, prefix: number, ctx: OcfContext): Promise<void> {
  const until = uptimeMs() + 10_000;
  for (;;) {
    const f = (await t.net.find(t.ip, true)).find((x) => x.nic === nic);
    if (f?.dadfailed) {
      await t.net.tryIp(['-f', 'inet6', 'addr', 'del', `${t.ip.text}/${prefix}`, 'dev', nic]);
      throw new OcfError(
        OCF.ERR_GENERIC,
        `IPv6 address collision: ${t.ip.text} failed duplicate address detection on ${nic} (another host uses it); address removed`,
      );
    }
    if (!f?.tentative) return;
    if (uptimeMs() > until || ctx.remaining() < 1000) {
      ctx.log.warn(`${t.ip.text} is still tentative (duplicate address detection has not finished)`);
      return;
    }
    await ctx.sleep(100);
  }
}

export const ipaddr2 = defineAgent({
  name: 'IPaddr2',
  version: '1.0.0',
  shortdesc: 'Manages virtual IPv4 and IPv6 addresses (Linux)',
  longdesc:
    'Adds an IPv4 or IPv6 address to an interface on start, announces it to the neighbours (gratuitous ARP or ' +
    'unsolicited neighbour advertisements) and removes it on stop. Parameter-compatible with ocf:heartbeat:IPaddr2 ' +
    'for single (non-cloned) addresses.',
  params,
  actions: [
    { name: 'start', timeout: 20 },
    { name: 'stop', timeout: 20 },
    { name: 'status', timeout: 20, interval: 10, depth: 0 },
    { name: 'monitor', timeout: 20, interval: 10, depth: 0 },
  ],
  binaries: (p) => ['ip', ...(p.run_arping ? ['arping'] : [])],

  async validate(p, ctx) {
    if (p.arp_sender !== undefined && (await import('./senders.js')).senderBinary(p.arp_sender, ctx.env) === undefined) {
      throw new OcfError(OCF.ERR_INSTALLED, `arp_sender=${p.arp_sender}: its program is not installed`);
    }
    await target(p, ctx);
  },

  async observe(p, ctx) {
    const t = await target(p, ctx);
    // stop must find and remove the address even on a dead link
    const stopping = ctx.action === 'stop';
    const f = await served(t, ctx, stopping || !p.check_link_status);
    if (f === undefined) return 'stopped';
    if (p.check_link_status && !stopping) {
      const link = await t.net.link(f.nic);
      if (linkIsDown(link)) {
        ctx.log.info(`${t.ip.text} is on ${f.nic}, but the link is ${link.operstate.toUpperCase()}: not running`);
        return 'stopped';
      }
    }
    if (f.dadfailed) {
      throw new OcfError(OCF.ERR_GENERIC, `${t.ip.text} on ${f.nic} failed duplicate address detection (another host uses it)`);
    }
    if (t.label !== undefined && f.label !== `${f.nic}:${t.label}`) {
      throw new OcfError(OCF.ERR_GENERIC, `${t.ip.text} is on ${f.nic} but without the label ${f.nic}:${t.label}`);
    }
    return 'running';
  },

  async start(p, ctx) {
    requireRoot(ctx);
    const t = await target(p, ctx);
    const { nic, prefix } = ensureStartable(t);
    const link = await t.net.link(nic);
    if (p.check_link_status && linkIsDown(link)) {
      throw new OcfError(OCF.ERR_INSTALLED, `Interface ${nic} is ${link.operstate.toUpperCase()}: not adding ${t.ip.text}`);
    }
    const v4 = t.ip.family === 4;
    if (v4 && p.run_arping) {
      const [file, args] = t.net.command('arping', ['-q', '-c', '2', '-w', '3', '-D', '-I', nic, t.ip.text]);
      const r = await ctx.run(file, args);
      if (r.exitCode === 1) throw new OcfError(OCF.ERR_GENERIC, `IPv4 address collision: another host on ${nic} answers for ${t.ip.text}`);
      if (r.failed) ctx.log.warn(`collision check failed, adding anyway: ${r.command}: ${r.stderr.trim()}`);
    }
    const args = ['-f', v4 ? 'inet' : 'inet6', 'addr', 'add', `${t.ip.text}/${prefix}`];
    if (v4) args.push('brd', t.broadcast);
    args.push('dev', nic);
    if (!v4 && p.nodad) args.push('nodad');
    if (p.noprefixroute) args.push('noprefixroute');
    if (t.label !== undefined) args.push('label', `${nic}:${t.label}`);
    if (!v4) args.push('preferred_lft', p.preferred_lft);
    ctx.log.info(`adding ${t.ip.text}/${prefix} to ${nic}${t.label ? ` as ${nic}:${t.label}` : ''}`);
    await t.net.ip(args);
    if (!link.adminUp) await t.net.ip(['link', 'set', 'dev', nic, 'up']);
    if (!v4 && !p.nodad) await waitForDad(t, nic, prefix, ctx);
    const { announce, defaultSender } = await import('./announce.js');
    const sender = p.arp_sender ?? defaultSender(ctx.env);
    await announce(
      { ip: t.ip, nic, prefix, count: p.arp_count, intervalMs: p.arp_interval, background: p.arp_bg ?? v4, sender },
      t.net,
      ctx,
    );
  },

  async stop(p, ctx) {
    requireRoot(ctx);
    const t = await target(p, ctx);
    (await import('./announce.js')).stopAnnouncer(t.ip, ctx);
    const fam = t.ip.family === 4 ? 'inet' : 'inet6';
    const all = await t.net.find(t.ip, true);
    for (const f of all.filter((x) => (t.nic === undefined || x.nic === t.nic) && (t.prefix === undefined || x.prefix === t.prefix))) {
      ctx.log.info(`removing ${t.ip.text}/${f.prefix} from ${f.nic}`);
      const r = await t.net.tryIp(['-f', fam, 'addr', 'del', `${t.ip.text}/${f.prefix}`, 'dev', f.nic]);
      if (r.failed) {
        throw new OcfError(OCF.ERR_GENERIC, `Unable to remove IP ${t.ip.text} from interface ${f.nic}: ${r.command}: ${r.stderr.trim()}`);
      }
    }
    if (p.flush_routes) {
      const r = await t.net.tryIp(['-f', fam, 'route', 'flush', 'cache']);
      if (r.failed) ctx.log.warn(`route cache flush failed: ${r.stderr.trim()}`);
    }
  },
});

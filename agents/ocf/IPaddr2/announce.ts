// Telling the neighbours after start: gratuitous ARP (IPv4) or unsolicited
// neighbour advertisements (IPv6). Best effort like upstream: a failed
// announcement is logged, it does not fail the start. In the background
// (arp_bg) the sender is detached from our stdio and its pid and start
// time are kept so stop can end it, and only it.

import { fs } from '../framework/_builtins.js';
import { join } from 'node:path';
import type { OcfContext } from '../framework/agent.js';
import type { Env } from '../framework/env.js';
import { formatPidRecord, processRef, readPidRecord, signalIfSame } from '../framework/processes.js';
import type { ParsedIp } from './addr.js';
import type { Net } from './net.js';
import { haHelper, senderBinary, ARP_SENDERS, type ArpSender } from './senders.js';

/** arp_sender unset: iputils arping when installed, else resource-agents' send_arp. */
export function defaultSender(env: Env): ArpSender | undefined {
  return ARP_SENDERS.find((s) => senderBinary(s, env) !== undefined);
}

export interface AnnounceOptions {
  ip: ParsedIp;
  nic: string;
  prefix: number;
  count: number;
  intervalMs: number;
  background: boolean;
  sender: ArpSender | undefined;
}

function pidDir(env: Env): string {
  return env.HA_RSCTMP || '/run/resource-agents';
}

function pidFile(env: Env, ip: ParsedIp): string {
  return join(pidDir(env), `IPaddr2-announce-${ip.text}.pid`);
}

function senderCommand(o: AnnounceOptions, ctx: OcfContext): [string, string[]] | undefined {
  if (o.ip.family === 6) {
    const sendUa = haHelper('send_ua', ctx.env);
    return sendUa ? [sendUa, ['-i', String(o.intervalMs), '-c', String(o.count), o.ip.text, String(o.prefix), o.nic]] : undefined;
  }
  if (o.sender === undefined) return undefined;
  const bin = senderBinary(o.sender, ctx.env);
  if (bin === undefined) return undefined;
  if (o.sender === 'iputils_arping') return [bin, ['-q', '-U', '-c', String(o.count), '-I', o.nic, o.ip.text]];
  // send_arp: each announcement is an ARP request plus a reply; "auto" = the NIC's MAC
  return [bin, ['-i', String(o.intervalMs), '-r', String(o.count), o.nic, o.ip.text, 'auto', 'not_used', 'not_used']];
}

export async function announce(o: AnnounceOptions, net: Net, ctx: OcfContext): Promise<void> {
  if (o.nic === 'lo' || o.nic.startsWith('lo:')) return;
  const cmd = senderCommand(o, ctx);
  if (cmd === undefined) {
    const what = o.ip.family === 6 ? 'send_ua (resource-agents)' : 'arping (iputils-arping) or send_arp (resource-agents)';
    ctx.log.warn(`not announcing ${o.ip.text}: no sender installed, install ${what}`);
    return;
  }
  const [file, args] = net.command(cmd[0], cmd[1]);
  if (o.background) {
    const pid = ctx.spawnDetached(file, args);
    const ref = processRef(pid);
    try {
      fs.mkdirSync(pidDir(ctx.env), { recursive: true });
      // a sender already done (ref undefined) leaves nothing to stop
      if (ref !== undefined) fs.writeFileSync(pidFile(ctx.env, o.ip), formatPidRecord(ref));
    } catch (e) {
      ctx.log.warn(`cannot record the announcer's pid ${pid}: ${(e as Error).message}`);
    }
    ctx.log.info(`announcing ${o.ip.text} on ${o.nic} in the background (pid ${pid})`);
    return;
  }
  const r = await ctx.run(file, args, { timeoutMs: o.count * Math.max(o.intervalMs, 1000) + 5000 });
  if (r.failed) ctx.log.warn(`announcing ${o.ip.text} failed: ${r.command}: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`);
}

/**
 * Ends a background announcer left by start, if it is still the process
 * start launched (same pid and start time). A pid file without a start
 * time, or naming a process started later, is stale: nothing is signalled.
 */
export function stopAnnouncer(ip: ParsedIp, ctx: OcfContext): void {
  const file = pidFile(ctx.env, ip);
  if (!fs.existsSync(file)) return;
  const ref = readPidRecord(file);
  if (ref !== undefined && signalIfSame(ref, 'SIGTERM')) {
    ctx.log.info(`stopped the announcer for ${ip.text} (pid ${ref.pid})`);
  } else {
    ctx.log.debug(`announcer pid file ${file} is stale; nothing signalled`);
  }
  fs.rmSync(file, { force: true });
}

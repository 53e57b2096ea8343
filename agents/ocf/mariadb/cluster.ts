// What the agent asks of the cluster: the local node name (crm_node -n),
// node attributes (the reader attribute; each node's replication address),
// and who is promoted, from the notify_* variables Pacemaker passes.

import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';

function crmBinary(ctx: OcfContext, name: string): string {
  const bin = ctx.findBinary(name);
  if (!bin) throw new OcfError(OCF.ERR_INSTALLED, `${name} not found in PATH: install pacemaker-cli-utils`);
  return bin;
}

let nodeName: string | undefined;

/** This node's name as Pacemaker knows it. */
export async function localNode(ctx: OcfContext): Promise<string> {
  if (nodeName !== undefined) return nodeName;
  const r = await ctx.mustRun(crmBinary(ctx, 'crm_node'), ['-n'], { timeoutMs: 10_000 });
  const n = r.stdout.trim();
  if (n === '') throw new OcfError(OCF.ERR_GENERIC, 'crm_node -n printed no node name');
  nodeName = n;
  return n;
}

/** The cluster's nodes (crm_node -l: "<id> <name> <state>" per line). */
export async function clusterNodes(ctx: OcfContext): Promise<string[]> {
  const r = await ctx.mustRun(crmBinary(ctx, 'crm_node'), ['-l'], { timeoutMs: 10_000 });
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[1]).filter((n): n is string => n !== undefined && n !== '');
}

/** A node attribute; undefined when unset. */
export async function nodeAttribute(ctx: OcfContext, name: string, lifetime: 'reboot' | 'forever', node?: string): Promise<string | undefined> {
  const args = [...(node ? ['--node', node] : []), '--lifetime', lifetime, '--name', name, '--query', '--quiet'];
  const r = await ctx.run(crmBinary(ctx, 'crm_attribute'), args, { timeoutMs: 10_000 });
  const v = r.stdout.trim();
  return r.exitCode === 0 && v !== '' ? v : undefined;
}

/**
 * Sets (or, for undefined, deletes) a transient attribute of this node, only
 * when it changes: no CIB write on a steady monitor.
 */
export async function setNodeAttribute(ctx: OcfContext, name: string, value: string | undefined): Promise<void> {
  if ((await nodeAttribute(ctx, name, 'reboot')) === value) return;
  const op = value === undefined ? ['--delete'] : ['--update', value];
  const r = await ctx.run(crmBinary(ctx, 'crm_attribute'), ['--lifetime', 'reboot', '--name', name, ...op], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) ctx.log.warn(`could not ${value === undefined ? 'delete' : 'set'} node attribute ${name}${value === undefined ? '' : `=${value}`}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}

/** The clone's primitive name (the instance without ":N"). */
export function resourceName(ctx: OcfContext): string {
  return ctx.instance.replace(/:\d+$/, '');
}

/** The node attribute in which a replica publishes its GTID position (see roles.ts). */
export function gtidAttribute(ctx: OcfContext): string {
  return `${resourceName(ctx)}_gtid_seq`;
}

/**
 * The host replicas connect to for `node`: the node attribute
 * `<rsc>_mysql_master_IP` (lifetime forever; heartbeat mysql's name), else
 * the node name itself.
 */
export async function replicationHost(ctx: OcfContext, node: string): Promise<string> {
  return (await nodeAttribute(ctx, `${resourceName(ctx)}_mysql_master_IP`, 'forever', node)) ?? node;
}

export function isPromotable(ctx: OcfContext): boolean {
  const m = ctx.meta;
  return /^(true|yes|1|on)$/i.test(m.promotable ?? '') || Number(m.promoted_max ?? m.master_max ?? 0) > 0;
}

function names(v: string | undefined): string[] {
  return (v ?? '').split(/\s+/).filter(Boolean);
}

/** A notify_* list under its current name or the legacy master/slave one. */
export function notifyList(ctx: OcfContext, current: string, legacy?: string): string[] {
  const m = ctx.meta;
  const now = names(m[`notify_${current}_uname`]);
  return now.length > 0 || legacy === undefined ? now : names(m[`notify_${legacy}_uname`]);
}

/** The promoted node as the notify variables tell it (after this transition when it promotes one). */
export function promotedNode(ctx: OcfContext): string | undefined {
  const promoting = notifyList(ctx, 'promote');
  const demoting = new Set(notifyList(ctx, 'demote'));
  const stopping = new Set(notifyList(ctx, 'stop'));
  if (ctx.meta.notify_type === 'post' && ctx.meta.notify_operation === 'promote' && promoting[0]) return promoting[0];
  return notifyList(ctx, 'promoted', 'master').find((n) => !demoting.has(n) && !stopping.has(n));
}

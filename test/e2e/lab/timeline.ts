// Failover timelines from the nodes' own logs: corosync's and pacemaker's
// timestamped lines (hires, local time) plus what the test and the lab's
// power switch saw. All nodes share the host's clock.
import type { Lab } from './lab.js';

export interface TimelineEvent {
  /** ms since the epoch */
  readonly at: number;
  readonly what: string;
  /** The node whose log (or action) it comes from. */
  readonly node?: string;
  /** Phase boundary this event marks (used by phases()). */
  readonly mark?: Mark;
}

export type Mark = 'fault' | 'detected' | 'fence-requested' | 'fence-done' | 'recovered' | 'serving';

export interface TimelineSpec {
  /** Log lines from before this are ignored. */
  readonly since: number;
  readonly fault: { readonly at: number; readonly what: string };
  /** The node that failed. */
  readonly target: string;
  /** Resources whose start (or promote) elsewhere completes the recovery. */
  readonly resources: readonly string[];
  /** When the service answered again (the test's own probe). */
  readonly service?: { readonly at: number; readonly what: string };
  /** Other moments the test knows of (e.g. the fence host restarted). */
  readonly extra?: readonly TimelineEvent[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const STAMP = /^(\w{3}) (\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})/;

/** Time of a `Dec 04 07:49:29.232 …` line (local time, this year), or undefined. */
export function stampOf(line: string, year = new Date().getFullYear()): number | undefined {
  const m = STAMP.exec(line);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  return new Date(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])).getTime();
}

interface Line { readonly at: number; readonly node: string; readonly text: string }

function lines(node: string, text: string, since: number): Line[] {
  const out: Line[] = [];
  for (const l of text.split('\n')) {
    const at = stampOf(l);
    if (at !== undefined && at >= since) out.push({ at, node, text: l });
  }
  return out;
}

function first(all: readonly Line[], re: RegExp, skipNode?: string): (Line & { m: RegExpExecArray }) | undefined {
  let best: (Line & { m: RegExpExecArray }) | undefined;
  for (const l of all) {
    if (l.node === skipNode) continue;
    const m = re.exec(l.text);
    if (m && (!best || l.at < best.at)) best = { ...l, m };
  }
  return best;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function clusterTimeline(lab: Lab, spec: TimelineSpec): Promise<TimelineEvent[]> {
  const logs = await lab.logs();
  const pcmk: Line[] = [];
  const coro: Line[] = [];
  for (const [node, l] of logs) {
    pcmk.push(...lines(node, l.pacemaker, spec.since));
    coro.push(...lines(node, l.corosync, spec.since));
  }
  const t = esc(spec.target);
  const ev: TimelineEvent[] = [{ at: spec.fault.at, what: spec.fault.what, node: spec.target, mark: 'fault' }];
  const push = (l: Line | undefined, what: (l: Line) => string, mark?: Mark) => {
    if (l) ev.push({ at: l.at, what: what(l), node: l.node, ...(mark ? { mark } : {}) });
  };
  push(first(coro, /Token has not been received in (\d+) ms/, spec.target), (l) => `corosync: token lost (${/in (\d+ ms)/.exec(l.text)?.[1]})`);
  push(first(coro, /A new membership \(\S+\) was formed\. Members left: [\d ]+/, spec.target), () => `corosync: new membership without ${spec.target}`, 'detected');
  push(first(pcmk, new RegExp(`Node ${t} state is now lost`), spec.target), () => `pacemaker: ${spec.target} lost`);
  const req = first(pcmk, new RegExp(`wants to fence \\((\\w+)\\) ${t}\\b`));
  push(req, (l) => `fence requested (${/wants to fence \((\w+)\)/.exec(l.text)?.[1]})`, 'fence-requested');
  for (const p of lab.power.events) {
    if (p.node === spec.target && p.at >= spec.since) ev.push({ at: p.at, what: `power switch: ${p.action} (${p.effect})`, node: 'hv' });
  }
  const failed = new Map<string, Line>();
  const failure = new RegExp(`Operation '\\w+' targeting ${t} by \\S+ for \\S+: (?!OK).*\\bid=(\\w+)`);
  for (const l of pcmk) {
    const m = failure.exec(l.text);
    if (m && !failed.has(m[1]!)) failed.set(m[1]!, l);
  }
  if (failed.size > 0) {
    const f = [...failed.values()].sort((a, b) => a.at - b.at);
    ev.push({ at: f[0]!.at, what: `fence failed (${f.length} attempt${f.length > 1 ? 's' : ''}, the last at +${((f.at(-1)!.at - f[0]!.at) / 1000).toFixed(1)} s)`, node: f[0]!.node });
  }
  push(first(pcmk, new RegExp(`Operation '(\\w+)' targeting ${t} by (\\S+) for \\S+: OK`)), (l) => `fence done (${/by (\S+)/.exec(l.text)?.[1]} ran the agent)`, 'fence-done');
  // a graceful move (standby) stops them on the node first
  for (const r of spec.resources) {
    push(first(pcmk.filter((l) => l.node === spec.target), new RegExp(`Result of (stop|demote) operation for ${esc(r)} on ${t}: ok`)), (l) => `${/Result of (\w+)/.exec(l.text)?.[1]} ${r} on ${spec.target}`);
  }
  let lastRecovery: TimelineEvent | undefined;
  for (const r of spec.resources) {
    const hit = first(pcmk, new RegExp(`Result of (start|promote) operation for ${esc(r)} on (\\S+): ok`), spec.target);
    if (hit) {
      const e = { at: hit.at, what: `${hit.m[1]} ${r} on ${hit.m[2]}`, node: hit.node };
      ev.push(e);
      if (!lastRecovery || e.at > lastRecovery.at) lastRecovery = e;
    }
  }
  if (lastRecovery && spec.resources.length > 0) {
    const i = ev.indexOf(lastRecovery);
    ev[i] = { ...lastRecovery, mark: 'recovered' };
  }
  ev.push(...(spec.extra ?? []));
  if (spec.service) ev.push({ at: spec.service.at, what: spec.service.what, node: 'client', mark: 'serving' });
  return ev.sort((a, b) => a.at - b.at);
}

export function formatTimeline(title: string, events: readonly TimelineEvent[]): string {
  const t0 = events.find((e) => e.mark === 'fault')?.at ?? events[0]?.at ?? 0;
  const rows = events.map((e) => `  ${((e.at - t0) / 1000).toFixed(3).padStart(8)} s  ${(e.node ?? '').padEnd(7)} ${e.what}`);
  return [`${title}`, ...rows].join('\n');
}

export interface Phases {
  /** fault → corosync's new membership */
  readonly detection?: number;
  /** membership → fence requested (scheduler and controller) */
  readonly decision?: number;
  /** fence requested → fence done (fence agent + fence daemon + power) */
  readonly fence?: number;
  /** fence done → last resource started/promoted (resource agents) */
  readonly recovery?: number;
  /** last resource started → the service answering the client */
  readonly service?: number;
  /** fault → the service answering (or → recovered) */
  readonly total?: number;
}

/** Durations (ms) between the phase marks; a phase is absent when either end is missing. */
export function phases(events: readonly TimelineEvent[]): Phases {
  const at = (m: Mark) => events.find((e) => e.mark === m)?.at;
  const d = (a: Mark, b: Mark) => { const x = at(a); const y = at(b); return x !== undefined && y !== undefined ? y - x : undefined; };
  const end = at('serving') ?? at('recovered');
  const f = at('fault');
  return {
    detection: d('fault', 'detected'),
    decision: d('detected', 'fence-requested'),
    fence: d('fence-requested', 'fence-done'),
    recovery: d('fence-done', 'recovered'),
    service: d('recovered', 'serving'),
    total: end !== undefined && f !== undefined ? end - f : undefined,
  };
}

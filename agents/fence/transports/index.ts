// The transport registry. Descriptors are cheap to load; each loads its
// exchange (sockets, hashing, serialport) only when a call is made, so
// meta-data, help and validate-all stay light. A new transport is one
// folder (index.ts: the descriptor; exchange.ts: the call) and one line here.
// Order is selection precedence, as fence_virt's client/main.c: vsock, tcp,
// serial, then vmchannel; multicast last.
import { multicast } from './multicast/index.js';
import { serial } from './serial/index.js';
import { tcp } from './tcp/index.js';
import { vmchannel } from './vmchannel/index.js';
import { vsock } from './vsock/index.js';
import { AGENT_NAME, type AgentName } from '../options.js';
import type { Exchange, TargetBase, TransportSpec } from './types.js';

export const TRANSPORTS = [vsock, tcp, serial, vmchannel, multicast] as const;

type Registered = (typeof TRANSPORTS)[number];
type TargetOf<S> = S extends TransportSpec<infer T> ? T : never;

/** A call's destination, one variant per registered transport. */
export type FenceTarget = TargetOf<Registered>;
export type TransportName = Registered['name'];

/** The registry through the common contract: each descriptor only ever gets targets of its own kind (looked up by `transport`). */
const ALL = TRANSPORTS as readonly TransportSpec<FenceTarget>[];

export function transportSpec(name: TransportName): TransportSpec<FenceTarget>;
export function transportSpec(name: string): TransportSpec<FenceTarget> | undefined;
export function transportSpec(name: string): TransportSpec<FenceTarget> | undefined {
  return ALL.find((t) => t.name === name);
}

/** The transports an agent name offers, in selection order: under a C client's name, only that client's. */
export function transportsFor(agent: AgentName): readonly TransportSpec<FenceTarget>[] {
  return agent === AGENT_NAME ? ALL : ALL.filter((t) => (t.clients as readonly string[]).includes(agent));
}

/** The transports that can be used in this build. */
export function availableTransports(): readonly TransportSpec<FenceTarget>[] {
  return ALL.filter((t) => t.load !== undefined);
}

/** "tcp or multicast": the transports that carry a key in this build. */
export function keyedNames(): string {
  return availableTransports().filter((t) => t.keyed).map((t) => t.name).join(' or ');
}

export async function loadExchange<T extends TargetBase>(spec: TransportSpec<T>): Promise<Exchange<T> | undefined> {
  if (!spec.load) return undefined;
  const exchange = await spec.load();
  // A half-written dist/ file imports as an empty module: say so, not "unknown transport".
  if (typeof exchange !== 'function') throw new Error(`transport module for '${spec.name}' did not load correctly; rebuild fence_palisade`);
  return exchange;
}

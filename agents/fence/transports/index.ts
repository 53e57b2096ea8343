// Transport registry. Loaded lazily: meta-data, help and validate-all never
// pull in sockets or hashing. A new transport adds one file and one line.
import type { Transport, TransportName } from './types.js';

type Loader = () => Promise<Transport>;

const LOADERS: Partial<Record<TransportName, Loader>> = {
  tcp: async () => (await import('./tcp.js')).tcpTransport,
};

function loaded(name: TransportName, t: Transport | undefined): Transport {
  // A half-written dist/ file imports as an empty module: say so, not "unknown transport".
  if (!t || t.name !== name) throw new Error(`transport module for '${name}' did not load correctly; rebuild fence_palisade`);
  return t;
}

export function isTransportAvailable(name: TransportName): boolean {
  return LOADERS[name] !== undefined;
}

export async function loadTransport(name: TransportName): Promise<Transport | undefined> {
  const load = LOADERS[name];
  return load ? loaded(name, await load()) : undefined;
}

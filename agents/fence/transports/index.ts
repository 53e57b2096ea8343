// Transport registry. Loaded lazily: meta-data, help and validate-all never
// pull in sockets, hashing or serialport. A new transport adds one file and
// one line. vsock has no line: this host has no vsock support to test it.
import type { FenceTarget, Transport, TransportName } from './types.js';

type Loader = () => Promise<Transport>;

/** Each transport only ever gets targets of its own kind (loadTransport looks it up by target.transport). */
const widen = <T extends FenceTarget>(t: Transport<T>): Transport => t as unknown as Transport;

const LOADERS: Partial<Record<TransportName, Loader>> = {
  tcp: async () => widen((await import('./tcp.js')).tcpTransport),
  multicast: async () => widen((await import('./multicast.js')).multicastTransport),
  serial: async () => widen((await import('./serial.js')).serialTransport),
  vmchannel: async () => widen((await import('./vmchannel.js')).vmchannelTransport),
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

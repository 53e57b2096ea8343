// Where fence_xvm's request datagrams go out from (client/mcast.c,
// common/ip_lookup.c). To a group: one socket per local address of the
// family (IPv4 includes 127.0.0.1; IPv6 skips ::1 and fe80::/10, as
// ip_lookup does), multicast TTL/hops 2, the multicast interface set to that
// address, and that address in the request so the daemon calls it back.
// To a unicast (or directed broadcast) address: one connected socket, and
// the local address the kernel picked for it.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

/** fence_xvm hard-codes TTL 2 (DEFAULT_TTL 4 in xvm.h is unused). */
const MULTICAST_TTL = 2;

export interface Sender {
  /** The local address the daemon is asked to call back. */
  readonly local: string;
  /** Unicast: the host answered ICMP port unreachable (nothing listens on that UDP port). */
  readonly refused: boolean;
  send(bytes: Uint8Array): Promise<void>;
  close(): void;
}

export interface Senders {
  readonly senders: readonly Sender[];
  /** Local addresses that could not be used, with why. */
  readonly skipped: readonly string[];
}

interface LocalAddress {
  readonly address: string;
  readonly ifname: string;
}

/** fe80::/10 is fe80 to febf: ip_lookup compares the text prefixes fe80, fe90, fea0, feb0. */
const LINK_LOCAL = /^fe[89ab][0-9a-f]:/i;

function localAddresses(family: 4 | 6): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const [ifname, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== (family === 4 ? 'IPv4' : 'IPv6')) continue;
      if (family === 6 && (a.address === '::1' || LINK_LOCAL.test(a.address))) continue;
      out.push({ address: a.address, ifname });
    }
  }
  return out;
}

function closeQuietly(socket: UdpSocket): void {
  try {
    socket.close();
  } catch {
    // Already closed.
  }
}

function udp(family: 4 | 6, onError: (e: NodeJS.ErrnoException) => void = () => undefined): UdpSocket {
  const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
  // Asynchronous errors (ICMP answers to earlier sends) arrive here; unheard, they would crash the agent.
  socket.on('error', onError);
  return socket;
}

function sendVia(socket: UdpSocket, bytes: Uint8Array, port?: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null): void => (err ? reject(err) : resolve());
    if (port === undefined) socket.send(bytes, done);
    else socket.send(bytes, port, address, done);
  });
}

async function groupSender(group: string, port: number, family: 4 | 6, local: LocalAddress): Promise<Sender> {
  const socket = udp(family);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: local.address, port: 0 }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setMulticastTTL(MULTICAST_TTL);
    socket.setMulticastInterface(family === 4 ? local.address : `::%${local.ifname}`);
  } catch (e) {
    closeQuietly(socket);
    throw e;
  }
  return { local: local.address, refused: false, send: (bytes) => sendVia(socket, bytes, port, group), close: () => closeQuietly(socket) };
}

async function unicastSender(address: string, port: number, family: 4 | 6, onRefused: () => void): Promise<Sender> {
  let refused = false;
  const socket = udp(family, (e) => {
    if (e.code !== 'ECONNREFUSED' || refused) return;
    refused = true;
    onRefused();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: 0 }, () => {
        // A directed broadcast address (192.168.122.255) reaches every daemon on that subnet.
        if (family === 4) socket.setBroadcast(true);
        socket.connect(port, address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
  } catch (e) {
    closeQuietly(socket);
    throw e;
  }
  return {
    local: socket.address().address,
    get refused() {
      return refused;
    },
    send: (bytes) => sendVia(socket, bytes),
    close: () => closeQuietly(socket),
  };
}

/** `onRefused`: called once when a unicast host answers that nothing listens there. */
export async function openSenders(
  address: string, port: number, family: 4 | 6, multicast: boolean, onRefused: () => void,
): Promise<Senders> {
  if (!multicast) {
    try {
      return { senders: [await unicastSender(address, port, family, onRefused)], skipped: [] };
    } catch (e) {
      return { senders: [], skipped: [`${address}: ${(e as Error).message}`] };
    }
  }
  const senders: Sender[] = [];
  const skipped: string[] = [];
  for (const local of localAddresses(family)) {
    try {
      senders.push(await groupSender(address, port, family, local));
    } catch (e) {
      skipped.push(`${local.address} (${local.ifname}): ${(e as Error).message}`);
    }
  }
  return { senders, skipped };
}

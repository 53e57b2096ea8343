// Where a multicast request wants its answer, and the TCP connection back
// to it. As fence_virtd's connect_tcp (server/mcast.c:127-183): the
// packet's family (2 or 10) picks 4 or 16 bytes of `address`, `addrlen` is
// ignored, the UDP source is not used, and the connect has a 5 s limit.
import { connect, SocketAddress, type Socket } from 'node:net';
import { AF_INET, AF_INET6 } from '../../../protocol/constants.js';
import type { FenceRequest } from '../../../protocol/fence-req.js';
import { PalisadeError, PeerTimeoutError } from '../../errors.js';
import { hostPort } from '../../../core/host-port.js';

export interface CallbackTarget {
  /** Numeric IP as inet_ntop prints it: the ACL source. */
  readonly ip: string;
  /** What to connect to: `ip`, with `%interface` for an IPv6 link-local address. */
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** `ip:port` or `[ip]:port`, for logs. */
  readonly label: string;
}

export type TargetResult = { readonly ok: true; readonly target: CallbackTarget } | { readonly ok: false; readonly problem: string };

/**
 * The callback address of `req`. `scopeInterface` is the listener's
 * interface: fence_virtd sets no scope id, so it cannot call back to a
 * link-local IPv6 address; we can when the interface is known.
 */
export function callbackTarget(req: FenceRequest, scopeInterface: string | undefined): TargetResult {
  if (req.family !== AF_INET && req.family !== AF_INET6) {
    return { ok: false, problem: `family ${req.family} is neither ${AF_INET} (IPv4) nor ${AF_INET6} (IPv6); a TCP-style request sent to the multicast port?` };
  }
  if (req.port === 0) return { ok: false, problem: 'callback port 0' };
  const a = req.address;
  let ip: string;
  if (req.family === AF_INET) {
    ip = `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  } else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((a[i]! << 8) | a[i + 1]!).toString(16));
    // libuv's inet_ntop: the same text fence_virtd's inet_ntop gives the ACL (::1, ::ffff:1.2.3.4).
    ip = new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
  }
  const linkLocal = req.family === AF_INET6 && a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;
  const host = linkLocal && scopeInterface ? `${ip}%${scopeInterface}` : ip;
  const family = req.family === AF_INET ? 4 : 6;
  return { ok: true, target: { ip, host, port: req.port, family, label: hostPort(host, req.port) } };
}

/** Connects to `t` within `ms`; rejects with PeerTimeoutError (phase connect) or a PalisadeError naming the errno. */
export function connectBack(t: CallbackTarget, ms: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new PalisadeError('PAL_ERR_LISTENER', `callback to ${t.label}: listener closing`));
      return;
    }
    const sock = connect({ host: t.host, port: t.port, family: t.family, noDelay: true });
    const done = (e?: Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.off('connect', onConnect);
      sock.off('error', onError);
      if (e) {
        sock.destroy();
        reject(e);
      } else {
        resolve(sock);
      }
    };
    const onConnect = () => done();
    const onError = (e: NodeJS.ErrnoException) =>
      done(new PalisadeError('PAL_ERR_LISTENER', `callback to ${t.label}: ${e.code ?? e.message}${e.code === 'ECONNREFUSED' ? ' (the client is no longer listening, or a firewall rejects TCP to it)' : ''}`, { cause: e }));
    const onAbort = () => done(new PalisadeError('PAL_ERR_LISTENER', `callback to ${t.label}: listener closing`));
    const timer = setTimeout(() => done(new PeerTimeoutError({ peer: `callback to ${t.label}`, phase: 'connect', ms })), ms);
    sock.once('connect', onConnect);
    sock.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

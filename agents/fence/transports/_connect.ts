// A TCP connection with a time limit, for tcp and vmchannel. Errors name
// the peer and say what to check; a timeout is its own phase.
import { connect, type Socket } from 'node:net';
import { ConnectError, AbortedError, PeerTimeoutError } from '../errors.js';

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
};

export function openConnection(
  host: string, port: number, peer: string, limitMs: number, signal: AbortSignal | undefined, hint?: string,
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host, port });
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onError = (e: NodeJS.ErrnoException): void =>
      finish(new ConnectError(peer, REASONS[e.code ?? ''] ?? e.message, { cause: e }, hint));
    const onAbort = (): void => finish(new AbortedError(peer, 'connect', { cause: signal?.reason }));
    const timer = setTimeout(() => finish(new PeerTimeoutError({ peer, phase: 'connect', ms: limitMs,
      hint: 'check the address, routing and any firewall that drops instead of rejecting' })), limitMs);
    socket.once('connect', () => finish());
    socket.on('error', onError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

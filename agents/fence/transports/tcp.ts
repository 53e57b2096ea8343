// fence_virt -T: one TCP connection per call, 176-byte signed request, then
// the authenticated stream exchange. The connect limit is the phase timeout
// (fence_virt hard-codes 3 s).
import { randomBytes } from '../random.js';
import { connect, type Socket } from 'node:net';
import { RANDOM_FIELD } from '../../../protocol/constants.js';
import { encodeRequest, makeRequest, signRequest } from '../../../protocol/fence-req.js';
import { ConnectError, FenceAbortedError, PeerTimeoutError, formatPeer } from '../errors.js';
import { authenticatedExchange } from './_auth-session.js';
import type { CallOptions, FenceCall, FenceReply, TcpTarget, Transport } from './types.js';

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

function open(target: TcpTarget, peer: string, { timeoutMs, signal }: CallOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
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
      finish(new ConnectError(peer, REASONS[e.code ?? ''] ?? e.message, { cause: e }));
    const onAbort = (): void => finish(new FenceAbortedError(peer, 'connect', { cause: signal?.reason }));
    const timer = setTimeout(() => finish(new PeerTimeoutError(peer, 'connect', timeoutMs,
      'check the address, routing and any firewall that drops instead of rejecting')), timeoutMs);
    socket.once('connect', () => finish());
    socket.on('error', onError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function fence(target: TcpTarget, call: FenceCall, opts: CallOptions): Promise<FenceReply> {
  const peer = formatPeer(target.host, target.port);
  const request = signRequest(
    makeRequest({ request: call.command, domain: call.domain, seqno: call.seqno, flags: call.flags, hashType: call.hash }),
    call.key, randomBytes(RANDOM_FIELD),
  );
  const socket = await open(target, peer, opts);
  socket.setNoDelay(true);
  try {
    return await authenticatedExchange(socket, peer, encodeRequest(request), call, opts);
  } finally {
    socket.destroy();
  }
}

export const tcpTransport: Transport<TcpTarget> = { name: 'tcp', fence };

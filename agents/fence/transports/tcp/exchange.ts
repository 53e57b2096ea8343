// fence_virt -T: one TCP connection per call, the 176-byte request (signed,
// or sealed for hmac-sha256), then the authenticated stream exchange. The
// connect limit is the phase timeout (fence_virt hard-codes 3 s).
import { hostPort } from '../../../../core/host-port.js';
import { openConnection } from '../_connect.js';
import { requestBytes } from '../_request.js';
import { openSession } from '../_session.js';
import type { CallOptions, FenceCall, FenceReply } from '../types.js';

export interface TcpTarget {
  readonly transport: 'tcp';
  /** IPv4/IPv6 literal or host name. */
  readonly host: string;
  readonly port: number;
}

export async function fence(target: TcpTarget, call: FenceCall, opts: CallOptions): Promise<FenceReply> {
  const peer = hostPort(target.host, target.port);
  const request = requestBytes(call);
  const socket = await openConnection(target.host, target.port, peer, opts.timeoutMs, opts.signal);
  socket.setNoDelay(true);
  try {
    const session = await openSession(socket, peer, call, opts, [request], request);
    return await session.readAnswer();
  } finally {
    socket.destroy();
  }
}


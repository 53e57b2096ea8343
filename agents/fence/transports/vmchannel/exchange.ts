// fence_virt without -D: the serial framing over TCP to the guestfwd
// address (QEMU forwards channel_address:port to the host's channel
// socket). fence_virt connects with a 3 s limit; so do we, or within the
// timeout when that is smaller.
import { hostPort } from '../../../../core/host-port.js';
import { openConnection } from '../_connect.js';
import { serialExchange } from '../_serial-exchange.js';
import type { CallOptions, FenceCall, FenceReply } from '../types.js';

export interface VmchannelTarget {
  readonly transport: 'vmchannel';
  /** IPv4/IPv6 literal: the guestfwd address (fence_virt's -A, default 10.0.2.179). */
  readonly host: string;
  readonly port: number;
}

const CONNECT_LIMIT_MS = 3000;

export async function fence(target: VmchannelTarget, call: FenceCall, opts: CallOptions): Promise<FenceReply> {
  const peer = hostPort(target.host, target.port);
  const socket = await openConnection(target.host, target.port, peer, Math.min(CONNECT_LIMIT_MS, opts.timeoutMs), opts.signal,
    'check that the guest has the guestfwd channel (channel_address, -A) and that fence_virtd serves it (listener "serial", mode "vmchannel")');
  socket.setNoDelay(true);
  try {
    return await serialExchange(socket, peer, call, {
      timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}),
      timeoutHint: 'no answer through the channel: check that fence_virtd serves this guest (listener "serial", mode = "vmchannel")',
    });
  } finally {
    socket.destroy();
  }
}


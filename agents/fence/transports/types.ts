// The contract between the fence client and a transport. A transport gets
// an unsigned call (command, domain, seqno, key and hash settings) because
// each one frames it differently: tcp and vsock sign one request, multicast
// re-signs per local address, serial sends an unsigned 74-byte frame.
import type { HashTypeValue } from '../../../protocol/constants.js';
import type { HostRecord } from '../../../protocol/host-list.js';

export interface TcpTarget {
  readonly transport: 'tcp';
  /** IPv4/IPv6 literal or host name. */
  readonly host: string;
  readonly port: number;
}

/** multicast, serial, vmchannel and vsock targets join this union when their transports land. */
export type FenceTarget = TcpTarget;
export type TransportName = 'tcp' | 'multicast' | 'serial' | 'vmchannel' | 'vsock';

export interface FenceCall {
  /** FenceCommand value (any byte: the daemon answers unknown codes with 1). */
  readonly command: number;
  readonly domain: string;
  readonly seqno: number;
  /** RF_UUID or 0. */
  readonly flags: number;
  readonly hash: HashTypeValue;
  readonly auth: HashTypeValue;
  /** Empty when hash and auth are both none. */
  readonly key: Uint8Array;
}

export interface CallOptions {
  /** Limit for each phase (connect, each read), not for the whole call. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Named in authentication errors, so the operator knows which file to compare. */
  readonly keyFile?: string;
}

export interface FenceReply {
  /** The daemon's result byte; 0 after a host list (its trailing byte is in `trailer`). */
  readonly result: number;
  readonly hosts?: readonly HostRecord[];
  /** The byte after a host list's terminator: libvirt 0, cpg 1; fence_virt ignores it. */
  readonly trailer?: number;
}

export interface Transport<T extends FenceTarget = FenceTarget> {
  readonly name: T['transport'];
  fence(target: T, call: FenceCall, options: CallOptions): Promise<FenceReply>;
}

// The contract between the fence client and a transport. A transport gets
// an unsigned call (command, domain, seqno, authentication) because each
// one frames it differently: tcp signs one request, multicast re-signs per
// local address and retransmission, serial and vmchannel send an unsigned
// 74-byte frame.
import type { HashTypeValue } from '../../../protocol/constants.js';
import type { HostRecord } from '../../../protocol/host-list.js';
import type { HmacKeys } from '../../../protocol/hmac-auth.js';

export interface TcpTarget {
  readonly transport: 'tcp';
  /** IPv4/IPv6 literal or host name. */
  readonly host: string;
  readonly port: number;
}

export interface MulticastTarget {
  readonly transport: 'multicast';
  /**
   * A multicast group (225.0.0.12, ff05::3:1): the request goes out from
   * every local address of its family. Or one host's unicast address: one
   * datagram, from the local address the kernel routes it from.
   */
  readonly address: string;
  /** The daemons' UDP port, and the TCP port we listen on for their callback (fence_xvm uses one number for both). */
  readonly port: number;
  /** Retransmit interval (fence_xvm's retrans, 1/10 s units there). Default 2000 ms. */
  readonly retransMs?: number;
}

export interface SerialTarget {
  readonly transport: 'serial';
  /** The tty, e.g. /dev/ttyS1. */
  readonly device: string;
  /** fence_virt's -P: "115200,8N1". */
  readonly params: string;
}

export interface VmchannelTarget {
  readonly transport: 'vmchannel';
  /** IPv4/IPv6 literal: the guestfwd address (fence_virt's -A, default 10.0.2.179). */
  readonly host: string;
  readonly port: number;
}

export type FenceTarget = TcpTarget | MulticastTarget | SerialTarget | VmchannelTarget;
export type TransportName = FenceTarget['transport'] | 'vsock';

/** How the exchange is authenticated; serial and vmchannel carry none and ignore it. */
export type CallAuth =
  | {
    readonly mode: 'legacy';
    /** Request signature hash. */
    readonly hash: HashTypeValue;
    /** Challenge-response hash. */
    readonly auth: HashTypeValue;
    /** Empty when hash and auth are both none. */
    readonly key: Uint8Array;
  }
  /** palisade's authenticated mode (protocol/hmac-auth.md); keys derived once per call. */
  | { readonly mode: 'hmac-sha256'; readonly keys: HmacKeys };

export interface FenceCall {
  /** FenceCommand value (any byte: the daemon answers unknown codes with 1). */
  readonly command: number;
  readonly domain: string;
  readonly seqno: number;
  /** RF_UUID or 0. */
  readonly flags: number;
  readonly auth: CallAuth;
}

export interface CallOptions {
  /**
   * tcp and vmchannel: the limit for each phase (connect, each read).
   * multicast: the limit for a daemon to call back (all retransmissions
   * included), then for each phase of that callback. serial: the limit for
   * the whole exchange.
   */
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
  /** multicast: the daemons whose answers make up this reply. */
  readonly answeredBy?: readonly string[];
  /** Things worth telling the operator that did not stop the call (a host that failed during a multicast list). */
  readonly warnings?: readonly string[];
}

/** An authenticated stream exchange, after the request: tcp's and a multicast callback's. */
export interface Session {
  readAnswer(): Promise<FenceReply>;
}

export interface Transport<T extends FenceTarget = FenceTarget> {
  readonly name: T['transport'];
  fence(target: T, call: FenceCall, options: CallOptions): Promise<FenceReply>;
}

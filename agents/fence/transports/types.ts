// The contract between the fence agent and a transport. A transport is a
// descriptor (TransportSpec: the facts the agent's help, validation, key
// handling and client read) plus an exchange loaded only when a call is
// made. The exchange gets an unsigned call (command, domain, seqno,
// authentication) because each transport frames it differently: tcp signs
// one request, multicast re-signs per local address and retransmission,
// serial and vmchannel send an unsigned 74-byte frame.
import type { HashTypeValue } from '../../../protocol/constants.js';
import type { HostRecord } from '../../../protocol/host-list.js';
import type { HmacKeys } from '../../../protocol/hmac-auth.js';
import type { AgentName, ClientName, FenceSettings, SettingKey } from '../options.js';

/** Where one call goes; `transport` names its descriptor. */
export interface TargetBase {
  readonly transport: string;
}

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

/** Runs one call over a transport. */
export type Exchange<T extends TargetBase> = (target: T, call: FenceCall, options: CallOptions) => Promise<FenceReply>;

/**
 * A transport's facts. The registry (index.ts) lists the descriptors in
 * the order fence_virt lets options select them (client/main.c): the first
 * whose `selectedBy` setting was given wins.
 */
export interface TransportSpec<T extends TargetBase> {
  readonly name: T['transport'];
  /** One line: what it is, for -h and the README. */
  readonly description: string;
  /** -h: how the options select it, e.g. "ipaddr (-T) selects tcp". */
  readonly help: string;
  /** Carries the shared key (signatures, challenge-response, hmac-sha256); without it there is no authentication at all. */
  readonly keyed: boolean;
  /** The settings it reads beyond the common ones; another transport's draw a warning. */
  readonly settings: readonly SettingKey[];
  /** The setting whose presence selects it; absent: chosen only as a default. */
  readonly selectedBy?: SettingKey;
  /** The C clients that offer it under their name (fence_palisade offers every transport). */
  readonly clients: readonly ClientName[];
  /** The names under which it is the transport when no `selectedBy` setting was given. */
  readonly defaultFor?: readonly AgentName[];
  /** Problems of the settings that only this transport knows (e.g. an address of the wrong family). */
  settingsProblems?(settings: FenceSettings): string[];
  /** The target the agent's settings describe. */
  fromSettings(settings: FenceSettings): T;
  /** Problems with a target given to the programmatic client, each `field: what`. */
  targetProblems(target: T): string[];
  /** The target in one line, for debug output. */
  describe(target: T): string;
  /** Loads the exchange: sockets, hashing and serialport only when a call is made. */
  readonly load?: () => Promise<Exchange<T>>;
  /** Why it cannot be used in this build (then there is no `load`). */
  readonly unavailable?: string;
}

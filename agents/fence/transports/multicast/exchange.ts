// fence_xvm: the request goes out by UDP (to a group from every local
// address, or to one host), the daemons connect back to our TCP listener,
// and the stream exchange runs on that callback (fence-virt client/mcast.c).
//
// Timing. Rounds start every `retransMs`: each sends one freshly signed
// request per sender (same seqno throughout, so daemons' history drops the
// copies they already served), then waits for callbacks until the next
// round. Waiting for a callback is bounded by the timeout as a whole
// (fence_xvm computes a number of attempts instead, and retransmits forever
// when retrans > 10 x timeout, client/mcast.c); a callback accepted in time
// then gets the per-phase timeout for each step, as fence_xvm gives it.
//
// Which callback answers:
// - every operation but list: the first callback that authenticates (the
//   daemon proved the key) is the answer; other callbacks are dropped and
//   the listener closes. Callbacks that fail to authenticate are noted and
//   ignored, so a stray or hostile peer cannot answer for the daemons.
// - list / list-status: each daemon answers with its own host list. After
//   the first complete answer there are no more retransmissions; callbacks
//   are accepted until the end of that retransmit window (or the timeout,
//   if sooner), callbacks accepted by then may finish, and the reply is the
//   union of all host lists (sorted by name, one record per UUID). The same
//   rule holds for a unicast address: it may be a broadcast address, or a
//   relay, with several daemons behind it.
import type { Server, Socket } from 'node:net';
import { AF_INET, AF_INET6, FenceCommand } from '../../../../protocol/constants.js';
import { ipBytes, ipVersion } from '../../ip-literal.js';
import { isMulticastAddress } from '../../../../core/multicast-address.js';
import { hostPort } from '../../../../core/host-port.js';
import { AbortedError, CallbackTimeoutError, ConnectError, PalisadeError, formatMs } from '../../errors.js';
import { listenForCallbacks } from '../_callback-listener.js';
import { unionOfHosts } from '../_host-union.js';
import { openSenders, type Sender } from '../_mcast-senders.js';
import { requestBytes } from '../_request.js';
import { openSession } from '../_session.js';
import type { CallOptions, FenceCall, FenceReply } from '../types.js';

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

const DEFAULT_RETRANS_MS = 2000;
/** Sent requests kept for matching an hmac-sha256 hello; daemons answer recent ones. */
const KEEP_REQUESTS = 1024;

interface Answer {
  readonly peer: string;
  readonly reply: FenceReply;
}

/** Callbacks on the listener: authentication, commitment, answers and what went wrong. */
class Callbacks {
  readonly requests: Uint8Array[] = [];
  readonly #call: FenceCall;
  readonly #opts: CallOptions;
  readonly #gather: boolean;
  readonly #sockets = new Set<Socket>();
  readonly #pending = new Set<Promise<void>>();
  readonly #answers: Answer[] = [];
  readonly #failures: string[] = [];
  #committed: { readonly peer: string; readonly socket: Socket; readonly answer: Promise<FenceReply> } | undefined;
  #accepting = true;
  #wake: (() => void) | undefined;

  constructor(call: FenceCall, opts: CallOptions, gather: boolean) {
    this.#call = call;
    this.#opts = opts;
    this.#gather = gather;
  }

  get committed(): boolean {
    return this.#committed !== undefined;
  }

  get answered(): boolean {
    return this.#answers.length > 0;
  }

  /** Callbacks accepted and still running. */
  get busy(): boolean {
    return this.#pending.size > 0;
  }

  get failures(): readonly string[] {
    return this.#failures;
  }

  remember(request: Uint8Array): void {
    this.requests.push(request);
    if (this.requests.length > KEEP_REQUESTS) this.requests.shift();
  }

  readonly onConnection = (socket: Socket): void => {
    if (!this.#accepting) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const peer = hostPort(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0);
    const work = this.#serve(socket, peer);
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  };

  async #serve(socket: Socket, peer: string): Promise<void> {
    try {
      const session = await openSession(socket, peer, this.#call, this.#opts, this.requests);
      if (!this.#gather) {
        if (this.#committed) {
          socket.destroy();
          return;
        }
        const answer = session.readAnswer();
        answer.catch(() => undefined);
        this.#committed = { peer, socket, answer };
        this.stopAccepting();
        for (const s of this.#sockets) if (s !== socket) s.destroy();
        this.#wake?.();
        return;
      }
      this.#answers.push({ peer, reply: await session.readAnswer() });
    } catch (e) {
      if (this.#committed && this.#committed.socket !== socket) return; // dropped by us
      this.#failures.push(e instanceof PalisadeError ? e.message : `${peer}: ${(e as Error).message}`);
      socket.destroy();
    }
  }

  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Ends the current waitUntil early (something outside the callbacks changed). */
  interrupt(): void {
    this.#wake?.();
  }

  /** Resolves at `time`, or earlier once a non-list call has committed, the caller aborts, or interrupt(). */
  waitUntil(time: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, time - Date.now()));
      this.#wake = done;
      signal?.addEventListener('abort', done, { once: true });
      if (this.#committed || signal?.aborted) done();
    });
  }

  /** No new callbacks; those already accepted finish (each bounded by the per-phase timeout). */
  async settle(): Promise<FenceReply | undefined> {
    this.stopAccepting();
    while (!this.#committed && this.#pending.size > 0) await Promise.race(this.#pending);
    if (this.#committed) {
      try {
        return { ...(await this.#committed.answer), answeredBy: [this.#committed.peer] };
      } finally {
        this.#committed.socket.destroy();
      }
    }
    return this.#merge();
  }

  #merge(): FenceReply | undefined {
    const lists = this.#answers.filter((a) => a.reply.hosts);
    const others = this.#answers.filter((a) => !a.reply.hosts);
    if (lists.length === 0) {
      const first = others[0];
      return first && { ...first.reply, answeredBy: [first.peer] };
    }
    const warnings = [
      ...others.map((a) => `${a.peer} answered the list request with result ${a.reply.result} instead of a host list`),
      ...this.#failures.map((f) => `a daemon's callback failed: ${f}`),
    ];
    return {
      result: lists[0]!.reply.result,
      hosts: unionOfHosts(lists.map((a) => a.reply.hosts!)),
      answeredBy: lists.map((a) => a.peer),
      ...(warnings.length ? { warnings } : {}),
    };
  }

  destroyAll(): void {
    for (const s of this.#sockets) s.destroy();
  }
}

function timeoutDetail(
  target: MulticastTarget, multicast: boolean, locals: readonly string[], call: FenceCall, timeoutMs: number, callbacks: Callbacks,
): string {
  const { address, port } = target;
  const parts = [
    `no fence daemon called back within ${formatMs(timeoutMs)} (request sent to ${hostPort(address, port)} over UDP from ${locals.join(', ')}; ` +
      `callback expected on TCP port ${port})`,
  ];
  if (callbacks.failures.length) parts.push(`callbacks that failed: ${callbacks.failures.join('; ')}`);
  parts.push(multicast
    ? `check that the hosts accept UDP port ${port} from this machine and this machine accepts TCP port ${port} from the hosts (firewalls), ` +
      `that the hosts' multicast listener uses the interface that carries ${address} (fence_virtd: interface = "virbr0", for example) and IGMP passes, ` +
      'and that they have the same key file (a daemon drops a request signed with another key without a word)'
    : `check that a daemon with the multicast listener runs on ${address} and accepts UDP port ${port} from this machine, ` +
      `that this machine accepts TCP port ${port} from it (firewalls), and that it has the same key file (a daemon drops a request signed with another key without a word)`);
  if (call.auth.mode === 'hmac-sha256') {
    parts.push('with auth=hmac-sha256: fence_virtd, and palisaded listeners without auth = "hmac-sha256", drop the request without a word');
  }
  return parts.join('; ');
}

async function sendRound(senders: readonly Sender[], call: FenceCall, family: 4 | 6, port: number, callbacks: Callbacks): Promise<string[]> {
  const errors: string[] = [];
  await Promise.all(senders.map(async (s) => {
    const request = requestBytes(call, { address: ipBytes(s.local), family: family === 4 ? AF_INET : AF_INET6, port });
    callbacks.remember(request);
    try {
      await s.send(request);
    } catch (e) {
      errors.push(`${s.local}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }));
  return errors;
}

export async function fence(target: MulticastTarget, call: FenceCall, opts: CallOptions): Promise<FenceReply> {
  const start = Date.now();
  const deadline = start + opts.timeoutMs;
  const retransMs = target.retransMs ?? DEFAULT_RETRANS_MS;
  const family = ipVersion(target.address) === 6 ? 6 : 4;
  const multicast = isMulticastAddress(target.address);
  const where = `${hostPort(target.address, target.port)} (UDP)`;
  const callbacks = new Callbacks(call, opts, call.command === FenceCommand.HOSTLIST);

  const server: Server = await listenForCallbacks(family, target.port, deadline, opts.signal, callbacks.onConnection);
  const { senders, skipped } = await openSenders(target.address, target.port, family, multicast, () => callbacks.interrupt());
  const refusedError = (): ConnectError => new ConnectError(where, 'nothing listens on that UDP port (the host answered ICMP port unreachable)', undefined,
    'check that palisaded or fence_virtd runs there with the multicast listener on that port');
  try {
    if (senders.length === 0) {
      throw new ConnectError(where, `no local IPv${family} address to send from${skipped.length ? ` (${skipped.join('; ')})` : ''}`, undefined,
        'check the network configuration and ip_family');
    }
    for (let round = 0; ; round++) {
      const errors = await sendRound(senders, call, family, target.port, callbacks);
      // Nothing left this machine: waiting would only delay the same error.
      if (round === 0 && errors.length === senders.length) {
        throw new ConnectError(where, `sending failed (${errors.join('; ')})`, undefined, 'check the network configuration and routes');
      }
      const windowEnd = Math.min(start + (round + 1) * retransMs, deadline);
      for (;;) {
        await callbacks.waitUntil(windowEnd, opts.signal);
        if (opts.signal?.aborted) throw new AbortedError(where, 'callback', { cause: opts.signal.reason });
        if (callbacks.committed || Date.now() >= windowEnd) break;
        // Woken early: a unicast host with nothing on the port, so no daemon will call back (one already calling back is waited for).
        if (senders.every((s) => s.refused) && !callbacks.busy) throw refusedError();
      }
      if (callbacks.committed || callbacks.answered || Date.now() >= deadline) break;
    }
    const reply = await callbacks.settle();
    if (reply) return reply;
    throw new CallbackTimeoutError(opts.timeoutMs, timeoutDetail(target, multicast, senders.map((s) => s.local), call, opts.timeoutMs, callbacks));
  } finally {
    server.close();
    for (const s of senders) s.close();
    callbacks.destroyAll();
  }
}


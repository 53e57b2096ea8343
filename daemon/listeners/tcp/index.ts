// TCP listener (fence_virt -T): one connection per request, served
// concurrently, each phase with its own deadline.
//   C->S request(176)  C->S challenge(64)  S->C response(64)
//   S->C challenge(64) C->S response(64)   S->C result(1 | host list)
import { createServer, isIPv4, isIPv6, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { CHALLENGE_SIZE, HashType, REQUEST_SIZE, Result } from '../../../protocol/constants.js';
import { decodeRequest, requestVerifier, type VerifyResult } from '../../../protocol/fence-req.js';
import { challengeAuth, type ChallengeAuth } from '../../../protocol/legacy-auth.js';
import { encodeHostList } from '../../../protocol/host-list.js';
import { ProtocolError } from '../../../protocol/errors.js';
import { choice, port as portOf, strOr } from '../../config/access.js';
import { ConfigError, PalisadeError } from '../../errors.js';
import type { Handle, Peer, Reply } from '../../dispatch.js';
import { ExactReader } from '../../net/exact-reader.js';
import { readAuthOptions, type AuthOptions } from '../auth-options.js';
import type { Listener, ListenerContext, ListenerSpec } from '../types.js';

/** Per-phase limits. fence_virtd waits 1 s for the request and 10 s per auth step. */
export const TCP_TIMEOUTS = { request: 5_000, challenge: 10_000, response: 10_000, write: 10_000, drain: 10_000 } as const;
/** Connections beyond this are refused at once, so idle peers cannot exhaust the daemon. */
export const MAX_CONNECTIONS = 512;

interface TcpOptions extends AuthOptions {
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly port: number;
}

export const tcpListener: ListenerSpec = {
  name: 'tcp',
  async create(section, ctx) {
    const family = choice(section, 'family', ['ipv4', 'ipv6'] as const, 'ipv4');
    const address = strOr(section, 'address', family === 'ipv6' ? '::1' : '127.0.0.1');
    if (family === 'ipv4' ? !isIPv4(address) : !isIPv6(address)) {
      const line = section.values.get('address')?.at(-1)?.line ?? section.line;
      throw new ConfigError(section.file, line, `${ctx.name}/@address`, `'${address}' is not an ${family} address literal (family = "${family}")`);
    }
    const opts: TcpOptions = { ...(await readAuthOptions(section, ctx.log)), family, address, port: portOf(section, 'port', 1229) };
    return new TcpListener(opts, ctx);
  },
};

class TcpListener implements Listener {
  readonly description: string;
  readonly #opts: TcpOptions;
  readonly #ctx: ListenerContext;
  readonly #sockets = new Set<Socket>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  /** The key's hash states, built once: hashing the key again per request is most of the verification cost. */
  readonly #verify: (bytes: Uint8Array, minimum: TcpOptions['minimumHash']) => VerifyResult;
  readonly #challenge: ChallengeAuth | undefined;
  #server: Server | undefined;

  constructor(opts: TcpOptions, ctx: ListenerContext) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#verify = requestVerifier(opts.key);
    this.#challenge = opts.auth === HashType.NONE ? undefined : challengeAuth(opts.auth, opts.key);
    this.description = `${ctx.name} ${opts.family === 'ipv6' ? `[${opts.address}]` : opts.address}:${opts.port}`;
  }

  start(handle: Handle): Promise<void> {
    const server = createServer({ noDelay: true }, (sock) => {
      if (this.#sockets.size >= MAX_CONNECTIONS) {
        this.#ctx.log('warn', `${this.description}: ${MAX_CONNECTIONS} connections open; refusing ${sock.remoteAddress}`);
        sock.destroy();
        return;
      }
      this.#sockets.add(sock);
      const p = this.#serve(sock, handle).finally(() => {
        this.#sockets.delete(sock);
        this.#inflight.delete(p);
      });
      this.#inflight.add(p);
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => reject(new PalisadeError('PAL_ERR_LISTENER',
        `${this.description}: cannot listen: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another fence_virtd/palisaded running?)' : ''}`, { cause: e }));
      server.once('error', onError);
      server.listen({ host: this.#opts.address, port: this.#opts.port, backlog: 128, ipv6Only: this.#opts.family === 'ipv6' }, () => {
        server.off('error', onError);
        server.on('error', (e) => this.#ctx.log('error', `${this.description}: ${e.message}`));
        resolve();
      });
    });
  }

  async #serve(sock: Socket, handle: Handle): Promise<void> {
    const addr = sock.remoteAddress ?? 'unknown';
    // The ACL source is the numeric IP as the socket reports it; acl.ts
    // matches IPv4-mapped forms (::ffff:a.b.c.d) against IPv4 entries.
    const peer: Peer = { listener: this.#ctx.name, source: addr, address: `${addr.includes(':') ? `[${addr}]` : addr}:${sock.remotePort}` };
    const reader = new ExactReader(sock, peer.address);
    const log = this.#ctx.log;
    const { minimumHash } = this.#opts;
    const challenge = this.#challenge;
    try {
      const raw = await reader.read(REQUEST_SIZE, 'request', TCP_TIMEOUTS.request);
      const req = decodeRequest(raw);
      const verdict = this.#verify(raw, minimumHash);
      if (!verdict.ok) {
        log('warn', `${this.#ctx.name} ${peer.address}: ${verdictText(verdict.reason, req.hashType, minimumHash)}; dropping client`);
        return;
      }
      if (challenge) {
        const theirs = await reader.read(CHALLENGE_SIZE, 'challenge', TCP_TIMEOUTS.challenge);
        const ours = new Uint8Array(randomBytes(CHALLENGE_SIZE));
        // One write, one segment: our response and our challenge travel together.
        const out = new Uint8Array(2 * CHALLENGE_SIZE);
        out.set(challenge.respond(theirs));
        out.set(ours, CHALLENGE_SIZE);
        sock.write(out);
        const answer = await reader.read(CHALLENGE_SIZE, 'response', TCP_TIMEOUTS.response);
        if (!challenge.verify(ours, answer)) {
          log('warn', `${this.#ctx.name} ${peer.address}: challenge response did not verify (wrong key or auth hash); dropping client`);
          return;
        }
      }
      const reply = await handle(req, peer, this.#abort.signal);
      await writeReply(sock, reply);
    } catch (e) {
      if (e instanceof ProtocolError) log('warn', `${this.#ctx.name} ${peer.address}: malformed request: ${e.message}; dropping client`);
      else if (e instanceof PalisadeError) log('debug', e.message);
      else log('error', `${this.#ctx.name} ${peer.address}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    } finally {
      sock.destroy();
    }
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Let in-flight operations finish (a fence in progress must complete), bounded.
    const drained = Promise.allSettled([...this.#inflight]);
    const timer = new Promise<void>((r) => setTimeout(r, TCP_TIMEOUTS.drain).unref());
    await Promise.race([drained, timer]);
    this.#abort.abort(new Error('listener closed'));
    for (const s of this.#sockets) s.destroy();
  }
}

function verdictText(reason: 'hash-too-weak' | 'empty-key' | 'mismatch', got: number, min: number): string {
  switch (reason) {
    case 'hash-too-weak': return `request hash type ${got} is weaker than the configured minimum ${min}`;
    case 'empty-key': return 'the key file is empty, so no signed request can verify';
    default: return 'request signature does not match our key (key mismatch)';
  }
}

function writeReply(sock: Socket, reply: Reply): Promise<void> {
  if (reply.kind === 'drop') return Promise.resolve();
  const bytes = reply.kind === 'hostlist' ? encodeHostList(reply.hosts, Result.SUCCESS) : Uint8Array.of(reply.result & 0xff);
  // Write, then close once the kernel has the bytes (as fence_virtd: write, close).
  // A half-close (end) costs a second round of socket work for nothing.
  return new Promise((resolve) => {
    const t = setTimeout(() => { sock.destroy(); resolve(); }, TCP_TIMEOUTS.write);
    sock.write(bytes, () => { clearTimeout(t); resolve(); });
  });
}

// The part of a fence exchange that runs over a stream once the request has
// been read and its signature checked: the same for a TCP client and for a
// multicast callback (fence-virt common/simple_auth.c, and protocol/hmac-auth.md).
//   legacy:  peer challenge -> our response + our challenge -> peer response -> result
//   hmac:    our hello -> peer proof -> result body + tag
import type { Socket } from 'node:net';
import { CHALLENGE_SIZE, HashType, Result } from '../../protocol/constants.js';
import { challengeAuth, type ChallengeAuth } from '../../protocol/legacy-auth.js';
import { NONCE_SIZE, TAG_SIZE, daemonHello, resultTag, verifyClientProof } from '../../protocol/hmac-auth.js';
import { encodeHostList } from '../../protocol/host-list.js';
import type { FenceRequest } from '../../protocol/fence-req.js';
import { randomBytes } from 'node:crypto';
import type { Peer, Reply, Service } from '../dispatch.js';
import type { ExactReader } from '../../core/exact-reader.js';
import type { LogFn } from '../log.js';
import type { Credential, ListenerAuth } from './credentials.js';
import type { Verdict } from './_request-auth.js';

/** Per-phase limits. fence_virtd waits 10 s per auth step. */
export const SESSION_TIMEOUTS = { challenge: 10_000, response: 10_000, write: 10_000 } as const;

export interface SessionInput {
  readonly sock: Socket;
  readonly reader: ExactReader;
  readonly raw: Uint8Array;
  readonly req: FenceRequest;
  readonly verdict: Extract<Verdict, { ok: true }>;
  readonly peer: Peer;
  readonly service: Service;
  readonly signal: AbortSignal;
  readonly log: LogFn;
}

/** Builds the legacy challenge-response state once per credential. */
export function sessionRunner(auth: ListenerAuth): (input: SessionInput) => Promise<void> {
  const challenges = new Map<Credential, ChallengeAuth>();
  for (const c of auth.credentials) {
    if (auth.mode === 'legacy' && auth.auth !== HashType.NONE) challenges.set(c, challengeAuth(auth.auth, c.key));
  }
  return async (input) => {
    const { sock, reader, raw, verdict, peer, log } = input;
    const scoped: Peer = verdict.credential.scope ? { ...peer, scope: verdict.credential.scope } : peer;
    if (verdict.hmac) {
      const nonce = new Uint8Array(randomBytes(NONCE_SIZE));
      sock.write(daemonHello(verdict.hmac, raw, nonce));
      const proof = await reader.read(TAG_SIZE, 'response', SESSION_TIMEOUTS.response);
      if (!verifyClientProof(verdict.hmac, raw, nonce, proof)) {
        log('warn', `${peer.listener} ${peer.address}: client proof did not verify (replayed request, or a different key); dropping client`);
        return;
      }
      const reply = await input.service.handle(input.req, scoped, input.signal);
      const body = replyBytes(reply);
      if (!body) return;
      const tagged = new Uint8Array(body.length + TAG_SIZE);
      tagged.set(body);
      tagged.set(resultTag(verdict.hmac, raw, nonce, body), body.length);
      await writeAll(sock, tagged);
      return;
    }
    const challenge = challenges.get(verdict.credential);
    if (challenge) {
      const theirs = await reader.read(CHALLENGE_SIZE, 'challenge', SESSION_TIMEOUTS.challenge);
      const ours = new Uint8Array(randomBytes(CHALLENGE_SIZE));
      // One write, one segment: our response and our challenge travel together.
      const out = new Uint8Array(2 * CHALLENGE_SIZE);
      out.set(challenge.respond(theirs));
      out.set(ours, CHALLENGE_SIZE);
      sock.write(out);
      const answer = await reader.read(CHALLENGE_SIZE, 'response', SESSION_TIMEOUTS.response);
      if (!challenge.verify(ours, answer)) {
        log('warn', `${peer.listener} ${peer.address}: challenge response did not verify (wrong key or auth hash); dropping client`);
        return;
      }
    }
    const body = replyBytes(await input.service.handle(input.req, scoped, input.signal));
    if (body) await writeAll(sock, body);
  };
}

/** The bytes of a reply as fence_virtd writes them; undefined for a dropped duplicate. */
export function replyBytes(reply: Reply): Uint8Array | undefined {
  if (reply.kind === 'drop') return undefined;
  return reply.kind === 'hostlist' ? encodeHostList(reply.hosts, Result.SUCCESS) : Uint8Array.of(reply.result & 0xff);
}

/** Write, then let the caller close once the kernel has the bytes (as fence_virtd: write, close). */
export function writeAll(sock: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => { sock.destroy(); resolve(); }, SESSION_TIMEOUTS.write);
    sock.write(bytes, () => { clearTimeout(t); resolve(); });
  });
}

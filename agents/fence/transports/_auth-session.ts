// The stream half of the legacy fence-virt exchange, shared by tcp and the
// multicast callback (fence-virt common/simple_auth.c): we challenge the daemon first and check
// its answer in constant time, then answer its challenge; the answer (result
// byte or host list) comes after. With auth none both challenges are
// skipped, as sock_challenge/sock_response do.
import type { Socket } from 'node:net';
import { CHALLENGE_SIZE, HashType, Result } from '../../../protocol/constants.js';
import { challengeResponse, verifyChallengeResponse } from '../../../protocol/legacy-auth.js';
import { randomBytes } from '../random.js';
import { FenceAuthError, ShortReadError } from '../errors.js';
import { readHostRecords } from './_host-list.js';
import type { ExactReader } from '../../../core/exact-reader.js';
import type { CallAuth, CallOptions, FenceReply, Session } from './types.js';

type LegacyAuth = Extract<CallAuth, { mode: 'legacy' }>;

/**
 * Resolves once the daemon has answered our challenge correctly and we have
 * answered its own (at once with auth none). `preamble` (tcp: the request)
 * goes out in the same write as our challenge, as fence_virt does.
 */
export async function openLegacySession(
  socket: Socket, reader: ExactReader, peer: string, auth: LegacyAuth, opts: CallOptions, preamble?: Uint8Array,
): Promise<Session> {
  const { timeoutMs, signal } = opts;
  const keyFile = opts.keyFile ?? 'our key';
  const authenticating = auth.auth !== HashType.NONE;
  const challenge = authenticating ? randomBytes(CHALLENGE_SIZE) : undefined;
  const first = [preamble, challenge].filter((b): b is Uint8Array => b !== undefined);
  if (first.length) socket.write(Buffer.concat(first));

  if (challenge) {
    const answer = await reader.read(CHALLENGE_SIZE, 'challenge-response', timeoutMs, signal, {
      onClose: (received) =>
        received === 1
          ? new ShortReadError({ peer, phase: 'challenge-response', expected: CHALLENGE_SIZE, received,
            hint: 'it sent a bare result byte, so it runs without challenge-response: set auth=none (-C none) to match, or enable auth on the daemon' })
          : new FenceAuthError(peer,
            'the daemon dropped the request without answering our challenge (a hash below its minimum, a replay of a request seen in the last 10 s, ' +
            'or a palisaded listener in the hmac-sha256 mode, where auth=hmac-sha256 is needed, looks the same)',
            keyFile),
      timeoutHint: 'the daemon accepted the connection but did not answer; it may be busy with another client or not a fence-virt daemon',
    });
    if (!verifyChallengeResponse(auth.auth, auth.key, challenge, answer)) {
      throw new FenceAuthError(peer, "the daemon's answer to our challenge is wrong", keyFile);
    }
    const theirs = await reader.read(CHALLENGE_SIZE, 'daemon-challenge', timeoutMs, signal);
    socket.write(challengeResponse(auth.auth, auth.key, theirs));
  }
  return { readAnswer: () => readAnswer(reader, peer, authenticating, keyFile, opts) };
}

async function readAnswer(
  reader: ExactReader, peer: string, authenticating: boolean, keyFile: string, { timeoutMs, signal }: CallOptions,
): Promise<FenceReply> {
  const [result] = await reader.read(1, 'result', timeoutMs, signal, {
    onClose: (received, expected) =>
      authenticating
        ? new FenceAuthError(peer, 'the daemon rejected our answer to its challenge', keyFile)
        : new ShortReadError({ peer, phase: 'result', expected, received,
          hint: 'with auth=none here, a daemon that expects challenge-response gives up after its own timeout: set auth to the daemon\'s setting' }),
    timeoutHint: authenticating
      ? 'the daemon took the request but its backend did not answer in time; the operation may still complete'
      : 'auth=none here: a daemon that expects challenge-response waits for our challenge instead; set auth to match the daemon',
  });
  if (result !== Result.HOSTLIST) return { result: result! };
  const { hosts } = await readHostRecords(reader, peer, () => timeoutMs, signal);
  // The trailing byte: read it so the daemon's last write does not meet a
  // closed socket; a daemon that closes without it is tolerated, like fence_virt.
  const trailer = await reader.read(1, 'host-list', timeoutMs, signal, { onClose: () => new TrailerMissing() }).then(
    (b) => b[0],
    (e: unknown) => {
      if (e instanceof TrailerMissing) return undefined;
      throw e;
    },
  );
  return trailer === undefined ? { result: Result.SUCCESS, hosts } : { result: Result.SUCCESS, hosts, trailer };
}

class TrailerMissing extends Error {}

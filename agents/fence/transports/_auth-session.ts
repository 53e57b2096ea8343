// The stream half of the fence-virt exchange, shared by tcp, vsock and the
// multicast callback (reference §2): we challenge the daemon first and check
// its answer in constant time, then answer its challenge, then read the
// result byte and, for a host list, the records. With auth none both
// challenges are skipped, as sock_challenge/sock_response do.
import { randomBytes } from '../random.js';
import type { Socket } from 'node:net';
import { CHALLENGE_SIZE, HashType, HOST_RECORD_SIZE, Result } from '../../../protocol/constants.js';
import { decodeHostRecord, isTerminator, type HostRecord } from '../../../protocol/host-list.js';
import { challengeResponse, verifyChallengeResponse } from '../../../protocol/legacy-auth.js';
import { FenceAuthError, ReplyError, ShortReadError } from '../errors.js';
import { StreamReader } from './_stream-reader.js';
import type { CallOptions, FenceCall, FenceReply } from './types.js';

/** More records than any hypervisor holds: a peer streaming forever is cut off. */
const MAX_HOSTS = 65536;

export async function authenticatedExchange(
  socket: Socket, peer: string, preamble: Uint8Array, call: FenceCall, opts: CallOptions,
): Promise<FenceReply> {
  const reader = new StreamReader(socket, peer);
  const { timeoutMs, signal } = opts;
  const keyFile = opts.keyFile ?? 'our key';
  const authenticating = call.auth !== HashType.NONE;

  // fence_virt writes its challenge right after the request without waiting; one write does the same.
  const challenge = authenticating ? randomBytes(CHALLENGE_SIZE) : undefined;
  socket.write(challenge ? Buffer.concat([preamble, challenge]) : preamble);

  if (challenge) {
    const answer = await reader.read(CHALLENGE_SIZE, 'challenge-response', timeoutMs, signal, {
      onClose: (received) =>
        received === 1
          ? new ShortReadError(peer, 'challenge-response', CHALLENGE_SIZE, received,
            'it sent a bare result byte, so it runs without challenge-response: set auth=none (-C none) to match, or enable auth on the daemon')
          : new FenceAuthError(peer,
            'the daemon dropped the request without answering our challenge (a hash below its minimum, or a replay of a request seen in the last 10 s, looks the same)',
            keyFile),
      timeoutHint: 'the daemon accepted the connection but did not answer; it may be busy with another client or not a fence-virt daemon',
    });
    if (!verifyChallengeResponse(call.auth, call.key, challenge, answer)) {
      throw new FenceAuthError(peer, "the daemon's answer to our challenge is wrong", keyFile);
    }
    const theirs = await reader.read(CHALLENGE_SIZE, 'daemon-challenge', timeoutMs, signal);
    socket.write(challengeResponse(call.auth, call.key, theirs));
  }

  const [result] = await reader.read(1, 'result', timeoutMs, signal, {
    onClose: (received, expected) =>
      authenticating
        ? new FenceAuthError(peer, 'the daemon rejected our answer to its challenge', keyFile)
        : new ShortReadError(peer, 'result', expected, received,
          'with auth=none here, a daemon that expects challenge-response gives up after its own timeout: set auth to the daemon\'s setting'),
    timeoutHint: authenticating
      ? 'the daemon took the request but its backend did not answer in time; the operation may still complete'
      : 'auth=none here: a daemon that expects challenge-response waits for our challenge instead; set auth to match the daemon',
  });
  if (result !== Result.HOSTLIST) return { result: result! };
  return readHostList(reader, peer, opts);
}

async function readHostList(reader: StreamReader, peer: string, { timeoutMs, signal }: CallOptions): Promise<FenceReply> {
  const hosts: HostRecord[] = [];
  for (;;) {
    const record = decodeHostRecord(await reader.read(HOST_RECORD_SIZE, 'host-list', timeoutMs, signal));
    if (isTerminator(record)) break;
    if (hosts.length >= MAX_HOSTS) throw new ReplyError(peer, `host list longer than ${MAX_HOSTS} records`);
    hosts.push(record);
  }
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

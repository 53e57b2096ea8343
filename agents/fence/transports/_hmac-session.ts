// The client side of palisade's authenticated mode (protocol/hmac-auth.md)
// on a stream: the daemon's hello proves the key over the request we sent
// and its fresh nonce, our proof answers it, and the answer (result byte,
// or host list with terminator and trailing byte) ends with a tag that binds
// it to both. Nothing unverified becomes a power state.
import type { Socket } from 'node:net';
import { Result } from '../../../protocol/constants.js';
import { HELLO_SIZE, TAG_SIZE, clientProof, openDaemonHello, verifyResultTag } from '../../../protocol/hmac-auth.js';
import { AuthModeError, FenceAuthError, ShortReadError } from '../errors.js';
import { readHostRecords } from './_host-list.js';
import type { ExactReader } from '../../../core/exact-reader.js';
import type { CallAuth, CallOptions, FenceReply, Session } from './types.js';

type HmacAuth = Extract<CallAuth, { mode: 'hmac-sha256' }>;

const NOT_HMAC_DAEMON =
  'the daemon does not speak hmac-sha256 (fence_virtd, or a palisaded listener without auth = "hmac-sha256")';

const TAMPERED_HINT = 'the answer was changed on the way or the daemon is faulty; it is discarded and no power state is reported';

/**
 * `requests`: every sealed request this call sent. Over tcp that is one;
 * a multicast callback may answer any of the datagrams (one per local
 * address and retransmission), and the hello tells which.
 */
export async function openHmacSession(
  socket: Socket, reader: ExactReader, peer: string, auth: HmacAuth, requests: readonly Uint8Array[], opts: CallOptions,
  preamble?: Uint8Array,
): Promise<Session> {
  const { timeoutMs, signal } = opts;
  const keyFile = opts.keyFile ?? 'our key';
  if (preamble) socket.write(preamble);
  const hello = await reader.read(HELLO_SIZE, 'hello', timeoutMs, signal, {
    onClose: (received, expected) =>
      received === 0
        ? new AuthModeError(peer, `${NOT_HMAC_DAEMON}: it closed the connection without a hello; set auth to the daemon's setting`)
        : new ShortReadError({ peer, phase: 'hello', expected, received }),
    timeoutHint: 'the daemon accepted the connection but sent no hello; it may be busy, or not a palisaded hmac-sha256 listener',
  });
  let request: Uint8Array | undefined;
  let daemonNonce: Uint8Array | undefined;
  for (const r of requests) {
    daemonNonce = openDaemonHello(auth.keys, r, hello);
    if (daemonNonce) {
      request = r;
      break;
    }
  }
  if (!request || !daemonNonce) throw new FenceAuthError(peer, "the daemon's hello does not prove our key", keyFile);
  socket.write(clientProof(auth.keys, request, daemonNonce));
  const [req, nonce] = [request, daemonNonce];
  return { readAnswer: () => readAnswer(reader, peer, auth, req, nonce, keyFile, opts) };
}

async function readAnswer(
  reader: ExactReader, peer: string, auth: HmacAuth, request: Uint8Array, daemonNonce: Uint8Array, keyFile: string,
  { timeoutMs, signal }: CallOptions,
): Promise<FenceReply> {
  const first = await reader.read(1, 'result', timeoutMs, signal, {
    onClose: () => new FenceAuthError(peer, 'the daemon closed the connection after our proof, without an answer (it refused the proof)', keyFile),
    timeoutHint: 'the daemon took the request but its backend did not answer in time; the operation may still complete',
  });
  const body: Buffer[] = [first];
  let reply: FenceReply = { result: first[0]! };
  if (first[0] === Result.HOSTLIST) {
    const { hosts, bytes } = await readHostRecords(reader, peer, () => timeoutMs, signal);
    const trailer = await reader.read(1, 'host-list', timeoutMs, signal);
    body.push(...bytes, trailer);
    reply = { result: Result.SUCCESS, hosts, trailer: trailer[0]! };
  }
  const tag = await reader.read(TAG_SIZE, 'result-tag', timeoutMs, signal, {
    onClose: (received, expected) =>
      new FenceAuthError(peer, `the answer came without its authentication tag (got ${received} of ${expected} bytes)`, keyFile, TAMPERED_HINT),
  });
  if (!verifyResultTag(auth.keys, request, daemonNonce, Buffer.concat(body), tag)) {
    throw new FenceAuthError(peer, "the answer's authentication tag does not verify", keyFile, TAMPERED_HINT);
  }
  return reply;
}

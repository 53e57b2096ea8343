// One authenticated stream exchange, legacy or hmac-sha256: opening it
// authenticates (so a multicast caller can commit to the first daemon that
// proves the key), then readAnswer reads the result byte or host list.
import type { Socket } from 'node:net';
import { openLegacySession } from './_auth-session.js';
import { openHmacSession } from './_hmac-session.js';
import { ExactReader } from '../../../core/exact-reader.js';
import type { CallOptions, FenceCall, Session } from './types.js';

/**
 * `requests`: the request bytes this call sent (hmac-sha256 binds the
 * exchange to one of them). `preamble`: bytes to send first (tcp: the request).
 */
export function openSession(
  socket: Socket, peer: string, call: FenceCall, opts: CallOptions, requests: readonly Uint8Array[], preamble?: Uint8Array,
): Promise<Session> {
  const reader = new ExactReader(socket, peer);
  return call.auth.mode === 'hmac-sha256'
    ? openHmacSession(socket, reader, peer, call.auth, requests, opts, preamble)
    : openLegacySession(socket, reader, peer, call.auth, opts, preamble);
}

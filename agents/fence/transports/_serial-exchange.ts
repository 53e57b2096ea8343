// The serial/vmchannel framing (fence-virt client/serial.c, server/serial.c), over any byte stream: a
// 74-byte serial_req_t out, then scan for the magic ("abba"), then one
// response byte. A host list (0xFD) follows with 130-byte records up to the
// zero terminator and a closing serial_resp_t carrying the result. No key,
// no auth. One deadline bounds the whole exchange, as fence_virt's -t does.
import type { Duplex } from 'node:stream';
import { Result } from '../../../protocol/constants.js';
import { SERIAL_MAGIC_BYTES, encodeSerialRequest } from '../../../protocol/serial.js';
import { ConnectError, PeerTimeoutError, type PeerPhase } from '../errors.js';
import { readHostRecords } from './_host-list.js';
import { ExactReader } from '../../../core/exact-reader.js';
import type { FenceCall, FenceReply } from './types.js';

/** fence_virt gives the request write 3 s (client/serial.c). */
const WRITE_LIMIT_MS = 3000;
const MAGIC = SERIAL_MAGIC_BYTES;

export interface SerialExchangeOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Added to a timeout: what to check on this kind of line. */
  readonly timeoutHint: string;
}

export async function serialExchange(stream: Duplex, peer: string, call: FenceCall, opts: SerialExchangeOptions): Promise<FenceReply> {
  const { signal, timeoutMs } = opts;
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(0, deadline - Date.now());
  const reader = new ExactReader(stream, peer);
  try {
    await write(stream, peer, encodeSerialRequest({ request: call.command, flags: call.flags, domain: call.domain, seqno: call.seqno }),
      Math.min(WRITE_LIMIT_MS, left()));
    const result = await response(reader, 'serial-response', left, signal);
    if (result !== Result.HOSTLIST) return { result };
    const { hosts } = await readHostRecords(reader, peer, left, signal);
    const trailer = await response(reader, 'host-list', left, signal);
    return { result: Result.SUCCESS, hosts, trailer };
  } catch (e) {
    // Each read got what was left of the deadline; report the whole timeout.
    if (e instanceof PeerTimeoutError && e.phase !== 'write') throw new PeerTimeoutError({ peer, phase: e.phase, ms: timeoutMs, hint: opts.timeoutHint });
    throw e;
  }
}

/** Skips line noise up to the magic, then takes the response byte. */
async function response(reader: ExactReader, phase: PeerPhase, left: () => number, signal: AbortSignal | undefined): Promise<number> {
  await reader.skipPast(MAGIC, phase, left(), signal);
  const [b] = await reader.read(1, phase, left(), signal);
  return b!;
}

const WRITE_HINT = 'check the device or channel and that the host side serves it';

function write(stream: Duplex, peer: string, bytes: Uint8Array, limitMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new PeerTimeoutError({ peer, phase: 'write', ms: limitMs, hint: 'the line does not take data (flow control, or nothing at the other end)' }));
    }, limitMs);
    stream.write(bytes, (err) => {
      clearTimeout(timer);
      if (err) reject(new ConnectError(peer, `sending the request failed (${err.message})`, { cause: err }, WRITE_HINT));
      else resolve();
    });
  });
}

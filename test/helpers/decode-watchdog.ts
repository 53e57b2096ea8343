// Runs decoders on hostile input in a worker thread with a deadline. A
// decoder that loops forever would block a property test's own thread (no
// timer fires inside synchronous code); here it fails the property with the
// input that did it, and the worker is replaced. Whether the decoder throws
// is checked by the in-process properties; the worker only reports that it
// returned.
import { build } from 'esbuild';
import { Worker } from 'node:worker_threads';
import { ROOT } from './fence-daemons.js';

/** What each decoder is given: bytes, text, or a stream's chunks (framer). */
export interface DecoderInputs {
  request: Uint8Array;
  verify: Uint8Array;
  hostRecord: Uint8Array;
  serialRequest: Uint8Array;
  serialResponse: Uint8Array;
  framer: Uint8Array[];
  hello: Uint8Array;
  config: string;
}
export type DecoderName = keyof DecoderInputs;

const ENTRY = `
import { parentPort } from 'node:worker_threads';
import { decodeRequest, requestVerifier } from './protocol/fence-req.js';
import { decodeHostRecord } from './protocol/host-list.js';
import { decodeSerialRequest, decodeSerialResponse } from './protocol/serial.js';
import { hmacKeys, openDaemonHello } from './protocol/hmac-auth.js';
import { SerialFramer } from './daemon/listeners/serial/framer.js';
import { parseConfig } from './daemon/config/parse.js';
const verify = requestVerifier(new Uint8Array(256).fill(7));
const keys = hmacKeys(new Uint8Array(256).fill(7));
const request = new Uint8Array(176);
const DECODERS = {
  request: (b) => decodeRequest(b),
  verify: (b) => [0, 1, 2, 3].map((min) => verify(b, min)),
  hostRecord: (b) => decodeHostRecord(b),
  serialRequest: (b) => decodeSerialRequest(b),
  serialResponse: (b) => decodeSerialResponse(b),
  framer: (chunks) => { const f = new SerialFramer(); for (const c of chunks) f.push(c); },
  hello: (b) => openDaemonHello(keys, request, b),
  config: (text) => parseConfig(text, 'fuzz.conf'),
};
parentPort.on('message', ({ id, name, input }) => {
  try { DECODERS[name](input); } catch {}
  parentPort.postMessage(id);
});
`;

let bundled: Promise<string> | undefined;
function workerCode(): Promise<string> {
  bundled ??= build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'js' },
    bundle: true, write: false, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundled;
}

export interface DecodeWatchdog {
  /** True when the decoder returned (or threw) within `ms`; false when it had to be stopped. */
  returns<N extends DecoderName>(name: N, input: DecoderInputs[N], ms?: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function decodeWatchdog(): Promise<DecodeWatchdog> {
  const code = await workerCode();
  let worker = new Worker(code, { eval: true });
  let nextId = 0;
  return {
    returns(name, input, ms = 2_000) {
      const id = nextId++;
      const w = worker;
      return new Promise<boolean>((resolve, reject) => {
        const done = (ok: boolean) => { clearTimeout(t); w.off('message', onMessage); w.off('error', onError); resolve(ok); };
        const onMessage = (m: number) => { if (m === id) done(true); };
        const onError = (e: Error) => { clearTimeout(t); w.off('message', onMessage); reject(e); };
        const t = setTimeout(() => {
          // Stuck: replace the worker so the next input gets a fresh one.
          worker = new Worker(code, { eval: true });
          void w.terminate();
          done(false);
        }, ms);
        w.on('message', onMessage);
        w.once('error', onError);
        w.postMessage({ id, name, input });
      });
    },
    async close() { await worker.terminate(); },
  };
}

/** Runs `body` with a watchdog that is closed afterwards, whatever happens. */
export async function withDecodeWatchdog(body: (dog: DecodeWatchdog) => Promise<void>): Promise<void> {
  const dog = await decodeWatchdog();
  try {
    await body(dog);
  } finally {
    await dog.close();
  }
}

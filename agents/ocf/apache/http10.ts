// One plain-HTTP exchange over a TCP socket: an HTTP/1.0 request with
// "Connection: close", the answer read until the server closes. Used instead
// of node:http for http:// URLs because loading and warming up Node's client
// costs about 8 ms per monitor here, against 1 ms for node:net. HTTP/1.0
// keeps the answer simple (no keep-alive; servers must not send chunked
// bodies to it, but a chunked body is decoded anyway).

import { createRequire } from 'node:module';

export interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly location: string | undefined;
  readonly body: Buffer;
}

export interface ExchangeOptions {
  readonly method: 'GET' | 'HEAD';
  readonly headers: Readonly<Record<string, string>>;
  readonly localAddress: string;
  readonly family: 4 | 6;
  /** Body bytes kept; the rest is read and dropped. */
  readonly maxBody: number;
}

/** The answer is not HTTP, or is cut short. */
export class MalformedAnswer extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAnswer';
  }
}

const require = createRequire(import.meta.url);
const HEAD_MAX = 64 * 1024;

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) throw new MalformedAnswer('chunked body ends without its last chunk');
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1').split(';', 1)[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new MalformedAnswer('bad chunk size in chunked body');
    if (size === 0) return Buffer.concat(parts);
    if (eol + 2 + size > body.length) throw new MalformedAnswer('chunked body is cut short');
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Parses a complete HTTP/1.x answer (status line, headers, body). */
export function parseAnswer(raw: Buffer, method: 'GET' | 'HEAD'): Answer {
  let end = raw.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) {
    end = raw.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) {
    throw new MalformedAnswer(raw.length === 0 ? 'the server closed the connection without an answer' : 'the answer has no end of headers');
  }
  const lines = raw.subarray(0, end).toString('latin1').split(/\r?\n/);
  const m = /^HTTP\/\d\.\d\s+(\d{3})(?:\s+(.*))?$/.exec(lines[0]!);
  if (!m) throw new MalformedAnswer(`not an HTTP answer: '${lines[0]!.slice(0, 60)}'`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  let body = method === 'HEAD' ? Buffer.alloc(0) : raw.subarray(end + sep);
  if (method === 'GET') {
    if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) body = dechunk(body);
    else {
      const len = Number(headers.get('content-length'));
      if (Number.isSafeInteger(len) && len >= 0 && len < body.length) body = body.subarray(0, len);
    }
  }
  return { status: Number(m[1]), statusText: m[2]?.trim() ?? '', location: headers.get('location'), body };
}

/**
 * Sends the request and calls back once: `done` with the parsed answer, or
 * `fail` with the socket error or a MalformedAnswer. Returns a cancel
 * function that destroys the socket.
 */
export function exchange(url: URL, o: ExchangeOptions, done: (a: Answer) => void, fail: (e: Error) => void): () => void {
  const net = require('node:net') as typeof import('node:net');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? 80 : Number(url.port);
  const hostHeader = url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
  const head = [`${o.method} ${url.pathname}${url.search} HTTP/1.0`, `Host: ${hostHeader}`];
  for (const [k, v] of Object.entries(o.headers)) head.push(`${k}: ${v}`);
  const socket = net.connect({ host, port, localAddress: o.localAddress, family: o.family });
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (f: () => void) => {
    if (finished) return;
    finished = true;
    socket.destroy();
    f();
  };
  // no half-close after the request: some servers take it for an aborted client
  socket.on('connect', () => socket.write(`${head.join('\r\n')}\r\n\r\n`));
  socket.on('data', (c: Buffer) => {
    if (size < o.maxBody + HEAD_MAX) chunks.push(c);
    size += c.length;
  });
  socket.on('end', () => {
    finish(() => {
      let a: Answer;
      try {
        a = parseAnswer(Buffer.concat(chunks), o.method);
      } catch (e) {
        fail(e as Error);
        return;
      }
      done(a.body.length > o.maxBody ? { ...a, body: a.body.subarray(0, o.maxBody) } : a);
    });
  });
  socket.on('error', (e) => finish(() => fail(e)));
  return () => finish(() => {});
}

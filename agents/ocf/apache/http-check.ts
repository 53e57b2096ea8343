// The monitor's HTTP request, made in-process (http10.ts for http, node:https
// for https) instead of forking curl/wget every 10 s. Kept from heartbeat (http-mon.sh):
// the connection always leaves from the loopback address (127.0.0.1, or ::1
// for IPv6), so only this node's server can answer; no proxy; redirects are
// followed (curl -L); the body is matched with a case-insensitive extended
// regular expression (grep -Ei). Fixed: an HTTP error status is a failure
// even when its error page happens to match the pattern.

import { createRequire } from 'node:module';
import { uptimeMs } from '../framework/_builtins.js';
import { exchange, MalformedAnswer, type Answer } from './http10.js';

export type HttpProblem = 'url' | 'connect' | 'timeout' | 'http' | 'mismatch';

export class HttpCheckError extends Error {
  readonly problem: HttpProblem;
  readonly url: string;
  constructor(problem: HttpProblem, url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpCheckError';
    this.problem = problem;
    this.url = url;
  }
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface FetchOptions {
  readonly method: 'GET' | 'HEAD';
  /** Whole request, redirects included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** For host names: resolve and bind IPv6 (use_ipv6). Literal addresses pick their own family. */
  readonly ipv6: boolean;
  readonly auth?: Credentials | undefined;
}

export interface Page {
  /** After redirects. */
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
}

const MAX_BODY = 16 * 1024 * 1024;
const MAX_REDIRECTS = 10;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** Where the request leaves from: the loopback address of the target's family. */
export function loopbackFor(host: string, ipv6: boolean): { localAddress: string; family: 4 | 6 } {
  // a host name never contains ':'; node:net's isIPv6 costs ms to compile its pattern
  const literal6 = host.includes(':');
  const literal4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
  const v6 = literal6 || (!literal4 && ipv6);
  return v6 ? { localAddress: '::1', family: 6 } : { localAddress: '127.0.0.1', family: 4 };
}

function describe(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return 'connection reset';
    case 'ENOTFOUND': case 'EAI_AGAIN': return `host name not resolved (${e.code})`;
    case 'EADDRNOTAVAIL': case 'EINVAL': return `cannot connect from the loopback address (${e.code}); the URL must point to this node`;
    default: return e.code ? `${e.code}: ${e.message}` : e.message;
  }
}

const require = createRequire(import.meta.url);

/** Starts one exchange, reports once through done/fail, returns a cancel function. */
type Run = (done: (a: Answer) => void, fail: (e: Error) => void) => () => void;

function headersOf(o: FetchOptions): Record<string, string> {
  const h: Record<string, string> = { 'User-Agent': 'palisade-ocf-apache', Accept: '*/*', Connection: 'close' };
  if (o.auth) h.Authorization = `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64')}`;
  return h;
}

/** https goes through node:https (tls is loaded only then). */
function httpsRun(url: URL, o: FetchOptions): Run {
  return (done, fail) => {
    const https = require('node:https') as typeof import('node:https');
    const req = https.request(url, {
      method: o.method,
      headers: headersOf(o),
      agent: false,
      ...loopbackFor(url.hostname, o.ipv6),
      // the request is bound to loopback, so the peer is this node: its certificate proves nothing more
      rejectUnauthorized: false,
    });
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('error', fail);
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', location: res.headers.location, body: Buffer.concat(chunks) }),
      );
    });
    req.end();
    return () => req.destroy();
  };
}

function httpRun(url: URL, o: FetchOptions): Run {
  return (done, fail) =>
    exchange(url, { method: o.method, headers: headersOf(o), ...loopbackFor(url.hostname, o.ipv6), maxBody: MAX_BODY }, done, fail);
}

function checkErrorOf(e: Error, href: string): HttpCheckError {
  if (e instanceof MalformedAnswer) return new HttpCheckError('http', href, `${href}: ${e.message}`, { cause: e });
  return new HttpCheckError('connect', href, `${href}: ${describe(e as NodeJS.ErrnoException)}`, { cause: e });
}

/** One exchange under the request deadline and the operation's abort signal. */
function bounded(url: URL, o: FetchOptions, deadline: number): Promise<Answer> {
  const href = url.href;
  return new Promise((resolve, reject) => {
    const remaining = deadline - uptimeMs();
    if (remaining <= 0) {
      reject(new HttpCheckError('timeout', href, `no answer from ${href} within ${o.timeoutMs} ms`));
      return;
    }
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      f();
    };
    const run = url.protocol === 'https:' ? httpsRun(url, o) : httpRun(url, o);
    const cancel = run(
      (a) => settle(() => resolve(a)),
      (e) => settle(() => reject(checkErrorOf(e, href))),
    );
    const giveUp = (e: HttpCheckError) => () =>
      settle(() => {
        cancel();
        reject(e);
      });
    timer = setTimeout(giveUp(new HttpCheckError('timeout', href, `no answer from ${href} within ${o.timeoutMs} ms`)), remaining);
    const onAbort = giveUp(new HttpCheckError('timeout', href, `request to ${href} cut off by the operation deadline`));
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** GET or HEAD `url`, following redirects; throws HttpCheckError for transport problems only. */
export async function fetchPage(rawUrl: string, o: FetchOptions): Promise<Page> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new HttpCheckError('url', rawUrl, `'${rawUrl}' is not a valid URL`);
  }
  const deadline = uptimeMs() + o.timeoutMs;
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HttpCheckError('url', url.href, `${url.href}: only http and https URLs can be monitored`);
    }
    const r = await bounded(url, o, deadline);
    if (!REDIRECT.has(r.status) || r.location === undefined) {
      return { url: url.href, status: r.status, statusText: r.statusText, body: r.body.toString('utf8') };
    }
    if (hop >= MAX_REDIRECTS) throw new HttpCheckError('http', url.href, `${rawUrl}: more than ${MAX_REDIRECTS} redirects`);
    url = new URL(r.location, url);
  }
}

/** The page at `url` must answer 2xx and match `regex`. */
export async function checkPage(url: string, regex: RegExp, o: Omit<FetchOptions, 'method'>): Promise<void> {
  const page = await fetchPage(url, { ...o, method: 'GET' });
  if (page.status < 200 || page.status > 299) {
    throw new HttpCheckError('http', page.url, `${page.url} answered ${page.status} ${page.statusText}`.trimEnd());
  }
  if (!regex.test(page.body)) {
    throw new HttpCheckError('mismatch', page.url, `${page.url} does not match /${regex.source}/i`);
  }
}

/**
 * heartbeat's index-page fallback (curl -I): the server answers at all.
 * A 5xx answer is a failure here; curl accepted any status.
 */
export async function checkAnswers(url: string, o: Omit<FetchOptions, 'method'>): Promise<void> {
  const page = await fetchPage(url, { ...o, method: 'HEAD' });
  if (page.status >= 500 || page.status < 100) {
    throw new HttpCheckError('http', page.url, `${page.url} answered ${page.status} ${page.statusText}`.trimEnd());
  }
}

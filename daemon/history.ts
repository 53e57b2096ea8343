// Recently handled requests (fence-virt server/history.c). Two requests
// are the same when op and seqno are equal and the domains match ASCII
// case-insensitively; random, hash and peer are ignored, as in fence_virtd.
// fence_virtd keeps entries 10 s at time() granularity (so 10-11 s); here
// an entry lives exactly `ttlMs` on a monotonic clock, and the table is
// capped so a flood of unsigned requests cannot grow memory without bound.
import type { FenceRequest } from '../protocol/fence-req.js';
import { asciiLower } from './_text.js';

export type HistoryKey = Pick<FenceRequest, 'request' | 'seqno' | 'domain'>;

export interface HistoryOptions {
  /** How long a request is remembered; default 10 000 ms as in fence_virtd. */
  readonly ttlMs?: number;
  /** Oldest entries are dropped beyond this; the default covers 10 s at ~3000 req/s. */
  readonly maxEntries?: number;
  /** Milliseconds from a monotonic clock; injectable for tests. */
  readonly now?: () => number;
}

export interface History {
  /** True when an equal request was recorded less than ttlMs ago. */
  seen(req: HistoryKey): boolean;
  /** Remembers `req` from now on (again, if it was already there). */
  record(req: HistoryKey): void;
  readonly size: number;
}

export const HISTORY_TTL_MS = 10_000;
export const HISTORY_MAX_ENTRIES = 32_768;

function keyOf(req: HistoryKey): string {
  return `${req.request}:${req.seqno}:${asciiLower(req.domain)}`;
}

export function createHistory(options: HistoryOptions = {}): History {
  const ttlMs = options.ttlMs ?? HISTORY_TTL_MS;
  const maxEntries = options.maxEntries ?? HISTORY_MAX_ENTRIES;
  const now = options.now ?? (() => performance.now());
  if (!(ttlMs > 0)) throw new RangeError(`history ttlMs must be > 0, got ${ttlMs}`);
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`history maxEntries must be a positive integer, got ${maxEntries}`);
  // Insertion order is expiry order (fixed ttl, re-records move to the end),
  // so expired entries are always at the front.
  const expiries = new Map<string, number>();

  const purge = (t: number) => {
    for (const [k, until] of expiries) {
      if (until > t) break;
      expiries.delete(k);
    }
  };

  return {
    seen(req) {
      const t = now();
      purge(t);
      const until = expiries.get(keyOf(req));
      return until !== undefined && until > t;
    },
    record(req) {
      const t = now();
      purge(t);
      const k = keyOf(req);
      expiries.delete(k);
      expiries.set(k, t + ttlMs);
      while (expiries.size > maxEntries) expiries.delete(expiries.keys().next().value!);
    },
    get size() {
      return expiries.size;
    },
  };
}

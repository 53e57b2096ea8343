// A short-lived cache for status lookups only. A virsh round trip costs
// ~0.5 ms, more than fence_virtd spends on a whole request, so answering
// repeated status queries from memory is what lets the daemon keep pace.
// It is safe because:
//   - only `status` reads it; off/on/reboot always read fresh state;
//   - every power operation through this backend clears it first and after;
//   - entries expire after `ttlMs` (default 250 ms), which bounds how long a
//     change made outside palisaded (a guest crash, `virsh destroy`) can go
//     unseen by a status query;
//   - ttlMs = 0 turns it off (backends/libvirt/status_cache_ms = "0").
import type { DomainInfo } from '../types.js';

export const DEFAULT_STATUS_CACHE_MS = 250;

interface Entry {
  readonly info: DomainInfo | undefined;
  readonly until: number;
}

export class StatusCache {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** Bumped by every clear, so a lookup that started before a power operation cannot store stale state after it. */
  #generation = 0;

  constructor(ttlMs: number, now: () => number = () => performance.now()) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get generation(): number {
    return this.#generation;
  }

  /** The cached answer (undefined info = "no such domain"), or `miss`. */
  get(query: string): DomainInfo | undefined | 'miss' {
    if (this.#ttlMs === 0) return 'miss';
    const e = this.#entries.get(query);
    if (!e) return 'miss';
    if (this.#now() >= e.until) {
      this.#entries.delete(query);
      return 'miss';
    }
    return e.info;
  }

  /** Stores a lookup result, unless a clear happened since `generation` was read. */
  set(query: string, info: DomainInfo | undefined, generation: number): void {
    if (this.#ttlMs === 0 || generation !== this.#generation) return;
    // Bounded: an unknown-domain flood cannot grow the map without limit.
    if (this.#entries.size >= 4096) this.#entries.clear();
    this.#entries.set(query, { info, until: this.#now() + this.#ttlMs });
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }
}

// Which connections a stream listener keeps when it is full. Idle peers
// must not lock out an honest fence request, so a new connection is taken
// in by closing the oldest one that has not yet sent a complete request
// (its peer is either slow or stalling); connections already being served
// are never cut. Each source address also has its own limit, so one host
// cannot fill the table alone.
export interface AdmissionLimits {
  /** Connections open at once, all sources together. */
  readonly total: number;
  /** Connections open at once from one source address. */
  readonly perSource: number;
}

export type Admitted<C> =
  | { readonly ok: true; readonly evicted: readonly { readonly conn: C; readonly source: string; readonly why: 'total' | 'per-source' }[] }
  | { readonly ok: false; readonly why: 'total' | 'per-source' };

interface Entry {
  readonly source: string;
  pending: boolean;
}

export class Admission<C> {
  readonly #limits: AdmissionLimits;
  /** Insertion order is age order: the first pending entry is the oldest. */
  readonly #conns = new Map<C, Entry>();
  readonly #perSource = new Map<string, number>();

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#conns.size;
  }

  /** Takes `conn` in, closing room for it if needed; the caller destroys the evicted ones (after remove()). */
  admit(conn: C, source: string): Admitted<C> {
    const evicted: { conn: C; source: string; why: 'total' | 'per-source' }[] = [];
    if ((this.#perSource.get(source) ?? 0) >= this.#limits.perSource) {
      const victim = this.#oldestPending(source);
      if (victim === undefined) return { ok: false, why: 'per-source' };
      this.remove(victim);
      evicted.push({ conn: victim, source, why: 'per-source' });
    }
    if (this.#conns.size >= this.#limits.total) {
      const victim = this.#oldestPending(undefined);
      if (victim === undefined) return { ok: false, why: 'total' };
      const victimSource = this.#conns.get(victim)!.source;
      this.remove(victim);
      evicted.push({ conn: victim, source: victimSource, why: 'total' });
    }
    this.#conns.set(conn, { source, pending: true });
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    return { ok: true, evicted };
  }

  /** `conn` has sent its whole request: it is being served and is never evicted. */
  requested(conn: C): void {
    const e = this.#conns.get(conn);
    if (e) e.pending = false;
  }

  remove(conn: C): void {
    const e = this.#conns.get(conn);
    if (!e) return;
    this.#conns.delete(conn);
    const n = (this.#perSource.get(e.source) ?? 1) - 1;
    if (n > 0) this.#perSource.set(e.source, n); else this.#perSource.delete(e.source);
  }

  #oldestPending(source: string | undefined): C | undefined {
    for (const [conn, e] of this.#conns) if (e.pending && (source === undefined || e.source === source)) return conn;
    return undefined;
  }
}

import { describe, expect, it, vi } from 'vitest';
import { createHistory, HISTORY_MAX_ENTRIES, HISTORY_TTL_MS } from '../../daemon/history.js';
import { makeRequest } from '../../protocol/fence-req.js';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

const req = (request: number, seqno: number, domain: string) => ({ request, seqno, domain });

describe('createHistory', () => {
  it('remembers a request for 10 s by default, to the millisecond', () => {
    const c = clock();
    const h = createHistory({ now: c.now });
    expect(HISTORY_TTL_MS).toBe(10_000);
    expect(h.seen(req(4, 1, 'test'))).toBe(false);
    h.record(req(4, 1, 'test'));
    expect(h.seen(req(4, 1, 'test'))).toBe(true);
    c.advance(9_999);
    expect(h.seen(req(4, 1, 'test'))).toBe(true);
    c.advance(1);
    expect(h.seen(req(4, 1, 'test'))).toBe(false);
    expect(h.size).toBe(0);
  });

  it('compares op, seqno and the domain case-insensitively (ASCII), nothing else', () => {
    const h = createHistory({ now: clock().now });
    h.record(req(2, 77, 'Guest1'));
    expect(h.seen(req(2, 77, 'guest1'))).toBe(true);
    expect(h.seen(req(2, 77, 'GUEST1'))).toBe(true);
    expect(h.seen(req(1, 77, 'guest1'))).toBe(false);
    expect(h.seen(req(2, 78, 'guest1'))).toBe(false);
    expect(h.seen(req(2, 77, 'guest2'))).toBe(false);
    h.record(req(2, 77, 'É'));
    expect(h.seen(req(2, 77, 'é'))).toBe(false);
  });

  it('ignores random, hash and the other request fields (FenceRequest works directly)', () => {
    const h = createHistory({ now: clock().now });
    h.record(makeRequest({ request: 4, seqno: 5, domain: 'vm', random: new Uint8Array([1, 2, 3, 4, 5, 6]) }));
    expect(h.seen(makeRequest({ request: 4, seqno: 5, domain: 'VM', random: new Uint8Array([9, 9, 9, 9, 9, 9]), port: 1229 }))).toBe(true);
  });

  it('does not confuse fields that would collide in a naive key', () => {
    const h = createHistory({ now: clock().now });
    h.record(req(1, 23, 'x'));
    expect(h.seen(req(12, 3, 'x'))).toBe(false);
    h.record(req(4, 1, '2:x'));
    expect(h.seen(req(4, 12, 'x'))).toBe(false);
  });

  it('recording again restarts the period', () => {
    const c = clock();
    const h = createHistory({ now: c.now, ttlMs: 100 });
    h.record(req(4, 1, 'a'));
    c.advance(60);
    h.record(req(4, 1, 'a'));
    c.advance(60);
    expect(h.seen(req(4, 1, 'a'))).toBe(true);
    c.advance(40);
    expect(h.seen(req(4, 1, 'a'))).toBe(false);
  });

  it('purges expired entries as time passes, keeping live ones', () => {
    const c = clock();
    const h = createHistory({ now: c.now, ttlMs: 1_000 });
    for (let i = 0; i < 100; i++) { h.record(req(4, i, 'vm')); c.advance(10); }
    expect(h.size).toBe(100);
    c.advance(500); // now = 2500; entry i was recorded at 1000 + 10i, so 0..50 are 1 s old
    expect(h.seen(req(4, 99, 'vm'))).toBe(true);
    expect(h.size).toBe(49);
    expect(h.seen(req(4, 50, 'vm'))).toBe(false);
    expect(h.seen(req(4, 51, 'vm'))).toBe(true);
  });

  it('caps memory by dropping the oldest entries', () => {
    const c = clock();
    const h = createHistory({ now: c.now, maxEntries: 3 });
    for (let i = 1; i <= 5; i++) h.record(req(4, i, 'vm'));
    expect(h.size).toBe(3);
    expect([1, 2, 3, 4, 5].map((i) => h.seen(req(4, i, 'vm')))).toEqual([false, false, true, true, true]);
    expect(HISTORY_MAX_ENTRIES).toBeGreaterThanOrEqual(4096);
  });

  it('holds the default cap under a flood', () => {
    const h = createHistory({ now: clock().now });
    for (let i = 0; i < HISTORY_MAX_ENTRIES + 1000; i++) h.record(req(0, i, ''));
    expect(h.size).toBe(HISTORY_MAX_ENTRIES);
    expect(h.seen(req(0, 999, ''))).toBe(false);
    expect(h.seen(req(0, 1000, ''))).toBe(true);
  });

  it('uses the monotonic clock (performance.now) by default, not the wall clock', () => {
    // Both clocks are driven by hand: no race with a loaded machine.
    let mono = 5_000;
    const perf = vi.spyOn(performance, 'now').mockImplementation(() => mono);
    const wall = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      const h = createHistory({ ttlMs: 30 });
      h.record(req(4, 1, 'a'));
      wall.mockReturnValue(0); // the wall clock jumps back an age: no effect
      mono += 29;
      expect(h.seen(req(4, 1, 'a'))).toBe(true);
      wall.mockReturnValue(9_999_999); // and forward: no effect either
      expect(h.seen(req(4, 1, 'a'))).toBe(true);
      mono += 1;
      expect(h.seen(req(4, 1, 'a'))).toBe(false);
      expect(perf).toHaveBeenCalled();
    } finally {
      perf.mockRestore();
      wall.mockRestore();
    }
  });

  it('rejects nonsense options', () => {
    expect(() => createHistory({ ttlMs: 0 })).toThrow('history ttlMs must be > 0, got 0');
    expect(() => createHistory({ ttlMs: NaN })).toThrow(RangeError);
    expect(() => createHistory({ maxEntries: 0 })).toThrow('history maxEntries must be a positive integer, got 0');
    expect(() => createHistory({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { StatusCache } from '../../daemon/backends/libvirt/status-cache.js';

const web1 = { name: 'web1', uuid: 'u1', state: 1 } as const;

describe('status cache', () => {
  it('answers within the TTL and misses after it', () => {
    let now = 1000;
    const c = new StatusCache(250, () => now);
    expect(c.get('web1')).toBe('miss');
    c.set('web1', web1, c.generation);
    expect(c.get('web1')).toEqual(web1);
    now += 249;
    expect(c.get('web1')).toEqual(web1);
    now += 1;
    expect(c.get('web1')).toBe('miss');
  });

  it('remembers "no such domain" as undefined, distinct from a miss', () => {
    const c = new StatusCache(250, () => 0);
    c.set('ghost', undefined, c.generation);
    expect(c.get('ghost')).toBeUndefined();
  });

  it('drops a lookup that started before a power operation cleared it', () => {
    const c = new StatusCache(250, () => 0);
    const before = c.generation;
    c.clear();
    c.set('web1', web1, before);
    expect(c.get('web1')).toBe('miss');
  });

  it('ttl 0 never caches', () => {
    const c = new StatusCache(0, () => 0);
    c.set('web1', web1, c.generation);
    expect(c.get('web1')).toBe('miss');
  });
});

// Warnings about what peers do (datagrams, connections), at most one per
// key per window: anyone can reach the port, and a flood must not become a
// log flood.
// The next warning after a quiet window says how many were held back.
import type { LogFn } from '../log.js';

export type LimitedWarn = (key: string, message: string) => void;

interface Slot {
  until: number;
  held: number;
}

export function warnLimiter(log: LogFn, windowMs = 10_000, maxKeys = 1_024, now: () => number = () => performance.now()): LimitedWarn {
  const slots = new Map<string, Slot>();
  // Spoofed sources could grow the table without bound; past the cap they share one slot.
  const overflow: Slot = { until: 0, held: 0 };
  const slotFor = (key: string, t: number): Slot => {
    const hit = slots.get(key);
    if (hit) return hit;
    if (slots.size >= maxKeys) {
      for (const [k, v] of slots) if (v.until <= t) slots.delete(k);
      if (slots.size >= maxKeys) return overflow;
    }
    const fresh = { until: 0, held: 0 };
    slots.set(key, fresh);
    return fresh;
  };
  return (key, message) => {
    const t = now();
    const s = slotFor(key, t);
    if (s.until > t) {
      s.held++;
      return;
    }
    const held = s.held;
    s.until = t + windowMs;
    s.held = 0;
    log('warn', held ? `${message} (${held} similar warnings not logged since the previous one)` : message);
  };
}

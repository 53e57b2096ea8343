// The reload sequence with stand-in configurations whose binds fail on
// demand: what the real daemon cannot be made to do on cue (someone taking
// the old port between closing and restoring it). Every wait is for a log
// line, never for time.
import { describe, expect, it } from 'vitest';
import { Supervisor, type Serving } from '../../daemon/supervisor.js';
import type { DaemonPlan } from '../../daemon/daemon-config.js';
import type { Listener } from '../../daemon/listeners/types.js';
import type { LogLevel } from '../../daemon/log.js';

/** A configuration whose start() fails while `failures` is above zero. */
class FakeRuntime implements Serving {
  failures = 0;
  starts = 0;
  closed = false;
  listening = false;
  readonly bindKeys: readonly string[] = [];
  constructor(readonly name: string, readonly events: string[]) {}
  async start(): Promise<void> {
    this.starts++;
    if (this.failures > 0) {
      this.failures--;
      this.events.push(`${this.name} bind failed`);
      throw new Error(`${this.name}: cannot listen: EADDRINUSE`);
    }
    this.listening = true;
    this.events.push(`${this.name} listening`);
  }
  async stopListening(): Promise<void> {
    if (this.listening) this.events.push(`${this.name} stopped`);
    this.listening = false;
  }
  async close(): Promise<void> {
    await this.stopListening();
    this.closed = true;
    this.events.push(`${this.name} closed`);
  }
  handoverTo(): Map<string, Listener> {
    return new Map();
  }
}

const plan = (debug: number) => ({ debug }) as unknown as DaemonPlan;

function logWatcher() {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  return {
    lines,
    log: (level: LogLevel, m: string) => { lines.push(`${level}: ${m}`); for (const w of waiters) w(); },
    /** Resolves once `n` lines match `re`. */
    seen: (re: RegExp, n = 1) => new Promise<void>((res) => {
      const check = () => { if (lines.filter((l) => re.test(l)).length >= n) { waiters.delete(check); res(); } };
      waiters.add(check);
      check();
    }),
  };
}

describe('Supervisor', () => {
  it('the old listeners cannot bind again either: it keeps running, retries, and restores them', async () => {
    const events: string[] = [];
    const w = logWatcher();
    const old = new FakeRuntime('old', events);
    await old.start();
    const next = new FakeRuntime('new', events);
    next.failures = 1;
    old.failures = 2; // the restore fails twice: someone holds the old port for a while
    const applied: number[] = [];
    const sup = new Supervisor(old, {
      configFile: 'x.conf', log: w.log, retryMs: 1, applyPlan: (p) => applied.push(p.debug),
      build: async () => ({ plan: plan(1), runtime: next }),
    });
    await sup.reload();
    await w.seen(/previous configuration restored/);
    expect(events).toEqual([
      'old listening', 'old stopped', 'new bind failed', 'new closed', 'old bind failed', 'old bind failed', 'old listening',
    ]);
    // Two failed attempts, one reason: logged once.
    expect(w.lines.filter((l) => /cannot restore the previous configuration .*EADDRINUSE.*; not serving; retrying/.test(l))).toHaveLength(1);
    expect(applied).toEqual([]); // the failed configuration's debug level never applied
    expect(old.listening).toBe(true);
    await sup.stop();
    expect(old.closed).toBe(true);
  });

  it('a reload while the restore is pending replaces it, and the retry stops', async () => {
    const events: string[] = [];
    const w = logWatcher();
    const old = new FakeRuntime('old', events);
    await old.start();
    const bad = new FakeRuntime('bad', events);
    bad.failures = 1;
    const good = new FakeRuntime('good', events);
    const builds = [bad, good];
    old.failures = Number.MAX_SAFE_INTEGER;
    const applied: number[] = [];
    const sup = new Supervisor(old, {
      configFile: 'x.conf', log: w.log, retryMs: 1, applyPlan: (p) => applied.push(p.debug),
      build: async () => ({ plan: plan(builds.length), runtime: builds.shift()! }),
    });
    await sup.reload();
    await w.seen(/cannot restore the previous configuration/);
    await sup.reload();
    await w.seen(/reload complete/);
    expect(good.listening).toBe(true);
    expect(old.closed).toBe(true);
    expect(applied).toEqual([1]);
    const startsAtSwitch = old.starts;
    // stop() runs after anything already queued, a pending retry included: none may start the old configuration.
    await sup.stop();
    expect(old.starts).toBe(startsAtSwitch);
    expect(old.listening).toBe(false);
    expect(good.closed).toBe(true);
  });

  it('a failure that is not a configuration problem is logged and the daemon goes on', async () => {
    const w = logWatcher();
    const old = new FakeRuntime('old', []);
    await old.start();
    const sup = new Supervisor(old, {
      configFile: 'x.conf', log: w.log, retryMs: 1, applyPlan: () => { throw new TypeError('bug in applyPlan'); },
      build: async () => ({ plan: plan(0), runtime: new FakeRuntime('new', []) }),
    });
    await expect(sup.reload()).resolves.toBeUndefined();
    expect(w.lines.some((l) => /^error: reload: unexpected failure, keeping what runs: TypeError: bug in applyPlan/.test(l))).toBe(true);
    await sup.stop();
  });
});

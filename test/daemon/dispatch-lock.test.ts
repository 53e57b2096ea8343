// Per-domain serialization, proved by order and overlap: every power
// operation of this backend enters, then waits until the test releases it.
// Nothing here waits for time to pass.
import { describe, expect, it } from 'vitest';
import { createDispatcher, type Peer } from '../../daemon/dispatch.js';
import { DomainState, type Backend, type DomainInfo } from '../../daemon/backends/types.js';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { makeRequest } from '../../protocol/fence-req.js';

/** A backend whose off/on/reboot block until released, recording enter and leave. */
class GatedBackend implements Backend {
  readonly events: string[] = [];
  readonly #held = new Map<string, () => void>();
  readonly #entered = new Map<string, () => void>();
  constructor(readonly domains: DomainInfo[]) {}

  #find(d: string) { return this.domains.find((x) => x.name === d || x.uuid === d.toLowerCase()); }
  async lookup(d: string) { return this.#find(d); }
  async list() { return this.domains; }
  readonly capabilities = {};
  async close() {}
  off(d: string) { return this.#gate(`off ${d}`); }
  on(d: string) { return this.#gate(`on ${d}`); }
  async reboot(d: string) { await this.#gate(`reboot ${d}`); return 'rebooted' as const; }

  async #gate(op: string): Promise<void> {
    this.events.push(`enter ${op}`);
    await new Promise<void>((release) => {
      this.#held.set(op, release);
      this.#entered.get(op)?.();
    });
    this.events.push(`leave ${op}`);
  }

  /** Resolves once `op` is inside the backend. */
  entered(op: string): Promise<void> {
    if (this.#held.has(op)) return Promise.resolve();
    return new Promise((r) => this.#entered.set(op, r));
  }

  release(op: string): void {
    const r = this.#held.get(op);
    if (!r) throw new Error(`${op} is not held`);
    this.#held.delete(op);
    r();
  }
}

const WEB1 = { name: 'web1', uuid: '00000000-0000-4000-8000-000000000001', state: DomainState.RUNNING } as const;
const WEB2 = { name: 'web2', uuid: '00000000-0000-4000-8000-000000000002', state: DomainState.RUNNING } as const;
const open = { allows: () => true, allowsDomain: () => true };
const peer: Peer = { listener: 'test', source: '192.0.2.9', address: '192.0.2.9:1229' };
const signal = new AbortController().signal;
let seqno = 1;
const req = (request: number, domain: string) => makeRequest({ request, domain, seqno: seqno++ });

describe('per-domain lock', () => {
  it('serializes a domain named by name and by UUID; another domain proceeds meanwhile', async () => {
    const b = new GatedBackend([{ ...WEB1 }, { ...WEB2 }]);
    const { handle } = createDispatcher({ backends: [b], acl: open, log: () => {} });

    const offByName = handle(req(FenceCommand.OFF, 'web1'), peer, signal);
    await b.entered('off web1');
    const rebootByUuid = handle(req(FenceCommand.REBOOT, WEB1.uuid.toUpperCase()), peer, signal);
    const otherDomain = handle(req(FenceCommand.OFF, 'web2'), peer, signal);

    // web2 enters and finishes while web1's off is still held: overlap.
    await b.entered('off web2');
    b.release('off web2');
    expect(await otherDomain).toMatchObject({ result: Result.SUCCESS });

    b.release('off web1');
    expect(await offByName).toMatchObject({ result: Result.SUCCESS });
    await b.entered(`reboot ${WEB1.uuid.toUpperCase()}`);
    b.release(`reboot ${WEB1.uuid.toUpperCase()}`);
    expect(await rebootByUuid).toMatchObject({ result: Result.SUCCESS });

    expect(b.events).toEqual([
      'enter off web1',
      'enter off web2',
      'leave off web2',
      'leave off web1',
      `enter reboot ${WEB1.uuid.toUpperCase()}`,
      `leave reboot ${WEB1.uuid.toUpperCase()}`,
    ]);
  });

  it('runs operations on one domain in arrival order', async () => {
    const b = new GatedBackend([{ ...WEB1 }]);
    const { handle } = createDispatcher({ backends: [b], acl: open, log: () => {} });
    const first = handle(req(FenceCommand.OFF, WEB1.uuid), peer, signal);
    await b.entered(`off ${WEB1.uuid}`);
    const second = handle(req(FenceCommand.ON, 'web1'), peer, signal);
    const third = handle(req(FenceCommand.REBOOT, 'web1'), peer, signal);
    b.release(`off ${WEB1.uuid}`);
    await first;
    await b.entered('on web1');
    b.release('on web1');
    await second;
    await b.entered('reboot web1');
    b.release('reboot web1');
    await third;
    expect(b.events).toEqual([
      `enter off ${WEB1.uuid}`, `leave off ${WEB1.uuid}`, 'enter on web1', 'leave on web1', 'enter reboot web1', 'leave reboot web1',
    ]);
  });
});

// The dispatcher's routing across backends and its answer to "is this
// request ours?", which multicast listeners ask before calling back.
import { describe, expect, it } from 'vitest';
import { createDispatcher, type Peer } from '../../daemon/dispatch.js';
import { DomainNotFoundError } from '../../daemon/errors.js';
import { DomainState, type Backend, type DomainInfo } from '../../daemon/backends/types.js';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { makeRequest } from '../../protocol/fence-req.js';
import type { DomainScope } from '../../daemon/acl.js';

/** An in-memory hypervisor: enough to exercise routing without virsh. */
class MemoryBackend implements Backend {
  readonly calls: string[] = [];
  constructor(readonly domains: DomainInfo[], readonly failing = false) {}
  #find(d: string) {
    return this.domains.find((x) => x.name === d || x.uuid === d.toLowerCase());
  }
  async lookup(d: string) {
    if (this.failing) throw new Error('hypervisor unreachable');
    return this.#find(d);
  }
  async off(d: string) { this.#set(d, DomainState.SHUTOFF, 'off'); }
  async on(d: string) { this.#set(d, DomainState.RUNNING, 'on'); }
  async reboot(d: string) { this.#set(d, DomainState.RUNNING, 'reboot'); return 'rebooted' as const; }
  async list() {
    if (this.failing) throw new Error('hypervisor unreachable');
    return this.domains;
  }
  readonly capabilities = {};
  async close() {}
  #set(d: string, state: DomainInfo['state'], call: string) {
    const i = this.domains.findIndex((x) => x.name === d || x.uuid === d);
    if (i < 0) throw new DomainNotFoundError(d);
    this.domains[i] = { ...this.domains[i]!, state };
    this.calls.push(`${call} ${d}`);
  }
}

const dom = (name: string, n: number, state: DomainInfo['state'] = DomainState.RUNNING): DomainInfo =>
  ({ name, uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, state });
const open = { allows: () => true, allowsDomain: () => true };
const peer: Peer = { listener: 'test', source: '192.0.2.9', address: '192.0.2.9:1229' };
const signal = new AbortController().signal;
const req = (request: number, domain = '') => makeRequest({ request, domain, seqno: 1 });
const scope = (names: string[]): DomainScope => ({ name: 'c1', allowsDomain: (_s, d) => names.includes(d.name) });

describe('createDispatcher with several backends', () => {
  it('routes power operations to the backend that has the domain', async () => {
    const a = new MemoryBackend([dom('a1', 1)]);
    const b = new MemoryBackend([dom('b1', 2)]);
    const { handle } = createDispatcher({ backends: [a, b], acl: open, log: () => {} });
    expect(await handle(req(FenceCommand.OFF, 'b1'), peer, signal)).toMatchObject({ kind: 'result', result: Result.SUCCESS });
    expect(b.calls).toEqual(['off b1']);
    expect(a.calls).toEqual([]);
    expect(await handle(req(FenceCommand.STATUS, 'b1'), peer, signal)).toMatchObject({ result: Result.OFF });
    expect(await handle(req(FenceCommand.OFF, 'zz'), peer, signal)).toMatchObject({ result: Result.FAIL, unknownDomain: true });
    expect(await handle(req(FenceCommand.STATUS, 'zz'), peer, signal)).toMatchObject({ result: Result.OFF, unknownDomain: true });
  });

  it('lists the union, first backend winning a UUID seen twice', async () => {
    const a = new MemoryBackend([dom('Zed', 1), dom('same', 3)]);
    const b = new MemoryBackend([dom('alpha', 2), dom('same-elsewhere', 3)]);
    const { handle } = createDispatcher({ backends: [a, b], acl: open, log: () => {} });
    const r = await handle(req(FenceCommand.HOSTLIST), peer, signal);
    expect(r.kind === 'hostlist' && r.hosts.map((h) => h.domain)).toEqual(['alpha', 'same', 'Zed']);
  });
});

describe('owns', () => {
  it('claims a domain only when a backend has it', async () => {
    const { owns } = createDispatcher({ backends: [new MemoryBackend([dom('a1', 1)]), new MemoryBackend([dom('b1', 2)])], acl: open, log: () => {} });
    expect(await owns(req(FenceCommand.STATUS, 'b1'), peer, signal)).toBe(true);
    expect(await owns(req(FenceCommand.REBOOT, 'a1'), peer, signal)).toBe(true);
    expect(await owns(req(FenceCommand.STATUS, 'other-host-vm'), peer, signal)).toBe(false);
    expect(await owns(req(FenceCommand.DEVSTATUS), peer, signal)).toBe(true);
    expect(await owns(req(FenceCommand.HOSTLIST), peer, signal)).toBe(true);
  });

  it('does not claim a domain outside the peer\'s cluster, nor a list with nothing visible', async () => {
    const { owns, handle } = createDispatcher({ backends: [new MemoryBackend([dom('a1', 1), dom('b1', 2)])], acl: open, log: () => {} });
    const scoped = { ...peer, scope: scope(['a1']) };
    expect(await owns(req(FenceCommand.OFF, 'a1'), scoped, signal)).toBe(true);
    expect(await owns(req(FenceCommand.OFF, 'b1'), scoped, signal)).toBe(false);
    expect(await owns(req(FenceCommand.HOSTLIST), { ...peer, scope: scope(['nothing']) }, signal)).toBe(false);
    // Asked anyway (TCP), the answer is "permission denied", and nothing is touched.
    expect(await handle(req(FenceCommand.OFF, 'b1'), scoped, signal)).toMatchObject({ result: Result.PERM });
  });

  it('a backend that cannot answer claims nothing, and says why', async () => {
    const lines: string[] = [];
    const { owns } = createDispatcher({ backends: [new MemoryBackend([], true)], acl: open, log: (_l, m) => lines.push(m) });
    expect(await owns(req(FenceCommand.STATUS, 'a1'), peer, signal)).toBe(false);
    expect(lines.join('\n')).toMatch(/cannot tell whether 'a1' is ours: hypervisor unreachable/);
  });
});

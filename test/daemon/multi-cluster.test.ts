// One palisaded for several clusters: several listeners, several keys,
// several backends. Checked with the real fence_virt client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  ROOT, Workspace, fenceVirt, freePort, palisadeCli, startPalisaded, DEMO_DOMAINS, type RunningDaemon,
} from '../helpers/fence-daemons.js';

const HV_A = join(ROOT, 'test/fixtures/libvirt/hv-a.xml');
const HV_B = join(ROOT, 'test/fixtures/libvirt/hv-b.xml');

const client = (port: number, key: string, op: string, domain?: string) =>
  fenceVirt(['-T', '127.0.0.1', '-p', String(port), '-k', key, '-t', '10', '-o', op, ...(domain ? ['-H', domain] : [])]);

const names = (listOutput: string) => listOutput.trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]);

describe('two listeners, two keys, one cluster each (listener group)', () => {
  let ws: Workspace;
  let pa: number;
  let pb: number;
  let ka: string;
  let kb: string;
  let daemon: RunningDaemon;
  beforeAll(async () => {
    ws = await Workspace.create();
    ka = await ws.key('a.key');
    kb = await ws.key('b.key');
    pa = await freePort();
    pb = await freePort();
    daemon = await startPalisaded(ws, `
fence_virtd { listener = "tcp tcp:b"; backend = "libvirt"; }
listeners {
  tcp { address = "127.0.0.1"; port = "${pa}"; key_file = "${ka}"; group = "cluster-a"; }
  tcp = "b" { address = "127.0.0.1"; port = "${pb}"; key_file = "${kb}"; group = "cluster-b"; }
}
backends { libvirt { uri = "test://${DEMO_DOMAINS}"; } }
groups {
  group { name = "cluster-a"; uuid = "web1"; uuid = "web2"; }
  group { name = "cluster-b"; uuid = "db1"; }
}
`);
  });
  afterAll(async () => { await ws?.stop(); });

  it('each key reaches only its own cluster', async () => {
    expect((await client(pa, ka, 'status', 'web1')).exitCode).toBe(0);
    const denied = await client(pa, ka, 'status', 'db1');
    expect(denied.exitCode).toBe(3);
    expect(denied.stdout + denied.stderr).toContain('Permission denied');
    expect((await client(pb, kb, 'status', 'web1')).exitCode).toBe(3);
    expect((await client(pb, kb, 'off', 'db1')).exitCode).toBe(0);
    expect((await client(pb, kb, 'status', 'db1')).exitCode).toBe(2);
    expect((await client(pb, kb, 'on', 'db1')).exitCode).toBe(0);
  });

  it('lists only the cluster\'s domains', async () => {
    const a = await client(pa, ka, 'list');
    expect(a.exitCode).toBe(0);
    expect(names(a.stdout)).toEqual(['web1', 'web2']);
    const b = await client(pb, kb, 'list');
    expect(names(b.stdout)).toEqual(['db1']);
  });

  it('refuses the other cluster\'s key on a listener', async () => {
    const r = await client(pb, ka, 'status', 'db1');
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).not.toContain('Unable to connect');
    await daemon.waitFor(new RegExp(`tcp:b 127\\.0\\.0\\.1:\\d+: request signature does not match our key \\(key mismatch\\); dropping client`));
  });
});

describe('one listener, a key per cluster group', () => {
  let ws: Workspace;
  let port: number;
  let ka: string;
  let kb: string;
  let kc: string;
  let daemon: RunningDaemon;
  beforeAll(async () => {
    ws = await Workspace.create();
    ka = await ws.key('a.key');
    kb = await ws.key('b.key');
    kc = await ws.key('c.key');
    port = await freePort();
    daemon = await startPalisaded(ws, `
fence_virtd { listener = "tcp"; backend = "libvirt"; }
listeners { tcp { address = "127.0.0.1"; port = "${port}"; } }
backends { libvirt { uri = "test://${DEMO_DOMAINS}"; } }
groups {
  group { name = "cluster-a"; key_file = "${ka}"; uuid = "web1"; uuid = "web2"; }
  group { name = "cluster-b"; key_file = "${kb}"; uuid = "db1"; }
}
`);
  });
  afterAll(async () => { await ws?.stop(); });

  it('the key that verifies the request decides the domains', async () => {
    expect((await client(port, ka, 'status', 'web2')).exitCode).toBe(0);
    expect((await client(port, ka, 'status', 'db1')).exitCode).toBe(3);
    expect((await client(port, kb, 'status', 'db1')).exitCode).toBe(0);
    expect((await client(port, kb, 'reboot', 'web1')).exitCode).toBe(3);
    expect(names((await client(port, kb, 'list')).stdout)).toEqual(['db1']);
    expect(names((await client(port, ka, 'list')).stdout)).toEqual(['web1', 'web2']);
  });

  it('a key of no cluster is refused', async () => {
    const r = await client(port, kc, 'status', 'web1');
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).not.toContain('Unable to connect');
    await daemon.waitFor(/request signature does not match our key \(key mismatch\); dropping client/);
  });

  it('a domain given by UUID is scoped by its name too', async () => {
    const list = await client(port, ka, 'list');
    const uuid = list.stdout.trim().split('\n')[0]!.split(/\s+/)[1]!;
    expect((await client(port, ka, 'status', uuid)).exitCode).toBe(0);
    expect((await client(port, kb, 'status', uuid)).exitCode).toBe(3);
  });
});

describe('several backends', () => {
  let ws: Workspace;
  let port: number;
  let key: string;
  let daemon: RunningDaemon;
  beforeAll(async () => {
    ws = await Workspace.create();
    key = await ws.key();
    port = await freePort();
    daemon = await startPalisaded(ws, `
fence_virtd { listener = "tcp"; backend = "libvirt, libvirt:lab"; }
listeners { tcp { address = "127.0.0.1"; port = "${port}"; key_file = "${key}"; } }
backends {
  libvirt { uri = "test://${HV_A}"; }
  libvirt = "lab" { uri = "test://${HV_B}"; }
}
`);
  });
  afterAll(async () => { await ws?.stop(); });

  it('lists every backend\'s domains, sorted', async () => {
    const r = await client(port, key, 'list');
    expect(r.exitCode).toBe(0);
    expect(names(r.stdout)).toEqual(['a-off', 'a-run', 'b-off', 'B-run', 'Dup']);
  });

  it('routes each operation to the backend that has the domain', async () => {
    expect((await client(port, key, 'status', 'B-run')).exitCode).toBe(0);
    expect((await client(port, key, 'off', 'B-run')).exitCode).toBe(0);
    expect((await client(port, key, 'status', 'B-run')).exitCode).toBe(2);
    expect((await client(port, key, 'status', 'a-run')).exitCode).toBe(0);
    expect((await client(port, key, 'on', 'B-run')).exitCode).toBe(0);
    expect((await client(port, key, 'status', 'nowhere')).exitCode).toBe(2);
    expect((await client(port, key, 'off', 'nowhere')).exitCode).toBe(1);
    // The 1 is the daemon's answer (no backend has it), not a failed exchange.
    await daemon.waitFor(/tcp 127\.0\.0\.1:\d+ off 'nowhere': result 1/);
  });
});

describe('configuration errors of the extension grammar', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await Workspace.create(); });
  afterAll(async () => { await ws?.stop(); });

  const check = async (text: string) => {
    const file = await ws.file(`c-${Math.random().toString(36).slice(2)}.conf`, text);
    const key = await ws.key('k.key');
    void key;
    return palisadeCli(['config', 'check', '--offline', file]);
  };

  it('refuses two clusters that share one key, naming both', async () => {
    const bytes = new Uint8Array(64).fill(7);
    const a = await ws.key('twin-a.key', bytes);
    const b = await ws.key('twin-b.key', bytes);
    const r = await check(`fence_virtd { listener = "tcp"; backend = "libvirt"; }
listeners { tcp { address = "127.0.0.1"; port = "1229"; } }
backends { libvirt { uri = "test:///default"; } }
groups {
  group { name = "a"; key_file = "${a}"; uuid = "x"; }
  group { name = "b"; key_file = "${b}"; uuid = "y"; }
}
`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/:6: groups\/group\[b\]\/key_file: \S+twin-b\.key holds the same key as cluster a \(key \S+twin-a\.key\); .* give each cluster its own key/);
  });

  it('warns that cluster keys cannot separate clusters on a listener without hash and auth', async () => {
    const a = await ws.key('nohash-a.key');
    const r = await check(`fence_virtd { listener = "tcp"; backend = "libvirt"; }
listeners { tcp { address = "127.0.0.1"; port = "1229"; hash = "none"; auth = "none"; } }
backends { libvirt { uri = "test:///default"; } }
groups { group { name = "a"; key_file = "${a}"; uuid = "x"; } }
`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/warning: .*listeners\/tcp\/hash: hash and auth are none, so the cluster keys of a cannot tell requests apart here/);
  });

  it.each([
    ['fence_virtd { listener = "tcp tcp"; backend = "libvirt"; }\nbackends { libvirt { uri = "test:///default"; } }\n',
      /:1: fence_virtd\/@listener: 'tcp' is named twice/],
    ['fence_virtd { listener = "tcp:x"; backend = "libvirt"; }\nbackends { libvirt { uri = "test:///default"; } }\n',
      /:1: listeners\/tcp:x: named in fence_virtd but not defined; add listeners \{ tcp = "x"/],
    ['fence_virtd {\n listener = "tcp";\n backend = "libvirt:nope";\n}\nbackends { libvirt { uri = "test:///default"; } }\n',
      /backends\/libvirt:nope: named in fence_virtd but not defined/],
    ['fence_virtd { listener = "tcp"; backend = "libvirt"; }\nlisteners {\n tcp {\n  group = "ghost";\n }\n}\nbackends { libvirt { uri = "test:///default"; } }\n',
      /:4: listeners\/tcp\/group: no group named 'ghost'/],
    ['fence_virtd { listener = "tcp tcp:"; backend = "libvirt"; }\nbackends { libvirt { uri = "test:///default"; } }\n',
      /'tcp:' is not a name; write KIND or KIND:LABEL/],
  ])('%#', async (text, re) => {
    const r = await check(text);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(re);
  });
});

// Typos and repeats in every section of fence_virt.conf are warned about
// with FILE:LINE, by the real daemon and by `palisade config check`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, fenceVirtConf, freePort, palisadeCli, startPalisaded } from '../helpers/fence-daemons.js';

describe('the daemon warns about typos in every section', () => {
  let ws: Workspace;
  beforeAll(async () => { ws = await Workspace.create(); });
  afterAll(async () => { await ws?.stop(); });

  /** fence_virtd, tcp, libvirt and a group, each with a misspelt key, and a misspelt listener block. */
  const typoConf = async () => {
    const keyFile = await ws.key();
    const port = await freePort();
    const text = fenceVirtConf({ port, keyFile })
      .replace('module_path', 'debgu = "1";\n\tmodule_path')
      .replace(`key_file = "${keyFile}";`, `key_file = "${keyFile}";\n\t\tkeyfile = "/etc/other.key";\n\t\tport = "${port}";`)
      .replace(/uri = "([^"]+)";/, 'uri = "$1";\n\t\tvirsh_path = "/usr/bin/virsh";')
      .replace('listeners {\n', 'listeners {\n\ttpc { port = "1"; }\n')
      + 'groups { group { name = "g"; uuid = "web1"; ip = "127.0.0.1"; member = "x"; } }\n';
    return { text, lineOf: (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1 };
  };

  it('palisaded logs each with FILE:LINE at start-up', async () => {
    const { text, lineOf } = await typoConf();
    const d = await startPalisaded(ws, text);
    const conf = d.child.spawnargs[d.child.spawnargs.indexOf('-f') + 1]!;
    const out = d.output();
    expect(out).toContain(`${conf}:${lineOf('debgu')}: fence_virtd/debgu: unknown key, ignored (known here: listener, backend, debug,`);
    expect(out).toContain(`${conf}:${lineOf('keyfile')}: listeners/tcp/keyfile: unknown key, ignored (known here: address, port,`);
    expect(out).toMatch(new RegExp(`${conf}:\\d+: listeners/tcp/port: set 2 times \\(lines \\d+, \\d+\\); the last one wins`));
    expect(out).toContain(`${conf}:${lineOf('virsh_path')}: backends/libvirt/virsh_path: unknown key`);
    expect(out).toContain(`${conf}:${lineOf('tpc')}: listeners/tpc: unknown section, ignored (known here: tcp, multicast, serial)`);
    expect(out).toContain(`${conf}:${lineOf('member')}: groups/group/member: unknown key`);
  });

  it('palisade config check prints the same warnings and every setting, defaults marked', async () => {
    const { text, lineOf } = await typoConf();
    const conf = await ws.file('typos.conf', text);
    const r = await palisadeCli(['config', 'check', '--offline', conf]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`warning: ${conf}:${lineOf('keyfile')}: listeners/tcp/keyfile: unknown key`);
    expect(r.stdout).toContain(`warning: ${conf}:${lineOf('debgu')}: fence_virtd/debgu: unknown key`);
    expect(r.stdout).toMatch(/settings tcp:\n(  .*\n)*  hash = default \(sha256\)\n/);
    expect(r.stdout).toMatch(/settings tcp:\n(  .*\n)*  max_connections = default \(512\)\n/);
    expect(r.stdout).toMatch(/settings libvirt:\n  uri = test:\/\//);
  });
});


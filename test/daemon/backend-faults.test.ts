// Backend faults against the real daemon. The libvirt connection lost and
// back: while the hypervisor cannot be reached every request fails with 1
// and the reason is logged (a status is never reported as "off"); once it
// is back, the next request is served without a restart. virsh killed in
// the middle of a reboot: the answer matches what the hypervisor then says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { ROOT, Workspace, fenceVirtConf, freePort, startPalisaded, type RunningDaemon } from '../helpers/fence-daemons.js';
import { exchange } from '../helpers/raw-client.js';

const OUTAGE = join(ROOT, 'test/fixtures/fake-virsh/outage');
const DIE_ON_DESTROY = join(ROOT, 'test/fixtures/fake-virsh/die-on-destroy');

/** Pids whose parent is `ppid` (the daemon's virsh sessions). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: state, ppid, …
      const ppidField = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidField === ppid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('libvirt connection lost and back', () => {
  let ws: Workspace;
  let d: RunningDaemon;
  let key: Uint8Array;
  let port: number;
  let scratch: string;

  beforeAll(async () => {
    ws = await Workspace.create();
    scratch = ws.dir;
    const keyFile = await ws.key();
    key = new Uint8Array(await readFile(keyFile));
    port = await freePort();
    const conf = fenceVirtConf({ port, keyFile }).replace(/uri = "([^"]+)";/, `uri = "$1";\n\t\tvirsh = "${OUTAGE}";\n\t\tstatus_cache_ms = "0";`);
    d = await startPalisaded(ws, conf, [], 0, { PALISADE_FAKE_VIRSH_DIR: scratch });
  });
  afterAll(async () => { await ws?.stop(); });

  const ask = (request: number, domain = 'web1') => exchange({ port, key, request, domain, timeoutMs: 20_000 });

  it('fails every request with 1 while the hypervisor is down, then serves again once it is back', async () => {
    expect((await ask(FenceCommand.STATUS)).result).toBe(Result.SUCCESS);

    await writeFile(join(scratch, 'down'), '');
    const sessions = childrenOf(d.child.pid!);
    expect(sessions.length).toBeGreaterThan(0);
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    await d.waitFor(/was killed by SIGKILL \(while idle; the next command starts a new virsh\)/);

    // Unknown is not a state: status must fail, never answer "off".
    expect((await ask(FenceCommand.STATUS)).result).toBe(Result.FAIL);
    expect((await ask(FenceCommand.OFF)).result).toBe(Result.FAIL);
    expect((await ask(FenceCommand.REBOOT)).result).toBe(Result.FAIL);
    expect((await ask(FenceCommand.DEVSTATUS, '')).result).toBe(Result.FAIL);
    expect(d.output()).toMatch(/failed to connect to the hypervisor/);
    expect(d.child.exitCode).toBeNull();

    await rm(join(scratch, 'down'));
    expect((await ask(FenceCommand.STATUS)).result).toBe(Result.SUCCESS);
    expect((await ask(FenceCommand.OFF, 'web2')).result).toBe(Result.SUCCESS);
    expect((await ask(FenceCommand.STATUS, 'web2')).result).toBe(Result.OFF);
  });
});

describe('virsh killed in the middle of a reboot', () => {
  let ws: Workspace;
  afterAll(async () => { await ws?.stop(); });

  it('killed as the destroy is sent: the reboot fails, and the domain still runs', async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    const key = new Uint8Array(await readFile(keyFile));
    const port = await freePort();
    const conf = fenceVirtConf({ port, keyFile }).replace(/uri = "([^"]+)";/, `uri = "$1";\n\t\tvirsh = "${DIE_ON_DESTROY}";\n\t\tstatus_cache_ms = "0";`);
    const d = await startPalisaded(ws, conf, [], 0, { PALISADE_FAKE_VIRSH_DIR: ws.dir });
    const reboot = await exchange({ port, key, request: FenceCommand.REBOOT, domain: 'web1', timeoutMs: 30_000 });
    await d.waitFor(/was killed by SIGKILL/);
    // The hypervisor, asked again through a new virsh, says the domain runs: a success here would be a lie.
    const status = await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' });
    expect([reboot.result, status.result]).toEqual([Result.FAIL, Result.SUCCESS]);
    expect(d.output()).toMatch(/reboot 'web1': result 1/);
    // And the next reboot goes through.
    expect((await exchange({ port, key, request: FenceCommand.REBOOT, domain: 'web1', timeoutMs: 30_000 })).result).toBe(Result.SUCCESS);
  });
});

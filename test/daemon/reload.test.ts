// SIGHUP against the real daemon binary: a reload never ends the process,
// in the foreground or detached, and the reason is always logged.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { PALISADED, ROOT, Workspace, fenceVirtConf, freePort, startPalisaded } from '../helpers/fence-daemons.js';
import { exchange, open } from '../helpers/raw-client.js';

const FAKE_LOGGER_DIR = join(ROOT, 'test/fixtures/syslog');

/** A port held by someone else, so that a configuration naming it cannot bind. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { port: (server.address() as { port: number }).port, server };
}

/** Waits until `file` matches `re` (the detached daemon's log has no stream to follow). */
async function waitForFile(file: string, re: RegExp, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in ${file}:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The -f argument of a daemon started by startPalisaded (it writes its own copy of the text). */
function configOf(argv: readonly string[]): string {
  return argv[argv.indexOf('-f') + 1]!;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

describe('SIGHUP reload', () => {
  let ws: Workspace;
  let blocker: Server | undefined;
  afterEach(async () => {
    blocker?.close();
    blocker = undefined;
    await ws?.stop();
  });

  /**
   * The old configuration's key file is removed, then a new configuration
   * that cannot bind is loaded: the old listeners must come back from what
   * the daemon holds in memory, not by reading the old files again.
   */
  const arrange = async () => {
    ws = await Workspace.create();
    const oldKey = await ws.key('old.key');
    const key = new Uint8Array(await readFile(oldKey));
    const port = await freePort();
    const conf = await ws.file('reload.conf', fenceVirtConf({ port, keyFile: oldKey }));
    const busy = await occupiedPort();
    blocker = busy.server;
    const breakIt = async (file: string) => {
      await writeFile(file, fenceVirtConf({ port: busy.port, keyFile: await ws.key('new.key') }));
      await rm(oldKey);
    };
    return { key, port, conf, breakIt };
  };

  it('foreground: a new configuration that cannot bind, with the old key file gone, restores the old listeners', async () => {
    const { key, port, conf, breakIt } = await arrange();
    const d = await startPalisaded(ws, await readFile(conf, 'utf8'));
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
    await breakIt(configOf(d.child.spawnargs));
    d.child.kill('SIGHUP');
    await d.waitFor(/previous configuration restored/);
    expect(d.output()).toMatch(/reload failed to bind \(.*EADDRINUSE.*\); restoring the previous configuration/);
    expect(d.child.exitCode).toBeNull();
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
  });

  it('detached: the same reload is logged to syslog and the daemon keeps serving', async () => {
    const { key, port, conf, breakIt } = await arrange();
    const syslog = ws.path('syslog');
    const pidFile = ws.path('bg.pid');
    const env = { ...process.env, PATH: `${FAKE_LOGGER_DIR}:${process.env.PATH ?? ''}`, PALISADE_TEST_SYSLOG: syslog };
    const r = await execa(process.execPath, [PALISADED, '-f', conf, '-p', pidFile], { reject: false, timeout: 30_000, stdin: 'ignore', env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    try {
      await waitForFile(syslog, /palisaded ready/);
      await breakIt(conf);
      process.kill(pid, 'SIGHUP');
      const log = await waitForFile(syslog, /previous configuration restored|internal error/);
      expect(log).toMatch(/daemon\.err: reload failed to bind \(.*EADDRINUSE.*\); restoring the previous configuration/);
      expect(alive(pid)).toBe(true);
      expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGTERM');
    }
    for (let i = 0; i < 200 && alive(pid); i++) await new Promise((res) => setTimeout(res, 50));
    expect(alive(pid)).toBe(false);
  });

  it('a reload that took a socket over and then fails to bind another gives the socket back', async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    const key = new Uint8Array(await readFile(keyFile));
    const port = await freePort();
    const d = await startPalisaded(ws, fenceVirtConf({ port, keyFile }));
    const busy = await occupiedPort();
    blocker = busy.server;
    const second = `\ttcp = "b" {\n\t\tkey_file = "${keyFile}";\n\t\tport = "${busy.port}";\n\t}\n`;
    await writeFile(configOf(d.child.spawnargs), fenceVirtConf({ port, keyFile })
      .replace('listener = "tcp";', 'listener = "tcp tcp:b";').replace('listeners {\n', `listeners {\n${second}`));
    d.child.kill('SIGHUP');
    await d.waitFor(/previous configuration restored/);
    expect(d.output()).toMatch(/listening: tcp 127\.0\.0\.1:\d+ \(socket taken over\)[\s\S]*reload failed to bind \(.*EADDRINUSE/);
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
  });

  it('under load: five reloads of the same address lose no request', async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    const key = new Uint8Array(await readFile(keyFile));
    const port = await freePort();
    const d = await startPalisaded(ws, fenceVirtConf({ port, keyFile }));
    const outcomes: string[] = [];
    let stop = false;
    let done = 0;
    const waiters = new Set<() => void>();
    const worker = async () => {
      while (!stop) {
        try {
          const r = await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' });
          outcomes.push(r.result === Result.SUCCESS ? 'ok' : `result ${String(r.result)}${r.closedEarly ? ' (closed early)' : ''}`);
        } catch (e) {
          outcomes.push(`error ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        done++;
        for (const w of waiters) w();
      }
    };
    /** Resolves once `n` more requests have been answered (or failed). */
    const answered = (n: number) => new Promise<void>((res) => {
      const target = done + n;
      const check = () => { if (done >= target) { waiters.delete(check); res(); } };
      waiters.add(check);
    });
    const workers = Array.from({ length: 4 }, () => worker());
    try {
      for (let i = 1; i <= 5; i++) {
        await answered(20);
        d.child.kill('SIGHUP');
        await d.waitFor(new RegExp(`(reload complete[\\s\\S]*){${i}}`));
      }
      await answered(20);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    expect(d.output()).toMatch(/listening: tcp 127\.0\.0\.1:\d+ \(socket taken over\)/);
    expect(outcomes.length).toBeGreaterThan(100);
  });

  it('a changed debug setting takes effect on reload', async () => {
    ws = await Workspace.create();
    const keyFile = await ws.key();
    const port = await freePort();
    const d = await startPalisaded(ws, fenceVirtConf({ port, keyFile }));
    const confFile = configOf(d.child.spawnargs);
    await writeFile(confFile, fenceVirtConf({ port, keyFile }).replace('backend = "libvirt";', 'backend = "libvirt";\n\tdebug = "1";'));
    d.child.kill('SIGHUP');
    await d.waitFor(/reload complete/);
    // A peer that hangs up before sending its request is a debug line.
    const s = await open(port);
    s.destroy();
    await d.waitFor(/debug: the client at \S+ closed the connection waiting for the request \(got 0 of 176 bytes\)/);
  });
});

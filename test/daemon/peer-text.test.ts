// What a peer sends never shapes the daemon's log beyond its own line: a
// domain name cannot forge a line, and one source repeating one complaint is
// logged once per window, with a count of what was held back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { daemonFixture, type RunningDaemon, type Workspace } from '../helpers/fence-daemons.js';
import { exchange } from '../helpers/raw-client.js';

describe('peer text in the daemon log', () => {
  let ws: Workspace;
  let key: Uint8Array;
  let port: number;
  let daemon: RunningDaemon;
  beforeAll(async () => {
    let keyPath: string;
    ({ ws, key: keyPath, port, daemon } = await daemonFixture('palisaded'));
    key = new Uint8Array(await readFile(keyPath));
  });
  afterAll(async () => { await ws?.stop(); });

  it('escapes control characters in a domain name, so no line is forged', async () => {
    const r = await exchange({ port, key, request: FenceCommand.STATUS, domain: "web9'\nFORGED: info: fenced\r" });
    expect(r.result).toBe(Result.OFF);
    await daemon.waitFor(/status 'web9'\\nFORGED: info: fenced\\r': result 2/);
    expect(daemon.output()).not.toMatch(/^FORGED/m);
  });

  it('logs one wrong-key warning per source and window, however many arrive', async () => {
    const wrong = new Uint8Array(randomBytes(key.length));
    for (let i = 0; i < 25; i++) {
      const r = await exchange({ port, key, signKey: wrong, request: FenceCommand.STATUS, domain: 'web1' });
      expect(r.closedEarly).toBe(true);
    }
    // The honest request after them is served and logged: the refusals before it were all handled.
    expect((await exchange({ port, key, request: FenceCommand.STATUS, domain: 'web1' })).result).toBe(Result.SUCCESS);
    await daemon.waitFor(/status 'web1': result 0/);
    const warned = daemon.output().split('\n').filter((l) => /warn: tcp 127\.0\.0\.1:\d+: .*dropping client/.test(l));
    expect(warned).toHaveLength(1);
  });
});

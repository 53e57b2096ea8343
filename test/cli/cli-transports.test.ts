// The palisade CLI's fencing verbs over multicast (as fence_xvm) and in
// the hmac-sha256 mode, against one palisaded that serves both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, freePort, palisadeCli, startPalisaded, DEMO_DOMAINS } from '../helpers/fence-daemons.js';

describe('palisade verbs over multicast and hmac-sha256', () => {
  let ws: Workspace;
  let key: string;
  let mport: number;
  let hport: number;
  beforeAll(async () => {
    ws = await Workspace.create();
    key = await ws.key();
    mport = await freePort();
    hport = await freePort();
    await startPalisaded(ws, `
fence_virtd { listener = "multicast tcp"; backend = "libvirt"; }
listeners {
  multicast { key_file = "${key}"; address = "225.0.0.12"; port = "${mport}"; interface = "lo"; }
  tcp { key_file = "${key}"; address = "127.0.0.1"; port = "${hport}"; auth = "hmac-sha256"; }
}
backends { libvirt { uri = "test://${DEMO_DOMAINS}"; } }
`);
  });
  afterAll(async () => { await ws?.stop(); });

  it('status, off and list over multicast, the daemon calling back', async () => {
    const m = ['--multicast', '127.0.0.1', '-p', String(mport), '-k', key, '-t', '10'];
    const s = await palisadeCli(['status', 'web2', ...m]);
    expect(s.stdout.trim()).toBe('web2: status: on');
    expect(s.exitCode).toBe(0);
    expect(await palisadeCli(['off', 'web2', ...m])).toMatchObject({ exitCode: 0, stdout: 'web2: off: success', stderr: '' });
    expect(await palisadeCli(['status', 'web2', ...m])).toMatchObject({ exitCode: 2, stdout: 'web2: status: off' });
    expect(await palisadeCli(['on', 'web2', ...m])).toMatchObject({ exitCode: 0, stdout: 'web2: on: success', stderr: '' });
    const l = await palisadeCli(['list', '--json', ...m]);
    expect(l.exitCode).toBe(0);
    expect((JSON.parse(l.stdout) as { domain: string }[]).map((d) => d.domain)).toEqual(['db1', 'web1', 'web2']);
  });

  it('the authenticated mode, and a clear failure when the client does not use it', async () => {
    const t = ['-H', '127.0.0.1', '-p', String(hport), '-k', key, '-t', '10'];
    const ok = await palisadeCli(['status', 'db1', '--auth', 'hmac-sha256', ...t]);
    expect(ok.stdout.trim()).toBe('db1: status: on');
    expect(ok.exitCode).toBe(0);
    const legacy = await palisadeCli(['status', 'db1', ...t]);
    expect(legacy.exitCode).toBe(1);
    expect(legacy.stdout).toBe('');
    // The daemon refuses a legacy request on its hmac-sha256 listener by closing: the message names that case and the fix.
    expect(legacy.stderr.trim()).toBe(`palisade: authentication with 127.0.0.1:${hport} failed: the daemon dropped the request without answering ` +
      'our challenge (a hash below its minimum, a replay of a request seen in the last 10 s, or a palisaded listener in the hmac-sha256 mode, ' +
      `where auth=hmac-sha256 is needed, looks the same); the daemon's key differs from ${key} or its auth/hash setting differs`);
  });

  it('refuses an unknown auth value with the choices', async () => {
    const r = await palisadeCli(['status', 'db1', '--auth', 'md5']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: option '--auth <type>' argument 'md5' is invalid\. must be one of none, sha1, sha256, sha512, hmac-sha256\n/);
  });
});

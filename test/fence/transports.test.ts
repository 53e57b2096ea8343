// Transports are descriptors: help, meta-data, validation, key handling and
// the client read their facts from the registry, so a new transport is one
// folder under agents/fence/transports/ plus one line in its index.ts.
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRANSPORTS, transportSpec, transportsFor, type FenceTarget } from '../../agents/fence/transports/index.js';
import type { TransportSpec } from '../../agents/fence/transports/types.js';
import { renderHelp } from '../../agents/fence/help.js';
import { renderMetadata } from '../../agents/fence/metadata.js';
import { OPTIONS, type SettingKey } from '../../agents/fence/options.js';
import { planAction, resolveSettings } from '../../agents/fence/validate.js';
import { parseStdin } from '../../agents/fence/parse-stdin.js';
import { fence } from '../../agents/fence/client.js';
import { UsageError } from '../../core/errors.js';
import { ROOT, sources } from '../helpers/sources.js';

const specs = TRANSPORTS as readonly TransportSpec<FenceTarget>[];
const stdinName = (k: SettingKey): string => OPTIONS.find((o) => o.key === k)!.name;
/** A valid value for each transport setting. */
const VALID: Partial<Record<SettingKey, string>> = {
  ipFamily: 'auto', ipport: '1229', retrans: '5', auth: 'sha256', hash: 'sha256', keyFile: '/etc/cluster/fence_xvm.key', serialParams: '115200,8N1',
};
const plan = (text: string) => planAction(resolveSettings(parseStdin(`action=list\n${text}`)));


describe('transport registry', () => {
  it('no file of the agent names a transport outside its own folder and the registry', async () => {
    const files = await sources('agents/fence');
    const found: string[] = [];
    for (const t of specs) {
      for (const f of files) {
        if (f.startsWith(`agents/fence/transports/${t.name}/`) || f === 'agents/fence/transports/index.ts') continue;
        const text = await readFile(join(ROOT, f), 'utf8');
        // An option may share the transport's name (vsock=, -S): its row says name: or key:.
        const uses = [...text.matchAll(new RegExp(`(?<!(?:name|key): )'${t.name}'`, 'g'))];
        if (uses.length) found.push(`${f}: '${t.name}'`);
      }
    }
    expect(found).toEqual([]);
    // Each folder is registered.
    const folders = (await readdir(join(ROOT, 'agents/fence/transports'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(specs.map((t) => t.name).sort());
  });

  it('help, meta-data and selection come from each descriptor', () => {
    const help = renderHelp().replace(/\s+/g, ' ');
    const metadata = renderMetadata('fence_palisade').replace(/\s+/g, ' ');
    for (const t of specs) {
      expect(help, t.name).toContain(t.help);
      if (t.load) expect(metadata, t.name).toContain(t.description);
      if (t.selectedBy) expect(plan(`${stdinName(t.selectedBy)}=${t.selectedBy === 'vsock' ? '3' : '10.0.0.1'}\n`).transport).toBe(t.name);
    }
    for (const agent of ['fence_palisade', 'fence_xvm', 'fence_virt'] as const) {
      const fallback = transportsFor(agent).filter((t) => t.defaultFor?.includes(agent));
      expect(fallback, agent).toHaveLength(1);
      expect(planAction(resolveSettings(parseStdin('action=list\n', agent)), agent).transport).toBe(fallback[0]!.name);
    }
  });

  it('validation: hmac-sha256 only where the descriptor is keyed, foreign settings warned from `settings`, unavailable refused with its reason', () => {
    for (const t of specs.filter((s) => s.selectedBy)) {
      const select = `${stdinName(t.selectedBy!)}=${t.selectedBy === 'vsock' ? '3' : '10.0.0.1'}\n`;
      const p = plan(`${select}auth=hmac-sha256\n`);
      expect(p.problems.some((m) => m.startsWith('auth=hmac-sha256 needs')), t.name).toBe(!t.keyed);
      if (t.unavailable) expect(p.problems, t.name).toContain(`transport '${t.name}' is not available in this version of fence_palisade; ${t.unavailable}`);
      // Every setting another transport reads, given beside this one's selector (and not selecting another).
      const foreign = [...new Set(specs.flatMap((s) => s.settings))].filter((k) => !t.settings.includes(k) && !specs.some((s) => s.selectedBy === k));
      expect(foreign.length, t.name).toBeGreaterThan(0);
      const w = plan(`${select}${foreign.map((k) => `${stdinName(k)}=${VALID[k]}\n`).join('')}`);
      expect(w.problems.filter((m) => !m.startsWith('auth=') && !m.startsWith('transport ')), t.name).toEqual([]);
      expect(w.warnings, t.name).toEqual(expect.arrayContaining(foreign.map((k) => `${stdinName(k)} is ignored: the ${t.name} transport does not use it`)));
    }
  });

  it('the client checks a target with its descriptor and refuses an unavailable transport with the reason', async () => {
    const auth = { key: new Uint8Array([1]), hash: 'sha256', auth: 'sha256' } as const;
    for (const t of specs) {
      const target = { transport: t.name } as FenceTarget;
      const e = await fence(target, auth, 0, '').catch((err: unknown) => err);
      expect(e, t.name).toBeInstanceOf(UsageError);
      expect((e as UsageError).problems, t.name).toEqual(t.targetProblems(target).map((p) => `fence(): ${p}`));
    }
    const vsock = specs.find((t) => t.unavailable);
    if (vsock) {
      const e = await fence({ transport: vsock.name, cid: 2, port: 1229 } as FenceTarget, auth, 0, '').catch((err: unknown) => err);
      expect((e as Error).message).toContain(vsock.unavailable);
    }
    expect(transportSpec('carrier-pigeon')).toBeUndefined();
    const e = await fence({ transport: 'carrier-pigeon' } as unknown as FenceTarget, auth, 0, '').catch((err: unknown) => err);
    expect((e as UsageError).problems).toContain(`fence(): transport: 'carrier-pigeon' is not one of ${specs.map((t) => t.name).join(', ')}`);
  });
});

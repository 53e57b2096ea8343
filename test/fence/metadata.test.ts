// Meta-data: valid for fence-agents' metadata.rng, and a superset of what
// the real fence_virt and fence_xvm declare (names and getopt letters).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMetadata } from '../../agents/fence/metadata.js';
import { renderHelp } from '../../agents/fence/help.js';
import { OPTIONS } from '../../agents/fence/options.js';

const RNG = '/usr/share/cluster/relaxng/metadata.rng';
const dir = mkdtempSync(join(tmpdir(), 'fence-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Param { name: string; attrs: string; getopt: string }
function params(xml: string): Param[] {
  return [...xml.matchAll(/<parameter name="([^"]+)"([^>]*)>\s*<getopt mixed="([^"]*)"/g)].map((m) => ({ name: m[1]!, attrs: m[2]!, getopt: m[3]! }));
}
const actions = (xml: string): string[] => [...xml.matchAll(/<action name="([^"]+)"/g)].map((m) => m[1]!);

const xml = renderMetadata();

describe('meta-data', () => {
  it('validates against metadata.rng', () => {
    const file = join(dir, 'meta.xml');
    writeFileSync(file, xml);
    const r = spawnSync('xmllint', ['--noout', '--relaxng', RNG, file], { encoding: 'utf8' });
    expect(r.stderr).toContain('validates');
    expect(r.status).toBe(0);
  });

  for (const client of ['fence_virt', 'fence_xvm']) {
    it(`declares every parameter of ${client} with the same getopt letter`, () => {
      const theirs = params(execFileSync(`/usr/sbin/${client}`, ['-o', 'metadata'], { encoding: 'utf8' }));
      const ours = new Map(params(xml).map((p) => [p.name, p]));
      expect(theirs.length).toBeGreaterThan(10);
      for (const p of theirs) {
        const mine = ours.get(p.name);
        expect(mine, p.name).toBeDefined();
        if (p.getopt) expect(mine!.getopt.startsWith(p.getopt), `${p.name}: ${mine!.getopt} vs ${p.getopt}`).toBe(true);
      }
    });

    it(`declares every action of ${client}`, () => {
      const theirs = actions(execFileSync(`/usr/sbin/${client}`, ['-o', 'metadata'], { encoding: 'utf8' }));
      expect(actions(xml)).toEqual(expect.arrayContaining(theirs));
    });
  }

  it('has plug obsoleting port, port and domain deprecated, as Pacemaker expects', () => {
    const ps = new Map(params(xml).map((p) => [p.name, p.attrs]));
    expect(ps.get('plug')).toContain('obsoletes="port"');
    expect(ps.get('port')).toContain('deprecated="1"');
    expect(ps.get('domain')).toContain('deprecated="1"');
    expect(xml).toContain('<resource-agent name="fence_palisade"');
  });

  it('lists list, status, reboot, on, off, monitor, metadata, validate-all and null', () => {
    expect(actions(xml).sort()).toEqual(['list', 'list-status', 'metadata', 'monitor', 'null', 'off', 'on', 'reboot', 'status', 'validate-all']);
  });

  it('escapes what it prints', () => {
    for (const o of OPTIONS) expect(o.summary.includes('"') || o.summary.includes('<')).toBe(false);
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#\d+;)/);
  });

  it('names every table row in help, flags included', () => {
    const help = renderHelp();
    for (const o of OPTIONS) {
      if (!o.cliOnly) expect(help).toContain(`${o.name}=`);
      for (const f of o.flags) expect(help).toContain(`-${f}`);
    }
  });
});

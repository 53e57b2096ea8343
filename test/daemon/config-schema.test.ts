// The section schemas: values are read through them, unknown and repeated
// keys are warned about, and the README's tables are theirs.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../daemon/config/parse.js';
import { section } from '../../daemon/config/access.js';
import { defineSection, effectiveSettings, key, readSection, sectionWarnings } from '../../daemon/config/schema.js';
import { fillConfigTables, tablePaths } from '../../daemon/config/readme-tables.js';
import { allSchemas } from '../../daemon/daemon-schema.js';
import { ConfigError } from '../../daemon/errors.js';
import { ROOT } from '../helpers/fence-daemons.js';

const F = 'fv.conf';

describe('schema', () => {
  const demo = defineSection({
    path: 'demo',
    doc: 'test section',
    keys: {
      name: key.string({ required: true, doc: 'a name' }),
      count: key.integer({ default: 3, min: 1, max: 9, doc: 'a count' }),
      kind: key.choice({ choices: ['a', 'b'] as const, default: 'a', doc: 'a kind' }),
      uri: key.indexed({ doc: 'uris' }),
      tag: key.repeated({ doc: 'tags' }),
    },
    sections: [{ name: 'child', repeatable: 'per-label' }],
  });
  const sec = (body: string) => section(parseConfig(`demo {\n${body}\n}\n`, F), 'demo')!;

  it('reads typed values, with defaults', () => {
    const v = readSection(sec('name = "x";\nkind = "B";\nuri = "u0";\nuri1 = "u1";\ntag = "t1";\ntag = "t2";'), demo);
    expect({ ...v, uri: v.uri.map((u) => u.value), tag: v.tag.map((t) => t.value) })
      .toEqual({ name: 'x', count: 3, kind: 'b', uri: ['u0', 'u1'], tag: ['t1', 't2'] });
  });

  it('a bad or missing value is a ConfigError at its line', () => {
    expect(() => readSection(sec('name = "x";\ncount = "12";'), demo)).toThrow(`${F}:3: demo/count: '12' is out of range; use an integer from 1 to 9`);
    expect(() => readSection(sec('count = "2";'), demo)).toThrow(ConfigError);
    expect(() => readSection(sec('count = "2";'), demo)).toThrow(`${F}:1: demo/name: required but not set`);
  });

  it('warns about unknown keys, indexed keys past a gap, repeats; repeatable keys and labelled sections are fine', () => {
    const w = sectionWarnings(sec('name = "x";\nnmae = "y";\nname = "z";\ntag = "1";\ntag = "2";\nuri = "a";\nuri2 = "c";\nchild { }\nchild = "l" { }\nchild = "m" { }\nchild = "m" { }\nother { }'), demo);
    expect(w).toEqual([
      `${F}:3: demo/nmae: unknown key, ignored (known here: name, count, kind, tag, child, uri)`,
      `${F}:8: demo/uri2: ignored: uri1 is not set, and uri, uri1, uri2, … are read only up to the first missing one`,
      `${F}:13: demo/other: unknown section, ignored (known here: name, count, kind, tag, child, uri)`,
      `${F}:4: demo/name: set 2 times (lines 2, 4); the last one wins`,
      `${F}:12: demo/child = "m": section appears 2 times (lines 11, 12); only the last one is read, as fence_virtd does`,
    ]);
  });

  it('lists the settings in force', () => {
    expect(effectiveSettings(sec('name = "x";\nuri = "u";'), demo)).toEqual(['name = x', 'count = default (3)', 'kind = default (a)', 'uri = u']);
  });
});

describe('README configuration tables', () => {
  it('match the schemas, and every section with keys has one', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const withKeys = allSchemas().filter((s) => Object.keys(s.keys).length > 0).map((s) => s.path);
    expect(tablePaths(readme).sort()).toEqual([...withKeys].sort());
    // On failure: npm run build && node scripts/readme-config-tables.mjs
    expect(readme).toBe(fillConfigTables(readme, allSchemas()));
  });
});

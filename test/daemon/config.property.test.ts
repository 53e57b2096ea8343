// fast-check properties of the fence_virt.conf grammar (daemon/config/parse):
// any text yields a tree or a ConfigError whose line lies within the text,
// and a generated tree printed as text parses back to itself.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_DEPTH, parseConfig } from '../../daemon/config/parse.js';
import { ConfigError } from '../../daemon/errors.js';
import { NAME_CHARS, VALUE_CHARS, formatSpec, plain, plainOfSpec, printSpec, rng, type SpecSection } from './conf-helpers.js';
import { withDecodeWatchdog } from '../helpers/decode-watchdog.js';

const FILE = 'fuzz.conf';
const lines = (text: string) => text.split('\n').length;

/** Parses, and checks that a failure is a ConfigError naming this file and a line of the text. */
function parseOrReject(text: string): ReturnType<typeof parseConfig> | ConfigError {
  try {
    return parseConfig(text, FILE);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.file).toBe(FILE);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines(text));
    expect(e.message).toMatch(new RegExp(`^${FILE}:${e.line}: `));
    return e;
  }
}

const name = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 8 }).map((s) => (s.startsWith('#') ? `x${s}` : s));
const value = fc.string({ unit: fc.constantFrom(...VALUE_CHARS), minLength: 1, maxLength: 10 });
const assignment = fc.record({ key: name, value });

const { section } = fc.letrec<{ section: SpecSection; entries: SpecSection['entries'] }>((tie) => ({
  section: fc.record({ name, label: fc.option(value, { nil: undefined }), entries: tie('entries') })
    .map(({ name: n, label, entries }) => (label === undefined ? { name: n, entries } : { name: n, label, entries })),
  entries: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: true }, assignment, tie('section')), { maxLength: 4 }),
}));
/** A whole file: at least one entry, as the grammar requires. */
const tree: fc.Arbitrary<SpecSection> = fc.array(fc.oneof(assignment, section), { minLength: 1, maxLength: 5 })
  .map((entries) => ({ name: '', entries }));

/** Characters that matter to the grammar, plus a few that must be refused. */
const grammarText = fc.string({ unit: fc.constantFrom('a', 'b', 'Z', ' ', '\t', '\n', '{', '}', ';', '=', '"', '#', '\r', '\0', '\uFEFF', 'é'), maxLength: 200, size: 'max' });

describe('config grammar: properties', () => {
  it('arbitrary text gives a tree or a ConfigError with a line within the text', () => {
    fc.assert(fc.property(fc.oneof(grammarText, fc.string({ unit: 'binary', maxLength: 200, size: 'max' })), (text) => {
      parseOrReject(text);
    }), { numRuns: 2000 });
  });

  it('a generated tree, formatted one entry per line, parses back to itself', () => {
    fc.assert(fc.property(tree, (spec) => {
      expect(plain(parseConfig(formatSpec(spec), FILE))).toEqual(plainOfSpec(spec));
    }), { numRuns: 500 });
  });

  it('the same with random spacing and comments between tokens', () => {
    fc.assert(fc.property(tree, fc.integer(), (spec, seed) => {
      expect(plain(parseConfig(printSpec(spec, rng(seed)), FILE))).toEqual(plainOfSpec(spec));
    }), { numRuns: 500 });
  });

  it('mutated valid files give a tree or a ConfigError with a line within the text', () => {
    const edit = fc.record({ at: fc.nat(), cut: fc.nat(6), insert: fc.oneof(grammarText.map((s) => s.slice(0, 6)), fc.constant('')) });
    fc.assert(fc.property(tree, fc.array(edit, { minLength: 1, maxLength: 4 }), (spec, edits) => {
      let text = formatSpec(spec);
      for (const { at, cut, insert } of edits) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + insert + text.slice(i + cut);
      }
      parseOrReject(text);
    }), { numRuns: 1000 });
  });

  it('deep nesting and long files end in a tree or a ConfigError, without exhausting the stack', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.boolean(), (depth, closed) => {
      const text = `${'s {\n'.repeat(depth)}k = "v";\n${closed ? '}\n'.repeat(depth) : ''}`;
      const out = parseOrReject(text);
      expect(out instanceof ConfigError).toBe(depth > MAX_DEPTH || !closed);
    }), { numRuns: 50 });
  });

  it('never hangs: arbitrary and mutated text parses or fails (watchdog worker)', async () => {
    await withDecodeWatchdog(async (dog) => {
      const mutatedText = fc.tuple(tree, fc.nat(), grammarText).map(([spec, at, junk]) => {
        const text = formatSpec(spec);
        const i = at % (text.length + 1);
        return text.slice(0, i) + junk + text.slice(i);
      });
      await fc.assert(fc.asyncProperty(fc.oneof(grammarText, fc.string({ unit: 'binary', maxLength: 400, size: 'max' }), mutatedText), async (text) => {
        expect(await dog.returns('config', text)).toBe(true);
      }), { numRuns: 300, endOnFailure: true });
    });
  });
});

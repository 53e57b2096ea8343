// The no-skips reporter (vitest.config.ts): under CI=true a skipped or todo
// test fails the run and is named; without CI the same run passes.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../fixtures/ci-skip/', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

const runFixture = (ci: boolean) => execa(process.execPath, [VITEST, 'run', '--root', FIXTURE, '--config', `${FIXTURE}vitest.config.ts`], {
  reject: false, stdin: 'ignore', env: { ...process.env, CI: ci ? 'true' : '', NO_COLOR: '1', FORCE_COLOR: '0' }, extendEnv: true,
});

describe('a skip in CI is a failure', () => {
  it('CI=true: exit 1, each test that did not run named with its mode', async () => {
    const r = await runFixture(true);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('CI=true: 2 test(s) did not run; a skip in CI is a failure');
    expect(String(r.stderr)).toContain('skips.fixture.ts: is skipped (skip)');
    expect(String(r.stderr)).toContain('skips.fixture.ts: is for later (todo)');
  });

  it('without CI: the same run passes', async () => {
    const r = await runFixture(false);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/Tests +1 passed \| 1 skipped \| 1 todo \(3\)/);
  });
});

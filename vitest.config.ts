import { defineConfig } from 'vitest/config';

// Tests spawn real daemons, namespaces and loop devices: run files in
// separate processes, two at a time (the machine has two cores).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // no-skips-reporter: under CI=true a skipped or todo test fails the run.
    reporters: ['default', './test/ci/no-skips-reporter.ts'],
  },
});

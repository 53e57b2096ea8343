// A skip in CI is a failure: under CI=true, any test that did not run
// (it.skip, skipIf, todo, ctx.skip(), a describe skipped whole) fails the
// run, named one per line. Outside CI skips are allowed (e.g. `-t` filters).
// The count goes into .ci/run's closing line either way.
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests('skipped')) {
        skipped.push(`${m.moduleId.replace(`${process.cwd()}/`, '')}: ${t.fullName} (${t.options.mode})`);
      }
    }
    if (skipped.length === 0 || process.env.CI !== 'true') return;
    process.stderr.write(`\nCI=true: ${skipped.length} test(s) did not run; a skip in CI is a failure. Remove the cause:\n` +
      `${skipped.map((s) => `  ${s}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

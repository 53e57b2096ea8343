// What the registry-driven conformance test (test/ocf/conformance.test.ts)
// needs to know about one agent beyond its meta-data. Each registered agent
// N has a file test/ocf/N.conformance.ts exporting
//
//   export const conformance: ConformanceFixture = {
//     ocfTester: true,                                   // or { notRun: 'why it cannot pass here' }
//     async setup() {
//       const dir = mkdtempSync(join(tmpdir(), 'pal-conf-N-'));
//       return {
//         params: { config: join(dir, 'n.conf') },        // an instance that is stopped now
//         env: { HA_RSCTMP: dir },
//         cleanup: async () => rmSync(dir, { recursive: true, force: true }),
//       };
//     },
//   };
//
// Parameters are passed to ocf-tester as -o name=value, so a promotable
// agent adds CRM_meta_promotable: 'true' (and what else ocf-tester should
// export) to params. Every agent action the test runs (and ocf-tester) runs inside its own PID
// namespace with a sentinel, and a private mount namespace, so setup only
// prepares what the resource needs (a netns, a loop device, a config file).

export interface ConformanceSetup {
  /** Parameters of an instance that is not running now, and that start would bring up. */
  readonly params: Readonly<Record<string, string>>;
  /** More environment for the agent and ocf-tester (HA_RSCTMP, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Run the agent and ocf-tester inside this network namespace (ip netns exec). */
  readonly netns?: string;
  /** Removes what setup made; called even when a test failed. */
  cleanup(): Promise<void>;
}

export interface ConformanceFixture {
  /**
   * true: ocf-tester must pass with the setup's params. Otherwise the reason
   * it cannot pass on a test machine (e.g. no DRBD kernel module); it is
   * printed in the test name, so the gap stays visible.
   */
  readonly ocfTester: true | { readonly notRun: string };
  /** ocf-tester's whole run, ms (default 120000). */
  readonly ocfTesterTimeoutMs?: number;
  setup(): Promise<ConformanceSetup>;
}

export function fixtureMissingMessage(name: string): string {
  return (
    `agent ${name} is in agents/ocf/registry.ts but has no test/ocf/${name}.conformance.ts. ` +
    `Add one exporting \`conformance: ConformanceFixture\` (test/helpers/conformance.ts): parameters of a stopped ` +
    `instance that start would bring up, any setup it needs (network namespace, loop device, config file, HA_RSCTMP), ` +
    `and ocfTester: true, or { notRun: 'why ocf-tester cannot pass on a test machine' }.`
  );
}

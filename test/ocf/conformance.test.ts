// The OCF rules every agent in agents/ocf/registry.ts must keep, checked on
// the built agent as Pacemaker runs it. An agent is covered the day it is
// registered: the meta-data and action checks need nothing, the checks on a
// real (stopped) instance and ocf-tester need test/ocf/<Name>.conformance.ts
// (see test/helpers/conformance.ts), and a registered agent without one
// fails here with what to add.
//
// Every action that may act on the system runs inside its own PID namespace
// (and so a private mount namespace) with a sentinel that must survive.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCF } from '../../agents/ocf/framework/exit.js';
import { ocfAgents } from '../../agents/ocf/registry.js';
import { fixtureMissingMessage, type ConformanceFixture, type ConformanceSetup } from '../helpers/conformance.js';
import { agentPath, exitReasonOf, ocfEnv, probeEnv, recurringEnv, REPO_ROOT, runOcf, validateMetadata } from '../helpers/ocf.js';
import { runInPidns, shellQuote as shq, type PidnsResult } from '../helpers/pidns.js';

const INSTANCE = 'conf1';

/** The agent's meta-data, read once at collection time: it decides which checks apply. */
function metadataOf(name: string): { xml: string; required: string[]; error?: string } {
  const path = agentPath(name);
  if (!existsSync(path)) return { xml: '', required: [], error: `${path} missing: run npm run build first` };
  const r = spawnSync(path, ['meta-data'], { encoding: 'utf8' });
  const required = [...r.stdout.matchAll(/<parameter name="([^"]+)"[^>]*\brequired="1"/g)].map((m) => m[1]!);
  return { xml: r.stdout, required, error: r.status === 0 ? undefined : `meta-data exited ${r.status}: ${r.stderr}` };
}

interface Step extends PidnsResult {
  reason: string | undefined;
}

type Where = Pick<ConformanceSetup, 'params' | 'env' | 'netns'>;

/** `action` of agent `name` inside a fresh PID namespace, in the fixture's network namespace if any. */
async function act(name: string, action: string, w: Where, extra: Record<string, string> = {}): Promise<Step> {
  const env = { ...ocfEnv(w.params, { instance: INSTANCE, extra: { ...w.env, ...extra } }), AGENT: agentPath(name) };
  const netns = w.netns ? `ip netns exec ${shq(w.netns)} ` : '';
  const r = await runInPidns(`exec ${netns}"$AGENT" ${shq(action)}`, { env });
  return { ...r, reason: exitReasonOf(r.stderr) };
}

async function loadFixture(name: string): Promise<ConformanceFixture | undefined> {
  const file = join(REPO_ROOT, 'test/ocf', `${name}.conformance.ts`);
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as { conformance?: ConformanceFixture };
  if (mod.conformance === undefined) throw new Error(`${file} does not export \`conformance\``);
  return mod.conformance;
}

const fixtures = new Map(await Promise.all(ocfAgents.map(async (n) => [n, await loadFixture(n)] as const)));

for (const name of ocfAgents) {
  describe(`ocf:palisade:${name}`, () => {
    const meta = metadataOf(name);
    const fixture = fixtures.get(name);
    let setup: ConformanceSetup | undefined;

    beforeAll(async () => {
      setup = await fixture?.setup();
    }, 120_000);
    afterAll(async () => {
      await setup?.cleanup();
    }, 120_000);

    it('meta-data: valid against ra-api-1.dtd and metadata.rng, OCF 1.1, named as registered, readable as nobody', async () => {
      expect(meta.error).toBeUndefined();
      const v = await validateMetadata(meta.xml);
      expect(v.dtd.ok, v.dtd.output).toBe(true);
      expect(v.dtd.output).toBe('');
      expect(v.rng.ok, v.rng.output).toBe(true);
      expect(meta.xml).toContain(`<resource-agent name="${name}" `);
      expect(meta.xml).toContain('<version>1.1</version>');
      for (const a of ['start', 'stop', 'monitor', 'meta-data', 'validate-all']) expect(meta.xml).toContain(`<action name="${a}" `);
      const nobody = spawnSync('su', ['nobody', '-s', '/bin/sh', '-c', `${agentPath(name)} meta-data`], { encoding: 'utf8', env: {} });
      expect(nobody.status, nobody.stderr).toBe(0);
      expect(nobody.stdout).toBe(meta.xml);
    });

    it('an unknown action is 3 and names the action; no action is 2 with usage', async () => {
      const env = ocfEnv({}, { instance: INSTANCE });
      const unknown = await runOcf(agentPath(name), 'frobnicate', env);
      expect(unknown.code).toBe(OCF.ERR_UNIMPLEMENTED);
      expect(unknown.stderr).toContain("action 'frobnicate' is not supported by this agent");
      const none = await runOcf(agentPath(name), '', env);
      expect(none.code).toBe(OCF.ERR_ARGS);
      const usage = new RegExp(`^usage: ${name} \\{([a-z|-]+)\\}`).exec(none.stderr);
      expect(usage, none.stderr).not.toBeNull();
      expect(usage![1]!.split('|')).toEqual(expect.arrayContaining(['start', 'stop', 'monitor', 'meta-data', 'validate-all']));
    });

    if (meta.required.length > 0) {
      it(`without its required parameters (${meta.required.join(', ')}): validate-all 6 naming them, probe 7, stop 0`, async () => {
        const none: Where = { params: {} };
        const v = await act(name, 'validate-all', none);
        expect(v.exitCode, v.stderr).toBe(OCF.ERR_CONFIGURED);
        const s = meta.required.length > 1 ? 's' : '';
        expect(v.reason).toBe(`Missing required parameter${s}: ${meta.required.join(', ')}`);
        const probe = await act(name, 'monitor', none, probeEnv);
        expect([probe.exitCode, probe.reason]).toEqual([OCF.NOT_RUNNING, undefined]);
        const stop = await act(name, 'stop', none);
        expect([stop.exitCode, stop.reason]).toEqual([OCF.SUCCESS, undefined]);
        expect(stop.stderr).toContain('nothing to stop: Missing required parameter');
        expect(stop.sentinelAlive).toBe(true);
      });
    }

    if (fixture === undefined) {
      it(`has a conformance fixture (test/ocf/${name}.conformance.ts)`, () => {
        throw new Error(fixtureMissingMessage(name));
      });
      return;
    }

    it('a stopped instance: validate-all 0, probe 7 and recurring monitor 7 without a reason, stop 0 twice', async () => {
      const s = setup!;
      const validate = await act(name, 'validate-all', s);
      expect([validate.exitCode, validate.reason], validate.stderr).toEqual([OCF.SUCCESS, undefined]);
      const probe = await act(name, 'monitor', s, probeEnv);
      expect([probe.exitCode, probe.reason], probe.stderr).toEqual([OCF.NOT_RUNNING, undefined]);
      const monitor = await act(name, 'monitor', s, recurringEnv);
      expect(monitor.exitCode, monitor.stderr).toBe(OCF.NOT_RUNNING);
      for (const round of [1, 2]) {
        const stop = await act(name, 'stop', s);
        expect([stop.exitCode, stop.reason], `stop ${round}: ${stop.stderr}`).toEqual([OCF.SUCCESS, undefined]);
        expect(stop.sentinelAlive).toBe(true);
      }
    });

    const tester = fixture.ocfTester;
    if (tester !== true) {
      // a declared gap, not a skip: it must say why, and the title shows it
      it(`ocf-tester: not run here (${tester.notRun})`, () => {
        expect(tester.notRun.trim().length, `${name}: ocfTester.notRun needs a reason`).toBeGreaterThan(10);
      });
      return;
    }

    it("ocf-tester passes (without -v: no child may hold the agent's output) and leaves the instance stopped", async () => {
      const s = setup!;
      const netns = s.netns ? `ip netns exec ${shq(s.netns)} ` : '';
      const opts = Object.entries(s.params).map(([k, v]) => `-o ${shq(`${k}=${v}`)}`).join(' ');
      const reskeys = Object.entries(s.params).map(([k, v]) => shq(`OCF_RESKEY_${k}=${v}`)).join(' ');
      // ocf-tester gets only what it passes itself (-o ...), as in the field
      const script = `
        for v in $(env | grep -o '^OCF_[A-Za-z0-9_]*'); do unset $v; done
        ${netns}ocf-tester -n ${INSTANCE} ${opts} "$AGENT" 2>&1
        echo "tester $?"
        ${netns}env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=${INSTANCE} OCF_RESKEY_CRM_meta_interval=0 ${reskeys} "$AGENT" monitor 2>&1
        echo "probe $?"
      `;
      const env: NodeJS.ProcessEnv = { ...process.env, ...s.env, HA_LOGFACILITY: 'none', AGENT: agentPath(name) };
      delete env.NODE_EXTRA_CA_CERTS;
      const r = await runInPidns(script, { env, timeoutMs: fixture.ocfTesterTimeoutMs ?? 120_000 });
      const out = r.stdout + r.stderr;
      expect(r.timedOut, out).toBe(false);
      expect(out).toContain('passed all tests');
      expect(out).toMatch(/^tester 0$/m);
      expect(out).toMatch(/^probe 7$/m);
      expect(r.sentinelAlive).toBe(true);
    }, 150_000);
  });
}

// Running OCF agents the way Pacemaker and ocf-tester do, for tests:
//
//   const env = ocfEnv({ ip: '192.0.2.10' }, { instance: 'vip1' });
//   const r = await runOcf(agentPath('IPaddr2'), 'start', env, { netns });
//   expect(r.code).toBe(OCF.SUCCESS);
//   const probe = await runOcf(agent, 'monitor', { ...env, ...probeEnv });
//   const t = await ocfTester(agentPath('IPaddr2'), 'vip1', { ip: '...' }, { netns });
//   const v = await validateMetadata(r.stdout);   // DTD (ocf-tester's check) and RelaxNG
//
// NODE_EXTRA_CA_CERTS is removed (Pacemaker does not set it; it slows Node
// start-up) and syslog is off (HA_LOGFACILITY=none).

import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OCF_ROOT = '/usr/lib/ocf';
export const RA_DIR = '/usr/share/resource-agents';
export const RA_DTD = join(RA_DIR, 'ra-api-1.dtd');
/** The RelaxNG schema resource-agents ships (its build checks heartbeat agents with it). */
export const RA_RNG = join(RA_DIR, 'metadata.rng');
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Compiled entry of one of our agents (run `bash scripts/build.sh` first). */
export function agentPath(name: string): string {
  return join(REPO_ROOT, 'dist/bin/ocf', `${name}.cjs`);
}

/** The resource-agents shell implementation, for side-by-side checks. */
export function heartbeatAgent(name: string): string {
  return join(OCF_ROOT, 'resource.d/heartbeat', name);
}

/** Environment for a recurring monitor (interval 10 s) and for a probe (interval 0). */
export const recurringEnv = { OCF_RESKEY_CRM_meta_interval: '10000' } as const;
export const probeEnv = { OCF_RESKEY_CRM_meta_interval: '0' } as const;

export interface OcfEnvOptions {
  instance?: string;
  timeoutMs?: number;
  /** More variables (CRM_meta_*, OCF_CHECK_LEVEL ...). */
  extra?: Record<string, string>;
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('OCF_') && k !== 'NODE_EXTRA_CA_CERTS') env[k] = v;
  }
  return env;
}

/** What Pacemaker 2.1 passes: OCF_ROOT, RA version, instance, exit-reason prefix, timeout, params. */
export function ocfEnv(params: Record<string, string>, opts: OcfEnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = {
    ...baseEnv(),
    OCF_ROOT,
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_RESOURCE_INSTANCE: opts.instance ?? 'test1',
    OCF_EXIT_REASON_PREFIX: 'ocf-exit-reason:',
    OCF_RESKEY_crm_feature_set: '3.16.2',
    OCF_RESKEY_CRM_meta_timeout: String(opts.timeoutMs ?? 20000),
    HA_LOGFACILITY: 'none',
    ...opts.extra,
  };
  for (const [k, v] of Object.entries(params)) env[`OCF_RESKEY_${k}`] = v;
  return env;
}

export interface OcfRunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The last `ocf-exit-reason:` line (what Pacemaker keeps), without the prefix. */
  exitReason: string | undefined;
  ms: number;
}

export interface RunOcfOptions {
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Kill the agent after this long; default 60 s. */
  killAfterMs?: number;
  /** ocfTester only: extra environment (e.g. HA_RSCTMP). */
  env?: Record<string, string>;
  /**
   * ocfTester only: pass -v. Off by default on purpose: without -v
   * ocf-tester reads each action's output to EOF, so an agent whose child
   * keeps stdout/stderr open makes the run hang (and the test time out).
   */
  verbose?: boolean;
}

export function exitReasonOf(stderr: string, prefix = 'ocf-exit-reason:'): string | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith(prefix));
  return lines.length ? lines[lines.length - 1]!.slice(prefix.length) : undefined;
}

/** Spawns and collects; resolves when stdout/stderr reach EOF, as ocf-tester waits. */
export function spawnCollect(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  killAfterMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal === 'SIGKILL' ? 137 : 143),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - t0,
      });
    });
  });
}

/** Runs `agent action` with exactly `env` (build it with ocfEnv()). */
export async function runOcf(
  agent: string,
  action: string,
  env: Record<string, string>,
  opts: RunOcfOptions = {},
): Promise<OcfRunResult> {
  const [file, args] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, agent, action]] : [agent, [action]];
  const r = await spawnCollect(file as string, args as string[], env, opts.killAfterMs);
  return { ...r, exitReason: exitReasonOf(r.stderr, env.OCF_EXIT_REASON_PREFIX) };
}

export interface OcfTesterResult {
  code: number;
  output: string;
  passed: boolean;
}

/** Runs /usr/sbin/ocf-tester [-v] -n name -o k=v ... agent (optionally inside a netns). */
export async function ocfTester(
  agent: string,
  name: string,
  params: Record<string, string>,
  opts: RunOcfOptions = {},
): Promise<OcfTesterResult> {
  const args = [...(opts.verbose ? ['-v'] : []), '-n', name, ...Object.entries(params).flatMap(([k, v]) => ['-o', `${k}=${v}`]), agent];
  const env = { ...baseEnv(), HA_LOGFACILITY: 'none', ...opts.env };
  const [file, argv] = opts.netns
    ? ['ip', ['netns', 'exec', opts.netns, 'ocf-tester', ...args]]
    : ['ocf-tester', args];
  const r = await spawnCollect(file as string, argv as string[], env, opts.killAfterMs ?? 120_000);
  const output = r.stdout + r.stderr;
  return { code: r.code, output, passed: r.code === 0 && /passed all tests/.test(output) };
}

export interface SchemaCheck {
  ok: boolean;
  output: string;
}

function xmllint(args: readonly string[], input: string, cwd: string): Promise<SchemaCheck> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('xmllint', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ ok: code === 0, output }));
    child.stdin.end(input);
  });
}

/**
 * Meta-data validation: `xmllint --noout --valid -` in RA_DIR (ocf-tester's
 * exact check, resolving the DOCTYPE's ra-api-1.dtd) and against the
 * RelaxNG schema shipped by resource-agents.
 */
export async function validateMetadata(xml: string): Promise<{ dtd: SchemaCheck; rng: SchemaCheck }> {
  const [dtd, rng] = await Promise.all([
    xmllint(['--noout', '--valid', '-'], xml, RA_DIR),
    xmllint(['--noout', '--relaxng', RA_RNG, '-'], xml, RA_DIR),
  ]);
  return { dtd, rng };
}

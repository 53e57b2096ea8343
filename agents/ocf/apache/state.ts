// Per-instance files under the resource-agents state directory (HA_RSCTMP,
// /run/resource-agents on Debian): the pid file used when the configuration
// has none, httpd's start-up output, and a record of what start launched so
// stop can still find the server after its configuration broke.

import { fs } from '../framework/_builtins.js';
import { join } from 'node:path';
import type { Env } from '../framework/env.js';

export function stateDir(env: Env): string {
  return env.HA_RSCTMP || '/run/resource-agents';
}

export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/** heartbeat's name, <httpd basename up to '-'>-<instance>.pid, in the state directory. */
export function defaultPidFile(env: Env, httpd: string, instance: string): string {
  const base = httpd.slice(httpd.lastIndexOf('/') + 1).split('-')[0];
  return join(stateDir(env), `${base}-${instance}.pid`);
}

export function startupLog(env: Env, instance: string): string {
  return join(stateDir(env), `apache-${instance}.startup.log`);
}

export interface StartRecord {
  readonly configFile: string;
  readonly httpd: string;
  readonly pidFile: string;
}

function recordPath(env: Env, instance: string): string {
  return join(stateDir(env), `apache-${instance}.json`);
}

export function writeRecord(env: Env, instance: string, r: StartRecord): void {
  ensureDir(stateDir(env));
  fs.writeFileSync(recordPath(env, instance), `${JSON.stringify(r)}\n`, { mode: 0o644 });
}

/** The record of the last start, if it is there and well-formed. */
export function readRecord(env: Env, instance: string): StartRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(recordPath(env, instance), 'utf8')) as Partial<StartRecord>;
    if (typeof r.configFile === 'string' && typeof r.httpd === 'string' && typeof r.pidFile === 'string') {
      return { configFile: r.configFile, httpd: r.httpd, pidFile: r.pidFile };
    }
  } catch {
    // absent or unreadable: no record
  }
  return undefined;
}

export function removeRecord(env: Env, instance: string): void {
  fs.rmSync(recordPath(env, instance), { force: true });
}

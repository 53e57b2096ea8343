// The `envfiles` parameter: shell files (Debian's /etc/apache2/envvars)
// sourced before httpd runs. They may hold any shell logic (envvars derives
// SUFFIX from APACHE_CONFDIR), so a real /bin/sh sources them and prints the
// exported result, once per action and only when it is needed.

import { fs } from '../framework/_builtins.js';
import type { RunOptions, RunResult } from '../framework/agent.js';
import type { Env } from '../framework/env.js';
import { OCF, OcfError } from '../framework/exit.js';

export type Runner = (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

// "$@" are the files; a failing '.' ends a non-interactive sh, with sh's message on stderr
const SOURCE = 'for f do . "$f"; done; exec env -0';

/** The existing, readable files of an envfiles value (blank-separated); heartbeat skips the others too. */
export function readableEnvFiles(value: string): { use: string[]; skipped: string[] } {
  const use: string[] = [];
  const skipped: string[] = [];
  for (const f of value.split(/\s+/).filter(Boolean)) {
    try {
      fs.accessSync(f, fs.constants.R_OK);
      if (fs.statSync(f).isFile()) {
        use.push(f);
        continue;
      }
    } catch {
      // not there or not readable: skipped
    }
    skipped.push(f);
  }
  return { use, skipped };
}

export function parseEnvDump(dump: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of dump.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * The environment after sourcing `files` on top of `base`. A file that does
 * not parse is OCF_ERR_CONFIGURED with sh's message (file and line).
 */
export async function sourceEnvFiles(files: readonly string[], base: Env, run: Runner): Promise<Record<string, string>> {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) plain[k] = v;
  if (files.length === 0) return plain;
  const r = await run('/bin/sh', ['-c', SOURCE, 'sh', ...files], { env: base, timeoutMs: 10_000 });
  if (r.failed) {
    const why = r.timedOut ? 'timed out' : (r.stderr.trim() || `exit code ${r.exitCode ?? r.signal}`);
    throw new OcfError(OCF.ERR_CONFIGURED, `envfiles ${files.join(' ')} could not be sourced: ${why}`);
  }
  const env = parseEnvDump(r.stdout);
  // the runner forces LC_ALL=C; it is not the envfiles' doing
  if (base.LC_ALL === undefined) delete env.LC_ALL;
  else env.LC_ALL = base.LC_ALL;
  return env;
}

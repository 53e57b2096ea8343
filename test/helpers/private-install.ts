// Runs a command in a private mount namespace in which this checkout's
// `palisade install` is visible at the real paths Pacemaker reads
// (/usr/sbin and /usr/lib/ocf/resource.d), through read-only overlays.
// The host's folders are never written, so a foreign install cannot make a
// test skip, and two checkouts can test at once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { PALISADE_CLI, type RunResult } from './fence-daemons.js';

const SBIN = '/usr/sbin';
const RESOURCE_D = '/usr/lib/ocf/resource.d';

// Overlay our staged links above the host's folders, then run the command.
const ENTER = [
  'set -e',
  'mount -t overlay pal-sbin -o "lowerdir=$PAL_STAGE/sbin:/usr/sbin" /usr/sbin',
  'mount -t overlay pal-ocf -o "lowerdir=$PAL_STAGE/ocf/resource.d:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d',
  'exec "$@"',
].join('\n');

export interface PrivateInstall {
  /** The staging folder: sbin/ and ocf/resource.d/, for overlays of one's own (e.g. a cluster node's view). */
  readonly stage: string;
  /** Runs `file args…` with the install visible; never rejects. */
  run(file: string, args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Removes the staging folder. */
  dispose(): Promise<void>;
}

/** Stages `palisade install [extraArgs]` into a temporary folder. */
export async function privateInstall(extraArgs: readonly string[] = []): Promise<PrivateInstall> {
  const stage = await mkdtemp(join(tmpdir(), 'pal-install-'));
  const inst = await execa(process.execPath, [PALISADE_CLI, 'install', '--sbin-dir', join(stage, 'sbin'), '--ocf-root', join(stage, 'ocf'), ...extraArgs], { reject: false });
  if (inst.exitCode !== 0) {
    await rm(stage, { recursive: true, force: true });
    throw new Error(`palisade install into ${stage} failed (${inst.exitCode}): ${inst.stderr}`);
  }
  return {
    stage,
    async run(file, args, opts = {}) {
      const r = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', ENTER, 'pal-private-install', file, ...args], {
        reject: false,
        env: { ...process.env, ...opts.env, PAL_STAGE: stage },
        input: opts.input,
        stdin: opts.input === undefined ? 'ignore' : undefined,
        timeout: opts.timeoutMs ?? 60_000,
      });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    async dispose() {
      await rm(stage, { recursive: true, force: true });
    },
  };
}

export const INSTALLED_PATHS = { sbin: SBIN, resourceD: RESOURCE_D } as const;

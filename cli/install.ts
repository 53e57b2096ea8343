// `palisade install`: symlinks the agents where Pacemaker looks for them.
// Symlinks into this build's dist/bin/ (one bundled file per executable), so
// a rebuild is picked up without reinstalling.
import { lstat, mkdir, readlink, symlink, unlink, access, constants } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ocfAgents } from '../agents/ocf/registry.js';

export interface InstallOptions {
  readonly sbinDir: string;
  readonly ocfRoot: string;
  readonly force: boolean;
}

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function installPlan(opts: InstallOptions): { link: string; target: string }[] {
  return [
    ...['fence_palisade', 'palisaded', 'palisade'].map((name) => ({ link: join(opts.sbinDir, name), target: join(DIST, 'bin', `${name}.cjs`) })),
    ...ocfAgents.map((name) => ({ link: join(opts.ocfRoot, 'resource.d/palisade', name), target: join(DIST, 'bin/ocf', `${name}.cjs`) })),
  ];
}

export async function install(opts: InstallOptions): Promise<string[]> {
  const done: string[] = [];
  for (const { link, target } of installPlan(opts)) {
    try {
      await access(target, constants.X_OK);
    } catch {
      throw new Error(`${target} is missing or not executable; run 'npm run build' first`);
    }
    await mkdir(dirname(link), { recursive: true });
    const existing = await lstat(link).catch(() => undefined);
    if (existing) {
      const current = existing.isSymbolicLink() ? await readlink(link) : undefined;
      if (current === target) { done.push(`${link} -> ${target} (already installed)`); continue; }
      if (!opts.force) {
        throw new Error(`${link} already exists${current ? ` (-> ${current})` : ''}; pass --force to replace it`);
      }
      await unlink(link);
    }
    await symlink(target, link);
    done.push(`${link} -> ${target}`);
  }
  return done;
}

// `palisade install`: symlinks the agents where Pacemaker looks for them.
// Symlinks into this build's dist/bin/ (one bundled file per executable), so
// a rebuild is picked up without reinstalling.
//
// --compat-names adds fence_xvm and fence_virt next to fence_palisade: the
// same bundle, which plays the C client of the name it is started under.
// Those names usually belong to the fence-virt package, so an existing file
// is never replaced by --force: only --force-compat-names replaces it, and
// keeps the original as NAME.orig (refusing if NAME.orig exists, so a
// second run never overwrites the one real backup). Every link is checked
// before anything changes, so a refusal leaves the system as it was.
import { access, constants, lstat, mkdir, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ocfAgents } from '../agents/ocf/registry.js';

export interface InstallOptions {
  readonly sbinDir: string;
  readonly ocfRoot: string;
  readonly force: boolean;
  /** Also link fence_xvm and fence_virt to fence_palisade's bundle. */
  readonly compatNames?: boolean;
  /** Replace existing fence_xvm/fence_virt files (kept as .orig); implies compatNames. */
  readonly forceCompatNames?: boolean;
}

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const COMPAT_NAMES = ['fence_xvm', 'fence_virt'] as const;
/** OCF agents also installed under the heartbeat agent's name, so switching means changing only the provider. */
export const OCF_ALIASES: Readonly<Record<string, string>> = Object.freeze({ mysql: 'mariadb' });

interface Link {
  readonly link: string;
  readonly target: string;
  /** A compat name: a foreign file there is fence-virt's client, guarded by --force-compat-names. */
  readonly compat: boolean;
}

export function installPlan(opts: InstallOptions): Link[] {
  const fence = join(DIST, 'bin', 'fence_palisade.cjs');
  const compat = opts.compatNames || opts.forceCompatNames ? COMPAT_NAMES : [];
  return [
    ...['fence_palisade', 'palisaded', 'palisade'].map((name) => ({ link: join(opts.sbinDir, name), target: join(DIST, 'bin', `${name}.cjs`), compat: false })),
    ...compat.map((name) => ({ link: join(opts.sbinDir, name), target: fence, compat: true })),
    ...[...ocfAgents.map((name) => [name, name]), ...Object.entries(OCF_ALIASES)].map(([name, agent]) => ({
      link: join(opts.ocfRoot, 'resource.d/palisade', name!),
      target: join(DIST, 'bin/ocf', `${agent}.cjs`),
      compat: false,
    })),
  ];
}

type Step =
  | { readonly kind: 'keep'; readonly l: Link }
  | { readonly kind: 'create'; readonly l: Link }
  | { readonly kind: 'replace'; readonly l: Link }
  | { readonly kind: 'backup'; readonly l: Link; readonly backup: string };

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

/** What to do with one link, or why not. */
async function decide(l: Link, opts: InstallOptions): Promise<Step> {
  const existing = await lstat(l.link).catch(() => undefined);
  if (!existing) return { kind: 'create', l };
  const current = existing.isSymbolicLink() ? await readlink(l.link) : undefined;
  if (current === l.target) return { kind: 'keep', l };
  if (!l.compat) {
    if (!opts.force) throw new Error(`${l.link} already exists${current ? ` (-> ${current})` : ''}; pass --force to replace it`);
    return { kind: 'replace', l };
  }
  // A link to another palisade build is ours to move; anything else is fence-virt's client (or the admin's).
  if (current !== undefined && basename(current) === 'fence_palisade.cjs' && (opts.force || opts.forceCompatNames)) return { kind: 'replace', l };
  const what = current ? `a symbolic link to ${current}` : existing.isFile() ? 'a file' : 'not a regular file';
  if (!opts.forceCompatNames) {
    throw new Error(
      `${l.link} already exists and is ${what}, not palisade's link (probably fence-virt's ${basename(l.link)} client); ` +
      `pass --force-compat-names to replace it (the original is kept as ${l.link}.orig), or install without --compat-names`,
    );
  }
  const backup = `${l.link}.orig`;
  if (await exists(backup)) {
    throw new Error(`${l.link} and ${backup} both exist; move ${backup} away first, so the original ${basename(l.link)} is not lost`);
  }
  return { kind: 'backup', l, backup };
}

export async function install(opts: InstallOptions): Promise<string[]> {
  const plan = installPlan(opts);
  for (const { target } of plan) {
    try {
      await access(target, constants.X_OK);
    } catch {
      throw new Error(`${target} is missing or not executable; run 'npm run build' first`);
    }
  }
  const steps: Step[] = [];
  for (const l of plan) steps.push(await decide(l, opts));
  const done: string[] = [];
  for (const step of steps) {
    const { link, target } = step.l;
    if (step.kind === 'keep') {
      done.push(`${link} -> ${target} (already installed)`);
      continue;
    }
    await mkdir(dirname(link), { recursive: true });
    if (step.kind === 'replace') await unlink(link);
    if (step.kind === 'backup') await rename(link, step.backup);
    await symlink(target, link);
    done.push(`${link} -> ${target}${step.kind === 'backup' ? ` (the original is now ${step.backup})` : ''}`);
  }
  return done;
}

// The server's user and group: /etc/passwd and /etc/group first (no fork),
// then getent for NSS sources (LDAP, sssd), as heartbeat's getent check.

import { fs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';

export interface Account {
  readonly name: string;
  readonly id: number;
  /** the user's primary group; undefined for a group */
  readonly gid?: number;
}

function fromFile(file: string, name: string): Account | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4) return { name, id: Number(f[2]), gid: file.endsWith('passwd') ? Number(f[3]) : undefined };
  }
  return undefined;
}

export async function lookup(kind: 'passwd' | 'group', name: string, ctx: OcfContext): Promise<Account | undefined> {
  const local = fromFile(`/etc/${kind}`, name);
  if (local) return local;
  const getent = ctx.findBinary('getent');
  if (!getent) return undefined;
  const r = await ctx.run(getent, [kind, name], { timeoutMs: 5000 });
  const f = r.stdout.split(':');
  if (r.exitCode !== 0 || f.length < 4) return undefined;
  return { name, id: Number(f[2]), gid: kind === 'passwd' ? Number(f[3]) : undefined };
}

/** Whether `user` (uid, gid) may create files in `dir`, from its mode bits. */
export function writableBy(dir: string, uid: number, gid: number): boolean {
  const st = fs.statSync(dir);
  if (uid === 0) return true;
  if (st.uid === uid) return (st.mode & 0o300) === 0o300;
  if (st.gid === gid) return (st.mode & 0o030) === 0o030;
  return (st.mode & 0o003) === 0o003;
}

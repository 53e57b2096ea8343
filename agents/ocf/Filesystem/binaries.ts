// Programs the agent runs only on some paths (modprobe, fsck, blkid, dd,
// mount, umount): looked up when needed, so a probe never fails for a
// program it does not use.
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';

export function requireBinary(ctx: OcfContext, name: string, why = ''): string {
  const path = ctx.findBinary(name);
  if (path === undefined) {
    throw new OcfError(OCF.ERR_INSTALLED, `required program '${name}' not found in PATH${why ? ` (${why})` : ''}`);
  }
  return path;
}

/** A command's complaint on one line, for an exit reason. */
export function oneLine(s: string): string {
  return s.trim().replace(/\s*\n\s*/g, '; ');
}

// UUID=/LABEL= lookups through blkid(8), bypassing its cache (-c /dev/null)
// so a filesystem re-created on shared storage is seen as it is now. The
// udev links under /dev/disk/by-* are tried first: they need no exec.
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { TAGS, tagLink, type Tag, type TagProbe } from './device.js';

/** Parses `blkid -o export`: KEY=value lines, value with shell backslash escapes. */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return out;
}

function requireBlkid(ctx: OcfContext): string {
  const path = ctx.findBinary('blkid');
  if (path === undefined) {
    throw new OcfError(OCF.ERR_INSTALLED, 'blkid (util-linux) is needed to resolve UUID=/LABEL= devices but is not installed');
  }
  return path;
}

/** The device node holding `tag`=`value`, or undefined when no device has it. */
export async function findByTag(ctx: OcfContext, tag: Tag, value: string): Promise<string | undefined> {
  const link = await tagLink(tag, value);
  if (link) return link;
  const r = await ctx.run(requireBlkid(ctx), ['-c', '/dev/null', '-l', '-o', 'device', '-t', `${tag}=${value}`]);
  if (r.exitCode === 2) return undefined; // blkid: no device matches
  if (r.failed) throw new OcfError(OCF.ERR_GENERIC, `${r.command} failed: ${r.stderr || r.spawnError || `exit ${r.exitCode}`}`);
  const dev = r.stdout.split('\n')[0]?.trim();
  return dev ? dev : undefined;
}

export function blkidProbe(ctx: OcfContext): TagProbe {
  return {
    async tagsOf(devicePath) {
      const r = await ctx.run(requireBlkid(ctx), ['-c', '/dev/null', '-o', 'export', devicePath]);
      if (r.exitCode === 2) return {}; // no recognisable signature
      if (r.failed) throw new OcfError(OCF.ERR_GENERIC, `${r.command} failed: ${r.stderr || r.spawnError || `exit ${r.exitCode}`}`);
      const all = parseBlkidExport(r.stdout);
      const tags: Partial<Record<Tag, string>> = {};
      for (const t of TAGS) if (all[t] !== undefined) tags[t] = all[t];
      return tags;
    },
  };
}

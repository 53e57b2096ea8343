// What this agent asks Pacemaker besides scores: where the promoted
// instance runs (crm_resource --locate) and this node's name.

import { hostname } from 'node:os';
import type { OcfContext } from '../framework/agent.js';

/** Pacemaker's node name: CRM_meta_on_node, else the host name. */
export function localNodeName(ctx: OcfContext): string {
  return ctx.meta.on_node || hostname();
}

/**
 * A node other than this one where Pacemaker runs the resource promoted
 * ("resource X is running on: N Master" / "Promoted"), or undefined.
 */
export async function promotedElsewhere(ctx: OcfContext): Promise<string | undefined> {
  const bin = ctx.findBinary('crm_resource');
  if (!bin) return undefined;
  // the primitive's name: an anonymous clone instance may be passed as "d:0"
  const r = await ctx.run(bin, ['--resource', ctx.instance.replace(/:\d+$/, ''), '--locate'], { timeoutMs: 10_000 });
  const me = localNodeName(ctx).toLowerCase();
  for (const line of r.stdout.split('\n')) {
    const m = /is running on: (\S+) (Master|Promoted)\b/.exec(line);
    if (m && m[1]!.toLowerCase() !== me) return m[1];
  }
  return undefined;
}

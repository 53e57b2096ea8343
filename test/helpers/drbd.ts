// Running ocf:palisade:drbd and LINBIT's ocf:linbit:drbd against the
// drbd-utils stand-in (test/stand-ins/drbd-utils), as one node of the pair.
// LINBIT's agent runs unmodified inside linbit-ns.sh (private mount
// namespace with /proc/drbd and /dev/drbdN stand-ins); ours needs neither.

import { agentPath, exitReasonOf, ocfEnv, runOcf, spawnCollect, type OcfRunResult } from './ocf.js';
import { LINBIT_AGENT, LINBIT_NS, type DrbdStandIn, type NodeName } from '../stand-ins/drbd-utils/api.js';

export const OURS = agentPath('drbd');

/** A promotable clone's meta attributes, as Pacemaker 2.1 exports them (new and legacy names). */
export const CLONE_META: Record<string, string> = {
  OCF_RESKEY_CRM_meta_clone_max: '2',
  OCF_RESKEY_CRM_meta_clone_node_max: '1',
  OCF_RESKEY_CRM_meta_promoted_max: '1',
  OCF_RESKEY_CRM_meta_master_max: '1',
  OCF_RESKEY_CRM_meta_promoted_node_max: '1',
  OCF_RESKEY_CRM_meta_master_node_max: '1',
  OCF_RESKEY_CRM_meta_promotable: 'true',
  OCF_RESKEY_CRM_meta_notify: 'true',
  OCF_RESKEY_CRM_meta_globally_unique: 'false',
};

export interface DrbdRunOptions {
  params?: Record<string, string>;
  extra?: Record<string, string>;
  timeoutMs?: number;
  killAfterMs?: number;
}

/** The full environment for node `n`: OCF variables, clone meta, stand-in PATH. */
export function drbdEnv(s: DrbdStandIn, n: NodeName, o: DrbdRunOptions = {}): Record<string, string> {
  const env = ocfEnv({ drbd_resource: 'r0', drbdconf: s.conf, ...o.params }, { instance: 'd', timeoutMs: o.timeoutMs ?? 20000, extra: { ...CLONE_META, ...o.extra } });
  return { ...env, ...s.env(n) };
}

export function runOurs(s: DrbdStandIn, n: NodeName, action: string, o: DrbdRunOptions = {}): Promise<OcfRunResult> {
  return runOcf(OURS, action, drbdEnv(s, n, o), { killAfterMs: o.killAfterMs ?? 120_000 });
}

export async function runLinbit(s: DrbdStandIn, n: NodeName, action: string, o: DrbdRunOptions = {}): Promise<OcfRunResult> {
  const env = drbdEnv(s, n, o);
  const r = await spawnCollect(LINBIT_NS, [LINBIT_AGENT, action], env, o.killAfterMs ?? 120_000);
  return { ...r, exitReason: exitReasonOf(r.stderr) };
}

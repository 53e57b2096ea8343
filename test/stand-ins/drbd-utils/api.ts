// Test API of the drbd-utils STAND-IN (model.mjs): creates a two-node state
// (nodes "alpha", node-id 0, and "beta", node-id 1, resource r0 on minor 0),
// the matching drbd.conf, and the environment that makes a process one of
// the nodes (stand-ins first in PATH, crm_* recording stand-ins included).
//
//   const s = await drbdStandIn();
//   s.set((st) => { st.nodes.alpha.rt = s.runtime({ role: 'Primary', disk: 'UpToDate' }); });
//   await runOcf(agentPath('drbd'), 'monitor', { ...ocfEnv(params), ...s.env('alpha') });
//   s.score('alpha');  // '10000' | undefined
//   await s.cleanup();

import { mkdtemp, rm } from 'node:fs/promises';
import { initStandIn } from './init.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STANDIN_BIN = dirname(fileURLToPath(import.meta.url));
export const PCMK_STANDIN_BIN = join(STANDIN_BIN, '..', 'pacemaker-cli');
/** Runs a command the way LINBIT's agent needs (/proc/drbd, /dev/drbdN), see linbit-ns.sh. */
export const LINBIT_NS = join(STANDIN_BIN, 'linbit-ns.sh');
export const LINBIT_AGENT = '/usr/lib/ocf/resource.d/linbit/drbd';

export type NodeName = 'alpha' | 'beta';
export const NODES: readonly NodeName[] = ['alpha', 'beta'];

export interface Runtime {
  role: 'Primary' | 'Secondary';
  /** a minor exists (new-minor ran) */
  minor: boolean;
  disk: string;
  client: boolean;
  /** the connection object exists (new-peer) */
  peer: boolean;
  /** connect was asked for */
  want: boolean;
  /** device held open (secondary/down fail with -12) */
  open: boolean;
  /** split-brain latch */
  sb: boolean;
  quorumLost?: boolean;
  /** shown connection state instead of the derived one (e.g. transitional states) */
  connOverride?: string;
  replication?: string;
  peerDiskOverride?: string;
  done?: number;
}

export interface NodeState {
  id: number;
  addr: string;
  backing: string;
  /** on-disk meta-data state, kept across down: none | Inconsistent | Outdated | Consistent | UpToDate */
  md: string;
  gen: number;
  rt: Runtime | null;
}

export interface StandInState {
  res: string;
  minor: number;
  kernel: string;
  module: 'loaded' | 'available' | 'missing';
  allowTwoPrimaries: boolean;
  fencing: string;
  link: boolean;
  syncGen: number;
  nodes: Record<NodeName, NodeState>;
  /** primary: refuse with this exit code; hang: 'drbdadm primary', 'drbdsetup events2' ... never return; modprobe: 'fail' */
  faults: Partial<Record<NodeName, { primary?: 11 | 17; hang?: string | string[]; modprobe?: 'fail' }>>;
}

export interface StandInOptions {
  kernel?: string;
  module?: StandInState['module'];
  allowTwoPrimaries?: boolean;
}

export interface DrbdStandIn {
  readonly dir: string;
  readonly conf: string;
  /** Environment making a process node `n` (PATH, state dirs, node names). */
  env(n: NodeName): Record<string, string>;
  state(): StandInState;
  set(fn: (st: StandInState) => void): void;
  /** A runtime record with defaults (configured, attached, connected wish). */
  runtime(r: Partial<Runtime>): Runtime;
  /** The promotion score attribute of node `n` (master-<rsc>), as crm_attribute stored it. */
  score(n: NodeName, rsc?: string): string | undefined;
  setScore(n: NodeName, value: string | undefined, rsc?: string): void;
  /** What crm_resource --locate answers: node -> "Master" | "Slave". */
  locate(where: Partial<Record<NodeName, string>>): void;
  /** Recorded crm_* calls. */
  calls(): { node: string; tool: string; argv: string[] }[];
  clearCalls(): void;
  /** Recorded drbdadm/drbdsetup calls (not the drbdsetup steps drbdadm runs). */
  drbdCalls(n?: NodeName): { node: string; tool: string; argv: string[] }[];
  cleanup(): Promise<void>;
}

export async function drbdStandIn(o: StandInOptions = {}): Promise<DrbdStandIn> {
  const dir = await mkdtemp(join(tmpdir(), 'pal-drbd-standin-'));
  const { conf } = initStandIn(dir, o);
  const statePath = join(dir, 'state.json');
  const attrPath = (n: NodeName) => join(dir, `attrs-${n}.json`);
  const readAttrs = (n: NodeName): Record<string, string> => {
    try {
      return JSON.parse(readFileSync(attrPath(n), 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'NODE_EXTRA_CA_CERTS'));
  const s: DrbdStandIn = {
    dir,
    conf,
    env: (n) => ({
      PATH: `${STANDIN_BIN}:${PCMK_STANDIN_BIN}:${base.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      DRBD_STANDIN_DIR: dir,
      DRBD_STANDIN_NODE: n,
      PCMK_STANDIN_DIR: dir,
      PCMK_STANDIN_NODE: n,
      OCF_RESKEY_CRM_meta_on_node: n,
    }),
    state: () => JSON.parse(readFileSync(statePath, 'utf8')) as StandInState,
    set(fn) {
      const st = s.state();
      fn(st);
      writeFileSync(statePath, JSON.stringify(st, null, 1));
    },
    runtime: (r) => ({ role: 'Secondary', minor: true, disk: 'UpToDate', client: false, peer: true, want: true, open: false, sb: false, ...r }),
    score: (n, rsc = 'd') => readAttrs(n)[`master-${rsc}`],
    setScore(n, value, rsc = 'd') {
      const a = readAttrs(n);
      if (value === undefined) delete a[`master-${rsc}`];
      else a[`master-${rsc}`] = value;
      writeFileSync(attrPath(n), JSON.stringify(a));
    },
    locate(where) {
      writeFileSync(join(dir, 'locate.json'), JSON.stringify(where));
    },
    calls() {
      try {
        return readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { node: string; tool: string; argv: string[] });
      } catch {
        return [];
      }
    },
    clearCalls() {
      writeFileSync(join(dir, 'calls.log'), '');
      writeFileSync(join(dir, 'drbd-calls.log'), '');
    },
    drbdCalls(n) {
      try {
        const all = readFileSync(join(dir, 'drbd-calls.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { node: string; tool: string; argv: string[] });
        return n === undefined ? all : all.filter((c) => c.node === n);
      } catch {
        return [];
      }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  return s;
}

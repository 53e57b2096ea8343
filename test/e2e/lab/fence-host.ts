// What runs on the lab's hypervisor and answers the nodes' fence agents.
// The lab starts it before the nodes boot and stops it on cleanup; a test
// may stop and start it in between (palisaded down during a crash).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ClusterNet, NsProcess } from '../../helpers/cluster-net.js';
import { PALISADED } from '../../helpers/fence-daemons.js';

export const VIRSH_POWER = resolve(import.meta.dirname, 'virsh-power.sh');
export const FENCE_PORT = 1229;

/** What a fence host needs to know about the lab. */
export interface HypervisorSite {
  readonly net: ClusterNet;
  readonly keyFile: string;
  readonly hvAddress: string;
  /** libvirt test-driver XML with one domain per node. */
  readonly domainsXml: string;
  /** The power switch's unix socket (power-switch.ts). */
  readonly powerSocket: string;
  path(rel: string): string;
}

export interface FenceHost {
  readonly name: string;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The current run's output. */
  output(): string;
}

export type FenceHostFactory = (site: HypervisorSite) => FenceHost;

/** palisaded with its tcp listener, driving the test driver through virsh-power.sh. */
export const palisadedHost: FenceHostFactory = (site) => {
  let proc: NsProcess | undefined;
  return {
    name: 'palisaded',
    get running() { return proc !== undefined; },
    async start() {
      if (proc) return;
      const conf = site.path('palisaded.conf');
      await writeFile(conf, `fence_virtd { listener = "tcp"; backend = "libvirt"; }
listeners { tcp { key_file = "${site.keyFile}"; address = "${site.hvAddress}"; port = "${FENCE_PORT}"; family = "ipv4"; } }
backends { libvirt { uri = "test://${site.domainsXml}"; virsh = "${VIRSH_POWER}"; } }
`, { mode: 0o600 });
      const env: NodeJS.ProcessEnv = { ...process.env, PAL_POWER_SOCKET: site.powerSocket };
      delete env.NODE_EXTRA_CA_CERTS;
      const p = site.net.spawn('hv', process.execPath, [PALISADED, '-F', '-f', conf, '-p', site.path('palisaded.pid')], env);
      proc = p;
      p.child.once('exit', () => { if (proc === p) proc = undefined; });
      await p.waitFor(/palisaded ready/, 30_000);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (p) await p.stop();
    },
    output: () => proc?.output() ?? '',
  };
};

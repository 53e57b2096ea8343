// Debian's fence_virtd as the lab's fence host (the anchor palisaded is
// compared with): tcp listener, libvirt backend (virt.so) on the lab's
// test-driver domains, same key, address and port as palisaded.
//
// virt.so calls libvirt directly, so unlike palisaded it cannot be given
// virsh-power.sh. Instead it runs in the foreground with debug output
// (line-buffered through stdbuf) and this host reacts to the lines virt.so
// prints just before it calls virDomainDestroy / virDomainCreate(Linux):
// the node behind the domain loses power, or boots, through the same power
// switch socket virsh-power.sh uses. A reboot in virt.so sleeps a second
// between the destroy and its check that the domain is off, so the cut
// (tens of ms) is done before fence_virtd answers; `hooks` records when each
// line arrived and when the switch answered, so a run can show the lag.
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { NsProcess } from '../../helpers/cluster-net.js';
import { FENCE_VIRT_MODULES } from '../../helpers/fence-daemons.js';
import { FENCE_PORT, type FenceHost, type HypervisorSite } from './fence-host.js';

export const FENCE_VIRTD = '/usr/sbin/fence_virtd';

/** One reaction to a fence_virtd line. */
export interface PowerHook {
  readonly action: 'off' | 'on';
  /** The domain as fence_virtd named it (name or UUID). */
  readonly domain: string;
  /** When the line arrived (ms since the epoch). */
  readonly lineAt: number;
  /** When the power switch answered. */
  readonly doneAt: number;
  /** The switch's answer ("ok" or an error). */
  readonly answer: string;
}

export interface FenceVirtdHost extends FenceHost {
  readonly hooks: readonly PowerHook[];
}

// virt.so's debug lines (level 2) right before the libvirt calls; off and
// reboot both destroy, on and reboot both create.
const DESTROY = /Calling virDomainDestroy(?:\(\S+\))? for (\S+)/;
const CREATE = /Calling virDomainCreate(?:Linux\(\))? for (\S+)/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function fenceVirtdHost(site: HypervisorSite): FenceVirtdHost {
  let proc: NsProcess | undefined;
  const hooks: PowerHook[] = [];
  let uuidOf = new Map<string, string>();
  // Requests go to the switch one at a time and in order: a reboot's "on"
  // must not overtake its "off".
  let queue: Promise<void> = Promise.resolve();

  const react = (line: string) => {
    const off = DESTROY.exec(line);
    const on = off ? undefined : CREATE.exec(line);
    const m = off ?? on;
    if (!m) return;
    const action = off ? 'off' : 'on';
    const domain = m[1]!;
    const lineAt = Date.now();
    queue = queue.then(async () => {
      const uuid = UUID.test(domain) ? domain : uuidOf.get(domain);
      const answer = uuid ? await powerRequest(site.powerSocket, action, uuid).catch((e: unknown) => `error ${e instanceof Error ? e.message : String(e)}`)
        : `error no domain ${domain} in ${site.domainsXml}`;
      hooks.push({ action, domain, lineAt, doneAt: Date.now(), answer });
    });
  };

  return {
    name: 'fence_virtd',
    hooks,
    get running() { return proc !== undefined; },
    async start() {
      if (proc) return;
      uuidOf = domainUuids(await readFile(site.domainsXml, 'utf8'));
      const conf = site.path('fence_virtd.conf');
      await writeFile(conf, `fence_virtd { listener = "tcp"; backend = "libvirt"; module_path = "${FENCE_VIRT_MODULES}"; }
listeners { tcp { key_file = "${site.keyFile}"; address = "${site.hvAddress}"; port = "${FENCE_PORT}"; family = "ipv4"; } }
backends { libvirt { uri = "test://${site.domainsXml}"; } }
`, { mode: 0o600 });
      // stdbuf: fence_virtd's debug output is stdio, block-buffered into a pipe.
      const p = site.net.spawn('hv', 'stdbuf', ['-oL', '-eL', FENCE_VIRTD, '-F', '-d', '4', '-f', conf, '-p', site.path('fence_virtd.pid')]);
      proc = p;
      p.child.once('exit', () => { if (proc === p) proc = undefined; });
      let partial = '';
      p.child.stdout?.on('data', (d: Buffer) => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const l of parts) react(l);
      });
      await p.waitFor(/ipv4_listen: Success/, 30_000);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (p) await p.stop();
      await queue;
    },
    output: () => proc?.output() ?? '',
  };
}

/** name → UUID of the test driver's domains. */
function domainUuids(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<name>([^<]+)<\/name>\s*<uuid>([^<]+)<\/uuid>/g)) out.set(m[1]!, m[2]!);
  return out;
}

/** One request to the lab's power switch ("off UUID" / "on UUID"); resolves with its answer line. */
function powerRequest(socket: string, action: 'off' | 'on', uuid: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let buf = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`power switch: no answer to ${action} ${uuid} in ${timeoutMs} ms`)); }, timeoutMs);
    s.setEncoding('utf8');
    s.on('data', (d: string) => { buf += d; });
    s.once('error', (e) => { clearTimeout(timer); reject(e); });
    s.once('close', () => { clearTimeout(timer); resolve(buf.trim()); });
    s.once('connect', () => s.end(`${action} ${uuid}\n`));
  });
}

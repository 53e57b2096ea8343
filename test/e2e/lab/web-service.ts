// The web service of the e2e group scenarios: a shared ext4 loop image
// holding the document root, an apache configuration every node reads, and
// the pcs commands of the group IPaddr2 + Filesystem + apache.
import { mkdir, writeFile } from 'node:fs/promises';
import { loopDisks, type LoopDisk } from '../../helpers/loopdev.js';
import { mustCmd } from '../../helpers/netns.js';
import { fencedClusterCommands } from './fenced-cluster.js';
import type { Lab } from './lab.js';

export const PAGE = 'served by the palisade lab\n';

export interface WebService {
  readonly disk: LoopDisk;
  readonly docroot: string;
  readonly confFile: string;
  readonly url: string;
}

/** Creates the shared disk (with index.html on it) and the apache configuration; the lab detaches the disk on cleanup. */
export async function webService(lab: Lab): Promise<WebService> {
  const disks = await loopDisks('pal-lab-web-');
  lab.onCleanup(() => disks.cleanup());
  const disk = await disks.create({ label: 'lab-www', sizeMiB: 32 });
  const docroot = lab.path('www');
  await mkdir(docroot, { mode: 0o755 });
  // Put the page on the image from a throw-away mount namespace.
  await mustCmd('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    `mount '${disk.device}' '${docroot}' && printf '%s' '${PAGE}' > '${docroot}/index.html' && chmod 755 '${docroot}' && chmod 644 '${docroot}/index.html' && umount '${docroot}'`]);
  const confFile = lab.path('apache2.conf');
  await writeFile(confFile, apacheConf(docroot), { mode: 0o644 });
  return { disk, docroot, confFile, url: `http://${lab.vip()}/` };
}

// Paths below /run and /var/log are each node's own (boot-node.sh).
function apacheConf(docroot: string): string {
  const mods = ['mpm_event', 'authz_core', 'authz_host', 'status', 'dir', 'mime']
    .map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`).join('\n');
  return `ServerRoot "/etc/apache2"
ServerName lab-web
DefaultRuntimeDir "/run/apache2"
PidFile "/run/apache2/lab-web.pid"
Listen 80
ErrorLog "/var/log/apache2/lab-web-error.log"
LogLevel warn
User www-data
Group www-data
${mods}
TypesConfig /etc/mime.types
DocumentRoot "${docroot}"
DirectoryIndex index.html
<Directory "${docroot}">
  Require all granted
</Directory>
<Location /server-status>
  SetHandler server-status
  Require local
</Location>
`;
}

/** Which agents run the web group and fence the nodes. */
export interface WebAgents {
  /** OCF provider of IPaddr2, Filesystem and apache; default palisade. */
  readonly provider?: 'palisade' | 'heartbeat';
  /** Stonith agent, given the same ipaddr/ipport/key_file/pcmk_host_map; default fence_palisade. */
  readonly stonith?: 'fence_palisade' | 'fence_virt';
}

/** pcs commands (for `pcs -f`) of the fence device, the cluster properties and the web group. */
export function webCommands(lab: Lab, web: WebService, agents: WebAgents = {}): string[][] {
  const p = agents.provider ?? 'palisade';
  return [
    ...fencedClusterCommands(lab, agents.stonith),
    ['resource', 'create', 'web-ip', `ocf:${p}:IPaddr2`, `ip=${lab.vip()}`, 'cidr_netmask=24', 'op', 'monitor', 'interval=10s', '--group', 'web'],
    ['resource', 'create', 'web-fs', `ocf:${p}:Filesystem`, `device=${web.disk.device}`, `directory=${web.docroot}`, 'fstype=ext4',
      'op', 'monitor', 'interval=20s', '--group', 'web'],
    ['resource', 'create', 'web-server', `ocf:${p}:apache`, `configfile=${web.confFile}`, 'statusurl=http://127.0.0.1/server-status',
      'op', 'monitor', 'interval=10s', '--group', 'web'],
  ];
}

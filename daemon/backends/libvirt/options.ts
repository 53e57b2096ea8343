// The `backends { libvirt { … } }` section (keys in schema.ts), checked
// beyond their types. fence_virtd reads uri, uri1, uri2, … up to the first
// missing key, and refuses to start without `uri` (fence-virt server/libvirt.c).
import { configError } from '../../config/access.js';
import { readSection, sectionWarnings } from '../../config/schema.js';
import { libvirtSchema } from './schema.js';
import type { ConfigSection } from '../../config/tree.js';
import { printable } from '../../_text.js';
import type { PluginContext } from '../types.js';
import { isSendable } from './command-line.js';

export interface LibvirtOptions {
  /** Hypervisor URIs in lookup order: uri, uri1, uri2, … */
  readonly uris: readonly string[];
  /** virsh binary: a command name looked up in PATH, or an absolute path. */
  readonly virsh: string;
  /** Limit for one virsh command before its process is killed and restarted. */
  readonly commandTimeoutMs: number;
  /** How long a status answer may be reused; 0 disables (see status-cache.ts). */
  readonly statusCacheMs: number;
}


export function parseLibvirtSection(sec: ConfigSection, log: PluginContext['log']): LibvirtOptions {
  const v = readSection(sec, libvirtSchema);
  const uris = v.uri.map((u, i) => {
    const key = i === 0 ? 'uri' : `uri${i}`;
    if (!isSendable(u.value) || u.value.trim() !== u.value) {
      throw configError(sec, key, `'${printable(u.value)}' is not a libvirt URI (control characters or surrounding blanks)`);
    }
    return u.value;
  });

  const virsh = v.virsh;
  if (virsh.includes('/') ? !virsh.startsWith('/') : !/^[A-Za-z0-9._+-]+$/.test(virsh)) {
    throw configError(sec, 'virsh', `'${printable(virsh)}' must be an absolute path or a command name looked up in PATH`);
  }

  for (const w of sectionWarnings(sec, libvirtSchema)) log('warn', w);
  return { uris, virsh, commandTimeoutMs: v.command_timeout * 1000, statusCacheMs: v.status_cache_ms };
}

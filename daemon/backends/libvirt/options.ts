// The `backends { libvirt { … } }` section. fence_virtd reads uri, uri1,
// uri2, … up to the first missing key, and refuses to start without `uri`
// (fence-virt server/libvirt.c). `virsh` and `command_timeout` are ours.
import { configError, indexed, int, repeatedKeys, strOr, unknownKeys } from '../../config/access.js';
import type { ConfigSection } from '../../config/tree.js';
import { printable } from '../../_text.js';
import type { PluginContext } from '../types.js';
import { isSendable } from './command-line.js';
import { DEFAULT_STATUS_CACHE_MS } from './status-cache.js';

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

export const LIBVIRT_DEFAULTS = { virsh: 'virsh', commandTimeoutSeconds: 10 } as const;

const KNOWN_KEYS = ['virsh', 'command_timeout', 'status_cache_ms'] as const;

export function parseLibvirtSection(sec: ConfigSection, log: PluginContext['log']): LibvirtOptions {
  const uriValues = indexed(sec, 'uri');
  if (uriValues.length === 0) {
    throw configError(sec, 'uri', 'required, as in fence_virtd; add uri = "qemu:///system"; (uri1, uri2, … add more hypervisors)');
  }
  const uris = uriValues.map((v, i) => {
    const key = i === 0 ? 'uri' : `uri${i}`;
    if (!isSendable(v.value) || v.value.trim() !== v.value) {
      throw configError(sec, key, `'${printable(v.value)}' is not a libvirt URI (control characters or surrounding blanks)`);
    }
    return v.value;
  });

  const virsh = strOr(sec, 'virsh', LIBVIRT_DEFAULTS.virsh);
  if (virsh.includes('/') ? !virsh.startsWith('/') : !/^[A-Za-z0-9._+-]+$/.test(virsh)) {
    throw configError(sec, 'virsh', `'${printable(virsh)}' must be an absolute path or a command name looked up in PATH`);
  }

  const seconds = int(sec, 'command_timeout', LIBVIRT_DEFAULTS.commandTimeoutSeconds, { min: 1, max: 3600 });

  const statusCacheMs = int(sec, 'status_cache_ms', DEFAULT_STATUS_CACHE_MS, { min: 0, max: 10_000 });

  for (const w of [...unknownKeys(sec, KNOWN_KEYS, ['uri']), ...repeatedKeys(sec)]) log('warn', w);
  return { uris, virsh, commandTimeoutMs: seconds * 1000, statusCacheMs };
}

// The `listeners { serial { … } }` block. fence_virtd reads uri, path and
// mode (server/serial.c); the rest are ours:
//   uri      which configured backend's domains to watch (its libvirt uri);
//            unset: the first backend
//   path     only sockets whose parent directory is this one (is_in_directory)
//   mode     "serial" (<serial type='unix'>), "vmchannel" (<channel
//            type='unix'>), or an integer as fence_virtd takes it: 0 (or
//            negative) serial, anything else vmchannel
//   poll_ms  how often the domain list is read to find sockets that appeared
//            or went away (default 1000, 100..60000)
//   group    a group of the groups section: guests on this listener may act
//            only on its domains (as the tcp listener's `group`)
// key_file is accepted and ignored: fence_virtd insists that the file
// exists even for this listener, so configs carry it.
import { configError, int, repeatedKeys, strOr, unknownKeys } from '../../config/access.js';
import type { ConfigSection } from '../../config/tree.js';
import type { DomainScope } from '../../acl.js';
import { asciiLower, printable } from '../../_text.js';
import type { ListenerContext } from '../types.js';

export type SerialMode = 'serial' | 'vmchannel';

export interface SerialOptions {
  /** Libvirt URI naming the backend to watch; undefined: the first backend. */
  readonly uri: string | undefined;
  /** Directory filter as configured (undefined: every socket). */
  readonly path: string | undefined;
  readonly mode: SerialMode;
  readonly pollMs: number;
  readonly scope: DomainScope | undefined;
}

export const SERIAL_DEFAULTS = { pollMs: 1_000 } as const;

const KNOWN_KEYS = ['uri', 'path', 'mode', 'poll_ms', 'group', 'key_file'] as const;

export function parseSerialSection(sec: ConfigSection, ctx: Pick<ListenerContext, 'log' | 'clusters'>): SerialOptions {
  const uriRaw = sec.values.get('uri')?.at(-1)?.value;
  if (uriRaw !== undefined && (uriRaw.trim() !== uriRaw || /[\x00-\x1f\x7f]/.test(uriRaw))) {
    throw configError(sec, 'uri', `'${printable(uriRaw)}' is not a libvirt URI (control characters or surrounding blanks)`);
  }

  const pathRaw = sec.values.get('path')?.at(-1)?.value;
  if (pathRaw !== undefined) {
    if (/[\x00-\x1f\x7f]/.test(pathRaw)) throw configError(sec, 'path', `'${printable(pathRaw)}' contains control characters`);
    if (pathRaw.replace(/^\/+|\/+$/g, '') === '') {
      ctx.log('warn', configError(sec, 'path', `'${pathRaw}' matches no socket: a socket directly in / is never accepted (as in fence_virtd); name the directory that holds the guests' sockets`).message);
    }
  }

  const mode = parseMode(sec);
  const pollMs = int(sec, 'poll_ms', SERIAL_DEFAULTS.pollMs, { min: 100, max: 60_000 });

  let scope: DomainScope | undefined;
  const groupName = sec.values.get('group')?.at(-1)?.value;
  if (groupName !== undefined) {
    const cluster = ctx.clusters.get(asciiLower(groupName));
    if (!cluster) throw configError(sec, 'group', `no group named '${printable(groupName)}' in the groups section; add groups { group { name = "${printable(groupName)}"; uuid = "<domain>"; } }`);
    scope = cluster.scope;
  }

  for (const w of [...unknownKeys(sec, KNOWN_KEYS), ...repeatedKeys(sec)]) ctx.log('warn', w);
  return { uri: uriRaw, path: pathRaw, mode, pollMs, scope };
}

/** serial | vmchannel (any case), or fence_virtd's integer form; anything else is an error, not atoi's 0. */
function parseMode(sec: ConfigSection): SerialMode {
  const raw = strOr(sec, 'mode', 'serial');
  const n = /^\s*([+-]?\d+)\s*$/.exec(raw);
  if (n) return Number(n[1]) > 0 ? 'vmchannel' : 'serial';
  const word = asciiLower(raw.trim());
  if (word === 'serial' || word === 'vmchannel') return word;
  throw configError(sec, 'mode', `'${printable(raw)}' is not serial, vmchannel or an integer (0: serial, non-zero: vmchannel)`);
}

// The `listeners { serial { … } }` block (keys in schema.ts), checked
// beyond their types.
import { configError } from '../../config/access.js';
import { readSection, sectionWarnings } from '../../config/schema.js';
import { serialSchema } from './schema.js';
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


export function parseSerialSection(sec: ConfigSection, ctx: Pick<ListenerContext, 'log' | 'clusters'>): SerialOptions {
  const v = readSection(sec, serialSchema);
  const uriRaw = v.uri;
  if (uriRaw !== undefined && (uriRaw.trim() !== uriRaw || /[\x00-\x1f\x7f]/.test(uriRaw))) {
    throw configError(sec, 'uri', `'${printable(uriRaw)}' is not a libvirt URI (control characters or surrounding blanks)`);
  }

  const pathRaw = v.path;
  if (pathRaw !== undefined) {
    if (/[\x00-\x1f\x7f]/.test(pathRaw)) throw configError(sec, 'path', `'${printable(pathRaw)}' contains control characters`);
    if (pathRaw.replace(/^\/+|\/+$/g, '') === '') {
      ctx.log('warn', configError(sec, 'path', `'${pathRaw}' matches no socket: a socket directly in / is never accepted (as in fence_virtd); name the directory that holds the guests' sockets`).message);
    }
  }

  const mode = parseMode(sec, v.mode);

  let scope: DomainScope | undefined;
  const groupName = v.group;
  if (groupName !== undefined) {
    const cluster = ctx.clusters.get(asciiLower(groupName));
    if (!cluster) throw configError(sec, 'group', `no group named '${printable(groupName)}' in the groups section; add groups { group { name = "${printable(groupName)}"; uuid = "<domain>"; } }`);
    scope = cluster.scope;
  }

  for (const w of sectionWarnings(sec, serialSchema)) ctx.log('warn', w);
  return { uri: uriRaw, path: pathRaw, mode, pollMs: v.poll_ms, scope };
}

/** serial | vmchannel (any case), or fence_virtd's integer form; anything else is an error, not atoi's 0. */
function parseMode(sec: ConfigSection, raw: string): SerialMode {
  const n = /^\s*([+-]?\d+)\s*$/.exec(raw);
  if (n) return Number(n[1]) > 0 ? 'vmchannel' : 'serial';
  const word = asciiLower(raw.trim());
  if (word === 'serial' || word === 'vmchannel') return word;
  throw configError(sec, 'mode', `'${printable(raw)}' is not serial, vmchannel or an integer (0: serial, non-zero: vmchannel)`);
}

// Who may send requests to a network listener, and how they prove it: the
// key_file / hash / auth options as fence_virtd reads them, plus two
// extensions.
// - `auth = "hmac-sha256"` selects palisade's authenticated mode
//   (protocol/hmac-auth.md) instead of the legacy challenge-response.
// - Several keys: the listener's own key (its scope narrowed by `group`),
//   and the key of every cluster group that has a key_file. Whichever key
//   verifies a request decides the domains it may reach.
// fence_virtd 4.12's tcp listener parses `auth` into the minimum hash
// (server/tcp.c:404-420) and always runs SHA-256; we do not copy that:
// `auth` selects the challenge-response, `hash` the minimum packet hash.
import { DEFAULT_KEY_FILE, HashType, type HashTypeValue, parseHashName } from '../../protocol/constants.js';
import type { ConfigSection } from '../config/tree.js';
import { configError } from '../config/access.js';
import { key } from '../config/schema.js';
import type { DomainScope } from '../acl.js';
import { modeWarning, readKeyFile } from '../../core/key-file.js';
import { ConfigError } from '../errors.js';
import { asciiLower } from '../_text.js';
import type { ListenerContext } from './types.js';

export type AuthMode = 'legacy' | 'hmac-sha256';

export interface Credential {
  /** For logs: "key /etc/cluster/a.key" or "cluster a (key /etc/cluster/a.key)". */
  readonly label: string;
  readonly keyFile: string;
  /** Empty only in legacy mode with hash and auth both none. */
  readonly key: Uint8Array;
  /** Undefined: every domain (subject to the groups ACL). */
  readonly scope: DomainScope | undefined;
}

export interface ListenerAuth {
  readonly mode: AuthMode;
  /** Legacy mode: the weakest request hash accepted. */
  readonly minimumHash: HashTypeValue;
  /** Legacy mode: the challenge-response hash (none skips it). */
  readonly auth: HashTypeValue;
  /** Tried in order; the first that verifies a request is its credential. Never empty. */
  readonly credentials: readonly Credential[];
}

const HASHES = ['none', 'sha1', 'sha256', 'sha512'] as const;
const AUTHS = [...HASHES, 'hmac-sha256'] as const;

/** The keys every network listener's section takes (spread into its schema). */
export const AUTH_KEYS = {
  key_file: key.string({ default: DEFAULT_KEY_FILE, doc: 'the shared key, read as raw bytes (at most 4096); missing or empty stops start-up' }),
  hash: key.choice({ choices: HASHES, default: 'sha256', doc: 'the weakest request signature accepted' }),
  auth: key.choice({ choices: AUTHS, default: 'sha256', doc: 'the challenge-response hash; `hmac-sha256` selects the authenticated mode' }),
  group: key.string({ extension: true, doc: 'a group of the groups section: requests on this listener may act only on its domains' }),
} as const;

/** Reads key_file, hash, auth and group of a tcp or multicast block, and loads every key it needs. */
export async function readListenerAuth(section: ConfigSection, ctx: ListenerContext): Promise<ListenerAuth> {
  const authName = AUTH_KEYS.auth.read(section, 'auth');
  const mode: AuthMode = authName === 'hmac-sha256' ? 'hmac-sha256' : 'legacy';
  const minimumHash = parseHashName(AUTH_KEYS.hash.read(section, 'hash'))!;
  const auth = mode === 'legacy' ? parseHashName(authName)! : HashType.NONE;
  const keyless = mode === 'legacy' && minimumHash === HashType.NONE && auth === HashType.NONE;

  const groupName = AUTH_KEYS.group.read(section, 'group');
  let scope: DomainScope | undefined;
  if (groupName !== undefined) {
    const cluster = ctx.clusters.get(asciiLower(groupName));
    if (!cluster) throw configError(section, 'group', `no group named '${groupName}' in the groups section; add groups { group { name = "${groupName}"; uuid = "<domain>"; } }`);
    scope = cluster.scope;
  }

  const keyed = [...ctx.clusters.values()].filter((c) => c.keyFile !== undefined);
  const credentials: Credential[] = [];
  const keyFileSet = section.values.has('key_file');
  // The listener's own key: fence_virtd's default path unless cluster keys replace it.
  if (keyFileSet || keyed.length === 0) {
    const keyFile = AUTH_KEYS.key_file.read(section, 'key_file');
    const key = keyless ? new Uint8Array(0) : await load(keyFile, ctx);
    credentials.push({ label: `key ${keyFile}${scope ? ` (group ${scope.name})` : ''}`, keyFile, key, scope });
  }
  if (!keyless) {
    for (const c of keyed) {
      const key = await load(c.keyFile!, ctx);
      // The key is what tells clusters apart: two scopes sharing one would be decided by file order.
      const twin = credentials.find((o) => o.scope !== c.scope && o.key.length > 0 && Buffer.from(o.key).equals(key));
      if (twin) {
        throw new ConfigError(c.file, c.line, `groups/group[${c.name}]/key_file`,
          `${c.keyFile} holds the same key as ${twin.label}; a request signed with it could belong to either, so give each cluster its own key (palisade keygen FILE)`);
      }
      credentials.push({ label: `cluster ${c.name} (key ${c.keyFile})`, keyFile: c.keyFile!, key, scope: c.scope });
    }
  } else if (keyed.length > 0) {
    ctx.log('warn', configError(section, 'hash', `hash and auth are none, so the cluster keys of ${keyed.map((c) => c.name).join(', ')} cannot tell requests apart here; ` +
      `every request on this listener gets ${scope ? `group ${scope.name}` : 'every domain'}`).message);
  }
  if (credentials.length === 0) {
    // keyless with only cluster keys configured: no key is needed at all.
    credentials.push({ label: 'no key (hash and auth none)', keyFile: '', key: new Uint8Array(0), scope });
  }
  return { mode, minimumHash, auth, credentials };
}

async function load(path: string, ctx: ListenerContext): Promise<Uint8Array> {
  const file = await readKeyFile(path, 'daemon');
  for (const w of [...file.warnings, modeWarning(file)]) if (w) ctx.log('warn', w);
  return file.key;
}

// The key_file / hash / auth options shared by network listeners, read the
// way fence_virtd documents them. fence_virtd 4.12's tcp listener parses
// `auth` into the minimum hash (server/tcp.c:404-420) and always runs the
// challenge-response with SHA-256; we do not copy that: `auth` selects the
// challenge-response hash, `hash` the minimum accepted packet hash.
import { DEFAULT_KEY_FILE, HashType, type HashTypeValue, parseHashName } from '../../protocol/constants.js';
import type { ConfigSection } from '../config/tree.js';
import { choice, strOr } from '../config/access.js';
import { readKeyFile } from '../key-file.js';
import type { LogFn } from '../log.js';

export interface AuthOptions {
  readonly keyFile: string;
  /** Empty when neither hash nor auth needs a key. */
  readonly key: Uint8Array;
  readonly minimumHash: HashTypeValue;
  readonly auth: HashTypeValue;
}

const HASHES = ['none', 'sha1', 'sha256', 'sha512'] as const;

export async function readAuthOptions(section: ConfigSection, log: LogFn): Promise<AuthOptions> {
  const minimumHash = parseHashName(choice(section, 'hash', HASHES, 'sha256'))!;
  const auth = parseHashName(choice(section, 'auth', HASHES, 'sha256'))!;
  const keyFile = strOr(section, 'key_file', DEFAULT_KEY_FILE);
  if (minimumHash === HashType.NONE && auth === HashType.NONE) {
    return { keyFile, key: new Uint8Array(0), minimumHash, auth };
  }
  const { key, warnings } = await readKeyFile(keyFile);
  for (const w of warnings) log('warn', w);
  return { keyFile, key, minimumHash, auth };
}

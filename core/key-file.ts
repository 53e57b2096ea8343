// The shared key (fence_xvm.key), for the daemon and the fence client: raw
// file bytes, no trimming, so a trailing newline is part of the key
// (simple_auth.c read_key_file). Differences from fence_virt and
// fence_virtd, all deliberate:
// - an empty file is an error (every signed request would be rejected);
// - a file over MAX_KEY_LEN is used as its first 4096 bytes, as fence_virtd
//   and fence_xvm both do, with a warning rather than an error, so a key that
//   works with them keeps working;
// - a key file that cannot serve is an error, never fence_virt's silent
//   "trying without authentication";
// - loose permissions are a warning (modeWarning); fence_virtd chmods the
//   file, we never do.
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { MAX_KEY_LEN } from '../protocol/constants.js';
import { KeyFileError } from './errors.js';

export interface KeyFile {
  readonly path: string;
  readonly key: Uint8Array;
  /** Permission bits of the file. */
  readonly mode: number;
  /** A file longer than the key. */
  readonly warnings: readonly string[];
}

/** Who reads the key decides what the fix is. */
export type KeyReader = 'daemon' | 'client';

const FIXES: Record<KeyReader, { missing: (path: string) => string; denied: string; empty: (path: string) => string }> = {
  daemon: {
    missing: (path) => `create one with \`palisade keygen ${path}\` and copy it to every guest`,
    denied: 'palisaded must run as root, or as the owner of the key file',
    empty: (path) => `every signed request would be rejected. Create a key with \`palisade keygen ${path}\``,
  },
  client: {
    missing: () => "copy the host daemon's key here or set key_file (-k)",
    denied: "run as root, or as the key file's owner, or set key_file (-k)",
    empty: () => 'the daemon rejects every signed request made with an empty key',
  },
};

function openProblem(path: string, err: unknown, reader: KeyReader): KeyFileError {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return new KeyFileError(path, `does not exist; ${FIXES[reader].missing(path)}`, { cause: err });
    case 'EACCES': case 'EPERM':
      return new KeyFileError(path, `permission denied; ${FIXES[reader].denied}`, { cause: err });
    case 'ENOTDIR':
      return new KeyFileError(path, 'a component of the path is not a directory', { cause: err });
    case 'ELOOP':
      return new KeyFileError(path, 'too many levels of symbolic links', { cause: err });
    default:
      return new KeyFileError(path, `cannot be read: ${e.message ?? String(err)}`, { cause: err });
  }
}

export async function readKeyFile(path: string, reader: KeyReader): Promise<KeyFile> {
  let fh;
  try {
    // O_NONBLOCK: a FIFO in the key's place must not block us.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw openProblem(path, err, reader);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new KeyFileError(path, 'is a directory; key_file must name a file');
    if (!st.isFile()) throw new KeyFileError(path, 'is not a regular file');
    // Read one byte past the limit to tell "exactly 4096" from "longer".
    const buf = new Uint8Array(MAX_KEY_LEN + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got === 0) throw new KeyFileError(path, `is empty; ${FIXES[reader].empty(path)}`);
    const warnings: string[] = [];
    if (got > MAX_KEY_LEN) {
      warnings.push(`key file ${path}: is ${st.size} bytes; only the first ${MAX_KEY_LEN} are the key (fence_virtd and fence_xvm read no more)`);
    }
    return { path, key: buf.slice(0, Math.min(got, MAX_KEY_LEN)), mode: st.mode & 0o7777, warnings };
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw openProblem(path, err, reader);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** A shared secret readable by group or others is worth a warning (the daemon at start, the agent in validate-all). */
export function modeWarning(file: KeyFile): string | undefined {
  const mode = file.mode & 0o777;
  return mode & 0o077
    ? `key file ${file.path}: mode ${mode.toString(8).padStart(4, '0')} gives group or other users access to the key; run chmod 600 ${file.path}`
    : undefined;
}

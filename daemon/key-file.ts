// The shared key (fence_xvm.key): raw file bytes, no trimming, so a trailing
// newline is part of the key (simple_auth.c read_key_file). Differences from
// fence_virtd, all deliberate:
// - an empty file is an error (fence_virtd would reject every signed request);
// - a file over MAX_KEY_LEN is used as its first 4096 bytes, as fence_virtd
//   and fence_xvm both do, with a warning rather than an error, so a key that
//   works with them keeps working;
// - loose permissions are a warning; fence_virtd chmods the file, we never do.
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { KeyFileError } from './errors.js';

/** xvm.h MAX_KEY_LEN. */
export const MAX_KEY_LEN = 4096;

export interface KeyFile {
  readonly key: Uint8Array;
  readonly warnings: readonly string[];
}

function openProblem(path: string, err: unknown): KeyFileError {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return new KeyFileError(path, 'does not exist; create one with `palisade keygen ' + path + '` and copy it to every guest', { cause: err });
    case 'EACCES': case 'EPERM':
      return new KeyFileError(path, 'permission denied; palisaded must run as root, or as the owner of the key file', { cause: err });
    case 'ENOTDIR':
      return new KeyFileError(path, 'a component of the path is not a directory', { cause: err });
    case 'ELOOP':
      return new KeyFileError(path, 'too many levels of symbolic links', { cause: err });
    default:
      return new KeyFileError(path, `cannot be read: ${e.message ?? String(err)}`, { cause: err });
  }
}

export async function readKeyFile(path: string): Promise<KeyFile> {
  let fh;
  try {
    // O_NONBLOCK: a FIFO in the key's place must not block the daemon.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw openProblem(path, err);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new KeyFileError(path, 'is a directory; key_file must name a file');
    if (!st.isFile()) throw new KeyFileError(path, 'is not a regular file');
    const buf = new Uint8Array(MAX_KEY_LEN + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got === 0) {
      throw new KeyFileError(path, 'is empty; every signed request would be rejected. Create a key with `palisade keygen ' + path + '`');
    }
    const warnings: string[] = [];
    if (got > MAX_KEY_LEN) {
      warnings.push(`key file ${path}: is ${st.size} bytes; only the first ${MAX_KEY_LEN} are the key (fence_virtd and fence_xvm read no more)`);
    }
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      warnings.push(`key file ${path}: mode ${mode.toString(8).padStart(4, '0')} gives group or other users access to the key; run chmod 600 ${path}`);
    }
    return { key: buf.slice(0, Math.min(got, MAX_KEY_LEN)), warnings };
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw openProblem(path, err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

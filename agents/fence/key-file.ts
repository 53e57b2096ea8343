// The shared key: raw bytes, at most 4096 (MAX_KEY_LEN), never trimmed; a
// trailing newline is part of the key, as read_key_file reads it. A key
// file that cannot serve is an error, not a silent fall-back to no
// authentication (fence_virt's "trying without authentication", which only
// turns into a timeout against a daemon that wants a signed request).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_KEY_LEN } from '../../protocol/constants.js';
import { KeyFileError } from './errors.js';

export interface KeyFile {
  readonly path: string;
  readonly key: Uint8Array;
  /** Permission bits of the file. */
  readonly mode: number;
  readonly warnings: readonly string[];
}

const REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
};

export function readKeyFile(path: string): KeyFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new KeyFileError(path, `${REASONS[code] ?? (e as Error).message}; copy the host daemon's key here or set key_file (-k)`, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new KeyFileError(path, 'is not a regular file');
    if (st.size === 0) throw new KeyFileError(path, 'is empty; the daemon rejects every signed request made with an empty key');
    // Read one byte past the limit to tell "exactly 4096" from "longer".
    const buf = Buffer.alloc(MAX_KEY_LEN + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0 || (n += got) === buf.length) break;
    }
    const warnings: string[] = [];
    if (n > MAX_KEY_LEN) {
      warnings.push(`key file ${path}: longer than ${MAX_KEY_LEN} bytes; only the first ${MAX_KEY_LEN} are used, as fence_virt and fence_virtd do`);
    }
    return { path, key: new Uint8Array(buf.subarray(0, Math.min(n, MAX_KEY_LEN))), mode: st.mode & 0o7777, warnings };
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    throw new KeyFileError(path, `cannot read: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

/** validate-all's extra check: a shared secret readable by others is worth a warning. */
export function modeWarning(file: KeyFile): string | undefined {
  return (file.mode & 0o077) !== 0
    ? `key file ${file.path}: mode ${file.mode.toString(8).padStart(4, '0')} lets other users read the key; chmod 600 it`
    : undefined;
}

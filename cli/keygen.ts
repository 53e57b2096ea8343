// `palisade keygen [FILE]`: 256 random bytes, mode 0600, never overwriting.
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_KEY_FILE } from '../protocol/constants.js';

export const KEY_BYTES = 256;

export async function keygen(path: string = DEFAULT_KEY_FILE): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  let fh;
  try {
    // 'wx' = O_CREAT|O_EXCL: an existing key (shared by every guest and host) is never replaced.
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`${path} already exists; refusing to overwrite a key that hosts and guests may share (remove it first if you really mean to rotate it)`);
    }
    throw new Error(`cannot create ${path}: ${(e as Error).message}`);
  }
  try {
    await fh.writeFile(randomBytes(KEY_BYTES));
    await fh.chmod(0o600); // the umask may have narrowed, never widened, but be explicit
    await fh.sync();
  } finally {
    await fh.close();
  }
  return `wrote ${KEY_BYTES} random bytes to ${path} (mode 0600); copy it to every host and guest that must share it`;
}

// The depth-20 status file: `<directory>/<statusfile_prefix><instance>[_<clone>]_<node>`,
// the name heartbeat Filesystem uses, so both agents find and remove the same file.
import { dirname, resolve } from 'node:path';
import { fs } from '../framework/_builtins.js';

const { constants } = fs;
const { mkdir, open, rm } = fs.promises;

export function statusFilePath(dir: string, prefix: string, instance: string, clone: string | undefined, node: string): string {
  return `${dir}/${prefix}${instance}${clone ? `_${clone}` : ''}_${node}`;
}

/** The prefix must keep the file inside the mount: a depth-20 check of another filesystem proves nothing. */
export function statusFileInside(dir: string, file: string): boolean {
  return resolve(file).startsWith(`${dir}/`);
}

/**
 * Writes `content` with O_DSYNC and fsync, then reads it back through a new
 * descriptor. Upstream writes with dd oflag=direct,sync; fsync gives the same
 * guarantee that the bytes reached the device, and a failing device makes
 * the write or fsync fail with EIO. Throws with the step that failed.
 */
export async function writeAndVerify(file: string, content: string): Promise<void> {
  const step = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw new Error(`${what} status file ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  await step('cannot create the directory of', () => mkdir(dirname(file), { recursive: true }));
  const wh = await step('cannot open', () =>
    open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC, 0o644));
  try {
    await step('cannot write', () => wh.writeFile(content));
    await step('cannot fsync', () => wh.sync());
  } finally {
    await wh.close();
  }
  const rh = await step('cannot reopen', () => open(file, constants.O_RDONLY));
  try {
    const back = await step('cannot read', () => rh.readFile('utf8'));
    if (back !== content) throw new Error(`status file ${file} reads back ${JSON.stringify(back)}, wrote ${JSON.stringify(content)}`);
  } finally {
    await rh.close();
  }
}

export async function removeStatusFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

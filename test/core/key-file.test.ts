import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { MAX_KEY_LEN } from '../../protocol/constants.js';
import { modeWarning, readKeyFile as read, type KeyReader } from '../../core/key-file.js';
import { KeyFileError } from '../../core/errors.js';
import { runAsNobody } from '../daemon/as-nobody.js';

const readKeyFile = (path: string, reader: KeyReader = 'daemon') => read(path, reader);

let dir = '';
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'pal-key-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function keyError(path: string, reader: KeyReader = 'daemon'): Promise<KeyFileError> {
  const e = await readKeyFile(path, reader).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(KeyFileError);
  expect((e as KeyFileError).code).toBe('PAL_ERR_KEY');
  expect((e as KeyFileError).path).toBe(path);
  return e as KeyFileError;
}

describe('readKeyFile', () => {
  it('returns the raw bytes, trailing newline and all', async () => {
    const bytes = Buffer.concat([randomBytes(100), Buffer.from('  \n')]);
    await writeFile(join(dir, 'k'), bytes, { mode: 0o600 });
    const { key, warnings } = await readKeyFile(join(dir, 'k'));
    expect(Buffer.from(key).equals(bytes)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it(`takes exactly ${MAX_KEY_LEN} bytes silently, and the first ${MAX_KEY_LEN} of a larger file with a warning`, async () => {
    const exact = randomBytes(MAX_KEY_LEN);
    await writeFile(join(dir, 'exact'), exact, { mode: 0o600 });
    expect(await readKeyFile(join(dir, 'exact'))).toEqual({ path: join(dir, 'exact'), key: new Uint8Array(exact), mode: 0o600, warnings: [] });
    const big = randomBytes(10_000);
    await writeFile(join(dir, 'big'), big, { mode: 0o600 });
    const r = await readKeyFile(join(dir, 'big'));
    expect(Buffer.from(r.key).equals(big.subarray(0, MAX_KEY_LEN))).toBe(true);
    expect(r.warnings).toEqual([`key file ${dir}/big: is 10000 bytes; only the first 4096 are the key (fence_virtd and fence_xvm read no more)`]);
  });

  it('warns about group/other permissions, naming the mode and the fix, and never changes them', async () => {
    const path = join(dir, 'k');
    await writeFile(path, 'secret');
    for (const [mode, warn] of [[0o644, true], [0o640, true], [0o604, true], [0o620, true], [0o600, false], [0o400, false], [0o700, false]] as const) {
      await chmod(path, mode);
      const file = await readKeyFile(path);
      const octal = mode.toString(8).padStart(4, '0');
      expect(file.warnings).toEqual([]);
      expect(modeWarning(file)).toBe(warn ? `key file ${path}: mode ${octal} gives group or other users access to the key; run chmod 600 ${path}` : undefined);
      expect((await stat(path)).mode & 0o777).toBe(mode);
    }
  });

  it('follows a symlink to the key', async () => {
    await writeFile(join(dir, 'real'), 'k', { mode: 0o600 });
    await symlink(join(dir, 'real'), join(dir, 'link'));
    expect(Buffer.from((await readKeyFile(join(dir, 'link'))).key).toString()).toBe('k');
  });

  it('a missing file says how to create one', async () => {
    const path = join(dir, 'fence_xvm.key');
    expect((await keyError(path)).message).toBe(`key file ${path}: does not exist; create one with \`palisade keygen ${path}\` and copy it to every guest`);
  });

  it("the fence client's fix: copy the daemon's key, or set key_file", async () => {
    const path = join(dir, 'fence_xvm.key');
    expect((await keyError(path, 'client')).message).toBe(`key file ${path}: does not exist; copy the host daemon's key here or set key_file (-k)`);
    await writeFile(path, '', { mode: 0o600 });
    expect((await keyError(path, 'client')).message).toBe(`key file ${path}: is empty; the daemon rejects every signed request made with an empty key`);
  });

  it('an empty file is an error, not a key that rejects every request', async () => {
    await writeFile(join(dir, 'empty'), '', { mode: 0o600 });
    expect((await keyError(join(dir, 'empty'))).message)
      .toBe(`key file ${dir}/empty: is empty; every signed request would be rejected. Create a key with \`palisade keygen ${dir}/empty\``);
  });

  it('a directory, a FIFO (without blocking), a device and a bad path are errors', async () => {
    expect((await keyError(dir)).message).toBe(`key file ${dir}: is a directory; key_file must name a file`);
    await execa('mkfifo', [join(dir, 'fifo')]);
    expect((await keyError(join(dir, 'fifo'))).message).toBe(`key file ${dir}/fifo: is not a regular file`);
    expect((await keyError('/dev/zero')).message).toBe('key file /dev/zero: is not a regular file');
    await writeFile(join(dir, 'f'), 'x');
    expect((await keyError(join(dir, 'f', 'k'))).message).toBe(`key file ${dir}/f/k: a component of the path is not a directory`);
    await symlink('loop', join(dir, 'loop'));
    expect((await keyError(join(dir, 'loop'))).message).toBe(`key file ${dir}/loop: too many levels of symbolic links`);
  });

  it('an unreadable file (as an unprivileged user) is a KeyFileError with the cause', async () => {
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'cluster'), { mode: 0o755 });
    const path = join(dir, 'cluster', 'fence_xvm.key');
    await writeFile(path, randomBytes(32), { mode: 0o600 });
    const r = await runAsNobody(['core/key-file.ts'], `
      import { readKeyFile } from './core/key-file.js';
      try { await readKeyFile(${JSON.stringify(path)}, 'daemon'); console.log('read it'); }
      catch (e) { console.log(e.constructor.name + ' ' + e.code + ' ' + e.cause?.code + ': ' + e.message); }
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`KeyFileError PAL_ERR_KEY EACCES: key file ${path}: permission denied; palisaded must run as root, or as the owner of the key file`);
  });
});

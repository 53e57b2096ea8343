// Loop-mounted disk images for Filesystem tests: image files in a temp dir
// (truncate + mkfs + losetup), each with its own UUID and label.
//
//   const disks = await loopDisks('pal-fs-');        // in beforeAll
//   afterAll(() => disks.cleanup());                  // idempotent, also after failures
//   const a = await disks.create({ label: 'data-a' }); // a.device = /dev/loopN
//
// cleanup() unmounts whatever this process's mount namespace still has
// mounted from the images or below the temp dir, detaches the loop devices
// and removes the dir. Mounts made inside `unshare --mount-proc` vanish with
// that namespace; the loop devices do not, hence the detach here.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoopDisk {
  readonly image: string;
  readonly device: string;
  readonly uuid: string;
  readonly label: string;
  readonly fstype: string;
}

export interface LoopDisks {
  /** The temp dir holding the images; put mount points below it too. */
  readonly dir: string;
  create(opts?: { label?: string; sizeMiB?: number; fstype?: 'ext4' | 'ext2' }): Promise<LoopDisk>;
  cleanup(): Promise<void>;
}

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: readonly string[]): Promise<Out> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function must(file: string, args: readonly string[]): Promise<string> {
  const r = await exec(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points in this namespace whose source is one of `devices` or that lie below `dir`, deepest first. */
function leftoverMounts(devices: ReadonlySet<string>, dir: string): string[] {
  const points: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    const point = unescape(f[4]!);
    const source = unescape(f[sep + 2]!);
    if (devices.has(source) || point === dir || point.startsWith(`${dir}/`)) points.push(point);
  }
  return points.sort((a, b) => b.split('/').length - a.split('/').length);
}

export async function loopDisks(prefix = 'pal-loop-'): Promise<LoopDisks> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const disks: LoopDisk[] = [];
  let n = 0;
  return {
    dir,
    async create(opts = {}) {
      const image = join(dir, `disk${n++}.img`);
      const fstype = opts.fstype ?? 'ext4';
      const label = opts.label ?? `pal-${process.pid}-${n}`;
      await must('truncate', ['-s', `${opts.sizeMiB ?? 16}M`, image]);
      await must(`mkfs.${fstype}`, ['-q', '-F', '-L', label, image]);
      const device = await must('losetup', ['-f', '--show', image]);
      const disk: LoopDisk = { image, device, label, fstype, uuid: await must('blkid', ['-c', '/dev/null', '-s', 'UUID', '-o', 'value', device]) };
      disks.push(disk);
      return disk;
    },
    async cleanup() {
      const devices = new Set(disks.map((d) => d.device));
      for (let round = 0; round < 3; round++) {
        const points = leftoverMounts(devices, dir);
        if (points.length === 0) break;
        for (const p of points) await exec('umount', round < 2 ? [p] : ['-l', p]);
      }
      for (const d of disks.splice(0)) await exec('losetup', ['-d', d.device]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

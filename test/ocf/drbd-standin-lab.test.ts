// The drbd-utils stand-in's machine model for the e2e lab
// (test/stand-ins/drbd-utils/lab-machine.mjs), on its own: a node without
// power loses its DRBD state for its peer, /dev/drbd0 is the shared device
// only on the Primary, a mount of the shared device holds it open.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopDisks, type LoopDisk, type LoopDisks } from '../helpers/loopdev.js';
import { cmd } from '../helpers/netns.js';
import { STANDIN_BIN } from '../stand-ins/drbd-utils/api.js';
import { initStandIn } from '../stand-ins/drbd-utils/init.mjs';

let dir: string;
let disks: LoopDisks;
let disk: LoopDisk;
const holders: ChildProcess[] = [];

const env = (node: string) => ({
  PATH: `${STANDIN_BIN}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
  DRBD_STANDIN_DIR: dir,
  DRBD_STANDIN_NODE: node,
  DRBD_STANDIN_DEVDIR: join(dir, `dev-${node}`),
});
const drbdadm = (node: string, ...args: string[]) => cmd(join(STANDIN_BIN, 'drbdadm'), [...args, 'r0'], env(node));
const out = async (node: string, q: string) => (await drbdadm(node, q)).stdout.trim();

/** Powers `node` on: a process holding its alive lock, as lab-node.sh starts one. */
async function powerOn(node: string): Promise<ChildProcess> {
  // its own process group: flock's child (sleep) holds the lock too, and a power cut ends both
  const p = spawn('flock', ['--exclusive', join(dir, `alive-${node}`), 'sleep', '600'], { stdio: 'ignore', detached: true });
  holders.push(p);
  for (let i = 0; i < 200; i++) {
    const probe = await cmd('flock', ['--nonblock', join(dir, `alive-${node}`), 'true']);
    if (probe.code === 1) return p;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${node}: the alive lock was not taken`);
}

function kill(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    process.kill(-p.pid!, 'SIGKILL');
  });
}

async function lockFree(node: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await cmd('flock', ['--nonblock', join(dir, `alive-${node}`), 'true'])).code === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${node}: the alive lock is still held`);
}

const rdev = (file: string) => {
  const r = statSync(file).rdev;
  return `${Math.floor(r / 256) & 0xfff}:${(r & 0xff) | ((Math.floor(r / 4096)) & 0xfff00)}`;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pal-drbd-standin-lab-'));
  disks = await loopDisks('pal-drbd-standin-lab-disk-');
  disk = await disks.create({ label: 'standin-lab', sizeMiB: 8 });
  initStandIn(dir, { names: ['node1', 'node2'], lab: { device: disk.device } });
});

afterAll(async () => {
  for (const p of holders) await kill(p);
  await disks?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('drbd stand-in in the e2e lab: power, device, mounts', () => {
  let node1: ChildProcess;

  it('up on both nodes: connected; /dev/drbd0 is the shared device only on the Primary', async () => {
    node1 = await powerOn('node1');
    await powerOn('node2');
    expect((await drbdadm('node1', 'up')).code).toBe(0);
    expect((await drbdadm('node2', 'up')).code).toBe(0);
    expect(await out('node2', 'cstate')).toBe('Connected');
    expect(rdev(join(dir, 'dev-node1', 'drbd0'))).toBe('147:0');
    expect((await drbdadm('node1', 'primary')).code).toBe(0);
    expect(rdev(join(dir, 'dev-node1', 'drbd0'))).toBe(rdev(disk.device));
    expect(rdev(join(dir, 'dev-node2', 'drbd0'))).toBe('147:0');
    const second = await drbdadm('node2', 'primary');
    expect(second.code).toBe(11);
    expect(second.stderr).toMatch(/Multiple primaries not allowed/);
  });

  it('a mount of the shared device in the caller\'s mount namespace holds it open: secondary and down fail with 11', async () => {
    const mnt = join(dir, 'mnt');
    const r = await cmd('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      `mkdir -p '${mnt}' && mount '${join(dir, 'dev-node1', 'drbd0')}' '${mnt}' && '${join(STANDIN_BIN, 'drbdadm')}' secondary r0; echo "rc=$?"; umount '${mnt}'`], env('node1'));
    expect(r.stdout).toContain('rc=11');
    expect(r.stderr).toMatch(/held open/);
    expect(await out('node1', 'role')).toBe('Primary');
    expect((await drbdadm('node1', 'secondary')).code).toBe(0);
    expect(rdev(join(dir, 'dev-node1', 'drbd0'))).toBe('147:0');
    expect((await drbdadm('node1', 'primary')).code).toBe(0);
  });

  it('the Primary loses power: its peer sees the connection lost and may promote; a boot starts without DRBD state', async () => {
    await kill(node1);
    await lockFree('node1'); // flock's child dies with it, not necessarily before its exit is seen
    expect(await out('node2', 'cstate')).toBe('Connecting');
    expect(await out('node2', 'dstate')).toBe('UpToDate/DUnknown');
    expect((await drbdadm('node2', 'primary')).code).toBe(0);
    await powerOn('node1');
    const boot = await cmd(process.execPath, [join(STANDIN_BIN, 'lab-boot.mjs')], env('node1'));
    expect(boot.code).toBe(0);
    expect((await drbdadm('node1', 'role')).code).toBe(10);
    expect((await drbdadm('node1', 'up')).code).toBe(0);
    expect(await out('node1', 'role')).toBe('Secondary');
    expect(await out('node1', 'dstate')).toBe('UpToDate/UpToDate');
    expect(await out('node2', 'role')).toBe('Primary');
    expect(existsSync(join(dir, 'dev-node1', 'drbd0'))).toBe(true);
  });
});

// Is this instance's server running? The pid file names the process, /proc
// confirms it is a MariaDB/MySQL server and not a reused pid, and the
// socket's greeting shows it accepts connections.

import { createRequire } from 'node:module';
import { fs } from '../framework/_builtins.js';
import { exePath, isLive, readProcStat, type ProcStat } from '../apache/proc.js';
import { readPidFile } from '../apache/pidfile.js';

export const SERVER_PROGRAMS: ReadonlySet<string> = new Set(['mariadbd', 'mysqld']);

export type ServerState =
  | { readonly kind: 'stopped'; readonly why: 'no-pid-file' | 'no-process' | 'not-a-server'; readonly pid?: number }
  | { readonly kind: 'running'; readonly pid: number; readonly proc: ProcStat };

function programName(path: string | undefined): string | undefined {
  return path?.slice(path.lastIndexOf('/') + 1);
}

export function serverState(pidFile: string): ServerState {
  const f = readPidFile(pidFile);
  if (f.kind !== 'pid') return { kind: 'stopped', why: 'no-pid-file' };
  const proc = readProcStat(f.pid);
  if (!isLive(proc)) return { kind: 'stopped', why: 'no-process', pid: f.pid };
  // unreadable exe (another user's process, no privilege) is not proof of absence: trust the pid
  const name = programName(exePath(f.pid));
  if (name !== undefined && !SERVER_PROGRAMS.has(name)) return { kind: 'stopped', why: 'not-a-server', pid: f.pid };
  return { kind: 'running', pid: f.pid, proc };
}

/** Live server processes whose working directory is `datadir` (mariadbd chdirs there). */
export function serversUsing(datadir: string): number[] {
  let want: string;
  try {
    want = fs.realpathSync(datadir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (!SERVER_PROGRAMS.has(programName(exePath(pid)) ?? '')) continue;
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`) === want && isLive(readProcStat(pid))) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export type Greeting = { readonly ok: true; readonly refused?: string } | { readonly ok: false; readonly problem: string };

const require = createRequire(process.execPath);

/**
 * Connects to the unix socket and reads the server's first packet: a
 * handshake (protocol 10) or an error packet ("Too many connections"),
 * both proof that the server answers. No login, no SQL.
 */
export function greet(socket: string, ms: number): Promise<Greeting> {
  const net = require('node:net') as typeof import('node:net');
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const c = net.createConnection({ path: socket });
    const finish = (g: Greeting) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.destroy();
      resolve(g);
    };
    const timer = setTimeout(() => finish({ ok: false, problem: `no greeting on socket ${socket} within ${ms} ms` }), ms);
    c.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, problem: `cannot connect to socket ${socket}: ${e.code ?? e.message}` }));
    c.on('close', () => finish({ ok: false, problem: `socket ${socket} closed before the server greeted` }));
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 5) return;
      const first = buf[4];
      if (first === 0x0a) return finish({ ok: true });
      if (first === 0xff) return finish({ ok: true, refused: buf.subarray(7, buf.readUIntLE(0, 3) + 4).toString('utf8') });
      finish({ ok: false, problem: `socket ${socket} does not speak the MySQL protocol (first byte 0x${first!.toString(16)})` });
    });
  });
}

// Daemon logging: one line per event, to stderr (foreground, systemd) or to
// syslog through one long-lived `logger` process (background mode). Node
// has no unix datagram sockets, and forking per line would cost more than
// the request being logged.
import { spawn, type ChildProcess } from 'node:child_process';
import { escapeControls } from './_text.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
// One event, one line: control characters are escaped, so text a peer sent
// (a domain name, say) can never forge a line of its own.
export type LogFn = (level: LogLevel, message: string) => void;

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const SYSLOG_PRIORITY: Record<LogLevel, string> = { error: 'daemon.err', warn: 'daemon.warning', info: 'daemon.info', debug: 'daemon.debug' };

export interface Logger {
  readonly log: LogFn;
  /** -d level: 0 logs errors, warnings and one line per request; 1+ adds debug lines. */
  setDebug(level: number): void;
  close(): Promise<void>;
}

export function stderrLogger(debug = 0): Logger {
  let level = debug;
  return {
    log(l, m) {
      if (RANK[l] > 2 && level < 1) return;
      process.stderr.write(`${new Date().toISOString()} palisaded[${process.pid}]: ${l}: ${escapeControls(m)}\n`);
    },
    setDebug(d) { level = d; },
    async close() {},
  };
}

export function syslogLogger(debug = 0): Logger {
  let level = debug;
  const children = new Map<LogLevel, ChildProcess>();
  const child = (l: LogLevel): ChildProcess => {
    let c = children.get(l);
    if (!c || c.exitCode !== null || c.killed) {
      c = spawn('logger', ['-t', 'palisaded', '--id=' + process.pid, '-p', SYSLOG_PRIORITY[l]], { stdio: ['pipe', 'ignore', 'ignore'] });
      c.on('error', () => children.delete(l));
      c.stdin?.on('error', () => children.delete(l));
      children.set(l, c);
    }
    return c;
  };
  return {
    log(l, m) {
      if (RANK[l] > 2 && level < 1) return;
      child(l).stdin?.write(escapeControls(m) + '\n');
    },
    setDebug(d) { level = d; },
    async close() {
      await Promise.all([...children.values()].map((c) => new Promise<void>((res) => {
        c.once('exit', () => res());
        c.stdin?.end();
        setTimeout(res, 1000).unref();
      })));
    },
  };
}

// Agent logging in the ocf-shellfuncs style: every line to stderr (Pacemaker
// records agent stderr), warnings and errors also to syslog through
// `logger`. Debug is off unless HA_debug / OCF_TRACE_RA asks for it.

import { childProcess } from './_builtins.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface OcfLog {
  debug(m: string): void;
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}

export interface LogOptions {
  type: string;
  instance: string;
  debug: boolean;
  /** syslog facility; 'none' disables syslog. */
  facility: string | undefined;
  write(line: string): void;
}

const LABEL: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };
const PRIORITY: Record<LogLevel, string> = { debug: 'debug', info: 'info', warn: 'warning', error: 'err' };

const pad = (n: number) => String(n).padStart(2, '0');

/** ha_log's date: 2024/05/01_12:00:00 */
function stamp(d: Date): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())}_${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Detached, stdio closed: the agent may exit before logger is done. */
function syslog(tag: string, facility: string, level: LogLevel, msg: string): void {
  try {
    // child_process loads only when a warning really goes to syslog
    const child = childProcess().spawn('logger', ['-t', tag, '-p', `${facility}.${PRIORITY[level]}`, '--', msg], {
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => {});
    child.unref();
  } catch {
    // syslog is best effort; the stderr line is already written
  }
}

export function createLog(o: LogOptions): OcfLog {
  const tag = `${o.type}(${o.instance})`;
  const facility = o.facility ?? 'daemon';
  const emit = (level: LogLevel, msg: string) => {
    if (level === 'debug' && !o.debug) return;
    const oneLine = msg.replace(/\s*\n\s*/g, ' ');
    o.write(`${tag}[${process.pid}]: ${stamp(new Date())} ${LABEL[level]}: ${oneLine}\n`);
    if ((level === 'warn' || level === 'error') && facility !== 'none') syslog(tag, facility, level, oneLine);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

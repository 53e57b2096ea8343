// The server's process state, from its pid file and /proc: the pid must run
// our httpd for our configuration (else the pid file is stale), and when the
// main process died, the workers of the session it led may still serve.

import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { readPidFile } from './pidfile.js';
import { isLive, readProcStat, sessionMembers, type ProcStat } from '../framework/processes.js';
import { identify } from './proc.js';

export interface ServerRef {
  readonly httpd: string;
  readonly configFile: string;
  readonly pidFile: string;
}

export type ServerState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'running'; readonly main: ProcStat }
  /** The main process is gone but workers of its session still run (and may still serve). */
  | { readonly kind: 'orphaned'; readonly sid: number; readonly workers: readonly ProcStat[] };

/** Where the pid file leads. A pid file we cannot read or parse is an error, not "stopped". */
export function serverState(s: ServerRef, ctx: OcfContext): ServerState {
  let pf;
  try {
    pf = readPidFile(s.pidFile);
  } catch (e) {
    throw new OcfError(OCF.ERR_GENERIC, `cannot read pid file ${s.pidFile}: ${(e as Error).message}`, { cause: e });
  }
  if (pf.kind === 'absent') return { kind: 'stopped' };
  if (pf.kind === 'garbage') {
    throw new OcfError(
      OCF.ERR_GENERIC,
      `pid file ${s.pidFile} holds '${pf.text}', not a process id; remove it if no httpd of this resource runs`,
    );
  }
  const stat = readProcStat(pf.pid);
  if (isLive(stat)) {
    const id = identify(pf.pid, s.httpd, s.configFile);
    if (id.ours) return { kind: 'running', main: stat };
    ctx.log.info(`stale pid file ${s.pidFile}: pid ${pf.pid} is not this server (${id.why})`);
    return { kind: 'stopped' };
  }
  const workers = sessionMembers(pf.pid).filter((w) => identify(w.pid, s.httpd, s.configFile).ours);
  if (workers.length > 0) return { kind: 'orphaned', sid: pf.pid, workers };
  ctx.log.debug(`pid file ${s.pidFile} names pid ${pf.pid}, which is gone`);
  return { kind: 'stopped' };
}

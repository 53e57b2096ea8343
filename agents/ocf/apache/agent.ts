// ocf:palisade:apache, parameter-compatible with ocf:heartbeat:apache:
// starts, monitors and stops one Apache httpd instance. The agent is the
// parameter table plus observe/start/stop; the framework derives exit codes,
// probes, idempotency and the invalid-environment policy from them.

import { fs } from '../framework/_builtins.js';
import { defineAgent } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { checkHealth } from './health.js';
import { HttpCheckError } from './http-check.js';
import { instanceOf } from './instance.js';
import { params } from './params.js';
import { serverState } from './server.js';
import { removeRecord } from './state.js';

export const apache = defineAgent({
  name: 'apache',
  version: '1.0.0',
  shortdesc: 'Manages an Apache Web server instance',
  longdesc:
    'Starts, monitors and stops an Apache httpd (2.x) instance. Parameter-compatible with ocf:heartbeat:apache. ' +
    'The configuration file is read for the pid file, the Listen address and the server-status location. ' +
    'Start runs httpd with -DSTATUS and the given options and waits until the monitor passes, within the start ' +
    'timeout. The monitor checks that the process in the pid file is this server, then loads the server-status ' +
    'page (mod_status; allow it *only* from localhost) and matches testregex; with OCF_CHECK_LEVEL=10 it loads ' +
    'testurl and matches testregex10 instead. Stop asks for a graceful stop (SIGWINCH), then SIGTERM, then ' +
    'SIGKILL, within the stop timeout, and only ever signals processes of this server. The status action reports ' +
    'whether the server process runs, without an HTTP request.',
  params,
  actions: [
    { name: 'start', timeout: 40 },
    { name: 'stop', timeout: 60 },
    { name: 'status', timeout: 30 },
    { name: 'monitor', timeout: 20, interval: 10, depth: 0 },
    { name: 'validate-all', timeout: 5 },
    { name: 'meta-data', timeout: 5 },
  ],

  async validate(p, ctx) {
    // stop needs no test file: a missing one must not turn it into a no-op
    if (p.testconffile !== undefined && ctx.action !== 'stop') {
      try {
        fs.accessSync(p.testconffile, fs.constants.R_OK);
      } catch {
        throw new OcfError(OCF.ERR_INSTALLED, `testconffile ${p.testconffile} not found, or not readable`);
      }
    }
    const inst = await instanceOf(p, ctx);
    // validate-all goes as far as httpd's own configuration test
    if (ctx.action === 'validate-all') await (await import('./start.js')).configTest(inst, ctx);
  },

  async observe(p, ctx) {
    const inst = await instanceOf(p, ctx);
    const st = serverState(inst, ctx);
    if (st.kind === 'stopped') {
      if (ctx.action === 'stop') removeRecord(ctx.env, ctx.instance);
      return 'stopped';
    }
    if (st.kind === 'orphaned') {
      throw new OcfError(
        OCF.ERR_GENERIC,
        `httpd main process ${st.sid} is gone, but its workers (pid ${st.workers.map((w) => w.pid).join(' ')}) still run`,
      );
    }
    // start and stop act on the process; status reports it; only monitor asks the server
    if (ctx.action === 'monitor') {
      try {
        await checkHealth(inst, p, ctx);
      } catch (e) {
        if (e instanceof HttpCheckError) {
          throw new OcfError(OCF.ERR_GENERIC, `Failed to access httpd status page: ${e.message}`, { cause: e });
        }
        throw e;
      }
    }
    return 'running';
  },

  // start and stop code is loaded on demand: a monitor runs every few seconds and should not compile it
  async start(p, ctx) {
    const { startServer } = await import('./start.js');
    await startServer(await instanceOf(p, ctx), p, ctx);
  },

  async stop(p, ctx) {
    const inst = await instanceOf(p, ctx);
    const st = serverState(inst, ctx);
    if (st.kind !== 'stopped') await (await import('./stop.js')).stopServer(st, inst, ctx);
    removeRecord(ctx.env, ctx.instance);
  },
});

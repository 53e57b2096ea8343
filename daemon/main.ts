#!/usr/bin/env node
// palisaded: the host daemon. Same flags and configuration as fence_virtd.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readConfigFile } from './config/parse.js';
import { planDaemon } from './daemon-config.js';
import { Runtime } from './runtime.js';
import { Supervisor } from './supervisor.js';
import { claimPidFile, releasePidFile } from './pidfile.js';
import { parseDaemonFlags, USAGE, type DaemonFlags } from './flags.js';
import { stderrLogger, syslogLogger, type Logger } from './log.js';
import { listeners } from './listeners/index.js';
import { backends } from './backends/index.js';
import { PalisadeError } from './errors.js';

const DETACHED_ENV = 'PALISADED_DETACHED';
const RETRY_MS = 5_000;

async function main(): Promise<number> {
  let flags: DaemonFlags;
  try {
    flags = parseDaemonFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`palisaded: ${(e as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (flags.help) { process.stdout.write(USAGE + '\n'); return 0; }
  if (flags.listPlugins) {
    process.stdout.write(`listeners: ${listeners.map((l) => l.name).join(' ')}\nbackends: ${backends.map((b) => b.name).join(' ')}\n`);
    return 0;
  }
  if (flags.configure) {
    process.stderr.write('palisaded: -c (interactive configuration) is not offered; start from conf/fence_virt.conf and run `palisade config check FILE`\n');
    return 1;
  }

  // Parse and plan before detaching, so that config errors reach the terminal.
  let plan;
  try {
    plan = planDaemon(await readConfigFile(flags.configFile));
  } catch (e) {
    process.stderr.write(`palisaded: ${(e as Error).message}\n`);
    return 1;
  }
  const foreground = flags.foreground || plan.foreground || process.env[DETACHED_ENV] === '1';
  if (!foreground) return detach();

  const debug = flags.debug ?? plan.debug;
  const logger: Logger = process.env[DETACHED_ENV] === '1' ? syslogLogger(debug) : stderrLogger(debug);
  const log = logger.log;
  try {
    claimPidFile(flags.pidFile);
  } catch (e) {
    log('error', (e as Error).message);
    notifyParent(`failed: ${(e as Error).message}`);
    return 1;
  }

  let runtime: Runtime | undefined;
  for (;;) {
    try {
      runtime = await Runtime.create(plan, log);
      await runtime.start();
      break;
    } catch (e) {
      await runtime?.close();
      runtime = undefined;
      const msg = e instanceof PalisadeError ? e.message : (e as Error).stack ?? String(e);
      if (!flags.waitForInit && !plan.waitForInit) {
        log('error', `start-up failed: ${msg}`);
        notifyParent(`failed: ${msg}`);
        releasePidFile(flags.pidFile);
        await logger.close();
        return 1;
      }
      log('warn', `start-up failed, retrying in ${RETRY_MS / 1000} s (-w): ${msg}`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
  log('info', `palisaded ready (${flags.configFile})`);
  notifyParent('ready');

  const supervisor = new Supervisor(runtime!, {
    configFile: flags.configFile, log, retryMs: RETRY_MS,
    // -d on the command line wins over the file, as at start-up.
    applyPlan: (p) => logger.setDebug(flags.debug ?? p.debug),
  });
  process.on('SIGHUP', () => void supervisor.reload());

  return new Promise<number>((resolve) => {
    const stop = async (sig: string) => {
      log('info', `${sig}: shutting down`);
      await supervisor.stop();
      releasePidFile(flags.pidFile);
      await logger.close();
      resolve(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}

/** Background mode: re-run ourselves detached and wait until the child is serving or has failed. */
function detach(): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, ...process.argv.slice(2)], {
    detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...process.env, [DETACHED_ENV]: '1' },
  });
  return new Promise((resolve) => {
    child.once('message', (m) => {
      const text = String(m);
      if (text !== 'ready') process.stderr.write(`palisaded: ${text.replace(/^failed: /, '')}\n`);
      child.disconnect();
      child.unref();
      resolve(text === 'ready' ? 0 : 1);
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** Tells the waiting parent of a background start how it went (no-op in the foreground). */
function notifyParent(message: string): void {
  process.send?.(message);
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`palisaded: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(70);
});

// Everything an action needs, derived once from the parameters and the
// httpd configuration: binary, pid file, start arguments, status URL.
// heartbeat's apache_getconfig + GetParams, with its errors made specific.

import { dirname } from 'node:path';
import type { OcfContext } from '../framework/agent.js';
import type { Env } from '../framework/env.js';
import { OCF, OcfError } from '../framework/exit.js';
import { ApacheConfigError, readApacheConfig, type ApacheConfig, type ListenAddr } from './config.js';
import { grepRegex } from './grep-regex.js';
import type { ApacheParams } from './params.js';
import { defaultPidFile, readRecord } from './state.js';
import { splitWords } from './words.js';

/** Searched when httpd is left at its default and that is missing (heartbeat's HTTPDLIST). */
const HTTPD_CANDIDATES = ['/usr/sbin/apache2', '/usr/sbin/httpd', '/usr/sbin/httpd2', '/sbin/httpd2', '/sbin/httpd', '/usr/sbin/apache'];

/** Parameters whose presence means "the monitor is configured": no index-page fallback then. */
const MONITOR_PARAMS = ['statusurl', 'testregex', 'testurl', 'testregex10', 'testconffile'] as const;

export interface Instance {
  readonly httpd: string;
  readonly configFile: string;
  readonly pidFile: string;
  /** Arguments for httpd after the binary: -DSTATUS [options] -f config [-c PidFile] -DFOREGROUND. */
  readonly startArgs: readonly string[];
  /** http://<first Listen> or http://localhost:<port>: base of relative test URLs and of the fallback. */
  readonly baseUrl: string;
  readonly statusUrl: string;
  readonly statusRegex: RegExp;
  /** No monitor parameter set: a failing status page may fall back to the index page. */
  readonly indexFallback: boolean;
  readonly ipv6: boolean;
  /** The configuration could not be read; a stop works from the record of the last start. */
  readonly fromRecord: boolean;
  /** ${NAME} variables the configuration uses. */
  readonly variables: ReadonlySet<string>;
  /** The environment httpd runs with: the agent's, plus the envfiles. */
  env(): Promise<Readonly<Record<string, string>>>;
}

interface OptionFacts {
  words: string[];
  defines: string[];
  serverRoot: string | undefined;
  before: string[];
  after: string[];
}

function optionFacts(options: string | undefined): OptionFacts {
  const split = splitWords(options ?? '');
  // the parameter's check already refused bad quoting
  const words = split.ok ? split.words : [];
  const f: OptionFacts = { words, defines: [], serverRoot: undefined, before: [], after: [] };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const flag = w.slice(0, 2);
    if (!['-D', '-d', '-C', '-c'].includes(flag)) continue;
    const v = w.length > 2 ? w.slice(2) : words[++i];
    if (v === undefined) continue;
    if (flag === '-D') f.defines.push(v);
    else if (flag === '-d') f.serverRoot = v;
    else if (flag === '-C') f.before.push(v);
    else f.after.push(v);
  }
  return f;
}

function resolveHttpd(p: ApacheParams, ctx: OcfContext): string {
  const explicit = ctx.env.OCF_RESKEY_httpd;
  // findBinary honours OCF_TESTER_FAIL_HAVE_BINARY (ocf-tester's "binary missing" probe)
  if (explicit) {
    if (ctx.findBinary(explicit) === undefined) {
      throw new OcfError(OCF.ERR_INSTALLED, `httpd ${explicit} not found or not executable (parameter httpd)`);
    }
    return explicit;
  }
  const found = [p.httpd, ...HTTPD_CANDIDATES].find((c) => ctx.findBinary(c) !== undefined);
  if (found === undefined) {
    throw new OcfError(OCF.ERR_INSTALLED, `apache httpd program not found (tried ${p.httpd}, ${HTTPD_CANDIDATES.join(', ')}); set httpd`);
  }
  if (found !== p.httpd) ctx.log.info(`using ${found} as httpd`);
  return found;
}

/**
 * httpd's compiled-in ServerRoot (HTTPD_ROOT of `httpd -V`). -V also reads a
 * configuration; an empty one keeps it from failing on ours (it then
 * complains about the missing MPM, after printing what we need).
 */
async function compiledServerRoot(httpd: string, ctx: OcfContext): Promise<string> {
  const r = await ctx.run(httpd, ['-V', '-f', '/dev/null']);
  const m = /HTTPD_ROOT="([^"]+)"/.exec(r.stdout);
  if (!m) {
    throw new OcfError(OCF.ERR_GENERIC, `${r.command} does not show HTTPD_ROOT (${r.stderr.trim() || r.spawnError || 'no output'}); set ServerRoot in the configuration`);
  }
  return m[1]!;
}

function hostPart(l: ListenAddr): string {
  const h = l.host;
  if (h === undefined || h === '*' || h === '0.0.0.0') return 'localhost';
  if (h === '::') return '[::1]';
  return h.includes(':') ? `[${h}]` : h;
}

/** heartbeat's buildlocalurl: the first Listen, else localhost with port / Port / 80. */
export function baseUrlOf(config: ApacheConfig, port: number | undefined): string {
  const l = config.listen[0];
  if (l === undefined) return `http://localhost:${port ?? config.port ?? 80}`;
  // httpd: https is the default protocol of port 443
  const scheme = (l.protocol ?? (l.port === 443 ? 'https' : 'http')) === 'https' ? 'https' : 'http';
  return `${scheme}://${hostPart(l)}:${l.port}`;
}

/** A test URL not starting with "http" is relative to the Listen address (fixtesturl). */
export function absoluteUrl(url: string, base: string): string {
  return /^http/i.test(url) ? url : `${base}${url}`;
}

/** The envfiles' environment; envfiles.ts is loaded only when a configuration or a start needs it. */
async function sourcedEnv(p: ApacheParams, ctx: OcfContext, base: Env): Promise<Record<string, string>> {
  const { readableEnvFiles, sourceEnvFiles } = await import('./envfiles.js');
  // an explicitly empty envfiles reads none (the framework maps '' to the default)
  const { use, skipped } = ctx.env.OCF_RESKEY_envfiles === '' ? { use: [], skipped: [] } : readableEnvFiles(p.envfiles);
  for (const f of skipped) ctx.log.debug(`envfile ${f} not readable, skipped`);
  return sourceEnvFiles(use, base, ctx.run);
}

function configError(e: unknown, configFile: string): OcfError {
  if (!(e instanceof ApacheConfigError)) throw e;
  if (e.problem === 'missing' && e.file === configFile) {
    return new OcfError(OCF.ERR_INSTALLED, `Configuration file ${configFile} not found or not readable`, { cause: e });
  }
  return new OcfError(OCF.ERR_CONFIGURED, `Apache configuration: ${e.message}`, { cause: e });
}

async function resolveInstance(p: ApacheParams, ctx: OcfContext): Promise<Instance> {
  const configFile = p.configfile;
  const opts = optionFacts(p.options);
  let httpd: string;
  try {
    httpd = resolveHttpd(p, ctx);
  } catch (e) {
    const rec = ctx.action === 'stop' ? readRecord(ctx.env, ctx.instance) : undefined;
    if (rec === undefined || rec.configFile !== configFile) throw e;
    httpd = rec.httpd;
  }

  let envPromise: Promise<Record<string, string>> | undefined;
  const env = () => {
    const base: Record<string, string | undefined> = { ...ctx.env };
    // Debian's envvars derives the instance suffix from APACHE_CONFDIR, as apache2ctl sets it
    if (base.APACHE_CONFDIR === undefined && configFile.endsWith('/apache2.conf')) base.APACHE_CONFDIR = dirname(configFile);
    envPromise ??= sourcedEnv(p, ctx, base);
    return envPromise;
  };

  const defines = ['STATUS', ...opts.defines, 'FOREGROUND'];
  let config: ApacheConfig;
  try {
    config = await readApacheConfig(configFile, {
      defines,
      serverRoot: opts.serverRoot,
      before: opts.before,
      after: opts.after,
      env,
      defaultServerRoot: () => compiledServerRoot(httpd, ctx),
    });
  } catch (e) {
    const err = configError(e, configFile);
    // stop must still find a server it started, or a broken config would let it run on unnoticed
    const rec = ctx.action === 'stop' ? readRecord(ctx.env, ctx.instance) : undefined;
    if (rec === undefined || rec.configFile !== configFile) throw err;
    ctx.log.warn(`${err.message}; stopping the server recorded at start (pid file ${rec.pidFile})`);
    return recorded(rec, env);
  }

  const addPidFile = config.pidFile === undefined;
  const pidFile = config.pidFile ?? defaultPidFile(ctx.env, httpd, ctx.instance);
  const baseUrl = baseUrlOf(config, p.port);
  const statusUrl = p.statusurl ?? `${baseUrl}${config.statusLocations[config.statusLocations.length - 1] ?? ''}`;
  const regex = grepRegex(p.testregex);
  if (typeof regex === 'string') throw new OcfError(OCF.ERR_CONFIGURED, `testregex: ${regex}`);
  return Object.freeze({
    httpd,
    configFile,
    pidFile,
    startArgs: Object.freeze([
      '-DSTATUS',
      ...opts.words,
      '-f',
      configFile,
      ...(addPidFile ? ['-c', `PidFile ${pidFile}`] : []),
      // we detach it ourselves (setsid) and so keep its exit status and start-up errors
      '-DFOREGROUND',
    ]),
    baseUrl,
    statusUrl,
    statusRegex: regex,
    indexFallback: MONITOR_PARAMS.every((n) => !ctx.env[`OCF_RESKEY_${n}`]),
    ipv6: p.use_ipv6,
    fromRecord: false,
    variables: config.variables,
    env,
  });
}

function recorded(rec: { httpd: string; configFile: string; pidFile: string }, env: Instance['env']): Instance {
  return Object.freeze({
    httpd: rec.httpd,
    configFile: rec.configFile,
    pidFile: rec.pidFile,
    startArgs: Object.freeze([]),
    baseUrl: '',
    statusUrl: '',
    statusRegex: /$^/,
    indexFallback: false,
    ipv6: false,
    fromRecord: true,
    variables: new Set<string>(),
    env,
  });
}

const cache = new WeakMap<OcfContext, Promise<Instance>>();

/** The instance for this action, resolved once; errors are OcfError with the specific reason. */
export function instanceOf(p: ApacheParams, ctx: OcfContext): Promise<Instance> {
  let i = cache.get(ctx);
  if (i === undefined) {
    i = resolveInstance(p, ctx);
    cache.set(ctx, i);
  }
  return i;
}

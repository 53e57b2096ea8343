// Is the running server healthy? Depth 0: the status page (statusurl,
// testregex), falling back to "the index page answers" when no monitor
// parameter was set (heartbeat's attempt_index_monitor_request). Depth 10:
// the test URL (testurl/testregex10 or a testconffile test). Failures are
// thrown as HttpCheckError (the page) or OcfError (the configuration).

import { fs } from '../framework/_builtins.js';
import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';
import { grepRegex } from './grep-regex.js';
import { checkAnswers, checkPage, HttpCheckError, loopbackFor, type Credentials } from './http-check.js';
import { absoluteUrl, type Instance } from './instance.js';
import type { ApacheParams } from './params.js';
import { splitWords } from './words.js';

interface Probe {
  readonly url: string;
  readonly regex: RegExp;
  readonly client: string | undefined;
  readonly clientOpts: string[];
  readonly auth: Credentials | undefined;
}

/** Leave the framework time to report our own, more specific failure. */
const REPLY_MARGIN_MS = 50;

function builtIn(p: Probe): boolean {
  return (p.client === undefined || p.client === 'curl' || p.client === 'wget') && p.clientOpts.length === 0;
}

async function depth10Probe(inst: Instance, p: ApacheParams): Promise<Probe> {
  let test: { url?: string | undefined; match?: string | undefined; user?: string | undefined; password?: string | undefined; client?: string | undefined; clientOpts?: string | undefined };
  if (p.testconffile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(p.testconffile, 'utf8');
    } catch (e) {
      throw new OcfError(OCF.ERR_INSTALLED, `testconffile ${p.testconffile} not found, or not readable`, { cause: e });
    }
    const { readTestConf, TestConfError } = await import('./testconf.js');
    try {
      test = readTestConf(text, p.testconffile, p.testname);
    } catch (e) {
      if (e instanceof TestConfError) throw new OcfError(OCF.ERR_CONFIGURED, e.message, { cause: e });
      throw e;
    }
  } else {
    test = { url: p.testurl, match: p.testregex10 };
  }
  if (!test.url || !test.match) {
    throw new OcfError(
      OCF.ERR_CONFIGURED,
      'OCF_CHECK_LEVEL=10 needs a test URL and regular expression: set testurl and testregex10, or testconffile',
    );
  }
  if (Boolean(test.user) !== Boolean(test.password)) {
    throw new OcfError(OCF.ERR_CONFIGURED, 'bad user authentication for the extended test: set both user and password');
  }
  const regex = grepRegex(test.match);
  if (typeof regex === 'string') throw new OcfError(OCF.ERR_CONFIGURED, `test regular expression '${test.match}': ${regex}`);
  const opts = splitWords(test.clientOpts ?? '');
  if (!opts.ok) throw new OcfError(OCF.ERR_CONFIGURED, `client_opts '${test.clientOpts}': ${opts.problem}`);
  return {
    url: absoluteUrl(test.url, inst.baseUrl),
    regex,
    client: test.client ?? p.client,
    clientOpts: opts.words,
    auth: test.user && test.password ? { user: test.user, password: test.password } : undefined,
  };
}

/** curl, wget or a user's program, for tests that ask for one with options. */
async function runClient(probe: Probe, inst: Instance, ctx: OcfContext, timeoutMs: number): Promise<void> {
  const client = probe.client ?? 'curl';
  const bin = ctx.findBinary(client);
  if (bin === undefined) throw new OcfError(OCF.ERR_INSTALLED, `http client '${client}' not found`);
  const from = loopbackFor(new URL(probe.url).hostname, inst.ipv6).localAddress;
  let args: string[];
  let input: string | undefined;
  if (client === 'curl' || client.endsWith('/curl')) {
    args = ['-o', '-', '-Ss', '-L', '--noproxy', '*', '--interface', from, '-g', ...probe.clientOpts];
    // credentials through a config on stdin, not the command line
    if (probe.auth) {
      args.unshift('-K', '-');
      input = `user = "${probe.auth.user.replace(/["\\]/g, '\\$&')}:${probe.auth.password.replace(/["\\]/g, '\\$&')}"\n`;
    }
  } else if (client === 'wget' || client.endsWith('/wget')) {
    args = ['-O-', '-q', '--no-proxy', `--bind-address=${from}`, ...probe.clientOpts];
    if (probe.auth) args.push(`--http-user=${probe.auth.user}`, `--http-password=${probe.auth.password}`);
  } else {
    args = [...probe.clientOpts];
  }
  const r = await ctx.run(bin, [...args, probe.url], { timeoutMs, ...(input === undefined ? {} : { input }) });
  if (r.failed) {
    const why = r.timedOut ? `no answer within ${timeoutMs} ms` : r.spawnError ?? `exit code ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`;
    throw new HttpCheckError('http', probe.url, `${client} ${probe.url} failed (${why})`);
  }
  if (!probe.regex.test(r.stdout)) {
    throw new HttpCheckError('mismatch', probe.url, `${client} output for ${probe.url} does not match /${probe.regex.source}/i`);
  }
}

function budget(ctx: OcfContext, capMs: number | undefined): number {
  return Math.max(1, Math.min(capMs ?? Infinity, ctx.remaining() - REPLY_MARGIN_MS));
}

async function check(probe: Probe, inst: Instance, ctx: OcfContext, capMs: number | undefined): Promise<void> {
  const timeoutMs = budget(ctx, capMs);
  if (!builtIn(probe)) return runClient(probe, inst, ctx, timeoutMs);
  await checkPage(probe.url, probe.regex, { timeoutMs, signal: ctx.signal, ipv6: inst.ipv6, auth: probe.auth });
}

/**
 * Throws when the server is not healthy at the requested depth (ocf_check_level
 * 10: 10 and above). Each request gets the time left, or at most `capMs`.
 */
export async function checkHealth(inst: Instance, p: ApacheParams, ctx: OcfContext, capMs?: number): Promise<void> {
  if (ctx.checkLevel >= 10) return check(await depth10Probe(inst, p), inst, ctx, capMs);
  const probe: Probe = { url: inst.statusUrl, regex: inst.statusRegex, client: p.client, clientOpts: [], auth: undefined };
  try {
    await check(probe, inst, ctx, capMs);
  } catch (e) {
    if (!inst.indexFallback || !(e instanceof HttpCheckError)) throw e;
    try {
      await checkAnswers(inst.baseUrl, { timeoutMs: budget(ctx, capMs), signal: ctx.signal, ipv6: inst.ipv6 });
    } catch {
      throw e;
    }
    ctx.log.debug(`status page failed (${e.message}), but ${inst.baseUrl} answers`);
  }
}

#!/usr/bin/env node
// palisade: the operator CLI.
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_KEY_FILE, DEFAULT_PORT } from '../protocol/constants.js';
import { runFenceVerb, VERBS, type FenceCliOptions, type Verb } from './fence-commands.js';
import { keygen } from './keygen.js';
import { checkConfig } from './config-check.js';
import { install } from './install.js';
import { diagnose } from './diag.js';

const HASHES = ['none', 'sha1', 'sha256', 'sha512'];

function intArg(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function hashArg(v: string): string {
  const s = v.toLowerCase();
  if (!HASHES.includes(s)) throw new InvalidArgumentError(`must be one of ${HASHES.join(', ')}`);
  return s;
}

function authArg(v: string): string {
  const s = v.toLowerCase();
  if (s === 'hmac-sha256') return s;
  try {
    return hashArg(s);
  } catch {
    throw new InvalidArgumentError(`must be one of ${HASHES.join(', ')}, hmac-sha256`);
  }
}

let exitCode = 0;
const say = (text: string) => { if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n'); };

const program = new Command('palisade')
  .description('Palisade operator CLI: fence guests by hand, manage keys, check and install')
  .showHelpAfterError();

for (const verb of Object.keys(VERBS) as Verb[]) {
  const cmd = program.command(verb === 'list' ? 'list' : `${verb} <domain>`)
    .description(verb === 'list' ? 'list the domains a daemon may fence' : `${verb} a domain (name or UUID) through a fence-virt daemon`)
    .option('-H, --host <address>', 'daemon address (palisaded or fence_virtd tcp listener)', '127.0.0.1')
    .option('-m, --multicast <address>', 'ask over multicast instead, as fence_xvm: a group (225.0.0.12, ff05::3:1) or one host\'s address; the owner of the domain calls back on --port')
    .option('-p, --port <port>', 'daemon TCP port (with --multicast: the UDP port and the local callback port)', intArg('port', 1, 65535), DEFAULT_PORT)
    .option('-k, --key <file>', 'shared key file', DEFAULT_KEY_FILE)
    .option('--hash <type>', 'request hash: none, sha1, sha256, sha512', hashArg, 'sha256')
    .option('--auth <type>', 'challenge-response hash: none, sha1, sha256, sha512; or hmac-sha256, palisaded\'s authenticated mode', authArg, 'sha256')
    .option('-t, --timeout <seconds>', 'limit for each protocol phase', intArg('timeout', 1, 3600), 30)
    .option('--json', 'machine-readable output', false)
    .action(async (...args: unknown[]) => {
      const domain = verb === 'list' ? undefined : (args[0] as string);
      const opts = (verb === 'list' ? args[0] : args[1]) as FenceCliOptions;
      const r = await runFenceVerb(verb, domain, opts);
      say(r.out);
      exitCode = r.code;
    });
  void cmd;
}

program.command('keygen [file]')
  .description(`write a new 256-byte random key, mode 0600 (default ${DEFAULT_KEY_FILE}); never overwrites`)
  .action(async (file?: string) => { say(await keygen(file)); });

program.command('config').description('configuration tools')
  .command('check <file>')
  .description('check a fence_virt.conf as palisaded would at start-up (grammar, options, key files, backend)')
  .option('--offline', 'do not connect to the backend', false)
  .action(async (file: string, o: { offline: boolean }) => {
    const r = await checkConfig(file, o);
    (r.ok ? say : (t: string) => process.stderr.write(t + '\n'))(r.lines.join('\n'));
    exitCode = r.ok ? 0 : 1;
  });

program.command('install')
  .description('install fence_palisade, palisaded, palisade and the OCF agents (as symlinks into this build)')
  .option('--sbin-dir <dir>', 'where Pacemaker looks for fence agents (palisaded and palisade go there too)', '/usr/sbin')
  .option('--ocf-root <dir>', 'OCF root; agents go to DIR/resource.d/palisade/', '/usr/lib/ocf')
  .option('--force', 'replace existing files of the same name', false)
  .option('--compat-names', 'also link fence_xvm and fence_virt to fence_palisade, which then plays that client', false)
  .option('--force-compat-names', 'with --compat-names: replace existing fence_xvm/fence_virt files, keeping each as NAME.orig', false)
  .action(async (o: { sbinDir: string; ocfRoot: string; force: boolean; compatNames: boolean; forceCompatNames: boolean }) => {
    for (const line of await install(o)) say(line);
  });

program.command('diag')
  .description('check binaries, configuration, keys and the daemon port')
  .option('-f, --config <file>', 'configuration file', '/etc/fence_virt.conf')
  .option('-H, --host <address>', 'daemon address to probe', '127.0.0.1')
  .option('-p, --port <port>', 'daemon port to probe', intArg('port', 1, 65535), DEFAULT_PORT)
  .action(async (o: { config: string; host: string; port: number }) => {
    const r = await diagnose(o);
    say(r.lines.join('\n'));
    exitCode = r.ok ? 0 : 1;
  });

program.parseAsync(process.argv).then(() => process.exit(exitCode), (e: unknown) => {
  process.stderr.write(`palisade: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

#!/usr/bin/env node
// fence_palisade: Pacemaker runs it with no arguments and name=value lines
// on stdin; people run it with fence_virt's flags. Only what the action
// needs is loaded: meta-data and help never touch sockets or hashing.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgv } from './parse-argv.js';
import { parseStdin } from './parse-stdin.js';
import { planAction, resolveSettings } from './validate.js';
import type { Io } from './action.js';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) io.err('fence_palisade: reading name=value lines from standard input (end with Ctrl-D; -h for help)');
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EBADF') return '';
    if (code !== 'EAGAIN') throw e;
    // A non-blocking stdin: read it as a stream instead.
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}

function version(): string {
  // Walk up from the real script path: the same code runs from dist/agents/fence/ and from the dist/bin/ bundle.
  try {
    let dir = dirname(realpathSync(process.argv[1] ?? '.'));
    for (let i = 0; i < 6; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'palisade') return `fence_palisade ${pkg.version ?? 'unknown'} (fence_virt/fence_xvm protocol 1.9.0)`;
      } catch { /* keep looking */ }
    }
  } catch { /* fall through */ }
  return 'fence_palisade (fence_virt/fence_xvm protocol 1.9.0)';
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = argv.length > 0 ? parseArgv(argv) : parseStdin(await readStdin());
  const resolved = resolveSettings(parsed);
  const { settings } = resolved;
  if (settings.help) {
    io.out((await import('./help.js')).renderHelp().trimEnd());
    return 0;
  }
  if (settings.version) {
    io.out(version());
    return 0;
  }
  for (const w of resolved.warnings) io.err(w);
  if (settings.action === 'metadata') {
    if (resolved.problems.length === 0) {
      process.stdout.write((await import('./metadata.js')).renderMetadata());
      return 0;
    }
    for (const p of resolved.problems) io.err(p);
    return 1;
  }
  const plan = planAction(resolved);
  for (const w of plan.warnings.slice(resolved.warnings.length)) io.err(w);
  const keyFileGiven = resolved.given.has('keyFile');
  const action = await import('./action.js');
  if (settings.action === 'validate-all') return action.validateAll(plan, keyFileGiven, io);
  if (plan.problems.length > 0) {
    for (const p of plan.problems) io.err(p);
    if (argv.length > 0) io.err('Try fence_palisade -h for help.');
    return 1;
  }
  return action.runRemoteAction(plan, keyFileGiven, io);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    io.err(`fence_palisade: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);

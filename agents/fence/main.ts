#!/usr/bin/env node
// fence_palisade: Pacemaker runs it with no arguments and name=value lines
// on stdin; people run it with fence_virt's flags. Started through a
// symlink named fence_xvm or fence_virt, it plays that C client. Only what
// the action needs is loaded: meta-data and help never touch sockets or hashing.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { agentNameOf } from './agent-name.js';
import { AGENT_NAME, type AgentName } from './options.js';
import { parseArgv } from './parse-argv.js';
import { parseStdin } from './parse-stdin.js';
import { planAction, resolveSettings } from './validate.js';
import type { Io } from './action.js';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const agent: AgentName = agentNameOf(process.argv[1]);

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) io.err(`${agent}: reading name=value lines from standard input (end with Ctrl-D; -h for help)`);
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

function packageVersion(): string | undefined {
  // Walk up from the real script path: the same code runs from dist/agents/fence/ and from the dist/bin/ bundle.
  try {
    let dir = dirname(realpathSync(process.argv[1] ?? '.'));
    for (let i = 0; i < 6; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'palisade') return pkg.version ?? 'unknown';
      } catch { /* keep looking */ }
    }
  } catch { /* fall through */ }
  return undefined;
}

function version(): string {
  const v = packageVersion();
  const self = v ? `fence_palisade ${v}` : 'fence_palisade';
  // Under a C client's name, say so: this is not fence-virt's binary.
  const mode = agent === AGENT_NAME ? '' : `${agent}: palisade's `;
  const suffix = agent === AGENT_NAME ? '' : ` in ${agent} compatibility mode`;
  return `${mode}${self}${suffix} (fence_virt/fence_xvm protocol 1.9.0)`;
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = argv.length > 0 ? parseArgv(argv, agent) : parseStdin(await readStdin(), agent);
  const resolved = resolveSettings(parsed);
  const { settings } = resolved;
  if (settings.help) {
    io.out((await import('./help.js')).renderHelp(agent).trimEnd());
    return 0;
  }
  if (settings.version) {
    io.out(version());
    return 0;
  }
  for (const w of resolved.warnings) io.err(w);
  if (settings.action === 'metadata') {
    if (resolved.problems.length === 0) {
      process.stdout.write((await import('./metadata.js')).renderMetadata(agent));
      return 0;
    }
    for (const p of resolved.problems) io.err(p);
    return 1;
  }
  const plan = planAction(resolved, agent);
  for (const w of plan.warnings.slice(resolved.warnings.length)) io.err(w);
  const keyFileGiven = resolved.given.has('keyFile');
  const action = await import('./action.js');
  if (settings.action === 'validate-all') return action.validateAll(plan, keyFileGiven, io);
  if (plan.problems.length > 0) {
    for (const p of plan.problems) io.err(p);
    if (argv.length > 0) io.err(`Try ${agent} -h for help.`);
    return 1;
  }
  return action.runRemoteAction(plan, keyFileGiven, io);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    io.err(`${agent}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);

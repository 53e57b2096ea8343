// -h: the option table as text, flag and stdin name side by side; under a
// C client's name, only that client's options.
import { AGENT_NAME, optionsFor, type AgentName, type AnyOptionSpec } from './options.js';
import { transportsFor } from './transports/index.js';

function usageLine(o: AnyOptionSpec): string {
  const arg = o.argName?.toUpperCase();
  const flags = o.flags.map((f) => (arg ? (o.argOptional ? `-${f}[${arg}]` : `-${f} ${arg}`) : `-${f}`));
  const stdin = o.cliOnly ? [] : [`${o.name}=${arg ?? (o.key === 'debug' ? 'LEVEL' : 'yes|no')}`];
  return [...flags, ...stdin].join(', ');
}

function describe(o: AnyOptionSpec, agent: AgentName): string {
  const def = (o.type.format as (v: unknown) => string | undefined)(o.default);
  const notes = [def !== undefined && !o.cliOnly && o.key !== 'debug' ? `default ${def}` : undefined,
    agent === AGENT_NAME && o.clients.length === 1 ? `${o.clients[0]} option` : undefined].filter(Boolean);
  return notes.length ? `${o.summary} [${notes.join('; ')}]` : o.summary;
}

const MODE: Record<AgentName, string | undefined> = {
  [AGENT_NAME]: undefined,
  fence_xvm: "This is fence_palisade in fence_xvm compatibility mode, with fence_xvm's options.",
  fence_virt: "This is fence_palisade in fence_virt compatibility mode, with fence_virt's options.",
};

/** Words joined into lines of at most `width` characters. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** How the options pick a transport under this name, from the transports' own descriptions. */
function transportText(agent: AgentName): string[] {
  const offered = transportsFor(agent);
  const fallback = offered.find((t) => t.defaultFor?.includes(agent));
  const parts = [
    ...(MODE[agent] ? [MODE[agent]] : []),
    offered.length === 1
      ? `Transport: ${offered[0]!.name} only; ${offered[0]!.help}.`
      : `Transport, from the parameters (the first given wins): ${offered.map((t) => t.help).join('; ')}; with none of them, ${fallback?.name ?? 'none'}.`,
    ...(agent === AGENT_NAME ? ['--name=value long forms of the stdin names work too.'] : []),
  ];
  return wrap(parts.join(' '));
}

export function renderHelp(agent: AgentName = AGENT_NAME): string {
  const lines = [
    `Usage: ${agent} [OPTION]...`,
    `       ${agent} < FILE_OF_NAME=VALUE_LINES`,
    '',
    'Fences a virtual machine through palisaded or fence_virtd on its host, speaking the',
    'fence_virt/fence_xvm protocol. With no arguments, name=value lines are read from',
    'standard input (as Pacemaker sends them); "#" starts a comment line.',
    '',
    'Options (command line flag, stdin name):',
  ];
  for (const o of optionsFor(agent)) lines.push(`  ${usageLine(o)}`, `      ${describe(o, agent)}`);
  lines.push(
    '',
    'Exit status: 0 success (status: on), 2 status: off, 1 failure, 3 permission denied.',
    ...transportText(agent),
    '',
  );
  return lines.join('\n');
}

// -h: the option table as text, flag and stdin name side by side.
import { AGENT_NAME, OPTIONS, type AnyOptionSpec } from './options.js';

function usageLine(o: AnyOptionSpec): string {
  const arg = o.argName?.toUpperCase();
  const flags = o.flags.map((f) => (arg ? (o.argOptional ? `-${f}[${arg}]` : `-${f} ${arg}`) : `-${f}`));
  const stdin = o.cliOnly ? [] : [`${o.name}=${arg ?? (o.key === 'debug' ? 'LEVEL' : 'yes|no')}`];
  return [...flags, ...stdin].join(', ');
}

function describe(o: AnyOptionSpec): string {
  const def = (o.type.format as (v: unknown) => string | undefined)(o.default);
  const notes = [def !== undefined && !o.cliOnly && o.key !== 'debug' ? `default ${def}` : undefined,
    o.clients.length === 1 ? `${o.clients[0]} option` : undefined].filter(Boolean);
  return notes.length ? `${o.summary} [${notes.join('; ')}]` : o.summary;
}

export function renderHelp(): string {
  const lines = [
    `Usage: ${AGENT_NAME} [OPTION]...`,
    `       ${AGENT_NAME} < FILE_OF_NAME=VALUE_LINES`,
    '',
    'Fences a virtual machine through palisaded or fence_virtd on its host, speaking the',
    'fence_virt/fence_xvm protocol. With no arguments, name=value lines are read from',
    'standard input (as Pacemaker sends them); "#" starts a comment line.',
    '',
    'Options (command line flag, stdin name):',
  ];
  for (const o of OPTIONS) lines.push(`  ${usageLine(o)}`, `      ${describe(o)}`);
  lines.push(
    '',
    'Exit status: 0 success (status: on), 2 status: off, 1 failure, 3 permission denied.',
    'This version speaks the tcp transport: set ipaddr (-T) to the host daemon address.',
    '',
  );
  return lines.join('\n');
}

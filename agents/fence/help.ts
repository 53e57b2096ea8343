// -h: the option table as text, flag and stdin name side by side; under a
// C client's name, only that client's options.
import { AGENT_NAME, optionsFor, type AgentName, type AnyOptionSpec } from './options.js';

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

const TRANSPORTS: Record<AgentName, readonly string[]> = {
  [AGENT_NAME]: [
    'Transport, from the parameters: vsock (-S) is not available in this version; ipaddr (-T) selects tcp;',
    'serial_device (-D) serial; channel_address (-A) vmchannel; otherwise multicast (-a, default 225.0.0.12),',
    'where the hosts call back on TCP port ipport. --name=value long forms of the stdin names work too.',
  ],
  fence_xvm: [
    'This is fence_palisade in fence_xvm compatibility mode: multicast only, fence_xvm\'s options.',
    'The request goes to multicast_address (-a) on UDP port ipport (-p); the hosts call back on TCP port ipport.',
  ],
  fence_virt: [
    'This is fence_palisade in fence_virt compatibility mode, with fence_virt\'s options: ipaddr (-T) selects',
    'tcp, serial_device (-D) serial, otherwise vmchannel to channel_address (-A); vsock (-S) is not available.',
  ],
};

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
    ...TRANSPORTS[agent],
    '',
  );
  return lines.join('\n');
}

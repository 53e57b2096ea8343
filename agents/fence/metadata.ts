// fence-agents meta-data (validated against metadata.rng), derived from the
// option table. As fence_palisade: every fence_virt and fence_xvm parameter,
// `plug` obsoleting `port`, and the actions Pacemaker looks for (list,
// status, reboot, on). Under a C client's name: that client's parameters,
// with its getopt letters and advertised defaults, so a configuration made
// against fence_xvm or fence_virt reads the same.
import { ACTION_NAMES, AGENT_NAME, optionsFor, type AgentName, type AnyOptionSpec } from './options.js';
import { transportsFor } from './transports/index.js';
import { el, renderDocument, type XmlElement } from './xml.js';

const NOTE = 'NOTE: as with fence_virt, reboot of a virtual machine that is off leaves it off.';

function longdesc(agent: AgentName): string {
  const transports = `Transports: ${transportsFor(agent).filter((t) => t.load).map((t) => `${t.name}, ${t.description}`).join('; ')}.`;
  if (agent === AGENT_NAME) {
    return `${AGENT_NAME} fences virtual machines through a daemon on their host (palisaded, or fence_virtd from fence-virt). It speaks the fence_virt/fence_xvm wire protocol and accepts their parameters, so it can replace either agent in an existing configuration.\n\n${transports}\n\n${NOTE}`;
  }
  return `${agent} fences virtual machines through a daemon on their host (fence_virtd, or palisaded). This is palisade's fence_palisade in ${agent} compatibility mode: it takes the parameters of the fence-virt ${agent} client.\n\n${transports}\n\n${NOTE}`;
}

function getopt(o: AnyOptionSpec, agent: AgentName): string {
  // The C clients advertise the letter alone ("-d"); the stdin-only domain gets "".
  if (agent !== AGENT_NAME) return o.flags[0] === undefined ? '' : `-${o.flags[0]}`;
  const flags = o.flags.map((f) => `-${f}`);
  const name = `--${o.name.replaceAll('_', '-')}`;
  const long = o.argName === undefined ? name : o.argOptional ? `${name}[=${o.argName}]` : `${name}=[${o.argName}]`;
  return [...flags, long].join(', ');
}

function parameter(o: AnyOptionSpec, agent: AgentName): XmlElement {
  const def = (agent !== AGENT_NAME ? o.clientDefault : undefined) ?? (o.type.format as (v: unknown) => string | undefined)(o.default);
  return el('parameter', {
    name: o.name, unique: 0, required: o.required ? 1 : 0,
    deprecated: o.deprecated ? 1 : undefined, obsoletes: o.obsoletes,
  },
  el('getopt', { mixed: getopt(o, agent) }),
  el('content', { type: o.type.kind, default: def }, ...(o.type.choices ?? []).map((c) => el('option', { value: c }))),
  el('shortdesc', { lang: 'en' }, o.summary));
}

export function renderMetadata(agent: AgentName = AGENT_NAME): string {
  const shortdesc = agent === AGENT_NAME
    ? 'Fence agent for virtual machines (fence_virt/fence_xvm compatible)'
    : `Fence agent for virtual machines (palisade, ${agent} compatible)`;
  return renderDocument(el('resource-agent', { name: agent, shortdesc },
    el('longdesc', {}, longdesc(agent)),
    el('vendor-url', {}, 'https://libvirt.org'),
    el('parameters', {}, ...optionsFor(agent).filter((o) => !o.cliOnly).map((o) => parameter(o, agent))),
    el('actions', {}, ...ACTION_NAMES.map((a) => el('action', { name: a }))),
  ));
}

// fence-agents meta-data (validated against metadata.rng), derived from the
// option table: every fence_virt and fence_xvm parameter, `plug` obsoleting
// `port`, and the actions Pacemaker looks for (list, status, reboot, on).
import { ACTION_NAMES, AGENT_NAME, OPTIONS, type AnyOptionSpec } from './options.js';
import { el, renderDocument, type XmlElement } from './xml.js';

const LONGDESC = `${AGENT_NAME} fences virtual machines through a daemon on their host (palisaded, or fence_virtd from fence-virt). It speaks the fence_virt/fence_xvm wire protocol and accepts their parameters, so it can replace either agent in an existing configuration.

NOTE: as with fence_virt, reboot of a virtual machine that is off leaves it off.`;

function getopt(o: AnyOptionSpec): string {
  const flags = o.flags.map((f) => `-${f}`);
  const name = `--${o.name.replaceAll('_', '-')}`;
  const long = o.argName === undefined ? name : o.argOptional ? `${name}[=${o.argName}]` : `${name}=[${o.argName}]`;
  return [...flags, long].join(', ');
}

function parameter(o: AnyOptionSpec): XmlElement {
  const def = (o.type.format as (v: unknown) => string | undefined)(o.default);
  return el('parameter', {
    name: o.name, unique: 0, required: o.required ? 1 : 0,
    deprecated: o.deprecated ? 1 : undefined, obsoletes: o.obsoletes,
  },
  el('getopt', { mixed: getopt(o) }),
  el('content', { type: o.type.kind, default: def }, ...(o.type.choices ?? []).map((c) => el('option', { value: c }))),
  el('shortdesc', { lang: 'en' }, o.summary));
}

export function renderMetadata(): string {
  return renderDocument(el('resource-agent', { name: AGENT_NAME, shortdesc: 'Fence agent for virtual machines (fence_virt/fence_xvm compatible)' },
    el('longdesc', {}, LONGDESC),
    el('vendor-url', {}, 'https://libvirt.org'),
    el('parameters', {}, ...OPTIONS.filter((o) => !o.cliOnly).map(parameter)),
    el('actions', {}, ...ACTION_NAMES.map((a) => el('action', { name: a }))),
  ));
}

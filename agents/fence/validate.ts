// From raw assignments to frozen settings, then to a plan for one action:
// values parsed by their table row, the domain given once, the transport
// chosen, and every problem reported with where it came from. Pure: the key
// file is read by the action, not here.
import type { ParseOutcome } from './assignment.js';
import { ACTIONS, OPTIONS, defaultSettings, type FenceSettings, type SettingKey } from './options.js';
import { isTransportAvailable } from './transports/index.js';
import type { TransportName } from './transports/types.js';

export interface Resolved {
  readonly settings: FenceSettings;
  /** Settings given explicitly (not defaults). */
  readonly given: ReadonlySet<SettingKey>;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

export function resolveSettings(parsed: ParseOutcome): Resolved {
  const settings: Record<string, unknown> = { ...defaultSettings() };
  const given = new Set<SettingKey>();
  const problems = [...parsed.problems];
  const firstWhere = new Map<SettingKey, string>();
  for (const { spec, raw, where } of parsed.assignments) {
    let value: unknown;
    if (raw === undefined) {
      if (!spec.flagValue) {
        problems.push(`${where}: needs a value`);
        continue;
      }
      value = (spec.flagValue as (previous: unknown) => unknown)(settings[spec.key]);
    } else {
      const r = spec.type.parse(raw);
      if (!r.ok) {
        problems.push(`${where}: ${r.problem}`);
        continue;
      }
      value = r.value;
    }
    // fence_virt refuses a second domain outright; Pacemaker may send the
    // same target as port and plug, so only a different value is an error.
    if (spec.once && given.has(spec.key) && settings[spec.key] !== value) {
      problems.push(
        `${where}: domain '${String(value)}' conflicts with '${String(settings[spec.key])}' from ${firstWhere.get(spec.key)}; ` +
        'plug, port and domain name the same target: give it once',
      );
      continue;
    }
    settings[spec.key] = value;
    given.add(spec.key);
    if (!firstWhere.has(spec.key)) firstWhere.set(spec.key, where);
  }
  return { settings: Object.freeze(settings) as unknown as FenceSettings, given, problems, warnings: parsed.warnings };
}

/**
 * The transport the options select. fence_virt picks vsock (-S) over TCP
 * (-T) over serial; fence_xvm is always multicast. One binary playing both,
 * we add: a serial device selects serial, a channel address vmchannel, and
 * nothing at all means multicast, so a fence_xvm configuration keeps its meaning.
 */
export function selectTransport(given: ReadonlySet<SettingKey>): TransportName {
  if (given.has('vsock')) return 'vsock';
  if (given.has('ipaddr')) return 'tcp';
  if (given.has('serialDevice')) return 'serial';
  if (given.has('channelAddress')) return 'vmchannel';
  return 'multicast';
}

const TRANSPORT_HINT = 'set ipaddr (-T) to the host daemon address to use tcp';

export interface Plan {
  readonly settings: FenceSettings;
  readonly transport: TransportName;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

/** Checks what the action needs: a domain, an available transport; warns about options the transport ignores. */
export function planAction(r: Resolved): Plan {
  const { settings, given } = r;
  const problems = [...r.problems];
  const warnings = [...r.warnings];
  const action = ACTIONS[settings.action];
  if (action.needsDomain && settings.domain === undefined) problems.push('No domain specified! (set plug=NAME on stdin, or -n NAME)');
  const transport = selectTransport(given);
  if (!isTransportAvailable(transport)) {
    problems.push(`transport '${transport}' is not available in this version of fence_palisade; ${TRANSPORT_HINT}`);
  }
  const noted = new Set<SettingKey>();
  for (const o of OPTIONS) {
    if (!given.has(o.key) || noted.has(o.key) || !o.usedBy || o.usedBy.includes(transport)) continue;
    noted.add(o.key);
    warnings.push(`${o.name} is ignored: the ${transport} transport does not use it`);
  }
  return { settings, transport, problems, warnings };
}

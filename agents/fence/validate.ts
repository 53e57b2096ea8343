// From raw assignments to frozen settings, then to a plan for one action:
// values parsed by their table row, the domain given once, the transport
// chosen, and every problem reported with where it came from. Pure: the key
// file is read by the action, not here.
import type { ParseOutcome } from './assignment.js';
import { ipVersion } from './ip-literal.js';
import { ACTIONS, AGENT_NAME, OPTIONS, defaultSettings, type AgentName, type FenceSettings, type SettingKey } from './options.js';
import { isTransportAvailable } from './transports/index.js';
import type { TransportName } from './transports/types.js';
import { HMAC_AUTH } from './values.js';

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
 * The transport the options select. fence_xvm is always multicast.
 * fence_virt picks vsock (-S) over TCP (-T) over serial (-D), and without
 * any of them vmchannel (client/main.c). fence_palisade, playing both, adds:
 * a channel address selects vmchannel, and nothing at all means multicast,
 * so a fence_xvm configuration keeps its meaning.
 */
export function selectTransport(given: ReadonlySet<SettingKey>, agent: AgentName = AGENT_NAME): TransportName {
  if (agent === 'fence_xvm') return 'multicast';
  if (given.has('vsock')) return 'vsock';
  if (given.has('ipaddr')) return 'tcp';
  if (given.has('serialDevice')) return 'serial';
  if (agent === 'fence_virt' || given.has('channelAddress')) return 'vmchannel';
  return 'multicast';
}

const UNAVAILABLE_HINT = 'this host has no vsock support to test it; use ipaddr (-T) for tcp, or serial_device (-D)';

export interface Plan {
  readonly settings: FenceSettings;
  readonly transport: TransportName;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Checks what the action needs: a domain, an available transport, an
 * authentication the transport carries, a multicast address of the chosen
 * family; warns about options the transport ignores.
 */
export function planAction(r: Resolved, agent: AgentName = AGENT_NAME): Plan {
  const { settings, given } = r;
  const problems = [...r.problems];
  const warnings = [...r.warnings];
  const action = ACTIONS[settings.action];
  if (action.needsDomain && settings.domain === undefined) problems.push('No domain specified! (set plug=NAME on stdin, or -n NAME)');
  const transport = selectTransport(given, agent);
  if (!isTransportAvailable(transport)) {
    problems.push(`transport '${transport}' is not available in this version of fence_palisade; ${UNAVAILABLE_HINT}`);
  }
  if (settings.auth === HMAC_AUTH) {
    if (transport === 'serial' || transport === 'vmchannel') {
      problems.push(`auth=hmac-sha256 needs the tcp or multicast transport; ${transport} carries no authentication at all`);
    } else if (given.has('hash')) {
      warnings.push('hash is ignored with auth=hmac-sha256: the request is sealed with HMAC-SHA256 instead');
    }
  }
  if (transport === 'multicast' && settings.multicastAddress !== undefined && settings.ipFamily !== 'auto') {
    const v = ipVersion(settings.multicastAddress);
    if (`ipv${v}` !== settings.ipFamily) {
      problems.push(`multicast_address ${settings.multicastAddress} is IPv${v} but ip_family is ${settings.ipFamily}; drop ip_family or give an ${settings.ipFamily} address`);
    }
  }
  const noted = new Set<SettingKey>();
  for (const o of OPTIONS) {
    if (!given.has(o.key) || noted.has(o.key) || !o.usedBy || o.usedBy.includes(transport)) continue;
    noted.add(o.key);
    warnings.push(`${o.name} is ignored: the ${transport} transport does not use it`);
  }
  return { settings, transport, problems, warnings };
}

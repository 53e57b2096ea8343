// From raw assignments to frozen settings, then to a plan for one action:
// values parsed by their table row, the domain given once, the transport
// chosen, and every problem reported with where it came from. Pure: the key
// file is read by the action, not here.
import type { ParseOutcome } from './assignment.js';
import { ACTIONS, AGENT_NAME, OPTIONS, defaultSettings, type AgentName, type FenceSettings, type SettingKey } from './options.js';
import { TRANSPORTS, keyedNames, transportsFor, type FenceTarget, type TransportName } from './transports/index.js';
import type { TransportSpec } from './transports/types.js';
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
 * The transport the options select: the first (in registry order) whose
 * selecting setting was given, else the agent name's default. So fence_xvm
 * is always multicast; fence_virt picks vsock (-S) over TCP (-T) over
 * serial (-D), and without any of them vmchannel (client/main.c);
 * fence_palisade, playing both, defaults to multicast, so a fence_xvm
 * configuration keeps its meaning.
 */
export function selectTransport(given: ReadonlySet<SettingKey>, agent: AgentName = AGENT_NAME): TransportSpec<FenceTarget> {
  const offered = transportsFor(agent);
  const chosen = offered.find((t) => t.selectedBy !== undefined && given.has(t.selectedBy)) ?? offered.find((t) => t.defaultFor?.includes(agent));
  if (!chosen) throw new Error(`selectTransport: no default transport for ${agent}`);
  return chosen;
}

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
  const spec = selectTransport(given, agent);
  const transport = spec.name;
  if (spec.unavailable !== undefined) {
    problems.push(`transport '${transport}' is not available in this version of fence_palisade; ${spec.unavailable}`);
  }
  if (settings.auth === HMAC_AUTH) {
    if (!spec.keyed) {
      problems.push(`auth=hmac-sha256 needs the ${keyedNames()} transport; ${transport} carries no authentication at all`);
    } else if (given.has('hash')) {
      warnings.push('hash is ignored with auth=hmac-sha256: the request is sealed with HMAC-SHA256 instead');
    }
  }
  problems.push(...spec.settingsProblems?.(settings) ?? []);
  // Settings some transport reads, but not this one.
  const foreign = new Set<SettingKey>(TRANSPORTS.flatMap((t) => t.settings).filter((k) => !spec.settings.includes(k)));
  for (const o of OPTIONS) {
    if (!given.has(o.key) || !foreign.delete(o.key)) continue;
    warnings.push(`${o.name} is ignored: the ${transport} transport does not use it`);
  }
  return { settings, transport, problems, warnings };
}

// The one option table of fence_palisade. Every parameter fence_virt or
// fence_xvm (fence-virt 4.12.1, client/options.c) declares is a row here;
// argv parsing, stdin parsing, help, meta-data and validation all read it.
// Under the name fence_xvm or fence_virt only the rows of that client count
// (`clients`), so each name accepts exactly its C client's flags.
import { DEFAULT_KEY_FILE, DEFAULT_PORT, FenceCommand, HashType, type FenceCommandValue, type HashTypeValue } from '../../protocol/constants.js';
import {
  authValue, booleanValue, checkDomain, checkHost, checkIpLiteral, checkMulticastTarget, checkSerialParams, debugLevel, hashValue,
  integerValue, optional, selectValue, stringValue, type AuthMode, type ValueType,
} from './values.js';

export const AGENT_NAME = 'fence_palisade';

export const ACTION_NAMES = [
  'null', 'on', 'off', 'reboot', 'metadata', 'status', 'monitor', 'list', 'list-status', 'validate-all',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

export interface ActionSpec {
  /** The request sent to the daemon; absent for actions answered locally. */
  readonly command?: FenceCommandValue;
  /** fence_virt (main.c) refuses these without a domain: "No domain specified!". */
  readonly needsDomain: boolean;
  /** `delay` sleeps before these, as fence_virt does (all but status/monitor/list). */
  readonly delayed: boolean;
}

export const ACTIONS: Readonly<Record<ActionName, ActionSpec>> = {
  null: { command: FenceCommand.NULL, needsDomain: true, delayed: true },
  on: { command: FenceCommand.ON, needsDomain: true, delayed: true },
  off: { command: FenceCommand.OFF, needsDomain: true, delayed: true },
  reboot: { command: FenceCommand.REBOOT, needsDomain: true, delayed: true },
  metadata: { needsDomain: false, delayed: false },
  status: { command: FenceCommand.STATUS, needsDomain: true, delayed: false },
  monitor: { command: FenceCommand.DEVSTATUS, needsDomain: false, delayed: false },
  list: { command: FenceCommand.HOSTLIST, needsDomain: false, delayed: false },
  'list-status': { command: FenceCommand.HOSTLIST, needsDomain: false, delayed: false },
  // fence_virt wants a domain here too; a fence device serves many plugs and
  // Pacemaker validates a device without one, so we do not.
  'validate-all': { needsDomain: false, delayed: false },
};

export type IpFamily = 'auto' | 'ipv4' | 'ipv6';

/** Every setting the agent knows, after parsing and defaults. */
export interface FenceSettings {
  readonly debug: number;
  readonly ipFamily: IpFamily;
  readonly multicastAddress: string | undefined;
  readonly ipaddr: string | undefined;
  readonly vsock: number | undefined;
  readonly channelAddress: string;
  readonly ipport: number;
  readonly retrans: number;
  readonly hash: HashTypeValue;
  readonly auth: AuthMode;
  readonly keyFile: string;
  readonly serialDevice: string | undefined;
  readonly serialParams: string;
  readonly action: ActionName;
  readonly domain: string | undefined;
  readonly useUuid: boolean;
  readonly timeout: number;
  readonly delay: number;
  readonly help: boolean;
  readonly version: boolean;
}
export type SettingKey = keyof FenceSettings;

export type ClientName = 'fence_virt' | 'fence_xvm';
/** The names the agent answers to: its own (every row), or a C client's (that client's rows). */
export type AgentName = typeof AGENT_NAME | ClientName;

export interface OptionSpec<K extends SettingKey> {
  /** The stdin and meta-data name. */
  readonly name: string;
  readonly key: K;
  /** getopt letters; the first is shown in meta-data. */
  readonly flags: readonly string[];
  /** Placeholder for the flag's argument in help; absent when the flag takes none. */
  readonly argName?: string;
  /** A flag whose argument may be attached but not separate (getopt `S::`). */
  readonly argOptional?: boolean;
  /** For flags without an argument (or an optional one left out): the new value. */
  readonly flagValue?: (previous: FenceSettings[K]) => FenceSettings[K];
  /** Extra stdin names, accepted but not advertised. */
  readonly aliases?: readonly string[];
  readonly type: ValueType<FenceSettings[K]>;
  readonly default: FenceSettings[K];
  readonly required: boolean;
  readonly summary: string;
  /** Which C clients declare it: under their names only these rows exist; fence_palisade accepts the union. */
  readonly clients: readonly ClientName[];
  /**
   * The default the C client's meta-data advertises where ours is "unset"
   * (unset selects another transport): shown only under the C client's name,
   * so its meta-data matches fence_virt's.
   */
  readonly clientDefault?: string;
  readonly deprecated?: boolean;
  readonly obsoletes?: string;
  /** The value must not change once given (the domain: fence_virt refuses it twice). */
  readonly once?: boolean;
  /** Command line only: not a stdin parameter, not in meta-data (help, version). */
  readonly cliOnly?: boolean;
}

export type AnyOptionSpec = { [K in SettingKey]: OptionSpec<K> }[SettingKey];

const opt = <K extends SettingKey>(spec: OptionSpec<K>): AnyOptionSpec => spec as unknown as AnyOptionSpec;

const BOTH: readonly ClientName[] = ['fence_virt', 'fence_xvm'];
const VIRT: readonly ClientName[] = ['fence_virt'];
const XVM: readonly ClientName[] = ['fence_xvm'];

const domainType = stringValue(checkDomain);
const DOMAIN_SUMMARY = 'Virtual machine (libvirt domain name or UUID) to fence';

export const OPTIONS: readonly AnyOptionSpec[] = [
  opt({
    name: 'debug', key: 'debug', flags: ['d'], flagValue: (n) => n + 1, type: debugLevel, default: 0, required: false,
    summary: 'Debug level: set on stdin, each -d adds one', clients: BOTH,
  }),
  opt({
    name: 'ip_family', key: 'ipFamily', flags: ['i'], argName: 'family', type: selectValue<IpFamily>(['auto', 'ipv4', 'ipv6']),
    default: 'auto', required: false, summary: 'Multicast IP family (auto follows the address)', clients: XVM,
  }),
  opt({
    name: 'multicast_address', key: 'multicastAddress', flags: ['a'], argName: 'address', type: optional(stringValue(checkMulticastTarget)),
    default: undefined, required: false,
    summary: "Multicast address (225.0.0.12 for IPv4, ff05::3:1 for IPv6), or one host's unicast address; selects multicast",
    clients: XVM,
  }),
  opt({
    name: 'ipaddr', key: 'ipaddr', flags: ['T'], argName: 'address', type: optional(stringValue(checkHost)), default: undefined,
    required: false, summary: 'Address of the host daemon (palisaded or fence_virtd); selects TCP', clients: VIRT,
    clientDefault: '127.0.0.1',
  }),
  opt({
    name: 'vsock', key: 'vsock', flags: ['S'], argName: 'cid', argOptional: true, flagValue: () => 2,
    type: optional(integerValue(2, 0xfffffffe)), default: undefined, required: false,
    summary: 'VM socket CID of the host (2 when -S has no value); selects vsock', clients: VIRT, clientDefault: '2',
  }),
  opt({
    name: 'serial_device', key: 'serialDevice', flags: ['D'], argName: 'device', type: optional(stringValue()), default: undefined,
    required: false, summary: 'Serial device to the host, e.g. /dev/ttyS1; selects serial', clients: VIRT,
    clientDefault: '/dev/ttyS1',
  }),
  opt({
    name: 'serial_params', key: 'serialParams', flags: ['P'], argName: 'params', type: stringValue(checkSerialParams),
    default: '115200,8N1', required: false, summary: 'Serial line settings', clients: VIRT,
  }),
  opt({
    name: 'channel_address', key: 'channelAddress', flags: ['A'], argName: 'address', type: stringValue(checkIpLiteral),
    default: '10.0.2.179', required: false, summary: 'VM channel (guestfwd) address; selects vmchannel', clients: VIRT,
  }),
  opt({
    name: 'ipport', key: 'ipport', flags: ['p'], argName: 'port', type: integerValue(1, 65535), default: DEFAULT_PORT,
    required: false, summary: 'TCP, multicast, VM channel or VM socket port', clients: BOTH,
  }),
  opt({
    name: 'retrans', key: 'retrans', flags: ['r'], argName: 'retrans', type: integerValue(1, 36000), default: 20,
    required: false, summary: 'Multicast retransmit interval, in tenths of a second', clients: XVM,
  }),
  opt({
    name: 'auth', key: 'auth', flags: ['C'], argName: 'auth', type: authValue, default: HashType.SHA256 as AuthMode, required: false,
    summary: "Challenge-response hash (none, sha1, sha256, sha512), or hmac-sha256: palisade's authenticated mode (needs palisaded)",
    clients: BOTH,
  }),
  opt({
    name: 'hash', key: 'hash', flags: ['c'], argName: 'hash', type: hashValue, default: HashType.SHA256, required: false,
    summary: 'Request signature hash (none, sha1, sha256, sha512)', clients: BOTH,
  }),
  opt({
    name: 'key_file', key: 'keyFile', flags: ['k'], argName: 'file', type: stringValue(), default: DEFAULT_KEY_FILE,
    required: false, summary: "Shared key file, a copy of the host daemon's", clients: BOTH,
  }),
  opt({
    name: 'plug', key: 'domain', flags: ['n'], argName: 'domain', type: domainType, default: undefined, required: true,
    obsoletes: 'port', once: true, summary: DOMAIN_SUMMARY, clients: BOTH,
  }),
  opt({
    name: 'port', key: 'domain', flags: ['H'], argName: 'domain', type: domainType, default: undefined, required: true,
    deprecated: true, once: true, summary: `${DOMAIN_SUMMARY} (deprecated; use plug)`, clients: BOTH,
  }),
  opt({
    name: 'use_uuid', key: 'useUuid', flags: ['u'], flagValue: () => true, type: booleanValue, default: false, required: false,
    summary: 'Mark the domain as a UUID (older daemons; current ones detect UUIDs themselves)', clients: XVM,
  }),
  opt({
    name: 'action', key: 'action', flags: ['o'], argName: 'action', aliases: ['option'],
    type: selectValue<ActionName>(ACTION_NAMES, { 'meta-data': 'metadata' }), default: 'reboot', required: false,
    summary: `Fencing action (${ACTION_NAMES.join(', ')})`, clients: BOTH,
  }),
  opt({
    name: 'timeout', key: 'timeout', flags: ['t'], argName: 'seconds', type: integerValue(1, 86400, 'second'), default: 30,
    required: false, summary: 'Seconds to wait for each step of the exchange with the daemon', clients: BOTH,
  }),
  opt({
    name: 'delay', key: 'delay', flags: ['w'], argName: 'seconds', type: integerValue(0, 86400, 'second'), default: 0,
    required: false, summary: 'Seconds to wait before acting (not for status, monitor or list)', clients: BOTH,
  }),
  opt({
    name: 'domain', key: 'domain', flags: [], type: domainType, default: undefined, required: false, deprecated: true,
    once: true, summary: `${DOMAIN_SUMMARY} (deprecated; use plug)`, clients: BOTH,
  }),
  opt({
    name: 'help', key: 'help', flags: ['h', '?'], flagValue: () => true, type: booleanValue, default: false, required: false,
    cliOnly: true, summary: 'Show this help and exit', clients: BOTH,
  }),
  opt({
    name: 'version', key: 'version', flags: ['V'], flagValue: () => true, type: booleanValue, default: false, required: false,
    cliOnly: true, summary: 'Show the version and exit', clients: BOTH,
  }),
];

/** Sent by Pacemaker or older cluster software; accepted on stdin and ignored (fence_virt's "Not user serviceable"). */
export const IGNORED_STDIN_NAMES: readonly string[] = ['nodename', 'nodeid', 'agent', 'self'];

/** Stdin names are case-insensitive and `-` equals `_`, as in fencing.py. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replaceAll('-', '_');
}

const forAgent = new Map<AgentName, readonly AnyOptionSpec[]>();

/** The rows an agent name accepts: all of them for fence_palisade, the C client's own for fence_xvm and fence_virt. */
export function optionsFor(agent: AgentName = AGENT_NAME): readonly AnyOptionSpec[] {
  let rows = forAgent.get(agent);
  if (!rows) {
    rows = agent === AGENT_NAME ? OPTIONS : OPTIONS.filter((o) => o.clients.includes(agent));
    forAgent.set(agent, rows);
  }
  return rows;
}

const byName = new Map<AgentName, Map<string, AnyOptionSpec>>();

export function findByName(name: string, agent: AgentName = AGENT_NAME): AnyOptionSpec | undefined {
  let names = byName.get(agent);
  if (!names) {
    names = new Map();
    for (const o of optionsFor(agent)) {
      if (o.cliOnly) continue;
      names.set(normalizeName(o.name), o);
      for (const a of o.aliases ?? []) names.set(normalizeName(a), o);
    }
    byName.set(agent, names);
  }
  return names.get(normalizeName(name));
}

export function findByFlag(letter: string, agent: AgentName = AGENT_NAME): AnyOptionSpec | undefined {
  return optionsFor(agent).find((o) => o.flags.includes(letter));
}

export function defaultSettings(): FenceSettings {
  const s: Record<string, unknown> = {};
  for (const o of OPTIONS) if (!(o.key in s)) s[o.key] = o.default;
  return s as unknown as FenceSettings;
}

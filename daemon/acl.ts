// The `groups` ACL of fence_virt.conf (fence-virt server/static_map.c):
//   groups { group { name = "c1"; ip = "10.0.0.1"; uuid = "vm1"; uuid = "<uuid>"; } }
// A source (peer IP, vsock CID, or a domain UUID for the serial listener)
// may act on a target (the request's domain, name or UUID) when some group
// lists the source (a UUID source among `uuid`, anything else among `ip`)
// and the target among `uuid`. Matching is exact and ASCII case-insensitive.
//
// Kept from fence_virtd: no groups, or no group with entries, means open.
// Fixed: fence_virtd stops reading groups at the first one without entries
// (static_map_load; an empty last group disables them all) and we skip it;
// an IPv4-mapped IPv6 source (::ffff:a.b.c.d, what a dual-stack socket
// reports) matches its IPv4 entry; IPv6 entries and sources are compared in
// canonical form. Not copied: a group's `name` is only its label
// (fence_virt.conf(5)); VM names are listed as `uuid` entries.
//
// Extension: a group with a `key_file`, or one a listener names with
// `group = "…"`, is a cluster scope, not an ACL group. A request verified by
// that key (or arriving on that listener) may act only on the group's
// domains (by name or UUID), and only from its `ip` entries when it lists
// any. Scope groups take no part in the fence_virtd-style ACL, so adding one
// never locks out sources the other groups allow.
import { isIPv6 } from 'node:net';
import { section, sections } from './config/access.js';
import { readSection, sectionWarnings } from './config/schema.js';
import { groupSchema, groupsSchema } from './groups-schema.js';
import type { ConfigSection } from './config/tree.js';
import { ConfigError } from './errors.js';
import { asciiLower } from './_text.js';

export interface Acl {
  /** False when there are no usable groups: every source may act on every domain. */
  readonly enabled: boolean;
  /** Problems found while reading `groups`, as `FILE:LINE: field: problem`. */
  readonly warnings: readonly string[];
  allows(source: string, target: string): boolean;
  /** For host lists: a domain is shown when its name or its UUID is allowed. */
  allowsDomain(source: string, domain: { readonly name: string; readonly uuid: string }): boolean;
  /** One line per group, for logs and `palisade config check`. */
  describe(): string;
}

interface Group {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** Extension: the cluster key for requests in this group's scope. */
  readonly keyFile: string | undefined;
  /** Canonical sources: `ip` entries. */
  readonly ips: ReadonlySet<string>;
  /** Lower-cased `uuid` entries: the targets, and the sources for UUID peers. */
  readonly uuids: ReadonlySet<string>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** fence_virtd's is_uuid: a canonical 36-character UUID, any case. */
function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** The form in which an address source is compared: canonical IPv6, IPv4-mapped as IPv4. */
function canonicalSource(s: string): string {
  if (isIPv6(s) && !s.includes('%')) {
    const canon = new URL(`http://[${s}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canon);
    if (mapped) {
      const hi = parseInt(mapped[1]!, 16);
      const lo = parseInt(mapped[2]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return canon;
  }
  return asciiLower(s);
}

function readGroups(root: ConfigSection, warnings: string[]): Group[] {
  const cached = groupCache.get(root);
  if (cached) {
    warnings.push(...cached.warnings);
    return cached.groups;
  }
  const own: string[] = [];
  const groups = parseGroups(root, own);
  groupCache.set(root, { groups, warnings: own });
  warnings.push(...own);
  return groups;
}

const groupCache = new WeakMap<ConfigSection, { groups: Group[]; warnings: string[] }>();

function parseGroups(root: ConfigSection, warnings: string[]): Group[] {
  const all = sections(root, 'groups');
  const groupsSec = section(root, 'groups');
  if (!groupsSec) return [];
  if (all.length > 1) {
    warnings.push(new ConfigError(root.file, groupsSec.line, 'groups',
      `appears ${all.length} times (lines ${all.map((s) => s.line).join(', ')}); only the last one is read, as fence_virtd does`).message);
  }
  warnings.push(...sectionWarnings(groupsSec, groupsSchema));
  const groups: Group[] = [];
  sections(groupsSec, 'group').forEach((g, i) => {
    warnings.push(...sectionWarnings(g, groupSchema));
    const v = readSection(g, groupSchema);
    const name = g.label ?? v.name ?? `unnamed-${i + 1}`;
    const uuids = v.uuid;
    const ips = v.ip;
    const at = (problem: string) => new ConfigError(g.file, g.line, `groups/group[${name}]`, problem).message;
    if (uuids.length === 0 && ips.length === 0) {
      warnings.push(at('has no uuid or ip entries; skipped (fence_virtd would stop reading groups here)'));
      return;
    }
    if (uuids.length === 0) warnings.push(at('has ip entries but no uuid entries, so it allows nothing'));
    for (const v of ips) {
      if (isUuid(v.value)) {
        warnings.push(new ConfigError(v.file, v.line, `groups/group[${name}]/ip`,
          `'${v.value}' is a UUID; UUID sources (serial listener) are matched against uuid entries, so this never matches`).message);
      }
    }
    groups.push({
      name, file: g.file, line: g.line, keyFile: v.key_file,
      ips: new Set(ips.map((v) => canonicalSource(v.value))),
      uuids: new Set(uuids.map((v) => asciiLower(v.value))),
    });
  });
  if (groups.length === 0) {
    warnings.push(new ConfigError(groupsSec.file, groupsSec.line, 'groups',
      'no group has any uuid or ip entry, so access control is off: every source may fence every domain (as in fence_virtd)').message);
  }
  return groups;
}

/** Builds the ACL from the root of a parsed fence_virt.conf; groups named in `scopeGroups` (lower-case) or with a key_file are left out. */
export function buildAcl(root: ConfigSection, scopeGroups: ReadonlySet<string> = new Set()): Acl {
  const warnings: string[] = [];
  const groups = readGroups(root, warnings).filter((g) => !isScopeGroup(g, scopeGroups));
  const enabled = groups.length > 0;
  const hasGroupsSection = section(root, 'groups') !== undefined;

  const allows = (source: string, target: string): boolean => {
    if (!enabled) return true;
    const byUuid = isUuid(source);
    const src = byUuid ? asciiLower(source) : canonicalSource(source);
    const tgt = asciiLower(target);
    return groups.some((g) => (byUuid ? g.uuids : g.ips).has(src) && g.uuids.has(tgt));
  };

  return Object.freeze({
    enabled,
    warnings: Object.freeze(warnings),
    allows,
    allowsDomain: (source: string, domain: { readonly name: string; readonly uuid: string }) =>
      allows(source, domain.name) || allows(source, domain.uuid),
    describe(): string {
      if (!enabled) {
        return hasGroupsSection
          ? 'off (the groups section has no usable group): every source may fence every domain'
          : 'off (no groups section): every source may fence every domain';
      }
      const lines = groups.map((g) =>
        `group ${g.name} (line ${g.line}): ip ${[...g.ips].join(', ') || '(none)'}; uuid ${[...g.uuids].join(', ') || '(none)'}`);
      return [`${groups.length} group${groups.length === 1 ? '' : 's'}`, ...lines].join('\n');
    },
  });
}

function isScopeGroup(g: Group, named: ReadonlySet<string>): boolean {
  return g.keyFile !== undefined || named.has(asciiLower(g.name));
}

/** What one cluster may reach: its group's domains, from its group's addresses (if it lists any). */
export interface DomainScope {
  readonly name: string;
  allowsDomain(source: string, domain: { readonly name: string; readonly uuid: string }): boolean;
}

export interface Cluster {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** Set when the group carries its own key: requests verified by it get this scope. */
  readonly keyFile: string | undefined;
  readonly scope: DomainScope;
}

/**
 * The scope groups: those with a key_file, and those named in `named`
 * (lower-case names, from the listeners' `group` options). Keyed by
 * lower-case name.
 */
export function buildClusters(root: ConfigSection, named: ReadonlySet<string>): ReadonlyMap<string, Cluster> {
  const out = new Map<string, Cluster>();
  for (const g of readGroups(root, [])) {
    if (!isScopeGroup(g, named)) continue;
    const scope: DomainScope = Object.freeze({
      name: g.name,
      allowsDomain(source: string, domain: { readonly name: string; readonly uuid: string }): boolean {
        if (g.ips.size > 0 && !g.ips.has(canonicalSource(source))) return false;
        return g.uuids.has(asciiLower(domain.name)) || g.uuids.has(asciiLower(domain.uuid));
      },
    });
    out.set(asciiLower(g.name), Object.freeze({ name: g.name, file: g.file, line: g.line, keyFile: g.keyFile, scope }));
  }
  return out;
}

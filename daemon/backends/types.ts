// The backend contract: the verbs of fence_virtd's server_plugin.h,
// without its void* contexts and inverted int returns.
import type { ConfigSection } from '../config/tree.js';
import type { SectionSchema } from '../config/schema.js';
import { asciiLower } from '../_text.js';

/** Raw libvirt virDomainState values, as carried in the host-list record. */
export const DomainState = {
  NOSTATE: 0, RUNNING: 1, BLOCKED: 2, PAUSED: 3, SHUTDOWN: 4, SHUTOFF: 5, CRASHED: 6, PMSUSPENDED: 7,
} as const;
export type DomainStateValue = (typeof DomainState)[keyof typeof DomainState];

export interface DomainInfo {
  readonly name: string;
  readonly uuid: string;
  readonly state: DomainStateValue;
}

/** strcasecmp order (ASCII folding, then bytes), as fence_virtd sorts its host list; UUID breaks ties. */
export function compareDomains(a: DomainInfo, b: DomainInfo): number {
  return Buffer.compare(Buffer.from(asciiLower(a.name)), Buffer.from(asciiLower(b.name))) || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
}

export interface Backend {
  /** Find a domain by name or UUID; undefined when this backend does not have it. */
  lookup(domain: string, signal: AbortSignal): Promise<DomainInfo | undefined>;
  /** Power off; resolves when the domain is shut off (already off is success). Unknown domain: DomainNotFoundError. */
  off(domain: string, signal: AbortSignal): Promise<void>;
  /** Power on; already running is success. Unknown domain: DomainNotFoundError. */
  on(domain: string, signal: AbortSignal): Promise<void>;
  /** Destroy, wait for shut-off, start. A domain that was off stays off ('was-off'), as fence_virtd does. */
  reboot(domain: string, signal: AbortSignal): Promise<'rebooted' | 'was-off'>;
  /** Every domain this backend sees (active and inactive), sorted by name case-insensitively. */
  list(signal: AbortSignal): Promise<readonly DomainInfo[]>;
  close(): Promise<void>;
  /** What this backend offers beyond the power verbs. Listeners ask for a capability, never for a backend's class. */
  readonly capabilities: BackendCapabilities;
}

export interface BackendCapabilities {
  /** Guests reach this host through unix sockets named in their definitions (the serial listener). */
  readonly guestSockets?: GuestSockets;
}

export interface GuestSockets {
  /** The hypervisor URIs whose guests these are; the serial listener's `uri` picks a backend by one of them. */
  readonly uris: readonly string[];
  /** The domain's definition (libvirt XML), which names its devices and their host-side sockets. Unknown domain: DomainNotFoundError. */
  domainXml(domain: string, signal: AbortSignal): Promise<string>;
}

export interface PluginContext {
  /** Debug-level logger (lines go to stderr or syslog). */
  readonly log: (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;
}

/** A configured backend instance: `libvirt`, or `libvirt:<label>` for a labelled block. */
export interface NamedBackend {
  readonly name: string;
  readonly backend: Backend;
}

export interface BackendSpec {
  readonly name: string;
  /** Its block's keys, types, defaults and meaning: they drive parsing, the unknown-key warnings, `config check` and the README. */
  readonly schema: SectionSchema;
  /** Validate the section (throw ConfigError with its line) and create the backend. */
  create(section: ConfigSection, ctx: PluginContext): Promise<Backend>;
}

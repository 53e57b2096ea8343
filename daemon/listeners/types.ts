// The listener contract: a transport that authenticates requests and hands
// them to the Service. Adding a transport is one folder under listeners/
// plus one line in listeners/index.ts.
import type { ConfigSection } from '../config/tree.js';
import type { SectionSchema } from '../config/schema.js';
import type { Cluster } from '../acl.js';
import type { NamedBackend } from '../backends/types.js';
import type { Service } from '../dispatch.js';
import type { LogFn } from '../log.js';

export interface Listener {
  /** e.g. "tcp 127.0.0.1:1229", for logs and `palisade diag`. */
  readonly description: string;
  /**
   * Bind and serve. Rejects (bind failure) before serving anything. May be
   * called again after close(): a reload that cannot bind its new listeners
   * starts the old ones again, with the keys they already hold.
   * `inherit`: the previous configuration's listener with the same bindKey,
   * whose bound socket this one may take over instead of binding.
   */
  start(service: Service, inherit?: Listener): Promise<void>;
  /**
   * What start() binds ("tcp ipv4 127.0.0.1:1229"), for listeners that can
   * take a bound socket over on reload, so that no connection is refused
   * while the configuration changes. Undefined: closed, then bound again.
   */
  readonly bindKey?: string;
  /** Stop accepting, let in-flight requests finish (bounded), release sockets. */
  close(): Promise<void>;
}

export interface ListenerContext {
  readonly log: LogFn;
  /** Instance name: `tcp`, or `tcp:<label>` for a labelled block. */
  readonly name: string;
  /**
   * The configured backends, for listeners that watch domains (serial).
   * Empty when only the configuration is being checked (`palisade config
   * check --offline`): create() must still validate everything.
   */
  readonly backends: readonly NamedBackend[];
  /** Cluster scope groups, by lower-case name (see acl.ts buildClusters). */
  readonly clusters: ReadonlyMap<string, Cluster>;
}

export interface ListenerSpec {
  readonly name: string;
  /** Its block's keys, types, defaults and meaning: they drive parsing, the unknown-key warnings, `config check` and the README. */
  readonly schema: SectionSchema;
  /** Validate every option (ConfigError with file:line) and load keys; bind nothing yet. */
  create(section: ConfigSection, ctx: ListenerContext): Promise<Listener>;
}

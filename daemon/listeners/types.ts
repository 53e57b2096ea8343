// The listener contract: a transport that authenticates requests and hands
// them to `Handle`. Adding a transport is one folder under listeners/ plus
// one line in listeners/index.ts.
import type { ConfigSection } from '../config/tree.js';
import type { Handle } from '../dispatch.js';
import type { LogFn } from '../log.js';

export interface Listener {
  /** e.g. "tcp 127.0.0.1:1229", for logs and `palisade diag`. */
  readonly description: string;
  /** Bind and serve. Rejects (bind failure) before serving anything. */
  start(handle: Handle): Promise<void>;
  /** Stop accepting, let in-flight requests finish (bounded), release sockets. */
  close(): Promise<void>;
}

export interface ListenerContext {
  readonly log: LogFn;
  /** Instance name: the section name, or "tcp:<label>" for labelled blocks. */
  readonly name: string;
}

export interface ListenerSpec {
  readonly name: string;
  /** Validate every option (ConfigError with file:line) and load keys; bind nothing yet. */
  create(section: ConfigSection, ctx: ListenerContext): Promise<Listener>;
}

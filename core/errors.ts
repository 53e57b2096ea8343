// Every Palisade error, for the daemon, the fence agent and the CLI (in the
// manner of undici's lib/core/errors.js). Each has a stable `code` and the
// context an operator needs to act: file and line, command and stderr,
// peer and phase. The root and the decoders' error live in
// protocol/errors.ts, which must stay free of Node imports.
import { PalisadeError, ProtocolError, type ErrorCode } from '../protocol/errors.js';

export { PalisadeError, ProtocolError, type ErrorCode };

/** Every code, and what it means. A code, once released, keeps its meaning. */
export const ERROR_CODES = {
  PAL_ERR_PROTOCOL: 'bytes on the wire that do not decode (field and offset named)',
  PAL_ERR_CONFIG: 'a configuration problem (file, line, field)',
  PAL_ERR_KEY: 'a key file that is missing, unreadable or empty',
  PAL_ERR_BACKEND: 'a backend command failed or printed something unparsable',
  PAL_ERR_DOMAIN_NOT_FOUND: 'no backend knows the domain',
  PAL_ERR_DOMAIN_XML: 'a domain definition the serial listener cannot read',
  PAL_ERR_LISTENER: 'a listener cannot bind, call back or serve',
  PAL_ERR_PEER_TIMEOUT: 'a peer did not answer within the phase limit',
  PAL_ERR_SHORT_READ: 'a peer closed the connection before a phase had all its bytes',
  PAL_ERR_ABORTED: "the caller's AbortSignal fired",
  PAL_ERR_USAGE: 'bad arguments to the fence agent or its client',
  PAL_ERR_CONNECT: 'the fence daemon could not be reached',
  PAL_ERR_AUTH: 'authentication with the fence daemon failed',
  PAL_ERR_AUTH_MODE: 'the daemon does not speak the authentication mode asked for',
  PAL_ERR_LISTEN: "the fence client cannot listen for the daemon's callback",
  PAL_ERR_DEVICE: 'a serial device that cannot be opened',
  PAL_ERR_REPLY: 'a reply from the daemon that cannot be interpreted',
} as const satisfies Record<ErrorCode, string>;

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A configuration problem, reported as `FILE:LINE: field: what is wrong`. */
export class ConfigError extends PalisadeError {
  declare readonly code: 'PAL_ERR_CONFIG';
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(file: string, line: number | undefined, field: string | undefined, problem: string) {
    const where = line === undefined ? file : `${file}:${line}`;
    super('PAL_ERR_CONFIG', `${where}: ${field ? `${field}: ` : ''}${problem}`);
    this.file = file;
    this.line = line;
    this.field = field;
  }
}

/** A key file that is missing, unreadable or empty. */
export class KeyFileError extends PalisadeError {
  declare readonly code: 'PAL_ERR_KEY';
  readonly path: string;
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('PAL_ERR_KEY', `key file ${path}: ${problem}`, options);
    this.path = path;
  }
}

/** A backend command failed or printed something we cannot parse. */
export class BackendError extends PalisadeError {
  declare readonly code: 'PAL_ERR_BACKEND';
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly stderr: string;
  constructor(message: string, context: { command: string; exitCode?: number; stderr?: string; cause?: unknown }) {
    super('PAL_ERR_BACKEND', message, { cause: context.cause });
    this.command = context.command;
    this.exitCode = context.exitCode;
    this.stderr = context.stderr ?? '';
  }
}

/** The backend does not know the domain (by name or UUID). */
export class DomainNotFoundError extends PalisadeError {
  declare readonly code: 'PAL_ERR_DOMAIN_NOT_FOUND';
  readonly domain: string;
  constructor(domain: string) {
    super('PAL_ERR_DOMAIN_NOT_FOUND', `domain '${domain}' not found`);
    this.domain = domain;
  }
}

/**
 * The phases of an exchange, on either side, and how a message says each.
 * `peer` is who we wait for: a short read names it.
 */
const PHASES = {
  // Both sides.
  connect: { text: 'connecting', peer: 'the peer' },
  // The daemon, serving a client.
  request: { text: 'waiting for the request', peer: 'the client' },
  challenge: { text: "waiting for the client's challenge", peer: 'the client' },
  response: { text: "waiting for the client's response", peer: 'the client' },
  backend: { text: 'waiting for the backend', peer: 'the backend' },
  // The fence client, talking to a daemon.
  'challenge-response': { text: "waiting for the daemon's answer to our challenge", peer: 'the daemon' },
  'daemon-challenge': { text: "waiting for the daemon's challenge", peer: 'the daemon' },
  result: { text: 'waiting for the result byte', peer: 'the daemon' },
  'host-list': { text: 'reading the host list', peer: 'the daemon' },
  write: { text: 'sending the request', peer: 'the daemon' },
  /** hmac-sha256: the daemon's hello (its nonce and proof). */
  hello: { text: "waiting for the daemon's hello", peer: 'the daemon' },
  /** hmac-sha256: the tag after the answer. */
  'result-tag': { text: "waiting for the answer's authentication tag", peer: 'the daemon' },
  /** serial/vmchannel: the response magic and byte. */
  'serial-response': { text: 'waiting for the response', peer: 'the daemon' },
  /** multicast: a daemon connecting back. */
  callback: { text: 'waiting for a daemon to call back', peer: 'the daemon' },
} as const satisfies Record<string, { text: string; peer: string }>;

export type PeerPhase = keyof typeof PHASES;

const withHint = (hint: string | undefined): string => (hint ? `; ${hint}` : '');

/** A peer (client, daemon, callback target, virsh) did not answer within a phase's limit. */
export class PeerTimeoutError extends PalisadeError {
  declare readonly code: 'PAL_ERR_PEER_TIMEOUT';
  readonly peer: string;
  readonly phase: PeerPhase;
  readonly ms: number;
  /** Named fields: the daemon and the agent once had two classes taking these in different orders. */
  constructor(context: { peer: string; phase: PeerPhase; ms: number; hint?: string | undefined }) {
    const { peer, phase, ms, hint } = context;
    super('PAL_ERR_PEER_TIMEOUT', `timed out after ${formatMs(ms)} ${PHASES[phase].text} (${peer})${withHint(hint)}`);
    this.peer = peer;
    this.phase = phase;
    this.ms = ms;
  }
}

/** The peer closed the connection before sending everything a phase needs. */
export class ShortReadError extends PalisadeError {
  declare readonly code: 'PAL_ERR_SHORT_READ';
  readonly peer: string;
  readonly phase: PeerPhase;
  readonly expected: number;
  readonly received: number;
  constructor(context: { peer: string; phase: PeerPhase; expected: number; received: number; hint?: string | undefined }) {
    const { peer, phase, expected, received, hint } = context;
    super(
      'PAL_ERR_SHORT_READ',
      `${PHASES[phase].peer} at ${peer} closed the connection ${PHASES[phase].text} (got ${received} of ${expected} bytes)${withHint(hint)}`,
    );
    this.peer = peer;
    this.phase = phase;
    this.expected = expected;
    this.received = received;
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends PalisadeError {
  declare readonly code: 'PAL_ERR_ABORTED';
  constructor(peer: string, phase: PeerPhase, options?: { cause?: unknown }) {
    super('PAL_ERR_ABORTED', `aborted while ${PHASES[phase].text} (${peer})`, options);
  }
}

// The fence client's errors. The agent turns each into exit 1 and one stderr line.

/** Bad arguments: every problem found, each naming its source (flag or stdin line). */
export class UsageError extends PalisadeError {
  declare readonly code: 'PAL_ERR_USAGE';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('PAL_ERR_USAGE', problems.join('\n'));
    this.problems = problems;
  }
}

const DAEMON_HINT = 'check that palisaded or fence_virtd runs and listens there, and that no firewall blocks the port';

/** The daemon could not be reached (refused, unreachable, name lookup failed). */
export class ConnectError extends PalisadeError {
  declare readonly code: 'PAL_ERR_CONNECT';
  readonly peer: string;
  readonly reason: string;
  constructor(peer: string, reason: string, options?: { cause?: unknown }, hint: string = DAEMON_HINT) {
    super('PAL_ERR_CONNECT', `cannot connect to the fence daemon at ${peer}: ${reason}; ${hint}`, options);
    this.peer = peer;
    this.reason = reason;
  }
}

const AUTH_HINT = "the daemon's key differs from KEYFILE or its auth/hash setting differs";

/**
 * Challenge-response failed, the daemon dropped a request it could not
 * verify, or (hmac-sha256) an answer's tag did not verify. `hint` replaces
 * the key/setting hint where the key is known to match.
 */
export class FenceAuthError extends PalisadeError {
  declare readonly code: 'PAL_ERR_AUTH';
  readonly peer: string;
  constructor(peer: string, what: string, keyFile?: string, hint?: string) {
    super('PAL_ERR_AUTH', `authentication with ${peer} failed: ${what}; ${hint ?? AUTH_HINT.replace('KEYFILE', keyFile ?? 'our key')}`);
    this.peer = peer;
  }
}

/** The daemon does not speak the authentication mode we asked for (hmac-sha256 against a legacy daemon). */
export class AuthModeError extends PalisadeError {
  declare readonly code: 'PAL_ERR_AUTH_MODE';
  readonly peer: string;
  constructor(peer: string, what: string) {
    super('PAL_ERR_AUTH_MODE', `${peer}: ${what}`);
    this.peer = peer;
  }
}

/** The multicast client could not listen for the daemons' callback. */
export class CallbackListenError extends PalisadeError {
  declare readonly code: 'PAL_ERR_LISTEN';
  readonly port: number;
  constructor(port: number, reason: string, options?: { cause?: unknown }) {
    super('PAL_ERR_LISTEN', `cannot listen on TCP port ${port} for the fence daemon's callback: ${reason}`, options);
    this.port = port;
  }
}

/** A serial device that cannot be opened (missing, locked, not a tty, bad line settings). */
export class SerialDeviceError extends PalisadeError {
  declare readonly code: 'PAL_ERR_DEVICE';
  readonly device: string;
  constructor(device: string, reason: string, options?: { cause?: unknown }) {
    super('PAL_ERR_DEVICE', `serial device ${device}: ${reason}`, options);
    this.device = device;
  }
}

/**
 * Multicast: no daemon called back (and authenticated) before the timeout.
 * Starts with fence_xvm's words so operators and their searches recognise it.
 */
export class CallbackTimeoutError extends PalisadeError {
  declare readonly code: 'PAL_ERR_PEER_TIMEOUT';
  readonly ms: number;
  constructor(ms: number, detail: string) {
    super('PAL_ERR_PEER_TIMEOUT', `Timed out waiting for response: ${detail}`);
    this.ms = ms;
  }
}

/** The daemon sent bytes we cannot interpret (e.g. a malformed host list). */
export class ReplyError extends PalisadeError {
  declare readonly code: 'PAL_ERR_REPLY';
  readonly peer: string;
  constructor(peer: string, problem: string, options?: { cause?: unknown }) {
    super('PAL_ERR_REPLY', `malformed reply from ${peer}: ${problem}`, options);
    this.peer = peer;
  }
}

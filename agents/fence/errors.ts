// Errors of the fence agent and its client. Each has a stable `code` and
// the context an operator needs: which peer, which phase, which file, which
// argument. The agent turns every one of them into exit 1 and one stderr line.

export type FenceErrorCode =
  | 'PAL_ERR_USAGE'
  | 'PAL_ERR_KEY'
  | 'PAL_ERR_CONNECT'
  | 'PAL_ERR_AUTH'
  | 'PAL_ERR_AUTH_MODE'
  | 'PAL_ERR_LISTEN'
  | 'PAL_ERR_DEVICE'
  | 'PAL_ERR_PEER_TIMEOUT'
  | 'PAL_ERR_SHORT_READ'
  | 'PAL_ERR_REPLY'
  | 'PAL_ERR_ABORTED';

export class FenceError extends Error {
  readonly code: FenceErrorCode;
  constructor(code: FenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad arguments: every problem found, each naming its source (flag or stdin line). */
export class UsageError extends FenceError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('PAL_ERR_USAGE', problems.join('\n'));
    this.problems = problems;
  }
}

/** A key file that is missing, unreadable or empty. */
export class KeyFileError extends FenceError {
  readonly path: string;
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('PAL_ERR_KEY', `key file ${path}: ${problem}`, options);
    this.path = path;
  }
}

const DAEMON_HINT = 'check that palisaded or fence_virtd runs and listens there, and that no firewall blocks the port';

/** The daemon could not be reached (refused, unreachable, name lookup failed). */
export class ConnectError extends FenceError {
  readonly peer: string;
  readonly reason: string;
  constructor(peer: string, reason: string, options?: { cause?: unknown }, hint: string = DAEMON_HINT) {
    super('PAL_ERR_CONNECT', `cannot connect to the fence daemon at ${peer}: ${reason}; ${hint}`, options);
    this.peer = peer;
    this.reason = reason;
  }
}

export const AUTH_HINT = "the daemon's key differs from KEYFILE or its auth/hash setting differs";

/**
 * Challenge-response failed, the daemon dropped a request it could not
 * verify, or (hmac-sha256) an answer's tag did not verify. `hint` replaces
 * the key/setting hint where the key is known to match.
 */
export class FenceAuthError extends FenceError {
  readonly peer: string;
  constructor(peer: string, what: string, keyFile?: string, hint?: string) {
    super('PAL_ERR_AUTH', `authentication with ${peer} failed: ${what}; ${hint ?? AUTH_HINT.replace('KEYFILE', keyFile ?? 'our key')}`);
    this.peer = peer;
  }
}

/** The daemon does not speak the authentication mode we asked for (hmac-sha256 against a legacy daemon). */
export class AuthModeError extends FenceError {
  readonly peer: string;
  constructor(peer: string, what: string) {
    super('PAL_ERR_AUTH_MODE', `${peer}: ${what}`);
    this.peer = peer;
  }
}

/** The multicast client could not listen for the daemons' callback. */
export class CallbackListenError extends FenceError {
  readonly port: number;
  constructor(port: number, reason: string, options?: { cause?: unknown }) {
    super('PAL_ERR_LISTEN', `cannot listen on TCP port ${port} for the fence daemon's callback: ${reason}`, options);
    this.port = port;
  }
}

/** A serial device that cannot be opened (missing, locked, not a tty, bad line settings). */
export class SerialDeviceError extends FenceError {
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
export class CallbackTimeoutError extends FenceError {
  readonly ms: number;
  constructor(ms: number, detail: string) {
    super('PAL_ERR_PEER_TIMEOUT', `Timed out waiting for response: ${detail}`);
    this.ms = ms;
  }
}

export type FencePhase =
  | 'connect'
  /** Waiting for the daemon's answer to our challenge. */
  | 'challenge-response'
  /** Waiting for the daemon's own challenge. */
  | 'daemon-challenge'
  | 'result'
  | 'host-list'
  | 'write'
  /** hmac-sha256: waiting for the daemon's hello (its nonce and proof). */
  | 'hello'
  /** hmac-sha256: waiting for the tag after the answer. */
  | 'result-tag'
  /** serial/vmchannel: waiting for the response magic and byte. */
  | 'serial-response'
  /** multicast: waiting for a daemon to connect back. */
  | 'callback';

const PHASE_TEXT: Record<FencePhase, string> = {
  connect: 'connecting',
  'challenge-response': "waiting for the daemon's answer to our challenge",
  'daemon-challenge': "waiting for the daemon's challenge",
  result: 'waiting for the result byte',
  'host-list': 'reading the host list',
  write: 'sending the request',
  hello: "waiting for the daemon's hello",
  'result-tag': "waiting for the answer's authentication tag",
  'serial-response': 'waiting for the response',
  callback: 'waiting for a daemon to call back',
};

/** A phase of the exchange took longer than the timeout. */
export class PeerTimeoutError extends FenceError {
  readonly peer: string;
  readonly phase: FencePhase;
  readonly ms: number;
  constructor(peer: string, phase: FencePhase, ms: number, hint?: string) {
    super('PAL_ERR_PEER_TIMEOUT', `timed out after ${formatMs(ms)} ${PHASE_TEXT[phase]} (${peer})${hint ? `; ${hint}` : ''}`);
    this.peer = peer;
    this.phase = phase;
    this.ms = ms;
  }
}

/** The daemon closed the connection before sending everything a phase needs. */
export class ShortReadError extends FenceError {
  readonly peer: string;
  readonly phase: FencePhase;
  readonly expected: number;
  readonly received: number;
  constructor(peer: string, phase: FencePhase, expected: number, received: number, hint?: string) {
    super(
      'PAL_ERR_SHORT_READ',
      `the daemon at ${peer} closed the connection ${PHASE_TEXT[phase]} (got ${received} of ${expected} bytes)${hint ? `; ${hint}` : ''}`,
    );
    this.peer = peer;
    this.phase = phase;
    this.expected = expected;
    this.received = received;
  }
}

/** The daemon sent bytes we cannot interpret (e.g. a malformed host list). */
export class ReplyError extends FenceError {
  readonly peer: string;
  constructor(peer: string, problem: string, options?: { cause?: unknown }) {
    super('PAL_ERR_REPLY', `malformed reply from ${peer}: ${problem}`, options);
    this.peer = peer;
  }
}

/** The caller's AbortSignal fired. */
export class FenceAbortedError extends FenceError {
  constructor(peer: string, phase: FencePhase, options?: { cause?: unknown }) {
    super('PAL_ERR_ABORTED', `aborted while ${PHASE_TEXT[phase]} (${peer})`, options);
  }
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** `host:port`, with brackets around IPv6 literals. */
export function formatPeer(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

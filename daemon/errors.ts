// Typed daemon errors. Each has a stable `code` and the context an
// operator needs to act (file and line, command and stderr, peer and phase).

export type PalisadeErrorCode =
  | 'PAL_ERR_CONFIG'
  | 'PAL_ERR_KEY'
  | 'PAL_ERR_AUTH'
  | 'PAL_ERR_BACKEND'
  | 'PAL_ERR_DOMAIN_NOT_FOUND'
  | 'PAL_ERR_PEER_TIMEOUT'
  | 'PAL_ERR_LISTENER';

export class PalisadeError extends Error {
  readonly code: PalisadeErrorCode;
  constructor(code: PalisadeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration problem, reported as `FILE:LINE: field: what is wrong`. */
export class ConfigError extends PalisadeError {
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
  readonly path: string;
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('PAL_ERR_KEY', `key file ${path}: ${problem}`, options);
    this.path = path;
  }
}

/** A request signature or challenge-response that did not verify. */
export class AuthError extends PalisadeError {
  constructor(message: string) {
    super('PAL_ERR_AUTH', message);
  }
}

/** A backend command failed or printed something we cannot parse. */
export class BackendError extends PalisadeError {
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
  readonly domain: string;
  constructor(domain: string) {
    super('PAL_ERR_DOMAIN_NOT_FOUND', `domain '${domain}' not found`);
    this.domain = domain;
  }
}

export type PeerPhase = 'request' | 'challenge' | 'response' | 'backend' | 'result' | 'connect';

/** A peer (client, callback target, virsh) did not answer within a phase's limit. */
export class PeerTimeoutError extends PalisadeError {
  readonly phase: PeerPhase;
  readonly ms: number;
  readonly peer: string;
  constructor(phase: PeerPhase, ms: number, peer: string) {
    super('PAL_ERR_PEER_TIMEOUT', `${peer}: no ${phase} within ${ms} ms`);
    this.phase = phase;
    this.ms = ms;
    this.peer = peer;
  }
}

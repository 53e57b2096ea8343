// The daemon's errors: core/errors.ts holds them all (one root, one table of codes).
export {
  BackendError, ConfigError, DomainNotFoundError, KeyFileError, PalisadeError, PeerTimeoutError, ShortReadError,
  type PalisadeErrorCode, type PeerPhase,
} from '../core/errors.js';

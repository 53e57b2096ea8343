// The daemon's errors: core/errors.ts holds them all (one root, one table of codes).
export { BackendError, ConfigError, DomainNotFoundError, PalisadeError, PeerTimeoutError } from '../core/errors.js';

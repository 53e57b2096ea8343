// The fence agent's errors: core/errors.ts holds them all (one root, one
// table of codes). The agent turns each into exit 1 and one stderr line.
export {
  AbortedError, AuthModeError, CallbackListenError, CallbackTimeoutError, ConnectError, FenceAuthError,
  PalisadeError, PeerTimeoutError, ReplyError, SerialDeviceError, ShortReadError, UsageError, formatMs, type PeerPhase,
} from '../../core/errors.js';

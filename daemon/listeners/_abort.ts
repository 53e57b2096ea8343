// A listener's abort controller lives as long as the listener, and each
// request in flight hangs one 'abort' listener on its signal (withDeadline
// removes it when the request ends). Many requests in flight are normal, not
// a leak, so Node's MaxListenersExceededWarning is lifted for this signal.
import { setMaxListeners } from 'node:events';

export function listenerAbortController(): AbortController {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  return ac;
}

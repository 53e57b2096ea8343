// Duplicate suppression as a layer: a request equal to one seen in the last
// 10 s (same op, seqno and domain) is dropped without a reply, as fence_virtd
// does. Recording on entry, not after the reply, so that a duplicate that
// arrives while the original is still running is dropped too (fence_virtd
// gets this for free by being single-threaded).
import type { Layer } from '../dispatch.js';
import type { History } from '../history.js';

export function historyLayer(history: Pick<History, 'seen' | 'record'>): Layer {
  return (next) => async (req, peer, signal) => {
    if (history.seen(req)) return { kind: 'drop', reason: 'duplicate request (same op, seqno and domain within 10 s)' };
    history.record(req);
    return next(req, peer, signal);
  };
}

// Duplicate suppression as a layer: a request equal to one seen in the last
// 10 s (same op, seqno and domain) is dropped without a reply, as fence_virtd
// does. Recording on entry, not after the reply, so that a duplicate that
// arrives while the original is still running is dropped too (fence_virtd
// gets this for free by being single-threaded).
import type { Layer } from '../dispatch.js';
import type { FenceRequest } from '../../protocol/fence-req.js';

export interface RequestHistory {
  seen(req: Pick<FenceRequest, 'request' | 'seqno' | 'domain'>): boolean;
  record(req: Pick<FenceRequest, 'request' | 'seqno' | 'domain'>): void;
}

export function historyLayer(history: RequestHistory): Layer {
  return (next) => async (req, peer, signal) => {
    if (history.seen(req)) return { kind: 'drop', reason: 'duplicate request (same op, seqno and domain within 10 s)' };
    history.record(req);
    return next(req, peer, signal);
  };
}

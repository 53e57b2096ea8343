// One log line per request: listener, source, operation, domain, result, latency.
import { commandName } from '../../protocol/constants.js';
import type { Layer } from '../dispatch.js';
import type { LogFn } from '../log.js';

export function auditLayer(log: LogFn): Layer {
  return (next) => async (req, peer, signal) => {
    const t0 = performance.now();
    const reply = await next(req, peer, signal);
    const ms = (performance.now() - t0).toFixed(1);
    const what = `${peer.listener} ${peer.address} ${commandName(req.request)} '${req.domain}'`;
    if (reply.kind === 'drop') log('info', `${what}: dropped: ${reply.reason} (${ms} ms)`);
    else if (reply.kind === 'hostlist') log('info', `${what}: list of ${reply.hosts.length} domains (${ms} ms)`);
    else log('info', `${what}: result ${reply.result}${reply.detail ? ` (${reply.detail})` : ''} (${ms} ms)`);
    return reply;
  };
}

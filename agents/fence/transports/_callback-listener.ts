// The TCP listener a multicast request asks the daemons to call back:
// the wildcard address of the family, on the port the request names (the
// same number as the daemons' UDP port, as fence_xvm does).
//
// Busy port: fence_xvm prints "Failed to listen" and retries each retransmit
// interval, then exits 255 with "Unknown response (-1)". We also keep trying
// (another fence_xvm or fence_palisade call on this host usually ends within
// milliseconds), every 100 ms until the timeout, then fail with a message
// that says which port and what to do.
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallbackListenError, AbortedError } from '../errors.js';

const RETRY_MS = 100;
/** Daemons calling back at once; more are refused so a flood cannot exhaust the agent. */
const MAX_CALLBACKS = 64;

function tryListen(host: string, port: number, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.maxConnections = MAX_CALLBACKS;
    server.once('error', reject);
    server.listen({ host, port, exclusive: true, backlog: 16 }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

export async function listenForCallbacks(
  family: 4 | 6, port: number, deadline: number, signal: AbortSignal | undefined, onConnection: (s: Socket) => void,
): Promise<Server> {
  const host = family === 4 ? '0.0.0.0' : '::';
  for (;;) {
    if (signal?.aborted) throw new AbortedError(`TCP port ${port}`, 'callback', { cause: signal.reason });
    try {
      return await tryListen(host, port, onConnection);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && Date.now() + RETRY_MS < deadline) {
        await sleep(RETRY_MS, undefined, signal ? { signal } : {}).catch(() => undefined);
        continue;
      }
      const reason = code === 'EADDRINUSE'
        ? `the port stayed in use until the timeout (another fence_xvm or fence_palisade multicast call on this host, or a program listening there: 'ss -ltnp sport = :${port}' shows it); ` +
          'wait for it, or use another ipport (-p) here and on the hosts\' multicast listeners'
        : code === 'EACCES'
          ? 'permission denied (ports below 1024 need root); run as root or use another ipport (-p)'
          : (e as Error).message;
      throw new CallbackListenError(port, reason, { cause: e });
    }
  }
}

// Retrying a DRBD command until it works or the operation's deadline is
// near: exponential back-off (no fixed sleeps), and the last failure as the
// reason when time runs out.

import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';

const FIRST_MS = 100;
const MAX_MS = 2000;

export function backoffMs(attempt: number): number {
  return Math.min(MAX_MS, FIRST_MS * 2 ** attempt);
}

/**
 * Runs `attempt` until it returns true. Between tries it sleeps with back-off;
 * when the next sleep plus another try (twice as long as the last one took)
 * would pass the deadline, it fails with `lastProblem()`.
 */
export async function retryUntilDeadline(ctx: OcfContext, what: string, attempt: (n: number) => Promise<boolean>, lastProblem: () => string): Promise<void> {
  for (let n = 0; ; n++) {
    const t0 = Date.now();
    if (await attempt(n)) return;
    const wait = backoffMs(n);
    if (ctx.remaining() <= wait + Math.max(250, 2 * (Date.now() - t0))) {
      throw new OcfError(OCF.ERR_GENERIC, `${what} did not succeed within the ${ctx.timeoutMs} ms operation timeout: ${lastProblem()}`);
    }
    await ctx.sleep(wait);
  }
}

// Shutdown of a listener: work in progress may finish (a fence under way
// must complete), but a stalled peer must not hold a reload or SIGTERM.

/** Resolves when every promise has settled, or after `ms`, whichever is first. */
export async function settleWithin(work: Iterable<Promise<unknown> | undefined>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
  try {
    await Promise.race([Promise.allSettled(work), limit]);
  } finally {
    clearTimeout(timer);
  }
}

// Random bytes from /dev/urandom, as the C client reads them. node:crypto
// would do, but loading it costs ~5.5 ms per agent run (cipher and stream
// machinery), and Pacemaker runs the agent for every fence and monitor.
import { closeSync, openSync, readSync } from 'node:fs';

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < n; ) {
      const r = readSync(fd, out, got, n - got, null);
      if (r <= 0) throw new Error('/dev/urandom: short read');
      got += r;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** A uniformly random u32. */
export function randomU32(): number {
  const b = randomBytes(4);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

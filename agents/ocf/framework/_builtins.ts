// Node built-ins for agents, loaded the cheap way. An ES `import` of
// node:fs builds its namespace by reading every export, which pulls in the
// whole streams stack (fs.ReadStream getters); child_process drags in net
// and dgram. A CommonJS require avoids the first, a deferred require the
// second. Agent start-up time matters: a monitor runs every few seconds.

import { createRequire } from 'node:module';

// Built-ins resolve the same from any base; process.execPath avoids computing
// import.meta.url, which costs ~0.7 ms per run inside the CommonJS bundle.
const require = createRequire(process.execPath);

export const fs = require('node:fs') as typeof import('node:fs');

let cp: typeof import('node:child_process') | undefined;

/** node:child_process, loaded on first use. */
export function childProcess(): typeof import('node:child_process') {
  cp ??= require('node:child_process') as typeof import('node:child_process');
  return cp;
}

/** Milliseconds since the process started (monotonic; avoids loading perf_hooks for `performance`). */
export function uptimeMs(): number {
  return process.uptime() * 1000;
}

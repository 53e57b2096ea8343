// term_signals / kill_signals: whitespace-separated names (TERM, SIGTERM,
// term) or numbers, as kill(1) takes them in heartbeat Filesystem.
import { constants } from 'node:os';

export type Signal = NodeJS.Signals | number;

const NAMES = constants.signals as Readonly<Record<string, number>>;
const MAX_SIGNAL = 64; // SIGRTMAX on Linux

/** Parses a signal list; an error message names the bad word. */
export function parseSignals(text: string): Signal[] | string {
  const out: Signal[] = [];
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    if (/^\d+$/.test(word)) {
      const n = Number(word);
      if (n < 1 || n > MAX_SIGNAL) return `signal number ${word} is outside 1-${MAX_SIGNAL}`;
      out.push(n);
      continue;
    }
    const upper = word.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (!(name in NAMES)) return `unknown signal '${word}' (use names such as TERM, HUP, KILL or numbers)`;
    out.push(name as NodeJS.Signals);
  }
  return out;
}

export function signalName(sig: Signal): string {
  if (typeof sig === 'string') return sig;
  const name = Object.entries(NAMES).find(([, n]) => n === sig)?.[0];
  return name ?? `signal ${sig}`;
}

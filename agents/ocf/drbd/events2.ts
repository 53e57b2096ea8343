// Parser for `drbdsetup events2 --now RES` (drbd-utils 9; reference §1):
// `ACTION OBJECT key:value ...` lines, values split on the first ':',
// unknown keys ignored, the initial dump ends with `exists -`. Pure.

import { unconfigured, type DrbdResourceState } from './state.js';

export class Events2FormatError extends Error {
  constructor(line: number, text: string, problem: string) {
    super(`drbdsetup events2 output, line ${line} ("${text}"): ${problem}`);
    this.name = 'Events2FormatError';
  }
}

type Fields = Map<string, string>;

function fieldsOf(words: readonly string[]): Fields {
  const f: Fields = new Map();
  for (const w of words) {
    const i = w.indexOf(':');
    if (i > 0) f.set(w.slice(0, i), w.slice(i + 1));
  }
  return f;
}

function int(f: Fields, key: string, line: number, text: string): number {
  const v = f.get(key);
  if (v === undefined || !/^-?\d+$/.test(v)) throw new Events2FormatError(line, text, `${key} is ${v === undefined ? 'missing' : `'${v}', not a number`}`);
  return Number(v);
}

function word(f: Fields, key: string, fallback: string): string {
  return f.get(key) ?? fallback;
}

/**
 * The state of resource `res` from the initial-state dump. Lines of other
 * resources, `path`/`helper` objects and non-`exists` events are skipped.
 */
export function parseEvents2(text: string, res: string): DrbdResourceState {
  const st = unconfigured();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!.trim();
    if (raw === '') continue;
    const words = raw.split(/\s+/);
    if (words[0] !== 'exists') continue;
    if (words[1] === '-') break;
    const f = fieldsOf(words.slice(2));
    if (f.get('name') !== res) continue;
    const at = n + 1;
    switch (words[1]) {
      case 'resource':
        st.configured = true;
        st.role = word(f, 'role', 'Unknown');
        st.suspended = word(f, 'suspended', 'no');
        break;
      case 'connection':
        st.connections.push({
          peerNodeId: int(f, 'peer-node-id', at, raw),
          name: word(f, 'conn-name', ''),
          state: word(f, 'connection', 'Unknown'),
          peerRole: word(f, 'role', 'Unknown'),
        });
        break;
      case 'device':
        st.devices.push({
          volume: int(f, 'volume', at, raw),
          minor: int(f, 'minor', at, raw),
          disk: word(f, 'disk', 'Unknown'),
          client: f.get('client') === 'yes',
          quorum: f.get('quorum') !== 'no',
        });
        break;
      case 'peer-device': {
        const done = f.get('done');
        st.peerDevices.push({
          peerNodeId: int(f, 'peer-node-id', at, raw),
          volume: int(f, 'volume', at, raw),
          replication: word(f, 'replication', 'Off'),
          peerDisk: word(f, 'peer-disk', 'DUnknown'),
          peerClient: f.get('peer-client') === 'yes',
          done: done !== undefined && Number.isFinite(Number(done)) ? Number(done) : undefined,
        });
        break;
      }
      default:
        break;
    }
  }
  return st;
}

// framework/processes.ts: /proc/<pid>/stat parsing and the pid-with-start-
// time records that keep a signal from reaching a process that reused a pid.
// Signals themselves are tested where agents send them, in PID namespaces
// (ipaddr2, filesystem, apache tests).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatPidRecord, parseProcStat, processRef, readPidRecord, readProcStat, signalIfSame, stillRunning,
} from '../../agents/ocf/framework/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'pal-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseProcStat', () => {
  it('counts fields after the last ")" so any comm parses', () => {
    const stat = '4242 (my (odd) name) S 17 4242 4200 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10';
    expect(parseProcStat(4242, stat)).toEqual({ pid: 4242, comm: 'my (odd) name', state: 'S', ppid: 17, session: 4200, startTime: 987654 });
    expect(parseProcStat(1, '1 (x) S 0 1 1')).toBeUndefined();
    expect(parseProcStat(1, 'garbage')).toBeUndefined();
  });

  it('reads this process: its parent, its session and a start time that stays put', () => {
    const me = readProcStat(process.pid);
    expect(me).toMatchObject({ pid: process.pid, ppid: process.ppid, state: expect.stringMatching(/^[RS]$/) });
    expect(readProcStat(process.pid)?.startTime).toBe(me?.startTime);
    expect(readProcStat(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('process references', () => {
  it('stillRunning and signalIfSame refuse a pid whose start time differs (a reused pid)', () => {
    const me = processRef(process.pid)!;
    expect(stillRunning(me)).toBe(true);
    const reused = { pid: me.pid, startTime: me.startTime + 1 };
    expect(stillRunning(reused)).toBe(false);
    // signal 0 only asks whether a signal would be sent: nothing is signalled outside a PID namespace
    expect(signalIfSame(reused, 0)).toBe(false);
    expect(signalIfSame(me, 0)).toBe(false); // never the agent itself
    expect(signalIfSame({ pid: 1, startTime: readProcStat(1)!.startTime }, 0)).toBe(false);
    const parent = processRef(process.ppid)!;
    expect(signalIfSame(parent, 0)).toBe(true);
    expect(signalIfSame({ ...parent, startTime: parent.startTime - 1 }, 0)).toBe(false);
  });

  it('pid records: "<pid> <start time>"; a bare pid or garbage names nothing', () => {
    const file = join(dir, 'rec.pid');
    writeFileSync(file, formatPidRecord({ pid: 123, startTime: 456 }));
    expect(readPidRecord(file)).toEqual({ pid: 123, startTime: 456 });
    for (const text of ['123\n', '123', '', 'abc 1\n', '1 2 3\n', '-1 5\n']) {
      writeFileSync(file, text);
      expect(readPidRecord(file), JSON.stringify(text)).toBeUndefined();
    }
    expect(readPidRecord(join(dir, 'missing.pid'))).toBeUndefined();
  });
});

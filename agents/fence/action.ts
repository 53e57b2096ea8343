// Running one action once the plan is valid: the key, the delay, the call,
// and how the daemon's answer becomes output and an exit code (the C
// client's: the result byte; status prints Status: ON/OFF; list prints
// fence_virt's lines). Local failures exit 1 with one specific line.
import { setTimeout as sleep } from 'node:timers/promises';
import { FenceCommand, HashType, Result, commandName, hashName } from '../../protocol/constants.js';
import { formatHostLine } from '../../protocol/host-list.js';
import { fence } from './client.js';
import { PalisadeError } from './errors.js';
import { modeWarning, readKeyFile, type KeyFile } from '../../core/key-file.js';
import { ACTIONS } from './options.js';
import { transportSpec } from './transports/index.js';
import type { Plan } from './validate.js';
import { HMAC_AUTH, authValue } from './values.js';

/** Line sinks (no trailing newline): stdout and stderr in the agent, buffers in tests. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const EXIT = { OK: 0, FAIL: 1, OFF: 2, PERM: 3 } as const;

async function loadKey(plan: Plan, given: boolean, io: Io): Promise<KeyFile | undefined> {
  const { settings } = plan;
  // serial and vmchannel carry no key (fence_virt's serial client never reads one).
  const keyed = transportSpec(plan.transport).keyed;
  const needed = keyed && (settings.auth === HMAC_AUTH || settings.hash !== HashType.NONE || settings.auth !== HashType.NONE);
  // fence_virt checks an explicitly given key file even when nothing uses it.
  if (!needed && !given) return undefined;
  const file = await readKeyFile(settings.keyFile, 'client');
  for (const w of file.warnings) io.err(w);
  return file;
}

/** validate-all: parameters and key file, no daemon contact. */
export async function validateAll(plan: Plan, keyFileGiven: boolean, io: Io): Promise<number> {
  let code: number = EXIT.OK;
  for (const p of plan.problems) {
    io.err(p);
    code = EXIT.FAIL;
  }
  try {
    const file = await loadKey(plan, keyFileGiven, io);
    const w = file && modeWarning(file);
    if (w) io.err(w);
  } catch (e) {
    if (!(e instanceof PalisadeError)) throw e;
    io.err(e.message);
    code = EXIT.FAIL;
  }
  return code;
}

export async function runRemoteAction(plan: Plan, keyFileGiven: boolean, io: Io): Promise<number> {
  const { settings } = plan;
  const spec = ACTIONS[settings.action];
  if (spec.command === undefined) throw new Error(`runRemoteAction: ${settings.action} is answered locally`);
  try {
    const key = await loadKey(plan, keyFileGiven, io);
    if (spec.delayed && settings.delay > 0) {
      if (settings.debug > 0) io.err(`debug: waiting ${settings.delay} s before ${settings.action} (delay)`);
      await sleep(settings.delay * 1000);
    }
    const transport = transportSpec(plan.transport);
    const target = transport.fromSettings(settings);
    if (settings.debug > 0) {
      io.err(`debug: ${transport.describe(target)} ${commandName(spec.command)} ` +
        `domain='${settings.domain ?? ''}' hash=${hashName(settings.hash)} auth=${authValue.format(settings.auth)} timeout=${settings.timeout}s`);
    }
    const reply = await fence(target, { key: key?.key, hash: settings.hash, auth: settings.auth }, spec.command, settings.domain ?? '', {
      timeoutMs: settings.timeout * 1000, useUuid: settings.useUuid, keyFile: settings.keyFile,
    });
    if (settings.debug > 0) {
      io.err(`debug: result ${reply.result}${reply.hosts ? `, ${reply.hosts.length} hosts, trailer ${reply.trailer ?? 'none'}` : ''}` +
        `${reply.answeredBy ? `, from ${reply.answeredBy.join(', ')}` : ''}`);
    }
    for (const w of reply.warnings ?? []) io.err(w);
    if (reply.hosts) {
      if (spec.command !== FenceCommand.HOSTLIST) {
        io.err(`the daemon answered ${settings.action} with a host list; treating it as a failure`);
        return EXIT.FAIL;
      }
      for (const h of reply.hosts) io.out(formatHostLine(h));
      return EXIT.OK;
    }
    return reportResult(settings.action, reply.result, io);
  } catch (e) {
    if (!(e instanceof PalisadeError)) throw e;
    io.err(e.message);
    return EXIT.FAIL;
  }
}

function reportResult(action: string, result: number, io: Io): number {
  switch (result) {
    case Result.SUCCESS:
      if (action === 'status') io.out('Status: ON');
      return EXIT.OK;
    case Result.OFF:
      if (action === 'status') io.out('Status: OFF');
      return EXIT.OFF;
    case Result.FAIL:
      io.err('Operation failed');
      return EXIT.FAIL;
    case Result.PERM:
      io.err('Permission denied');
      return EXIT.PERM;
    default:
      // fence_virt exits with the raw byte (255 for -1); any other code would
      // read as a defined answer, so an unknown byte is a failure.
      io.err(`Unknown response (${result})`);
      return EXIT.FAIL;
  }
}

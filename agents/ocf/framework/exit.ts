// OCF exit codes (resource-agent-api 1.1 "Exit codes") named once, and the
// one error type handlers throw to end an action with a code and a reason.

export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
} as const;

export type OcfExitCode = (typeof OCF)[keyof typeof OCF];

const names: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(OCF).map(([k, v]) => [v, `OCF_${k}`]),
);

/** `OCF_NOT_RUNNING` for 7, for logs and test messages. */
export function ocfCodeName(code: number): string {
  return names[code] ?? `rc ${code}`;
}

/**
 * Ends an action with `exitCode`; `reason` becomes the `ocf-exit-reason:`
 * line Pacemaker shows, so it names the parameter, value or command at fault.
 */
export class OcfError extends Error {
  readonly exitCode: OcfExitCode;
  constructor(exitCode: OcfExitCode, reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A required program is not installed (OCF_ERR_INSTALLED); probes may answer 5 for it. */
export class MissingBinaryError extends OcfError {
  readonly binary: string;
  constructor(binary: string) {
    super(OCF.ERR_INSTALLED, `required program '${binary}' not found in PATH`);
    this.binary = binary;
  }
}

/** The operation deadline (OCF_RESKEY_CRM_meta_timeout) passed before the action finished. */
export class DeadlineError extends OcfError {
  constructor(what: string, timeoutMs: number) {
    super(OCF.ERR_GENERIC, `${what} did not finish within the ${timeoutMs} ms operation timeout`);
  }
}

/**
 * stop could not find out that the resource is stopped and must not act:
 * never softened to "nothing to stop" (OCF_ERR_CONFIGURED, as its cause is
 * a parameter value).
 */
export class UnknownStateError extends OcfError {
  constructor(reason: string) {
    super(OCF.ERR_CONFIGURED, reason);
  }
}

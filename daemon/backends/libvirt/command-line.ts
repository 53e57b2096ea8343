// Builds lines for virsh's interactive parser (vsh.c vshCommandStringGetArg).
// Outside quotes it splits on blanks and ';', and a backslash escapes one
// character. Inside single quotes every character is literal. Quoting does
// not stop a positional value that starts with "--" from being read as an
// option, so every value goes after its option name (`--domain 'x'`), where
// virsh takes the next token verbatim. Readline reads the line first: a TAB
// runs completion, a newline ends the line and other control bytes are key
// bindings. So control characters are refused, never escaped.
import { BackendError } from '../../errors.js';

// C0 controls and DEL; virsh and readline treat them as editing or line input.
const CONTROL = /[\u0000-\u001f\u007f]/;
const VERB = /^[a-z][a-z-]*$/;
const OPTION = /^--[a-z][a-z-]*$/;

/** One virsh command: `verb --flag … --option 'value' …`. */
export interface VirshCommand {
  readonly verb: string;
  readonly flags?: readonly string[];
  readonly options?: ReadonlyArray<readonly [option: string, value: string]>;
}

/** True when `s` can be sent to virsh without readline interpreting any of it. */
export function isSendable(s: string): boolean {
  return !CONTROL.test(s);
}

/** A value as virsh's parser reads it back verbatim, e.g. it's -> 'it'\''s'. */
export function quoteValue(value: string): string {
  if (!isSendable(value)) {
    const shown = JSON.stringify(value);
    throw new BackendError(`refusing to send ${shown} to virsh: it contains a newline or another control character`, {
      command: shown,
    });
  }
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The command as one `;`-separable segment of a virsh input line. */
export function formatCommand(cmd: VirshCommand): string {
  const bad = (what: string) =>
    new BackendError(`internal: malformed virsh ${what} in ${JSON.stringify(cmd)}`, { command: cmd.verb });
  if (!VERB.test(cmd.verb)) throw bad('verb');
  const parts = [cmd.verb];
  for (const flag of cmd.flags ?? []) {
    if (!OPTION.test(flag)) throw bad('flag');
    parts.push(flag);
  }
  for (const [option, value] of cmd.options ?? []) {
    if (!OPTION.test(option)) throw bad('option');
    parts.push(option, quoteValue(value));
  }
  return parts.join(' ');
}

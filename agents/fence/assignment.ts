// What the argv and stdin parsers produce: raw values bound to table rows,
// each remembering where it came from, so a later error can say
// "stdin line 4 (plug)" or "-n" instead of just the value.
import type { AnyOptionSpec } from './options.js';

export interface Assignment {
  readonly spec: AnyOptionSpec;
  /** undefined: a flag given without a value (-d, -u, -S, or a bare boolean name on stdin). */
  readonly raw: string | undefined;
  readonly where: string;
}

export interface ParseOutcome {
  readonly assignments: readonly Assignment[];
  /** Fatal: each names its source. */
  readonly problems: readonly string[];
  /** Printed on stderr; parsing goes on. */
  readonly warnings: readonly string[];
}

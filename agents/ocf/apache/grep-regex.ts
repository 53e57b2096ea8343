// testregex and testregex10 are grep -Ei patterns in heartbeat (POSIX
// extended, case-insensitive, per line); JavaScript's RegExp reads the common
// subset the same way once bracket classes and GNU word anchors are mapped.

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', cntrl: '\\x00-\\x1f\\x7f', print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e', word: '\\w',
};

/**
 * A pattern as `grep -Ei` reads it: POSIX bracket classes and GNU word
 * anchors are translated, ^ and $ match at line ends. Returns the problem
 * text for an invalid pattern.
 */
export function grepRegex(src: string): RegExp | string {
  const translated = src
    .replace(/\[:([a-z]+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m)
    .replace(/\\[<>]/g, '\\b');
  try {
    return new RegExp(translated, 'im');
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
}


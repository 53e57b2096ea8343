// Small text helpers shared by the config, ACL and history modules.

/** strcasecmp semantics: fence_virtd folds ASCII letters only, so 'É' and 'é' stay different here too. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Control characters escaped (\\n, \\t, \\r, \\xNN), so the text stays on one line. */
export function escapeControls(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (ch) =>
    ch === '\n' ? '\\n' : ch === '\t' ? '\\t' : ch === '\r' ? '\\r' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A config word or value fit for an error message: control characters escaped, long text cut. */
export function printable(s: string, max = 40): string {
  return escapeControls(s.length > max ? `${s.slice(0, max)}…` : s);
}

// The one reading of boolean words, for fence_palisade's options, the OCF
// parameters and the OCF environment (HA_debug, OCF_TRACE_RA). The words
// are the union of Pacemaker's crm_str_to_boolean (true/on/yes/y/1,
// false/off/no/n/0) and ocf-shellfuncs' ocf_is_true ("ja"), in any case.
// Anything else is not a boolean: callers report it, never guess.

export const TRUE_WORDS: readonly string[] = Object.freeze(['yes', 'y', 'true', 'on', '1', 'ja']);
export const FALSE_WORDS: readonly string[] = Object.freeze(['no', 'n', 'false', 'off', '0', 'nein']);

/** For error messages: what to write instead. */
export const BOOLEAN_HINT = 'use yes/no, true/false, on/off or 1/0';

/** true, false, or undefined for a word that is neither (surrounding blanks and case ignored). */
export function parseBoolean(raw: string): boolean | undefined {
  const w = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(w)) return true;
  if (FALSE_WORDS.includes(w)) return false;
  return undefined;
}

// The parsed form of a fence_virt.conf file: sections of key/value
// assignments, each remembering where it came from for error messages.

export interface ConfigValue {
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

export interface ConfigSection {
  /** Section name as written (lookups are case-insensitive). */
  readonly name: string;
  /** `group = "x" { … }` form: the quoted label, when present. */
  readonly label: string | undefined;
  readonly file: string;
  readonly line: number;
  /** Keys lower-cased; values in file order (the last one wins, as in fence_virtd). */
  readonly values: ReadonlyMap<string, readonly ConfigValue[]>;
  /** Child sections in file order. */
  readonly sections: readonly ConfigSection[];
}

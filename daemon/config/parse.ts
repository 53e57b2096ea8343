// fence_virt.conf reader. The grammar is fence_virtd's (config/config.l,
// config.y):
//   stuff  := (node | assign)+              the file needs at least one
//   node   := ID '{' stuff? '}' | ID '=' VAL '{' stuff? '}'
//   assign := ID '=' VAL ';'
//   ID     := [^ \t{};="\n]+                so '#', '\f' and UTF-8 are ID bytes
//   VAL    := '"' [^"]+ '"'                 no escapes, may span lines, not empty
// '#' at the start of a token comments to end of line. Deliberately stricter
// than fence_virtd: a '"' that starts no value (no closing quote follows, or
// '""') is an error, where flex echoes and skips it, so that fence_virtd reads
// `k = ""v";` as `k = "v";`. Also errors with their own message: '\r' outside
// a value (a CRLF file fails there anyway), NUL, a leading BOM, and nesting
// deeper than MAX_DEPTH.
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { ConfigError } from '../errors.js';
import { asciiLower, printable } from '../_text.js';
import type { ConfigSection, ConfigValue } from './tree.js';

/** A configuration larger than this is not one (fence_virt.conf is < 1 KiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** fence_virtd uses three levels; bison would give up near 10000. */
export const MAX_DEPTH = 100;

type Punct = '{' | '}' | ';' | '=';
type Token =
  | { readonly kind: 'id' | 'value'; readonly text: string; readonly line: number }
  | { readonly kind: Punct | 'eof'; readonly line: number };

const SEPARATORS = new Set([' ', '\t', '\n', '{', '}', ';', '=', '"', '\r', '\0']);

class Lexer {
  #pos = 0;
  #line = 1;
  constructor(readonly text: string, readonly fail: (line: number, problem: string) => never) {}

  next(): Token {
    const s = this.text;
    for (;;) {
      const c = s[this.#pos];
      if (c === undefined) return { kind: 'eof', line: this.#line };
      if (c === ' ' || c === '\t') { this.#pos++; continue; }
      if (c === '\n') { this.#pos++; this.#line++; continue; }
      if (c === '#') {
        const nl = s.indexOf('\n', this.#pos);
        this.#pos = nl < 0 ? s.length : nl;
        continue;
      }
      break;
    }
    const c = s[this.#pos]!;
    const line = this.#line;
    switch (c) {
      case '{': case '}': case ';': case '=':
        this.#pos++;
        return { kind: c, line };
      case '"': return this.#value(line);
      case '\r':
        return this.fail(line, "carriage return outside a value: the file has DOS (CRLF) line endings, which fence_virtd rejects too; convert it with sed -i 's/\\r$//' FILE");
      case '\0':
        return this.fail(line, 'NUL byte: this does not look like a text file');
    }
    const start = this.#pos;
    while (this.#pos < s.length && !SEPARATORS.has(s[this.#pos]!)) this.#pos++;
    return { kind: 'id', text: s.slice(start, this.#pos), line };
  }

  #value(line: number): Token {
    const s = this.text;
    const close = s.indexOf('"', this.#pos + 1);
    if (close < 0) this.fail(line, "unterminated string: no closing '\"' before end of file");
    if (close === this.#pos + 1) this.fail(line, 'empty value "": fence_virtd rejects empty strings too; leave the key out to use its default');
    const text = s.slice(this.#pos + 1, close);
    if (text.includes('\0')) this.fail(line, 'NUL byte in a value: this does not look like a text file');
    for (const ch of text) if (ch === '\n') this.#line++;
    this.#pos = close + 1;
    return { kind: 'value', text, line };
  }
}

interface Builder {
  readonly name: string;
  readonly label: string | undefined;
  readonly line: number;
  /** Line of the '{', for "not closed" errors. */
  readonly openLine: number;
  readonly values: Map<string, ConfigValue[]>;
  readonly sections: ConfigSection[];
}

function newBuilder(name: string, label: string | undefined, line: number, openLine: number): Builder {
  return { name, label, line, openLine, values: new Map(), sections: [] };
}

function freeze(b: Builder, file: string): ConfigSection {
  for (const list of b.values.values()) Object.freeze(list);
  return Object.freeze({
    name: b.name, label: b.label, file, line: b.line,
    values: b.values, sections: Object.freeze(b.sections),
  });
}

/** Shows a token in an error message. */
function show(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'id') return `'${printable(t.text)}'`;
  if (t.kind === 'value') return `"${printable(t.text)}"`;
  return `'${t.kind}'`;
}

/** Parses fence_virt.conf text. The root section is named '' and holds the top-level keys and sections. */
export function parseConfig(text: string, file: string): ConfigSection {
  const fail: (line: number, problem: string) => never = (line, problem) => {
    throw new ConfigError(file, line, undefined, problem);
  };
  if (text.startsWith('\uFEFF')) fail(1, 'the file starts with a byte-order mark, which fence_virtd would read as part of the first name; save it without one');
  const lex = new Lexer(text, fail);
  const root = newBuilder('', undefined, 1, 1);
  const stack: Builder[] = [root];
  let items = 0;

  for (;;) {
    const top = stack[stack.length - 1]!;
    const t = lex.next();
    if (t.kind === 'eof') {
      if (stack.length > 1) fail(top.openLine, `section '${top.name}' is not closed: expected '}' before end of file`);
      if (items === 0) fail(t.line, 'no sections or keys: expected a section such as fence_virtd { … } (fence_virtd rejects an empty file too)');
      return freeze(root, file);
    }
    if (t.kind === '}') {
      if (stack.length === 1) fail(t.line, "found '}' with no section open");
      stack.pop();
      stack[stack.length - 1]!.sections.push(freeze(top, file));
      continue;
    }
    if (t.kind !== 'id') fail(t.line, `expected a key or section name, found ${show(t)}`);
    const name = t.text;
    items++;
    const n = lex.next();
    let label: string | undefined;
    if (n.kind === '=') {
      const v = lex.next();
      if (v.kind !== 'value') fail(v.line, `expected '"' to start a value, found ${show(v)}`);
      const value = v.text;
      const e = lex.next();
      if (e.kind === ';') {
        const key = asciiLower(name);
        const list = top.values.get(key);
        const entry: ConfigValue = Object.freeze({ value, file, line: t.line });
        if (list) list.push(entry); else top.values.set(key, [entry]);
        continue;
      }
      if (e.kind !== '{') fail(e.line, `expected ';' after the value of '${name}', found ${show(e)}`);
      label = value;
      if (stack.length > MAX_DEPTH) fail(e.line, `sections nested more than ${MAX_DEPTH} deep`);
      stack.push(newBuilder(name, label, t.line, e.line));
      continue;
    }
    if (n.kind !== '{') fail(n.line, `expected '=' or '{' after '${name}', found ${show(n)}`);
    if (stack.length > MAX_DEPTH) fail(n.line, `sections nested more than ${MAX_DEPTH} deep`);
    stack.push(newBuilder(name, label, t.line, n.line));
  }
}

/** Line (1-based) of the first byte sequence that is not UTF-8, or 0 when the text is valid. */
function badUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = 1;
  // 0x0A never occurs inside a multi-byte sequence, so lines decode independently.
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try { decoder.decode(bytes.subarray(start, end)); } catch { return line; }
    start = end + 1;
    line++;
  }
  return 0;
}

function describeOpenError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'does not exist; start from conf/fence_virt.conf (the same file works for fence_virtd) or pass another file with -f';
    case 'EACCES': case 'EPERM': return 'permission denied (palisaded needs root to read it)';
    case 'ENOTDIR': return 'a component of the path is not a directory';
    case 'ELOOP': return 'too many levels of symbolic links';
    default: return `cannot be read: ${(err as Error).message ?? String(err)}`;
  }
}

/** Reads and parses a configuration file; every failure is a ConfigError naming the file. */
export async function readConfigFile(path: string): Promise<ConfigSection> {
  const fail: (problem: string, line?: number) => never = (problem, line) => {
    throw new ConfigError(path, line, undefined, problem);
  };
  let bytes: Buffer;
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return fail(describeOpenError(err));
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) fail('is a directory, not a configuration file');
    if (!st.isFile()) fail('is not a regular file');
    if (st.size > MAX_CONFIG_BYTES) fail(`is ${st.size} bytes; a configuration file is at most ${MAX_CONFIG_BYTES} bytes`);
    bytes = await fh.readFile();
    if (bytes.length > MAX_CONFIG_BYTES) fail(`is ${bytes.length} bytes; a configuration file is at most ${MAX_CONFIG_BYTES} bytes`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return fail(describeOpenError(err));
  } finally {
    await fh.close().catch(() => undefined);
  }
  const bad = badUtf8Line(bytes);
  if (bad) fail('is not valid UTF-8; save it as UTF-8 text', bad);
  return parseConfig(bytes.toString('utf8'), path);
}

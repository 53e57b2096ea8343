// Reads the few facts the agent needs from an httpd 2.x configuration:
// ServerRoot, PidFile, Listen, Port and the <Location> mapped to the
// server-status handler. Follows httpd rather than heartbeat's awk where they
// differ: Include/IncludeOptional with wildcards and directories, paths
// relative to ServerRoot, ${VAR} from Define and the environment, <IfDefine>
// sections evaluated against -D names, '#' only starts a comment at the
// beginning of a line, and the last PidFile wins.

import { fs } from '../framework/_builtins.js';
import { isAbsolute, join } from 'node:path';

export type ConfigProblem = 'missing' | 'syntax' | 'include' | 'variable';

/** A configuration httpd would not accept, or that we cannot read; names the file and line. */
export class ApacheConfigError extends Error {
  readonly problem: ConfigProblem;
  readonly file: string;
  readonly line: number | undefined;
  constructor(problem: ConfigProblem, file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'ApacheConfigError';
    this.problem = problem;
    this.file = file;
    this.line = line;
  }
}

export interface ListenAddr {
  /** Undefined for a bare port (all addresses). IPv6 without brackets. */
  readonly host: string | undefined;
  readonly port: number;
  /** Optional second argument, e.g. https. */
  readonly protocol: string | undefined;
}

export interface ApacheConfig {
  /** Absolute PidFile, undefined when the configuration has none. */
  readonly pidFile: string | undefined;
  readonly listen: readonly ListenAddr[];
  /** Apache 1.3 Port directive. */
  readonly port: number | undefined;
  /** <Location> paths whose section sets the server-status handler, in file order. */
  readonly statusLocations: readonly string[];
  /** Every file read, in order. */
  readonly files: readonly string[];
  /** Names used as ${NAME} in active lines of any directive (Debian: APACHE_RUN_DIR ...). */
  readonly variables: ReadonlySet<string>;
}

export interface ReadOptions {
  /** -D names of the command line (httpd -DSTATUS ...). */
  readonly defines: readonly string[];
  /** -d of the command line. */
  readonly serverRoot?: string | undefined;
  /** -C directives (before the file) and -c directives (after it). */
  readonly before?: readonly string[];
  readonly after?: readonly string[];
  /**
   * Environment for ${VAR} not set by Define; asked only when such a variable
   * occurs, so envfiles are sourced only for configurations that need them.
   */
  env(): Promise<Readonly<Record<string, string | undefined>>>;
  /** httpd's compiled-in ServerRoot; asked only for a relative path before any ServerRoot. */
  defaultServerRoot(): Promise<string>;
}

/** httpd's AP_MAX_INCLUDE_DEPTH */
const MAX_INCLUDE_DEPTH = 128;
const VAR = /\$\{([^}]+)\}/g;

interface Frame {
  readonly name: string;
  readonly active: boolean;
  readonly location: string | undefined;
  readonly file: string;
  readonly line: number;
}

interface Pending {
  readonly raw: string;
  readonly file: string;
  readonly line: number;
}

/** Directives whose arguments we read; ${VAR} is only expanded in these. */
const READ = new Set(['include', 'includeoptional', 'serverroot', 'pidfile', 'listen', 'port', 'define', 'undefine', 'sethandler']);

/** httpd's word splitting of directive arguments: blanks, "..." and '...' with \-escapes. */
function args(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const q = text[i];
    if (q === '"' || q === "'") {
      let word = '';
      let j = i + 1;
      while (j < text.length && text[j] !== q) {
        if (text[j] === '\\' && (text[j + 1] === q || text[j + 1] === '\\')) j++;
        word += text[j];
        j++;
      }
      out.push(word);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j]!)) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** Logical lines: backslash-newline joins lines; the first physical line number is kept. */
function logicalLines(text: string): { text: string; line: number }[] {
  const physical = text.split(/\r?\n/);
  const out: { text: string; line: number }[] = [];
  for (let i = 0; i < physical.length; i++) {
    const start = i + 1;
    let cur = physical[i]!;
    while (cur.endsWith('\\') && i + 1 < physical.length) {
      cur = cur.slice(0, -1) + physical[++i]!;
    }
    out.push({ text: cur.trim(), line: start });
  }
  return out;
}

export function parseListen(value: string): ListenAddr | undefined {
  const [addr, protocol] = args(value);
  if (addr === undefined) return undefined;
  let m = /^\[([0-9A-Fa-f:.%a-zA-Z]+)\]:(\d+)$/.exec(addr);
  if (m) return listenOf(m[1], m[2]!, protocol);
  m = /^([^:\s]+):(\d+)$/.exec(addr);
  if (m) return listenOf(m[1], m[2]!, protocol);
  m = /^(\d+)$/.exec(addr);
  if (m) return listenOf(undefined, m[1]!, protocol);
  return undefined;
}

function listenOf(host: string | undefined, port: string, protocol: string | undefined): ListenAddr | undefined {
  const n = Number(port);
  if (n < 1 || n > 65535) return undefined;
  return { host, port: n, protocol: protocol?.toLowerCase() };
}

class Reader {
  readonly #o: ReadOptions;
  readonly #defines = new Set<string>();
  readonly #vars = new Map<string, string>();
  #env: Readonly<Record<string, string | undefined>> | undefined;
  #root: string | undefined;
  #defaultRoot: string | undefined;
  readonly #stack: Frame[] = [];
  readonly files: string[] = [];
  readonly listen: ListenAddr[] = [];
  readonly statusLocations: string[] = [];
  readonly variables = new Set<string>();
  pidFile: Pending | undefined;
  port: number | undefined;

  constructor(o: ReadOptions) {
    this.#o = o;
    this.#root = o.serverRoot;
    for (const d of o.defines) this.#defines.add(d);
  }

  get #active(): boolean {
    return this.#stack.every((f) => f.active);
  }

  async #defaultServerRoot(): Promise<string> {
    this.#defaultRoot ??= await this.#o.defaultServerRoot();
    return this.#defaultRoot;
  }

  /** Resolves `p` against the ServerRoot in force (`root`), as ap_server_root_relative does. */
  async resolve(p: string, root: string | undefined): Promise<string> {
    if (isAbsolute(p)) return p;
    return join(root ?? (await this.#defaultServerRoot()), p);
  }

  /**
   * Expands ${VAR} (Define first, then the environment). httpd keeps an
   * undefined one literally and warns; we do the same and let the caller
   * refuse it where the value matters.
   */
  async #substitute(text: string, file: string, line: number): Promise<string> {
    if (!text.includes('${')) return text;
    let out = '';
    let last = 0;
    for (const m of text.matchAll(VAR)) {
      const name = m[1]!;
      let value = this.#vars.get(name);
      if (value === undefined) {
        this.#env ??= await this.#o.env();
        value = this.#env[name];
      }
      out += text.slice(last, m.index) + (value ?? m[0]);
      last = m.index! + m[0].length;
    }
    out += text.slice(last);
    const unresolved = /\$\{([^}]+)\}/.exec(out);
    if (unresolved) {
      throw new ApacheConfigError(
        'variable',
        file,
        line,
        `\${${unresolved[1]}} is not defined (not set by Define, envfiles or the environment)`,
      );
    }
    return out;
  }

  get root(): string | undefined {
    return this.#root;
  }

  async readFile(file: string, depth: number): Promise<void> {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      throw new ApacheConfigError('missing', file, undefined, `cannot read configuration file (${why})`);
    }
    this.files.push(file);
    await this.readLines(logicalLines(text), file, depth);
  }

  async readLines(lines: readonly { text: string; line: number }[], file: string, depth: number): Promise<void> {
    const base = this.#stack.length;
    for (const { text, line } of lines) {
      if (text === '' || text.startsWith('#')) continue;
      await this.#line(text, file, line, depth, base);
    }
    if (this.#stack.length > base) {
      const open = this.#stack[this.#stack.length - 1]!;
      throw new ApacheConfigError('syntax', open.file, open.line, `<${open.name}> is not closed in this file`);
    }
  }

  async #line(raw: string, file: string, line: number, depth: number, base: number): Promise<void> {
    if (raw.startsWith('</')) {
      const name = raw.slice(2).replace(/>\s*$/, '').trim().toLowerCase();
      const top = this.#stack[this.#stack.length - 1];
      if (this.#stack.length <= base || top === undefined || top.name.toLowerCase() !== name) {
        throw new ApacheConfigError('syntax', file, line, `</${name}> without matching <${name}> section`);
      }
      this.#stack.pop();
      return;
    }
    if (raw.startsWith('<')) {
      if (!raw.endsWith('>')) throw new ApacheConfigError('syntax', file, line, `section line lacks the closing '>'`);
      const inner = raw.slice(1, -1).trim();
      const name = inner.split(/\s/, 1)[0]!;
      const rest = inner.slice(name.length).trim();
      const lname = name.toLowerCase();
      const read = this.#active && (lname === 'ifdefine' || lname === 'location');
      const text = read ? await this.#substitute(rest, file, line) : rest;
      let active = true;
      let location: string | undefined;
      if (lname === 'ifdefine') {
        const arg = args(text)[0] ?? '';
        const negate = arg.startsWith('!');
        const defined = this.#defines.has(negate ? arg.slice(1) : arg);
        active = negate ? !defined : defined;
      } else if (lname === 'location') {
        // <Location ~ "regex"> names no URL we could load
        const [first, second] = args(text);
        location = first === '~' || second !== undefined ? undefined : first;
      }
      this.#stack.push({ name, active, location, file, line });
      return;
    }
    if (!this.#active) return;
    if (raw.includes('${')) for (const m of raw.matchAll(VAR)) this.variables.add(m[1]!);
    const directive = raw.split(/\s/, 1)[0]!;
    const lname = directive.toLowerCase();
    if (!READ.has(lname)) return;
    const value = await this.#substitute(raw.slice(directive.length).trim(), file, line);
    switch (lname) {
      case 'include':
      case 'includeoptional':
        await this.#include(directive, value, file, line, depth);
        break;
      case 'serverroot': {
        const root = args(value)[0];
        if (root === undefined) throw new ApacheConfigError('syntax', file, line, 'ServerRoot takes a directory');
        this.#root = root.length > 1 ? root.replace(/\/+$/, '') : root;
        break;
      }
      case 'pidfile': {
        const p = args(value)[0];
        if (p === undefined) throw new ApacheConfigError('syntax', file, line, 'PidFile takes a file name');
        this.pidFile = { raw: p, file, line };
        break;
      }
      case 'listen': {
        const l = parseListen(value);
        if (l === undefined) {
          throw new ApacheConfigError('syntax', file, line, `Listen '${value}' is not [address:]port [protocol]`);
        }
        this.listen.push(l);
        break;
      }
      case 'port':
        if (/^\d+$/.test(value)) this.port = Number(value);
        break;
      case 'define': {
        const [name, v] = args(value);
        if (name !== undefined) {
          this.#defines.add(name);
          if (v !== undefined) this.#vars.set(name, v);
        }
        break;
      }
      case 'undefine': {
        const name = args(value)[0];
        if (name !== undefined) {
          this.#defines.delete(name);
          this.#vars.delete(name);
        }
        break;
      }
      case 'sethandler': {
        const loc = [...this.#stack].reverse().find((f) => f.location !== undefined)?.location;
        if (loc !== undefined && args(value)[0]?.toLowerCase() === 'server-status') this.statusLocations.push(loc);
        break;
      }
    }
  }

  async #include(directive: string, value: string, file: string, line: number, depth: number): Promise<void> {
    const optional = directive.toLowerCase() === 'includeoptional';
    const spec = args(value)[0];
    if (spec === undefined) throw new ApacheConfigError('syntax', file, line, `${directive} takes a path`);
    if (depth >= MAX_INCLUDE_DEPTH) {
      throw new ApacheConfigError('include', file, line, `more than ${MAX_INCLUDE_DEPTH} nested includes (does ${spec} include itself?)`);
    }
    const path = await this.resolve(spec, this.#root);
    const { expandInclude } = await import('./include-glob.js');
    const found = expandInclude(path);
    if (!found.ok) {
      if (optional) return;
      throw new ApacheConfigError('include', file, line, `Include ${spec}: ${found.problem}`);
    }
    for (const f of found.files) await this.readFile(f, depth + 1);
  }
}

/**
 * Reads `file` (plus -C/-c directives) as httpd would for the directives
 * above. Throws ApacheConfigError for an unreadable file, an unbalanced
 * section, a non-optional Include without match, or an undefined ${VAR}.
 */
export async function readApacheConfig(file: string, o: ReadOptions): Promise<ApacheConfig> {
  const r = new Reader(o);
  await r.readLines((o.before ?? []).map((text) => ({ text, line: 0 })), '(-C option)', 0);
  await r.readFile(file, 0);
  await r.readLines((o.after ?? []).map((text) => ({ text, line: 0 })), '(-c option)', 0);
  // httpd resolves PidFile when it writes it, against the final ServerRoot
  const pid = r.pidFile;
  const pidFile = pid === undefined ? undefined : await r.resolve(pid.raw, r.root);
  return Object.freeze({
    pidFile,
    listen: Object.freeze(r.listen),
    port: r.port,
    statusLocations: Object.freeze(r.statusLocations),
    files: Object.freeze(r.files),
    variables: r.variables,
  });
}

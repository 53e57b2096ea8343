// Reads the commands out of a Markdown page's fenced code blocks, so a
// test can run exactly what a page tells an administrator to type.
// Only what the recipes need: ``` / ~~~ fences, `\` line continuations,
// `#` comments, and a strict shell-word splitter that refuses anything a
// shell would expand (so running the words without a shell is faithful).

export interface FencedBlock {
  /** The info string's words: ```sh pcs-offline gives ['sh', 'pcs-offline']. */
  readonly info: readonly string[];
  /** 1-based line number of the opening fence. */
  readonly line: number;
  readonly lines: readonly string[];
}

export interface BlockCommand {
  /** The command with continuations joined, comment lines dropped. */
  readonly text: string;
  /** 1-based line number in the page where the command starts. */
  readonly line: number;
}

export class MarkdownCommandError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'MarkdownCommandError';
  }
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** Every fenced code block of `markdown`, in order. An unclosed fence is an error. */
export function fencedBlocks(markdown: string, page = 'page'): FencedBlock[] {
  const out: FencedBlock[] = [];
  const all = markdown.split('\n');
  for (let i = 0; i < all.length; i++) {
    const open = FENCE.exec(all[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < all.length; j++) {
      const close = FENCE.exec(all[j]!);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length && close[2]!.trim() === '') break;
      body.push(all[j]!);
    }
    if (j === all.length) throw new MarkdownCommandError(`${page}:${i + 1}`, 'code block is never closed');
    out.push({ info: open[2]!.trim().split(/\s+/).filter(Boolean), line: i + 1, lines: body });
    i = j;
  }
  return out;
}

/** The block's commands: `\`-continued lines joined, blank and comment-only lines skipped. */
export function blockCommands(block: FencedBlock): BlockCommand[] {
  const out: BlockCommand[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  block.lines.forEach((raw, k) => {
    const lineNo = block.line + 1 + k;
    const continued = /\\$/.test(raw);
    const part = continued ? raw.slice(0, -1) : raw;
    if (!pending) {
      if (part.trim() === '' || part.trim().startsWith('#')) return;
      pending = { parts: [], line: lineNo };
    }
    pending.parts.push(part.trim());
    if (!continued) {
      out.push({ text: pending.parts.join(' '), line: pending.line });
      pending = undefined;
    }
  });
  if (pending) out.push({ text: pending.parts.join(' '), line: pending.line });
  return out;
}

const PLAIN = /[A-Za-z0-9_@%+=:,./^-]/;

/**
 * Splits one command into words as sh would, for the plain commands a
 * recipe runs: quotes and backslashes, `#` comments. Anything a shell would
 * expand or treat as an operator ($, `, ;, |, &, <, >, globs, braces...)
 * is an error: without a shell it would silently mean something else.
 */
export function shellWords(text: string, where = 'command'): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (s: string) => { word = (word ?? '') + s; };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new MarkdownCommandError(where, `unclosed ' in: ${text}`);
      add(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!;
        if (d === '$' || d === '`') throw new MarkdownCommandError(where, `'${d}' inside double quotes would be expanded by a shell: ${text}`);
        if (d === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) s += text[++j]!;
        else s += d;
      }
      if (j >= text.length) throw new MarkdownCommandError(where, `unclosed " in: ${text}`);
      add(s);
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new MarkdownCommandError(where, `trailing backslash in: ${text}`);
      add(text[i + 1]!);
      i += 2;
    } else if (PLAIN.test(c)) {
      add(c);
      i++;
    } else {
      throw new MarkdownCommandError(where, `'${c}' is shell syntax this runner does not interpret: ${text}`);
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

// Splitting `options` and testconffile `client_opts` into argv words the way
// a POSIX shell does for quoting (', ", \), without any expansion. heartbeat
// expands these unquoted, so `-c "PidFile /x"` broke into three words there;
// here it is one argument, and plain word lists behave the same.

export type Words = { ok: true; words: string[] } | { ok: false; problem: string };

const DQ_ESCAPABLE = new Set(['"', '\\', '$', '`', '\n']);

export function splitWords(text: string): Words {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { ok: false, problem: `unterminated ' quote at character ${i + 1}` };
      cur += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return { ok: false, problem: `unterminated " quote at character ${i + 1}` };
        const d = text[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < text.length && DQ_ESCAPABLE.has(text[j + 1]!)) {
          if (text[j + 1] !== '\n') cur += text[j + 1];
          j += 2;
          continue;
        }
        cur += d;
        j++;
      }
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return { ok: false, problem: 'trailing backslash' };
      if (text[i + 1] !== '\n') cur += text[i + 1];
      i += 2;
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return { ok: true, words };
}

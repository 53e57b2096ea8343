// Stdin `name=value` lines, as Pacemaker's fencer writes them. Lenient where
// fencing.py is (spaces around '=', one pair of double quotes, any case,
// '-' for '_', unknown names only warned about), strict where fence_virt is
// silently wrong: it cuts `action = off` at the first space and keeps the
// default reboot. A line we cannot read is an error naming the line.
import type { Assignment, ParseOutcome } from './assignment.js';
import { AGENT_NAME, findByName, IGNORED_STDIN_NAMES, normalizeName, type AgentName } from './options.js';

const NAME = /^[A-Za-z0-9_.-]+$/;

function show(line: string): string {
  const printable = line.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return printable.length > 80 ? `'${printable.slice(0, 77)}...'` : `'${printable}'`;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** `agent`: under a C client's name, the other client's names are unknown there too (args_get_stdin checks the optstring). */
export function parseStdin(text: string, agent: AgentName = AGENT_NAME): ParseOutcome {
  const assignments: Assignment[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const ignored = new Set(IGNORED_STDIN_NAMES);
  text.split('\n').forEach((rawLine, index) => {
    const lineNo = index + 1;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!NAME.test(name)) {
      problems.push(`stdin line ${lineNo}: cannot parse ${show(line)}: expected name=value`);
      return;
    }
    if (ignored.has(normalizeName(name))) return;
    const spec = findByName(name, agent);
    if (!spec) {
      if (eq < 0) problems.push(`stdin line ${lineNo}: cannot parse ${show(line)}: expected name=value`);
      else {
        const elsewhere = agent !== AGENT_NAME && findByName(name) ? `; not a ${agent} parameter` : '';
        warnings.push(`Parse error: Ignoring unknown option '${name}' (stdin line ${lineNo}${elsewhere})`);
      }
      return;
    }
    const where = `stdin line ${lineNo} (${name})`;
    if (eq < 0) {
      // A bare name is a valueless flag (debug, use_uuid); anything else needs its value.
      if (spec.flagValue && spec.argName === undefined) assignments.push({ spec, raw: undefined, where });
      else problems.push(`stdin line ${lineNo}: '${name}' has no value; write ${name}=VALUE`);
      return;
    }
    assignments.push({ spec, raw: unquote(line.slice(eq + 1).trim()), where });
  });
  return { assignments, problems, warnings };
}

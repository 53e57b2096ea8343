// getopt-style command line: clustered short flags (-dd), attached or
// separate values (-ooff, -o off), optional attached values (-S3), and, as
// fence_palisade, long forms of every stdin name (--plug=vm1, --key-file
// /etc/k). Under a C client's name only that client's letters exist, as
// with its getopt string. Operands are an error: fence_virt ignores them
// silently, which hides typos.
import type { Assignment, ParseOutcome } from './assignment.js';
import { AGENT_NAME, findByFlag, findByName, optionsFor, normalizeName, type AgentName, type AnyOptionSpec } from './options.js';

const takesValue = (s: AnyOptionSpec): boolean => s.argName !== undefined && !s.argOptional;

function findLong(name: string): AnyOptionSpec | undefined {
  return findByName(name) ?? optionsFor().find((o) => o.cliOnly && normalizeName(o.name) === normalizeName(name));
}

export function parseArgv(argv: readonly string[], agent: AgentName = AGENT_NAME): ParseOutcome {
  const assignments: Assignment[] = [];
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      for (const rest of argv.slice(i + 1)) problems.push(`unexpected argument '${rest}'`);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (agent !== AGENT_NAME) {
        problems.push(`unknown option --${name} (${agent} takes single-letter flags only, as the C ${agent} does)`);
        continue;
      }
      const spec = findLong(name);
      if (!spec) {
        problems.push(`unknown option --${name}`);
        continue;
      }
      if (eq >= 0) assignments.push({ spec, raw: arg.slice(eq + 1), where: `--${name}` });
      else if (takesValue(spec)) {
        const next = argv[i + 1];
        if (next === undefined) problems.push(`option --${name} needs a value`);
        else {
          assignments.push({ spec, raw: next, where: `--${name}` });
          i++;
        }
      } else assignments.push({ spec, raw: undefined, where: `--${name}` });
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      problems.push(`unexpected argument '${arg}' (with no arguments at all, key=value lines are read from standard input)`);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const spec = findByFlag(letter, agent);
      if (!spec) {
        problems.push(`unknown option -${letter}${agent !== AGENT_NAME && findByFlag(letter) ? ` (not a ${agent} flag; fence_palisade accepts it)` : ''}`);
        continue;
      }
      const rest = arg.slice(j + 1);
      if (takesValue(spec)) {
        if (rest !== '') assignments.push({ spec, raw: rest, where: `-${letter}` });
        else if (argv[i + 1] === undefined) problems.push(`option -${letter} needs a value (${spec.argName})`);
        else assignments.push({ spec, raw: argv[++i]!, where: `-${letter}` });
        break;
      }
      if (spec.argOptional) {
        assignments.push({ spec, raw: rest === '' ? undefined : rest, where: `-${letter}` });
        break;
      }
      assignments.push({ spec, raw: undefined, where: `-${letter}` });
    }
  }
  return { assignments, problems, warnings: [] };
}

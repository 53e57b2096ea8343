// `palisade config check FILE`: everything palisaded checks before it
// binds (grammar, plug-in names, options, key files), plus a backend
// connection unless --offline.
import { readConfigFile } from '../daemon/config/parse.js';
import { planDaemon } from '../daemon/daemon-config.js';
import { buildAcl } from '../daemon/acl.js';

export interface CheckReport {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

export async function checkConfig(file: string, opts: { offline: boolean }): Promise<CheckReport> {
  const lines: string[] = [];
  const warn = (m: string) => lines.push(`warning: ${m}`);
  try {
    const root = await readConfigFile(file);
    const plan = planDaemon(root);
    const acl = buildAcl(root);
    const listener = await plan.listener.spec.create(plan.listener.section, {
      name: plan.listener.name, log: (level, m) => { if (level === 'warn' || level === 'error') warn(m); },
    });
    lines.push(`listener: ${listener.description}`);
    lines.push(`backend: ${plan.backend.name}`);
    lines.push(`groups: ${acl.describe()}`);
    if (!opts.offline) {
      const backend = await plan.backend.spec.create(plan.backend.section, { log: (level, m) => { if (level !== 'debug') warn(m); } });
      try {
        const domains = await backend.list(AbortSignal.timeout(15_000));
        lines.push(`backend reachable: ${domains.length} domain(s): ${domains.map((d) => d.name).join(', ') || '(none)'}`);
      } finally {
        await backend.close();
      }
    }
    lines.push(`${file}: OK`);
    return { ok: true, lines };
  } catch (e) {
    lines.push((e as Error).message);
    return { ok: false, lines };
  }
}

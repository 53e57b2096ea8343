// `palisade config check FILE`: everything palisaded checks before it
// binds (grammar, plug-in names, options, key files), plus a backend
// connection unless --offline.
import { readConfigFile } from '../daemon/config/parse.js';
import { planDaemon } from '../daemon/daemon-config.js';
import { accessModel } from '../daemon/runtime.js';
import { section } from '../daemon/config/access.js';
import { effectiveSettings } from '../daemon/config/schema.js';
import { fenceVirtdSchema } from '../daemon/daemon-schema.js';
import type { NamedBackend } from '../daemon/backends/types.js';

export interface CheckReport {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

export async function checkConfig(file: string, opts: { offline: boolean }): Promise<CheckReport> {
  const lines: string[] = [];
  const warn = (m: string) => lines.push(`warning: ${m}`);
  const backends: NamedBackend[] = [];
  try {
    const root = await readConfigFile(file);
    const plan = planDaemon(root);
    const { acl, clusters } = accessModel(plan);
    for (const w of [...plan.warnings, ...acl.warnings]) warn(w);
    if (!opts.offline) {
      for (const b of plan.backends) {
        backends.push({ name: b.name, backend: await b.spec.create(b.section, { log: (level, m) => { if (level !== 'debug') warn(m); } }) });
      }
    }
    for (const l of plan.listeners) {
      const listener = await l.spec.create(l.section, {
        name: l.name, backends, clusters, log: (level, m) => { if (level === 'warn' || level === 'error') warn(m); },
      });
      lines.push(`listener: ${listener.description}`);
    }
    for (const b of plan.backends) lines.push(`backend: ${b.name}`);
    // Every setting in force, defaults marked, from the same tables that parse them.
    const main = section(root, 'fence_virtd')!;
    const settings = (name: string, list: string[]) => lines.push(`settings ${name}:`, ...list.map((l) => `  ${l}`));
    settings('fence_virtd', effectiveSettings(main, fenceVirtdSchema));
    for (const p of [...plan.listeners, ...plan.backends]) settings(p.name, effectiveSettings(p.section, p.spec.schema));
    lines.push(`groups: ${acl.describe()}`);
    for (const c of clusters.values()) lines.push(`cluster ${c.name} (line ${c.line}): ${c.keyFile ? `key ${c.keyFile}` : 'scope of a listener'}`);
    for (const { name, backend } of backends) {
      const domains = await backend.list(AbortSignal.timeout(15_000));
      lines.push(`backend ${name} reachable: ${domains.length} domain(s): ${domains.map((d) => d.name).join(', ') || '(none)'}`);
    }
    lines.push(`${file}: OK`);
    return { ok: true, lines };
  } catch (e) {
    lines.push((e as Error).message);
    return { ok: false, lines };
  } finally {
    await Promise.allSettled(backends.map((b) => b.backend.close()));
  }
}

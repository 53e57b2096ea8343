// The libvirt plug-in: validates its section, starts one virsh session per
// URI and checks that at least one hypervisor answers, as fence_virtd's
// init fails with "Could not connect to any hypervisors".
import { BackendError } from '../../errors.js';
import type { BackendSpec } from '../types.js';
import { LibvirtBackend } from './backend.js';
import { parseLibvirtSection } from './options.js';
import { VirshSession } from './virsh-session.js';
import { Virsh } from './virsh.js';
import { libvirtSchema } from './schema.js';

export const libvirtBackend: BackendSpec = {
  name: 'libvirt',
  schema: libvirtSchema,
  async create(section, ctx) {
    const opts = parseLibvirtSection(section, ctx.log);
    const hypervisors = opts.uris.map(
      (uri) => new Virsh(new VirshSession({ uri, virsh: opts.virsh, timeoutMs: opts.commandTimeoutMs, log: ctx.log })),
    );
    const probes = await Promise.allSettled(hypervisors.map((v) => v.listAll()));
    const failures = probes.flatMap((p, i) => (p.status === 'rejected' ? [{ uri: opts.uris[i]!, error: p.reason as unknown }] : []));
    if (failures.length === hypervisors.length) {
      await Promise.all(hypervisors.map((v) => v.close()));
      const first = failures[0]!.error;
      if (failures.length === 1 && first instanceof Error) throw first;
      throw new BackendError(
        `could not connect to any hypervisor: ${failures.map((f) => (f.error instanceof Error ? f.error.message : String(f.error))).join(' | ')}`,
        { command: opts.uris.map((u) => `virsh -c ${u}`).join(', '), cause: first },
      );
    }
    for (const f of failures) {
      ctx.log('warn', `backends/libvirt: ${f.uri} is not answering yet (retried on each request): ${f.error instanceof Error ? f.error.message : String(f.error)}`);
    }
    for (const [i, uri] of opts.uris.entries()) {
      if (probes[i]!.status === 'fulfilled') ctx.log('debug', `backends/libvirt: connected to ${uri} through ${opts.virsh}`);
    }
    return new LibvirtBackend(hypervisors, { log: ctx.log, statusCacheMs: opts.statusCacheMs });
  },
};

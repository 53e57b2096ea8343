// The `serial` listener plug-in: fence_virt in a guest talks over a serial
// port or virtio channel whose host end is a unix socket (fence-virt server/serial.c).
// create() checks every option without needing a backend, so that
// `palisade config check --offline` reports the same errors; which backend
// to watch is settled here when backends exist, else in start().
import { configError } from '../../config/access.js';
import type { ConfigSection } from '../../config/tree.js';
import type { NamedBackend } from '../../backends/types.js';
import { PalisadeError } from '../../errors.js';
import type { ListenerContext, ListenerSpec } from '../types.js';
import { SerialListener, type WatchedBackend } from './listener.js';
import { parseSerialSection } from './options.js';
import { serialSchema } from './schema.js';

export const serialListener: ListenerSpec = {
  name: 'serial',
  schema: serialSchema,
  async create(section, ctx) {
    const opts = parseSerialSection(section, ctx);
    return new SerialListener(opts, ctx, pickBackend(section, ctx, opts.uri));
  },
};

/** The hypervisor URIs of a backend whose guests have sockets; empty for a backend without that capability. */
function urisOf(b: NamedBackend): readonly string[] {
  return b.backend.capabilities.guestSockets?.uris ?? [];
}

/**
 * The backend whose domains are watched: the one with hypervisor uri `uri`,
 * or the first that offers guest sockets. An Error (thrown by start()) when
 * there is none to pick, and a ConfigError at once when `uri` names no
 * configured backend.
 */
function pickBackend(section: ConfigSection, ctx: ListenerContext, uri: string | undefined): WatchedBackend | Error {
  if (ctx.backends.length === 0) {
    return new PalisadeError('PAL_ERR_LISTENER', `${ctx.name}: no backend to watch domains with; the serial listener needs the libvirt backend (fence_virtd { backend = "libvirt"; })`);
  }
  const capable = ctx.backends.filter((b) => b.backend.capabilities.guestSockets !== undefined);
  if (uri === undefined) {
    const first = capable[0];
    if (!first) {
      return new PalisadeError('PAL_ERR_LISTENER', `${ctx.name}: none of the backends (${ctx.backends.map((b) => b.name).join(', ')}) offers guest sockets; the serial listener needs one that does, such as libvirt`);
    }
    return { named: first, guests: first.backend.capabilities.guestSockets! };
  }
  const hit = capable.find((b) => urisOf(b).includes(uri));
  if (!hit) {
    const known = capable.flatMap((b) => urisOf(b).map((u) => `${u} (${b.name})`));
    throw configError(section, 'uri', `'${uri}' is not the uri of any configured backend${known.length ? ` (configured: ${known.join(', ')})` : ''}; set it to one of those, or add it to backends { libvirt { uri = "${uri}"; } }`);
  }
  return { named: hit, guests: hit.backend.capabilities.guestSockets! };
}

// The `serial` listener plug-in: fence_virt in a guest talks over a serial
// port or virtio channel whose host end is a unix socket (fence-virt server/serial.c).
// create() checks every option without needing a backend, so that
// `palisade config check --offline` reports the same errors; which backend
// to watch is settled here when backends exist, else in start().
import { configError } from '../../config/access.js';
import type { ConfigSection } from '../../config/tree.js';
import type { NamedBackend } from '../../backends/types.js';
import { LibvirtBackend } from '../../backends/libvirt/backend.js';
import { PalisadeError } from '../../errors.js';
import type { ListenerContext, ListenerSpec } from '../types.js';
import { SerialListener, type WatchedBackend } from './listener.js';
import { parseSerialSection } from './options.js';

export const serialListener: ListenerSpec = {
  name: 'serial',
  async create(section, ctx) {
    const opts = parseSerialSection(section, ctx);
    return new SerialListener(opts, ctx, pickBackend(section, ctx, opts.uri));
  },
};

/** The libvirt URIs a backend talks to; empty for a backend that has none. */
function urisOf(b: NamedBackend): readonly string[] {
  return b.backend instanceof LibvirtBackend ? b.backend.uris : [];
}

/**
 * The backend whose domains are watched: the one with libvirt uri `uri`, or
 * the first. An Error (thrown by start()) when there is none to pick, and a
 * ConfigError at once when `uri` names no configured backend.
 */
function pickBackend(section: ConfigSection, ctx: ListenerContext, uri: string | undefined): WatchedBackend | Error {
  if (ctx.backends.length === 0) {
    return new PalisadeError('PAL_ERR_LISTENER', `${ctx.name}: no backend to watch domains with; the serial listener needs the libvirt backend (fence_virtd { backend = "libvirt"; })`);
  }
  if (uri === undefined) {
    const first = ctx.backends[0]!;
    return { named: first, uris: urisOf(first) };
  }
  const hit = ctx.backends.find((b) => urisOf(b).includes(uri));
  if (!hit) {
    const known = ctx.backends.flatMap((b) => urisOf(b).map((u) => `${u} (${b.name})`));
    throw configError(section, 'uri', `'${uri}' is not the uri of any configured backend${known.length ? ` (configured: ${known.join(', ')})` : ''}; set it to one of those, or add it to backends { libvirt { uri = "${uri}"; } }`);
  }
  return { named: hit, uris: urisOf(hit) };
}

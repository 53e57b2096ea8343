// The `backends { libvirt { … } }` block. fence_virtd reads uri, uri1,
// uri2, … up to the first missing key and refuses to start without `uri`;
// the other keys are ours.
import { defineSection, key } from '../../config/schema.js';
import { DEFAULT_STATUS_CACHE_MS } from './status-cache.js';

export const libvirtSchema = defineSection({
  path: 'backends/libvirt',
  doc: 'Domains of one or more libvirt hypervisors, through long-lived virsh sessions.',
  keys: {
    uri: key.indexed({ required: true, hint: 'required, as in fence_virtd; add uri = "qemu:///system"; (uri1, uri2, … add more hypervisors)',
      doc: 'hypervisors, read up to the first missing key. A domain is looked up on each in turn; `list` merges all of them.' }),
    virsh: key.string({ default: 'virsh', extension: true, doc: 'the virsh binary (an absolute path or a name looked up in PATH)' }),
    command_timeout: key.integer({ default: 10, min: 1, max: 3600, unit: 's', extension: true,
      doc: 'how long one virsh command may take. A hung virsh is killed and restarted, and the request fails with result 1.' }),
    status_cache_ms: key.integer({ default: DEFAULT_STATUS_CACHE_MS, min: 0, max: 10_000, unit: 'ms', extension: true,
      doc: 'how long a `status` answer may be reused; `0` turns the cache off (see below)' }),
  },
});

// IPaddr2 under the conformance test: an address on one end of a veth pair.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConformanceFixture } from '../helpers/conformance.js';
import { createVethPair } from '../helpers/netns.js';

export const conformance: ConformanceFixture = {
  ocfTester: true,
  async setup() {
    const rsctmp = mkdtempSync(join(tmpdir(), 'pal-conf-ip2-'));
    const net = await createVethPair({ tag: 'conf' });
    return {
      params: { ip: '192.0.2.50', cidr_netmask: '24', nic: net.a.ifname },
      env: { HA_RSCTMP: rsctmp },
      netns: net.a.ns,
      async cleanup() {
        await net.cleanup();
        rmSync(rsctmp, { recursive: true, force: true });
      },
    };
  },
};

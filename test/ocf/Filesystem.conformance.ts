// Filesystem under the conformance test: an ext4 loop image and a mount
// point below its temp dir (mounts happen in the test's private mount namespace).
import { join } from 'node:path';
import type { ConformanceFixture } from '../helpers/conformance.js';
import { loopDisks } from '../helpers/loopdev.js';

export const conformance: ConformanceFixture = {
  ocfTester: true,
  async setup() {
    const disks = await loopDisks('pal-conf-fs-');
    try {
      const disk = await disks.create({ label: 'pal-conf' });
      return {
        params: { device: disk.device, directory: join(disks.dir, 'mnt'), fstype: disk.fstype },
        env: { HA_RSCTMP: disks.dir },
          cleanup: () => disks.cleanup(),
      };
    } catch (e) {
      await disks.cleanup();
      throw e;
    }
  },
};

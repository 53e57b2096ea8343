// drbd under the conformance test: node "alpha" of the drbd-utils stand-in
// (this kernel has no DRBD), resource r0 unconfigured, as a promotable
// clone's instance with notifications on.
import { drbdStandIn } from '../stand-ins/drbd-utils/api.js';
import type { ConformanceFixture } from '../helpers/conformance.js';

export const conformance: ConformanceFixture = {
  ocfTester: true,
  async setup() {
    const s = await drbdStandIn();
    return {
      params: { drbd_resource: 'r0', drbdconf: s.conf, wfc_timeout: '0', CRM_meta_notify: 'true' },
      env: s.env('alpha'),
      cleanup: () => s.cleanup(),
    };
  },
};

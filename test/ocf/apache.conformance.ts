// apache under the conformance test: a real apache2 on a free loopback port,
// with its own configuration file and state directory.
import { apacheFixture, HTTPD } from '../helpers/apache.js';
import type { ConformanceFixture } from '../helpers/conformance.js';

export const conformance: ConformanceFixture = {
  ocfTester: true,
  async setup() {
    const fx = await apacheFixture();
    return {
      params: { configfile: fx.conf, httpd: HTTPD, envfiles: '' },
      env: { HA_RSCTMP: fx.stateDir },
      cleanup: () => fx.cleanup(),
    };
  },
};

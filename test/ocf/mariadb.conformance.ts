// mariadb under the conformance test: a real mariadbd datadir, config and
// socket of its own on 127.0.0.2, not running; standalone (ocf-tester's
// promote/demote pass through outside a promotable clone).
import { mariadbCluster } from '../helpers/mariadb.js';
import type { ConformanceFixture } from '../helpers/conformance.js';

export const conformance: ConformanceFixture = {
  ocfTester: true,
  async setup() {
    const c = await mariadbCluster([{ name: 'a', address: '127.0.0.2' }]);
    return { params: c.node('a').params, cleanup: () => c.cleanup() };
  },
};

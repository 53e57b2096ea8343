import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipVersion } from '../../agents/fence/ip-literal.js';
import { checkHost } from '../../agents/fence/values.js';

describe('ipVersion', () => {
  it('agrees with net.isIP', () => {
    const cases = ['1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '::', '::1', '1::', '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '1::2::3', '::ffff:1.2.3.4', 'fe80::1%eth0', 'fe80::1%', '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.4', '12345::', 'g::1', ':1', ':::', '1:', 'localhost', '', ' 1.2.3.4', 'ff05::3:1',
      '::ffff:256.1.1.1', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7', '::1:2:3:4:5:6:7:8', '[::1]', '1.2.3.4.5', 'FE80::A'];
    for (const c of cases) expect(ipVersion(c), JSON.stringify(c)).toBe(isIP(c));
  });

  it('accepts host names but not junk as ipaddr', () => {
    expect(checkHost('hv1.example.org')).toBeUndefined();
    expect(checkHost('hv_1 x')).toMatch(/neither an IP address nor a host name/);
  });
});

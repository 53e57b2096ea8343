// Command-line parsing: fence_virt's and fence_xvm's flags, getopt rules.
import { describe, expect, it } from 'vitest';
import { HashType } from '../../protocol/constants.js';
import { parseArgv } from '../../agents/fence/parse-argv.js';
import { resolveSettings } from '../../agents/fence/validate.js';

const resolve = (...argv: string[]) => resolveSettings(parseArgv(argv));

describe('parseArgv', () => {
  it('reads the fence_virt TCP flags', () => {
    const r = resolve('-T', '::1', '-p', '1230', '-k', '/k', '-c', 'sha1', '-C', 'sha512', '-n', 'vm', '-o', 'off', '-t', '5', '-w', '2');
    expect(r.problems).toEqual([]);
    expect(r.settings).toMatchObject({
      ipaddr: '::1', ipport: 1230, keyFile: '/k', hash: HashType.SHA1, auth: HashType.SHA512, domain: 'vm', action: 'off', timeout: 5, delay: 2,
    });
  });

  it('accepts attached values and clustered flags', () => {
    const r = resolve('-dd', '-ooff', '-Hvm', '-T127.0.0.1', '-du');
    expect(r.problems).toEqual([]);
    expect(r.settings).toMatchObject({ debug: 3, action: 'off', domain: 'vm', useUuid: true, ipaddr: '127.0.0.1' });
  });

  it('accepts the fence_xvm and serial flags and validates them', () => {
    const r = resolve('-i', 'ipv6', '-a', 'ff05::3:1', '-r', '10', '-D', '/dev/ttyS1', '-P', '9600,8N1', '-A', '10.0.2.179', '-u');
    expect(r.problems).toEqual([]);
    expect(r.settings).toMatchObject({ ipFamily: 'ipv6', multicastAddress: 'ff05::3:1', retrans: 10, serialDevice: '/dev/ttyS1', serialParams: '9600,8N1' });
    // A unicast multicast_address is one host (fence_xvm to a single daemon); a zone cannot be called back.
    expect(resolve('-a', '10.0.0.1').problems).toEqual([]);
    expect(resolve('-a', 'hv1', '-a', 'fe80::1%eth0', '-P', 'fast', '-P', '115200,9N1', '-i', 'ipx').problems).toEqual([
      "-a: 'hv1' is not an IPv4 or IPv6 address",
      "-a: 'fe80::1%eth0': a zone (%interface) cannot be used; the daemon calls back the address without one",
      expect.stringMatching(/^-P: 'fast' is not SPEED,BITS PARITY STOP like 115200,8N1 \(speeds 2400, 4800/),
      expect.stringMatching(/^-P: '115200,9N1' is not SPEED,BITS/),
      "-i: 'ipx' is not one of auto, ipv4, ipv6",
    ]);
  });

  it('takes -S with an optional attached CID (getopt S::)', () => {
    expect(resolve('-S').settings.vsock).toBe(2);
    expect(resolve('-S3').settings.vsock).toBe(3);
    expect(resolve('-S1').problems).toEqual(['-S: 1 is out of range (2..4294967294)']);
  });

  it('accepts long forms of the stdin names', () => {
    const r = resolve('--plug=vm', '--key-file', '/k', '--action=status', '--ipaddr=127.0.0.1', '--help');
    expect(r.problems).toEqual([]);
    expect(r.settings).toMatchObject({ domain: 'vm', keyFile: '/k', action: 'status', help: true });
  });

  it('rejects -n and -H naming different domains but accepts the same one', () => {
    expect(resolve('-n', 'a', '-H', 'a').problems).toEqual([]);
    expect(resolve('-n', 'a', '-H', 'b').problems[0]).toMatch(/^-H: domain 'b' conflicts with 'a' from -n/);
  });

  it('reports unknown flags, missing values and stray operands', () => {
    expect(resolve('-M', 'x', '-o').problems).toEqual([
      'unknown option -M',
      expect.stringContaining("unexpected argument 'x'"),
      'option -o needs a value (action)',
    ]);
    expect(resolve('--frobnicate').problems).toEqual(['unknown option --frobnicate']);
    expect(resolve('--', '-o').problems).toEqual(["unexpected argument '-o'"]);
  });

  it('-h, -? and -V set help and version', () => {
    expect(resolve('-?').settings.help).toBe(true);
    expect(resolve('-V').settings.version).toBe(true);
  });
});

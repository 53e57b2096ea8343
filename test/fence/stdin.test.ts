// Stdin parsing as Pacemaker's fencer feeds it, plus the cases fence_virt
// gets silently wrong (`action = off` stays reboot there).
import { describe, expect, it } from 'vitest';
import { HashType } from '../../protocol/constants.js';
import { parseStdin } from '../../agents/fence/parse-stdin.js';
import { planAction, resolveSettings } from '../../agents/fence/validate.js';

const resolve = (text: string) => resolveSettings(parseStdin(text));

describe('parseStdin', () => {
  it('reads what Pacemaker writes', () => {
    const r = resolve('action=off\nnodename=node1\nport=vm1\nipaddr=192.0.2.1\nkey_file=/etc/k\n');
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.settings).toMatchObject({ action: 'off', domain: 'vm1', ipaddr: '192.0.2.1', keyFile: '/etc/k' });
  });

  it('trims spaces around the name, the = and the value', () => {
    const r = resolve('  action = off  \n\tplug =\tvm1\r\n');
    expect(r.problems).toEqual([]);
    expect(r.settings.action).toBe('off');
    expect(r.settings.domain).toBe('vm1');
  });

  it('strips one pair of double quotes, like fencing.py', () => {
    const r = resolve('plug="vm 1"\nkey_file=""/k""\n');
    expect(r.settings.domain).toBe('vm 1');
    expect(r.settings.keyFile).toBe('"/k"');
  });

  it('skips comments and blank lines', () => {
    const r = resolve('# action=on\n\n   \n   # indented comment\naction=status\nplug=x\n');
    expect(r.problems).toEqual([]);
    expect(r.settings.action).toBe('status');
  });

  it('treats names case-insensitively and - as _', () => {
    const r = resolve('ACTION=Status\nKey-File=/k\nIPPort=1230\nPlug=vm\n');
    expect(r.problems).toEqual([]);
    expect(r.settings).toMatchObject({ action: 'status', keyFile: '/k', ipport: 1230, domain: 'vm' });
  });

  it('warns about unknown names and goes on', () => {
    const r = resolve('colour=blue\naction=on\nplug=vm\n');
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual(["Parse error: Ignoring unknown option 'colour' (stdin line 1)"]);
    expect(r.settings.action).toBe('on');
  });

  it('ignores nodename, nodeid, agent and self silently', () => {
    const r = resolve('nodename=n1\nnodeid=3\nagent=fence_virt\nself=x\nplug=vm\n');
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('accepts port and plug with the same value', () => {
    const r = resolve('port=vm1\nplug=vm1\ndomain=vm1\n');
    expect(r.problems).toEqual([]);
    expect(r.settings.domain).toBe('vm1');
  });

  it('rejects port and plug with different values, naming both lines', () => {
    const r = resolve('port=vm1\naction=off\nplug=vm2\n');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/stdin line 3 \(plug\): domain 'vm2' conflicts with 'vm1' from stdin line 1 \(port\)/);
  });

  it('lets the last value win for other repeated names (FenceAgentAPI)', () => {
    expect(resolve('action=on\naction=off\n').settings.action).toBe('off');
  });

  it('accepts the deprecated option= and the meta-data spelling', () => {
    expect(resolve('option=status\n').settings.action).toBe('status');
    expect(resolve('action=meta-data\n').settings.action).toBe('metadata');
  });

  it('rejects a line that is not name=value, naming the line', () => {
    const r = resolve('action=status\nthis is not an option\n');
    expect(r.problems).toEqual(["stdin line 2: cannot parse 'this is not an option': expected name=value"]);
  });

  it('rejects a known name without a value', () => {
    expect(resolve('action\n').problems).toEqual(["stdin line 1: 'action' has no value; write action=VALUE"]);
  });

  it('takes a bare boolean name as a flag', () => {
    const r = resolve('debug\nuse_uuid\n');
    expect(r.problems).toEqual([]);
    expect(r.settings.debug).toBe(1);
    expect(r.settings.useUuid).toBe(true);
  });

  it('reads booleans as yes/no/true/false/on/off/1/0', () => {
    for (const [w, v] of [['yes', true], ['NO', false], ['true', true], ['False', false], ['on', true], ['off', false], ['1', true], ['0', false]] as const) {
      expect(resolve(`use_uuid=${w}\n`).settings.useUuid).toBe(v);
    }
    expect(resolve('use_uuid=maybe\n').problems[0]).toMatch(/stdin line 1 \(use_uuid\): 'maybe' is not a boolean/);
  });

  it('rejects bad values with the line and the reason', () => {
    const r = resolve('ipport=70000\ntimeout=0\nhash=md5\naction=explode\nplug=\ndelay=-1\n');
    expect(r.problems).toEqual([
      'stdin line 1 (ipport): 70000 is out of range (1..65535)',
      'stdin line 2 (timeout): 0 is out of range (1..86400)',
      "stdin line 3 (hash): 'md5' is not one of none, sha1, sha256, sha512",
      expect.stringMatching(/^stdin line 4 \(action\): 'explode' is not one of null, on, off/),
      'stdin line 5 (plug): empty value',
      "stdin line 6 (delay): '-1' is not a whole number",
    ]);
  });

  it('rejects a domain longer than the 63 bytes the request holds', () => {
    expect(resolve(`plug=${'x'.repeat(64)}\n`).problems[0]).toMatch(/64 bytes long; at most 63/);
    expect(resolve(`plug=${'x'.repeat(63)}\n`).problems).toEqual([]);
  });

  it('parses hash and auth names in any case', () => {
    const s = resolve('hash=SHA512\nauth=None\n').settings;
    expect(s.hash).toBe(HashType.SHA512);
    expect(s.auth).toBe(HashType.NONE);
  });

  it('keeps values containing = and #', () => {
    expect(resolve('key_file=/k/a=b#c\n').settings.keyFile).toBe('/k/a=b#c');
  });
});

describe('planAction', () => {
  const plan = (text: string) => planAction(resolve(text));

  it('wants a domain for on/off/reboot/status/null, not for list/monitor/validate-all', () => {
    for (const a of ['on', 'off', 'reboot', 'status', 'null']) {
      expect(plan(`action=${a}\nipaddr=127.0.0.1\n`).problems).toEqual(['No domain specified! (set plug=NAME on stdin, or -n NAME)']);
    }
    for (const a of ['list', 'list-status', 'monitor', 'validate-all']) {
      expect(plan(`action=${a}\nipaddr=127.0.0.1\n`).problems).toEqual([]);
    }
  });

  it('selects the transport from the parameters and refuses vsock, which this version lacks', () => {
    for (const [text, t] of [['ipaddr=::1\n', 'tcp'], ['', 'multicast'], ['multicast_address=ff05::3:1\n', 'multicast'],
      ['serial_device=/dev/ttyS1\n', 'serial'], ['channel_address=10.0.2.179\n', 'vmchannel'], ['serial_device=/dev/ttyS1\nipaddr=h\n', 'tcp']] as const) {
      const p = plan(`action=list\n${text}`);
      expect(p.transport, text).toBe(t);
      expect(p.problems, text).toEqual([]);
    }
    const v = plan('action=list\nvsock=3\nipaddr=127.0.0.1\n');
    expect(v.transport).toBe('vsock');
    expect(v.problems).toEqual([expect.stringContaining("transport 'vsock' is not available in this version")]);
  });

  it('selects like fence_xvm (always multicast) and fence_virt (vmchannel unless -S, -T or -D) under their names', () => {
    const as = (text: string, agent: 'fence_xvm' | 'fence_virt') => planAction(resolveSettings(parseStdin(text, agent)), agent);
    expect(as('action=list\n', 'fence_xvm').transport).toBe('multicast');
    expect(as('action=list\nipaddr=127.0.0.1\n', 'fence_xvm')).toMatchObject({
      transport: 'multicast', warnings: ["Parse error: Ignoring unknown option 'ipaddr' (stdin line 2; not a fence_xvm parameter)"],
    });
    expect(as('action=list\n', 'fence_virt').transport).toBe('vmchannel');
    expect(as('action=list\nserial_device=/dev/ttyS1\n', 'fence_virt').transport).toBe('serial');
    expect(as('action=list\nserial_device=/dev/ttyS1\nipaddr=h\n', 'fence_virt').transport).toBe('tcp');
    expect(as('action=list\nmulticast_address=225.0.0.12\n', 'fence_virt').warnings).toEqual([
      "Parse error: Ignoring unknown option 'multicast_address' (stdin line 2; not a fence_virt parameter)",
    ]);
  });

  it('takes auth=hmac-sha256 for tcp and multicast, refuses it where nothing is authenticated, warns about a hash beside it', () => {
    expect(plan('action=list\nipaddr=h\nauth=HMAC-SHA256\n')).toMatchObject({ problems: [], warnings: [] });
    expect(plan('action=list\nipaddr=h\nauth=hmac-sha256\n').settings.auth).toBe('hmac-sha256');
    expect(plan('action=list\nauth=hmac-sha256\nhash=sha512\n').warnings).toEqual([
      'hash is ignored with auth=hmac-sha256: the request is sealed with HMAC-SHA256 instead',
    ]);
    for (const t of ['serial_device=/dev/ttyS1', 'channel_address=10.0.2.179']) {
      expect(plan(`action=list\n${t}\nauth=hmac-sha256\n`).problems).toEqual([
        expect.stringMatching(/^auth=hmac-sha256 needs the tcp or multicast transport; (serial|vmchannel) carries no authentication/),
      ]);
    }
  });

  it('checks ip_family against multicast_address', () => {
    expect(plan('action=list\nip_family=ipv6\nmulticast_address=225.0.0.12\n').problems).toEqual([
      'multicast_address 225.0.0.12 is IPv4 but ip_family is ipv6; drop ip_family or give an ipv6 address',
    ]);
    expect(plan('action=list\nip_family=ipv6\n').problems).toEqual([]);
  });

  it('warns about options the chosen transport ignores', () => {
    expect(plan('action=list\nipaddr=127.0.0.1\nretrans=10\nmulticast_address=225.0.0.12\n').warnings).toEqual([
      'multicast_address is ignored: the tcp transport does not use it',
      'retrans is ignored: the tcp transport does not use it',
    ]);
  });
});

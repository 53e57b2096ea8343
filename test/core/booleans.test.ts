// One table of boolean words, and every parser that reads a boolean agrees
// with it: fence_palisade's options, OCF parameters, the OCF environment,
// Filesystem's force_unmount and IPaddr2's refused upstream modes.

import { describe, expect, it } from 'vitest';
import { FALSE_WORDS, parseBoolean, TRUE_WORDS } from '../../core/booleans.js';
import { booleanValue } from '../../agents/fence/values.js';
import { param } from '../../agents/ocf/framework/params.js';
import { readOcfEnv } from '../../agents/ocf/framework/env.js';
import { parseForceUnmount } from '../../agents/ocf/Filesystem/params.js';
import { runAction } from '../../agents/ocf/framework/run.js';
import { ipaddr2 } from '../../agents/ocf/IPaddr2/agent.js';
import { ocfEnv } from '../helpers/ocf.js';

const TABLE: readonly [string, boolean | undefined][] = [
  ['yes', true], ['YES', true], ['Yes', true], ['y', true], ['Y', true], ['true', true], ['True', true], ['TRUE', true],
  ['on', true], ['ON', true], ['1', true], ['ja', true], [' yes ', true],
  ['no', false], ['NO', false], ['n', false], ['N', false], ['false', false], ['False', false], ['off', false], ['OFF', false],
  ['0', false], ['nein', false], ['\tno\n', false],
  ['', undefined], ['maybe', undefined], ['2', undefined], ['01', undefined], ['yess', undefined], ['t', undefined],
  ['f', undefined], ['enabled', undefined], ['-1', undefined], ['y e s', undefined],
];

describe('core/booleans', () => {
  it.each(TABLE)('%j -> %s', (word, want) => {
    expect(parseBoolean(word)).toBe(want);
  });

  it('the word lists do not overlap and are lower case', () => {
    expect(TRUE_WORDS.filter((w) => FALSE_WORDS.includes(w))).toEqual([]);
    for (const w of [...TRUE_WORDS, ...FALSE_WORDS]) expect(w).toBe(w.toLowerCase());
  });
});

describe('every boolean parser reads the table the same way', () => {
  const ocfFlag = param.boolean({ shortdesc: 'f', longdesc: 'f' });

  it.each(TABLE)('%j', (word, want) => {
    const fence = booleanValue.parse(word);
    expect(fence.ok ? fence.value : undefined, 'fence option').toBe(want);
    const ocf = ocfFlag.parse(word);
    expect(ocf.ok ? ocf.value : undefined, 'OCF parameter').toBe(want);
    expect(readOcfEnv({ HA_debug: word }, 'T').debug, 'HA_debug').toBe(want === true);
    const fu = parseForceUnmount(word);
    expect(fu === undefined ? undefined : fu === 'true', 'force_unmount').toBe(want);
  });

  // resource-agents' IPaddr2 reads lvs_support with ocf_is_true: "n" is off, so not refused
  it.each([['n', false], ['no', false], ['0', false], ['y', true], ['true', true]] as const)(
    'IPaddr2 lvs_support=%s is refused: %s',
    async (word, refused) => {
      let err = '';
      const env = ocfEnv({ ip: '192.0.2.99', nic: 'lo', cidr_netmask: '32', lvs_support: word });
      const code = await runAction(ipaddr2, ['validate-all'], env, { out: () => {}, err: (s) => (err += s) });
      expect(err.includes(`lvs_support='${word}' is not supported`), err).toBe(refused);
      expect(code).toBe(refused ? 6 : 0);
    },
  );
});

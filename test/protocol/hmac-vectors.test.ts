// The known-answer vectors of protocol/hmac-auth.md, computed from the spec
// text by an independent Python implementation (test/interop/hmac_client.py),
// reproduced here by the TypeScript implementation, message by message.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { FenceCommand, Result } from '../../protocol/constants.js';
import { makeRequest } from '../../protocol/fence-req.js';
import { encodeHostList } from '../../protocol/host-list.js';
import {
  clientProof, daemonHello, hmacKeys, openDaemonHello, resultTag, sealRequest, verifyClientProof, verifyResultTag,
  verifySealedRequest,
} from '../../protocol/hmac-auth.js';

const SPEC = fileURLToPath(new URL('../../protocol/hmac-auth.md', import.meta.url));
const PYTHON_CLIENT = fileURLToPath(new URL('../interop/hmac_client.py', import.meta.url));

/** `name = hex` lines of the ```kat block; an indented line continues the value above. */
function specVectors(text: string): Map<string, Uint8Array> {
  const block = /^```kat\n([\s\S]*?)^```$/m.exec(text);
  if (!block) throw new Error(`${SPEC}: no \`\`\`kat block`);
  const hexes = new Map<string, string>();
  let last: string | undefined;
  for (const line of block[1]!.split('\n')) {
    const m = /^(\w+)\s*=\s*([0-9a-f]+)$/.exec(line);
    if (m) hexes.set((last = m[1]!), m[2]!);
    else if (/^\s+[0-9a-f]+$/.test(line) && last) hexes.set(last, hexes.get(last)! + line.trim());
    else if (line.trim()) throw new Error(`${SPEC}: unreadable line in the kat block: ${JSON.stringify(line)}`);
  }
  return new Map([...hexes].map(([k, v]) => [k, Uint8Array.from(Buffer.from(v, 'hex'))]));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('hmac-sha256 known-answer vectors (protocol/hmac-auth.md)', () => {
  const v = specVectors(readFileSync(SPEC, 'utf8'));
  const get = (name: string): Uint8Array => {
    const b = v.get(name);
    if (!b) throw new Error(`${SPEC}: vector ${name} missing`);
    return b;
  };
  const keys = hmacKeys(get('K'));
  const R = sealRequest(keys, makeRequest({ request: FenceCommand.OFF, domain: 'web1', seqno: 0x01020304 }), get('Nc'));
  const Nd = get('Nd');

  it('the spec carries every vector', () => {
    expect([...v.keys()]).toEqual(['K', 'Nc', 'Nd', 'Kreq', 'Kd', 'Kc', 'Kres', 'R', 'hello', 'proof', 'body1', 'tag1', 'body2', 'tag2']);
  });

  it('derives the four role keys', () => {
    expect([keys.request, keys.daemon, keys.client, keys.result].map(hex)).toEqual(['Kreq', 'Kd', 'Kc', 'Kres'].map((n) => hex(get(n))));
  });

  it('seals the request byte for byte, and verifies it', () => {
    expect(hex(R)).toBe(hex(get('R')));
    expect(verifySealedRequest(keys, get('R'))).toBe(true);
  });

  it('makes the hello and the proof, and opens them', () => {
    expect(hex(daemonHello(keys, R, Nd))).toBe(hex(get('hello')));
    expect(hex(openDaemonHello(keys, R, get('hello'))!)).toBe(hex(Nd));
    expect(hex(clientProof(keys, R, Nd))).toBe(hex(get('proof')));
    expect(verifyClientProof(keys, R, Nd, get('proof'))).toBe(true);
  });

  it('tags a result byte and a host list', () => {
    expect(hex(get('body1'))).toBe(hex(Uint8Array.of(Result.OFF)));
    expect(hex(resultTag(keys, R, Nd, get('body1')))).toBe(hex(get('tag1')));
    const list = encodeHostList([{ domain: 'web1', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', state: 1 }]);
    expect(hex(list)).toBe(hex(get('body2')));
    expect(hex(resultTag(keys, R, Nd, list))).toBe(hex(get('tag2')));
    expect(verifyResultTag(keys, R, Nd, get('body2'), get('tag2'))).toBe(true);
  });

  it('every vector fails to verify after a one-bit change', () => {
    const flip = (b: Uint8Array, i: number) => { const c = b.slice(); c[i]! ^= 1; return c; };
    expect(verifySealedRequest(keys, flip(get('R'), 4))).toBe(false);
    expect(openDaemonHello(keys, R, flip(get('hello'), 63))).toBeUndefined();
    expect(verifyClientProof(keys, R, Nd, flip(get('proof'), 0))).toBe(false);
    expect(verifyResultTag(keys, R, Nd, flip(get('body2'), 1 + 128), get('tag2'))).toBe(false);
  });

  it('the independent Python implementation recomputes the same vectors from the spec', async () => {
    const r = await execa('python3', [PYTHON_CLIENT, 'kat', SPEC], { reject: false });
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ exitCode: 0, stdout: `kat: ${v.size} vectors match` });
  });
});

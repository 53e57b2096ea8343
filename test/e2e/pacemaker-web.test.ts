// A real three-node Pacemaker cluster (test/e2e/lab) running the group
// IPaddr2 + Filesystem + apache from Palisade's agents, fenced by
// fence_palisade through palisaded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runningOn } from './lab/crm.js';
import { Lab } from './lab/lab.js';
import { PAGE, webCommands, webService, type WebService } from './lab/web-service.js';

const MIN = 60_000;
let lab: Lab;
let web: WebService;

beforeAll(async () => {
  lab = await Lab.create({ tag: 'web' });
  web = await webService(lab);
  await lab.configure(webCommands(lab, web));
  await lab.boot();
  await lab.waitFor('the web group running', (s) => runningOn(s, 'web-server') !== undefined, 60_000);
}, 3 * MIN);

afterAll(async () => {
  await lab?.cleanup();
}, MIN);

describe('web group in a three-node cluster', () => {
  it('serves the page through the VIP', async () => {
    const r = await lab.httpGet(web.url);
    expect(r.ok).toBe(true);
    expect(r.body).toBe(PAGE);
  });

  it('crash of the active node: it is fenced through palisaded and the group runs elsewhere', async () => {
    const before = runningOn(await lab.state(), 'web-server')!;
    await lab.node(before).powerOff();
    const s = await lab.waitFor('the group on another node', (x) => { const on = runningOn(x, 'web-server'); return on !== undefined && on !== before; }, 60_000);
    const history = await lab.fenceHistory();
    expect(history.some((h) => h.target === before && h.state === 'success')).toBe(true);
    expect(lab.power.events.filter((e) => e.node === before).map((e) => e.action)).toEqual(['off', 'on']);
    const r = await lab.httpGet(web.url);
    expect(r.body).toBe(PAGE);
    console.log(s);
  }, 2 * MIN);
});

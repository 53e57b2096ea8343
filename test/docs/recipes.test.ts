// The recipes in docs/recipes/ run here, as written: every ```sh pcs-offline
// block is read out of the page and run against an offline CIB (pcs -f)
// whose nodes are the ones the page's `pcs cluster setup` names, with this
// checkout's agents visible through a private install, so pcs checks each
// parameter against their real meta-data. The result must pass crm_verify
// without a word, and crm_simulate must place every resource and, when the
// node that holds the floating IP fails, fence it and move the IP.
// Every ```conf fence_virt.conf block must pass `palisade config check`.
// See docs/recipes/README.md for the markers.
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, Workspace, palisadeCli } from '../helpers/fence-daemons.js';
import { blockCommands, fencedBlocks, shellWords, type BlockCommand, type FencedBlock } from '../helpers/markdown-commands.js';
import { privateInstall, type PrivateInstall } from '../helpers/private-install.js';

const DIR = join(ROOT, 'docs/recipes');
const OFFLINE = 'pcs-offline';
const CONF = 'fence_virt.conf';
const RECIPES = ['drbd-mariadb.md', 'guest-fencing-serial.md', 'mariadb-replicas-vip.md', 'web-vip.md'];

// pcs commands that need a running cluster, and so may stand outside a pcs-offline block.
const LIVE_ONLY = [
  /^host auth\b/,
  /^cluster (setup|start|stop|enable|destroy|status)\b/,
  /^status\b/,
  /^node (standby|unstandby)\b/,
  /^stonith (fence|history|status)\b/,
  /^resource (cleanup|refresh|status)\b/,
];

interface Page {
  readonly name: string;
  readonly blocks: readonly FencedBlock[];
}

async function page(name: string): Promise<Page> {
  return { name, blocks: fencedBlocks(await readFile(join(DIR, name), 'utf8'), name) };
}

const isOffline = (b: FencedBlock) => b.info[0] === 'sh' && b.info.includes(OFFLINE);

/** The commands a shell line starts: after ;, &&, ||, |, $( and shell keywords. */
function commandStarts(c: BlockCommand): string[] {
  const noComment = c.text.replace(/(^|\s)#.*$/, '');
  return noComment
    .split(/&&|\|\||[;|(]|\$\(/)
    .map((s) => s.trim().replace(/^(do|then|else|sudo)\s+/, ''))
    .filter(Boolean);
}

function where(p: Page, c: BlockCommand): string {
  return `docs/recipes/${p.name}:${c.line}`;
}

/** Node names from `pcs cluster setup NAME NODE [addr=...]... [transport|totem|quorum ...]`. */
function clusterNodes(p: Page): string[] {
  const setups = p.blocks.filter((b) => !isOffline(b)).flatMap((b) => blockCommands(b))
    .filter((c) => commandStarts(c).some((s) => /^pcs cluster setup\s/.test(s)));
  expect(setups, `${p.name}: exactly one pcs cluster setup`).toHaveLength(1);
  const words = shellWords(setups[0]!.text, where(p, setups[0]!)).slice(4);
  const nodes: string[] = [];
  for (const w of words) {
    if (w.startsWith('-') || ['transport', 'totem', 'quorum', 'link', 'compression', 'crypto'].includes(w)) break;
    if (!w.includes('=')) nodes.push(w);
  }
  return nodes;
}

describe('docs/recipes', () => {
  let inst: PrivateInstall;
  let dir: string;
  let ws: Workspace;
  beforeAll(async () => {
    inst = await privateInstall();
    dir = await mkdtemp(join(tmpdir(), 'pal-recipes-'));
    ws = await Workspace.create();
  });
  afterAll(async () => {
    await inst?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    await ws?.stop();
  });

  it('has the four recipes, each listed in the index', async () => {
    const found = readdirSync(DIR).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
    expect(found).toEqual(RECIPES);
    const index = await readFile(join(DIR, 'README.md'), 'utf8');
    for (const r of RECIPES) expect(index).toContain(`](${r})`);
    expect(index).toContain('```sh pcs-offline');
  });

  it('no command in any page uses --force, and none uses the crm shell', async () => {
    for (const name of [...RECIPES, 'README.md']) {
      const p = await page(name);
      for (const b of p.blocks) {
        for (const c of blockCommands(b)) {
          expect(c.text, where(p, c)).not.toMatch(/--force\b/);
          for (const s of commandStarts(c)) expect(s, `${where(p, c)}: crmsh commands are not tested; use pcs`).not.toMatch(/^crm\s/);
        }
      }
    }
  });

  for (const name of RECIPES) {
    it(`${name}: every pcs command outside a ${OFFLINE} block needs a live cluster`, async () => {
      const p = await page(name);
      let live = 0;
      for (const b of p.blocks.filter((x) => !isOffline(x))) {
        for (const c of blockCommands(b)) {
          for (const s of commandStarts(c).filter((x) => /^pcs\s/.test(x))) {
            const sub = s.replace(/^pcs\s+/, '');
            expect(LIVE_ONLY.some((re) => re.test(sub)), `${where(p, c)}: '${s}' belongs in a \`\`\`sh ${OFFLINE} block`).toBe(true);
            live++;
          }
        }
      }
      expect(live).toBeGreaterThan(0);
    });

    it(`${name}: its fence_virt.conf blocks pass palisade config check`, async () => {
      const p = await page(name);
      const confs = p.blocks.filter((b) => b.info.includes(CONF));
      // a daemon configuration shown without the marker would go unchecked
      for (const b of p.blocks.filter((x) => !x.info.includes(CONF))) {
        expect(b.lines.join('\n'), `docs/recipes/${name}:${b.line}: mark it \`\`\`conf ${CONF}`).not.toMatch(/^\s*fence_virtd\s*\{/m);
      }
      for (const b of confs) {
        const key = await ws.key(`recipe-${b.line}.key`);
        const text = b.lines.join('\n').replace(/key_file = "[^"]*"/g, `key_file = "${key}"`);
        const file = await ws.file(`${name}-${b.line}.conf`, text);
        const r = await palisadeCli(['config', 'check', '--offline', file]);
        expect(r.exitCode, `docs/recipes/${name}:${b.line}: ${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stdout + r.stderr, `docs/recipes/${name}:${b.line}`).not.toMatch(/warning/i);
      }
    });

    it(`${name}: its ${OFFLINE} blocks build a configuration that crm_verify and crm_simulate accept`, { timeout: 240_000 }, async () => {
      const p = await page(name);
      const nodes = clusterNodes(p);
      expect(nodes.length).toBeGreaterThanOrEqual(2);
      const cib = join(dir, `${name}.xml`);
      const cibEnv = { CIB_file: cib };
      const ok = async (file: string, args: readonly string[], env: NodeJS.ProcessEnv, what: string) => {
        const r = await inst.run(file, args, { env });
        expect(r.exitCode, `${what}: ${file} ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
        return r;
      };

      // An empty CIB whose nodes are online members of a quorate cluster,
      // so that crm_verify and crm_simulate judge a real placement.
      const empty = await ok('cibadmin', ['--empty'], {}, 'empty CIB');
      await writeFile(cib, empty.stdout);
      for (const [i, n] of nodes.entries()) {
        await ok('cibadmin', ['--create', '-o', 'nodes', '-X', `<node id="${i + 1}" uname="${n}"/>`], cibEnv, 'node');
        await ok('cibadmin', ['--create', '-o', 'status', '-X',
          `<node_state id="${i + 1}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member"/>`], cibEnv, 'node state');
      }
      await ok('cibadmin', ['--modify', '-X', '<cib have-quorum="1"/>'], cibEnv, 'quorum');

      const blocks = p.blocks.filter(isOffline);
      expect(blocks.length).toBeGreaterThan(0);
      let ran = 0;
      for (const b of blocks) {
        for (const c of blockCommands(b)) {
          const [file, ...args] = shellWords(c.text, where(p, c));
          if (file === 'pcs') {
            expect(args, `${where(p, c)}: the test adds -f itself`).not.toContain('-f');
            await ok('pcs', ['-f', cib, ...args], {}, where(p, c));
          } else if (file === 'crm_attribute') {
            await ok('crm_attribute', args, cibEnv, where(p, c));
          } else {
            throw new Error(`${where(p, c)}: only pcs and crm_attribute may stand in a ${OFFLINE} block, not '${file}'`);
          }
          ran++;
        }
      }
      expect(ran).toBeGreaterThan(0);

      const xml = await readFile(cib, 'utf8');
      expect(xml, 'stonith-enabled=true is set').toMatch(/<nvpair [^>]*name="stonith-enabled" value="true"/);
      expect(xml).not.toMatch(/name="stonith-enabled" value="false"/);
      expect(xml, 'a fence_palisade device exists').toMatch(/<primitive [^>]*class="stonith" type="fence_palisade"/);

      const verify = await inst.run('crm_verify', ['--xml-file', cib, '-V']);
      expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
      expect((verify.stdout + verify.stderr).trim()).toBe('');

      // Promotion scores, as the agents would set them once running.
      const promotable = [...xml.matchAll(/<clone id="([^"]+)">([\s\S]*?)<\/clone>/g)]
        .filter((m) => /name="promotable" value="true"/.test(m[2]!))
        .map((m) => ({ clone: m[1]!, primitive: /<primitive id="([^"]+)"/.exec(m[2]!)![1]! }));
      for (const { primitive } of promotable) {
        for (const n of nodes) await ok('crm_attribute', ['-N', n, '-n', `master-${primitive}`, '-l', 'reboot', '-v', '10'], cibEnv, 'promotion score');
      }

      const vips = [...xml.matchAll(/<primitive id="([^"]+)" class="ocf" type="IPaddr2" provider="palisade"/g)].map((m) => m[1]!);
      expect(vips, 'one floating IP').toHaveLength(1);
      const vip = vips[0]!;
      const vipAt = (out: string) => new RegExp(`\\* ${vip}\\s+\\(ocf:palisade:IPaddr2\\):\\s+Started (\\S+)`).exec(out)?.[1];
      const revised = (out: string) => out.slice(out.indexOf('Revised Cluster Status'));
      const promotedAt = (out: string, clone: string) =>
        new RegExp(`Clone Set: ${clone} \\[[^\\]]+\\] \\(promotable\\):\\s*\\n\\s*\\* Promoted: \\[ (\\S+) \\]`).exec(out)?.[1];

      const placed = join(dir, `${name}.placed.xml`);
      const sim = await ok('crm_simulate', ['-x', cib, '-S', '-O', placed], {}, 'simulate');
      const after = revised(sim.stdout);
      expect(after, sim.stdout).not.toMatch(/Stopped|FAILED|blocked/);
      const home = vipAt(after);
      expect(home, sim.stdout).toBeDefined();
      // what clients reach through the IP is promoted where the IP is
      for (const { clone } of promotable) expect(promotedAt(after, clone), `${clone} promoted with ${vip}\n${sim.stdout}`).toBe(home);

      const crash = await ok('crm_simulate', ['-x', placed, '--node-fail', home!, '-S'], {}, 'simulate a crash');
      expect(crash.stdout).toContain(`Fence (reboot) ${home}`);
      const moved = vipAt(revised(crash.stdout));
      expect(moved, crash.stdout).toBeDefined();
      expect(moved).not.toBe(home);
      for (const { clone } of promotable) expect(promotedAt(revised(crash.stdout), clone), `${clone} promoted on a survivor\n${crash.stdout}`).toBe(moved);
    });
  }
});

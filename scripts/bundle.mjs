// Bundles each executable into one CommonJS file under dist/bin/.
// Why: Pacemaker starts the fence agent for every fence and monitor action,
// and an OCF agent for every monitor. One CJS file skips the ES module
// loader (~6 ms here) and the resolution of dozens of modules (~30 ms of
// user time for fence_palisade). Dynamic imports stay lazily evaluated.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const { ocfAgents } = await import(join(dist, 'agents/ocf/registry.js'));
const ENTRIES = {
  palisaded: 'daemon/main.js',
  fence_palisade: 'agents/fence/main.js',
  palisade: 'cli/main.js',
  ...Object.fromEntries(ocfAgents.map((name) => [`ocf/${name}`, `agents/ocf/${name}/main.js`])),
};

// import.meta.url has no CJS equivalent; point it at the bundle itself.
// (esbuild's inject takes ES exports; require and __filename exist in the CJS output.)
const shim = join(dist, '.import-meta-url.js');
// A getter: most runs never ask, and pathToFileURL costs ~1 ms at start-up.
writeFileSync(shim, "export const importMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };\n");
try {
  await Promise.all(Object.entries(ENTRIES).map(async ([name, entry]) => {
    const outfile = join(dist, 'bin', `${name}.cjs`);
    mkdirSync(dirname(outfile), { recursive: true });
    await build({
      entryPoints: [join(dist, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      inject: [shim],
      define: { 'import.meta.url': 'importMeta.url' },
      logLevel: 'warning',
      legalComments: 'none',
      // Native bindings find their prebuilt .node files relative to their own
      // package: loaded from node_modules at run time, never bundled.
      external: ['serialport', '@serialport/*'],
    });
    chmodSync(outfile, 0o755);
  }));
} finally {
  rmSync(shim, { force: true });
}

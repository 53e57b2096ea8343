// Bundles each executable into one CommonJS file under dist/bin/.
// Why: Pacemaker starts the fence agent for every fence and monitor action,
// and an OCF agent for every monitor. One CJS file skips the ES module
// loader (~6 ms here) and the resolution of dozens of modules (~30 ms of
// user time for fence_palisade). Dynamic imports stay lazily evaluated.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
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

// Libraries an agent imports lazily get their own bundle next to it, loaded
// only when needed: V8 compiles a whole file before running it, and the
// mariadb connector (1.2 MB) would add ~30 ms to every monitor that never
// speaks SQL.
const SEPARATE = { mariadb: 'ocf/mariadb-connector' };
const separate = {
  name: 'separate-bundles',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${Object.keys(SEPARATE).join('|')})$`) }, (args) =>
      args.kind === 'dynamic-import' || args.kind === 'require-call'
        ? { path: `./${SEPARATE[args.path].split('/').pop()}.cjs`, external: true }
        : undefined);
  },
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
      plugins: [separate],
      // import() of a separate bundle becomes require(): no ES module loader, named exports as is
      supported: { 'dynamic-import': false },
    });
    chmodSync(outfile, 0o755);
  }));
  await Promise.all(Object.entries(SEPARATE).map(([pkg, name]) => build({
    stdin: { contents: `module.exports = require(${JSON.stringify(pkg)});`, resolveDir: root, loader: 'js' },
    outfile: join(dist, 'bin', `${name}.cjs`),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    legalComments: 'none',
  })));
  // V8 code cache of each separate bundle, taken after running its top level
  // (agents/ocf/mariadb/connector.ts loads it; a Node with another V8 ignores it)
  const cache = [
    "const fs = require('fs'), vm = require('vm'), m = require('module'), path = require('path');",
    'const f = process.argv[1], s = new vm.Script(m.wrap(fs.readFileSync(f, "utf8")), { filename: f });',
    'const mod = { exports: {} }; s.runInThisContext().call(mod.exports, mod.exports, m.createRequire(f), mod, f, path.dirname(f));',
    'fs.writeFileSync(f + ".v8cache", s.createCachedData());',
  ].join('\n');
  for (const name of Object.values(SEPARATE)) execFileSync(process.execPath, ['-e', cache, join(dist, 'bin', `${name}.cjs`)], { stdio: 'inherit' });
} finally {
  rmSync(shim, { force: true });
}

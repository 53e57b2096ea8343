// Runs a snippet as uid/gid 65534 against freshly transpiled copies of some
// daemon modules, so EACCES paths are tested for real (root reads anything).
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { execa } from 'execa';

const ROOT = new URL('../../', import.meta.url).pathname;

/** `modules` and every module they import by a relative path, transitively (repo-relative .ts paths). */
async function withImports(modules: readonly string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const queue = [...modules];
  for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
    if (texts.has(m)) continue;
    const text = await readFile(join(ROOT, m), 'utf8');
    texts.set(m, text);
    for (const [, spec] of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)) queue.push(normalize(join(dirname(m), `${spec!}.ts`)));
  }
  return texts;
}

/**
 * `modules`: repo-relative .ts paths (what they import comes along).
 * `script`: ES module code; import them as './daemon/x.js'.
 */
export async function runAsNobody(modules: readonly string[], script: string): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const dir = await mkdtemp(join(tmpdir(), 'pal-nobody-'));
  try {
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    for (const [m, text] of await withImports(modules)) {
      const out = join(dir, m.replace(/\.ts$/, '.js'));
      await mkdir(dirname(out), { recursive: true, mode: 0o755 });
      const { outputText } = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      await writeFile(out, outputText, { mode: 0o644 });
    }
    await writeFile(join(dir, 'main.mjs'), script, { mode: 0o644 });
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(dir, 'main.mjs')], {
      reject: false, timeout: 20_000, cwd: dir,
    });
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

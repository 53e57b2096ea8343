// The README's configuration tables are generated from the schemas:
//   <!-- config-table: listeners/tcp -->
//   …table…
//   <!-- /config-table -->
// `node scripts/readme-config-tables.mjs` rewrites them; a test fails when
// the README and the schemas disagree.
import { markdownTable, type SectionSchema } from './schema.js';

const BLOCK = /<!-- config-table: (\S*) -->\n[\s\S]*?<!-- \/config-table -->/g;

/** `readme` with every table block regenerated; throws on a block whose section has no schema. */
export function fillConfigTables(readme: string, schemas: readonly SectionSchema[]): string {
  return readme.replace(BLOCK, (_m, path: string) => {
    const schema = schemas.find((s) => s.path === path);
    if (!schema) throw new Error(`README has a config-table block for '${path}', but no section schema has that path`);
    return `<!-- config-table: ${path} -->\n${markdownTable(schema)}\n<!-- /config-table -->`;
  });
}

/** Paths of the table blocks in `readme`, in order. */
export function tablePaths(readme: string): string[] {
  return [...readme.matchAll(BLOCK)].map((m) => m[1]!);
}

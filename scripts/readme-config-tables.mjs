#!/usr/bin/env node
// Regenerates the README's configuration tables from the section schemas
// (run `npm run build` first: it reads the compiled modules in dist/).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fillConfigTables } from '../dist/daemon/config/readme-tables.js';
import { allSchemas } from '../dist/daemon/daemon-schema.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readme, 'utf8');
const after = fillConfigTables(before, allSchemas());
if (after !== before) writeFileSync(readme, after);
process.stdout.write(after === before ? 'README tables already match the schemas\n' : 'README tables rewritten from the schemas\n');

// The daemon's own sections: the file's top level, `fence_virtd`, and the
// `listeners` and `backends` blocks whose children are the plug-ins'
// sections (each plug-in carries its schema). allSchemas() is every table,
// for `palisade config check` and the README.
import { defineSection, key, type SectionSchema } from './config/schema.js';
import { listeners } from './listeners/index.js';
import { backends } from './backends/index.js';
import { groupSchema, groupsSchema } from './groups-schema.js';

export const rootSchema = defineSection({
  path: '',
  doc: 'The file: fence_virtd, listeners, backends and groups sections.',
  keys: {},
  // A repeated groups section is warned about with the ACL (acl.ts).
  sections: [{ name: 'fence_virtd' }, { name: 'listeners' }, { name: 'backends' }, { name: 'groups', repeatable: 'yes' }],
});

export const fenceVirtdSchema = defineSection({
  path: 'fence_virtd',
  doc: 'Which listeners and backends run, and how the daemon itself behaves.',
  keys: {
    listener: key.string({ required: true, hint: `missing; one of: ${listeners.map((l) => l.name).join(', ')}`,
      doc: 'the listener plug-ins to run; several names separated by spaces or commas, `kind:label` for a labelled block' }),
    backend: key.string({ required: true, hint: `missing; one of: ${backends.map((b) => b.name).join(', ')}`,
      doc: 'the backend plug-ins, named the same way' }),
    debug: key.integer({ default: 0, min: 0, doc: '0 logs one line per request; 1 and above add debug lines. `-d` wins over it. A change applies on SIGHUP.' }),
    foreground: key.integer({ default: 0, min: 0, doc: 'non-zero: stay in the foreground, as `-F`' }),
    wait_for_init: key.integer({ default: 0, min: 0, doc: 'non-zero: retry a failed start-up every 5 s, as `-w`' }),
    module_path: key.string({ doc: 'accepted and ignored: palisaded\'s plug-ins are built in' }),
  },
});

export const listenersSchema = defineSection({
  path: 'listeners',
  doc: 'One block per listener plug-in, `kind { … }` or `kind = "label" { … }`.',
  keys: {},
  sections: listeners.map((l) => ({ name: l.name, repeatable: 'per-label' as const })),
});

export const backendsSchema = defineSection({
  path: 'backends',
  doc: 'One block per backend plug-in, `kind { … }` or `kind = "label" { … }`.',
  keys: {},
  sections: backends.map((b) => ({ name: b.name, repeatable: 'per-label' as const })),
});

/** Every section table, in the order the README shows them. */
export function allSchemas(): readonly SectionSchema[] {
  return [fenceVirtdSchema, ...listeners.map((l) => l.schema), ...backends.map((b) => b.schema), groupsSchema, groupSchema, rootSchema, listenersSchema, backendsSchema];
}

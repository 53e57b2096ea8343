// From a parsed fence_virt.conf to what palisaded will run: which listener
// and backend plug-ins, with which sections. Every check happens here,
// before anything binds or spawns.
//
// fence_virtd runs one listener and one backend. Extension: `listener` and
// `backend` may name several instances, separated by spaces or commas;
// `kind:label` picks a labelled block, `tcp = "label" { … }`:
//   fence_virtd { listener = "multicast tcp:cluster-b serial"; backend = "libvirt"; }
import type { ConfigSection } from './config/tree.js';
import { section as sectionOf, sections } from './config/access.js';
import { readSection, sectionWarnings } from './config/schema.js';
import { backendsSchema, fenceVirtdSchema, listenersSchema, rootSchema } from './daemon-schema.js';
import { ConfigError } from './errors.js';
import { findListener, listeners } from './listeners/index.js';
import type { ListenerSpec } from './listeners/types.js';
import { backends, findBackend } from './backends/index.js';
import type { BackendSpec } from './backends/types.js';
import { asciiLower } from './_text.js';

export interface PlannedPlugin<S> {
  readonly spec: S;
  /** `tcp`, or `tcp:label` for a labelled block. */
  readonly name: string;
  readonly section: ConfigSection;
}

export interface DaemonPlan {
  readonly file: string;
  readonly listeners: readonly PlannedPlugin<ListenerSpec>[];
  readonly backends: readonly PlannedPlugin<BackendSpec>[];
  readonly root: ConfigSection;
  readonly foreground: boolean;
  readonly waitForInit: boolean;
  readonly debug: number;
  /** Unknown and repeated keys and sections of the daemon's own sections (plug-ins warn about theirs when created). */
  readonly warnings: readonly string[];
}

const EMPTY = (file: string, line: number, name: string): ConfigSection => ({
  name, label: undefined, file, line, values: new Map(), sections: [],
});

export function planDaemon(root: ConfigSection): DaemonPlan {
  const file = root.file;
  const main = sectionOf(root, 'fence_virtd');
  if (!main) throw new ConfigError(file, undefined, 'fence_virtd', 'no fence_virtd { … } section; it must name a listener and a backend, e.g. fence_virtd { listener = "tcp"; backend = "libvirt"; }');
  const settings = readSection(main, fenceVirtdSchema);
  const listenerNames = nameList(main, 'listener', settings.listener);
  const backendNames = nameList(main, 'backend', settings.backend);
  if (listenerNames.length === 0) throw new ConfigError(file, main.line, 'fence_virtd/@listener', `missing; one of: ${listeners.map((l) => l.name).join(', ')}`);
  if (backendNames.length === 0) throw new ConfigError(file, main.line, 'fence_virtd/@backend', `missing; one of: ${backends.map((b) => b.name).join(', ')}`);
  const warnings = [...sectionWarnings(root, rootSchema), ...sectionWarnings(main, fenceVirtdSchema)];

  const listenersSec = sectionOf(root, 'listeners');
  if (listenersSec) warnings.push(...sectionWarnings(listenersSec, listenersSchema));
  const plannedListeners = listenerNames.map((ref) => {
    const spec = findListener(ref.kind);
    if (!spec) {
      throw new ConfigError(file, lineOf(main, 'listener'), 'fence_virtd/@listener',
        `'${ref.kind}' is not available; this palisaded provides: ${listeners.map((l) => l.name).join(', ')}`);
    }
    // An unlabelled listener may have no block at all: fence_virtd's defaults apply.
    const sec = blockFor(listenersSec, 'listeners', ref, main, file) ?? EMPTY(file, main.line, spec.name);
    return { spec, name: ref.name, section: sec };
  });

  const backendsSec = sectionOf(root, 'backends');
  if (backendsSec) warnings.push(...sectionWarnings(backendsSec, backendsSchema));
  const plannedBackends = backendNames.map((ref) => {
    const spec = findBackend(ref.kind);
    if (!spec) {
      throw new ConfigError(file, lineOf(main, 'backend'), 'fence_virtd/@backend',
        `'${ref.kind}' is not available; this palisaded provides: ${backends.map((b) => b.name).join(', ')}`);
    }
    const sec = blockFor(backendsSec, 'backends', ref, main, file);
    if (!sec) {
      throw new ConfigError(file, main.line, `backends/${ref.kind}`,
        `missing section; add backends { ${ref.label ? `${ref.kind} = "${ref.label}"` : ref.kind} { uri = "qemu:///system"; } }`);
    }
    return { spec, name: ref.name, section: sec };
  });

  return {
    file, root,
    listeners: plannedListeners,
    backends: plannedBackends,
    foreground: settings.foreground !== 0,
    waitForInit: settings.wait_for_init !== 0,
    debug: settings.debug,
    warnings,
  };
}

interface PluginRef {
  readonly kind: string;
  readonly label: string | undefined;
  readonly name: string;
}

/** `listener = "multicast tcp:b"` → [multicast, tcp:b]; a repeated name is an error. */
function nameList(main: ConfigSection, key: 'listener' | 'backend', value: string): PluginRef[] {
  const raw = value.trim();
  if (raw === '') return [];
  const refs: PluginRef[] = [];
  for (const word of raw.split(/[\s,]+/).filter(Boolean)) {
    const colon = word.indexOf(':');
    const kind = asciiLower(colon < 0 ? word : word.slice(0, colon));
    const label = colon < 0 ? undefined : word.slice(colon + 1);
    if (label === '' || kind === '') {
      throw new ConfigError(main.file, lineOf(main, key), `fence_virtd/@${key}`, `'${word}' is not a name; write KIND or KIND:LABEL, e.g. tcp:cluster-b`);
    }
    const name = label === undefined ? kind : `${kind}:${label}`;
    if (refs.some((r) => asciiLower(r.name) === asciiLower(name))) {
      throw new ConfigError(main.file, lineOf(main, key), `fence_virtd/@${key}`, `'${name}' is named twice`);
    }
    refs.push({ kind, label, name });
  }
  return refs;
}

/**
 * The block for `ref` under `listeners` or `backends`: `kind = "label" { }`
 * for a labelled name; for a plain name the last unlabelled `kind { }`, as
 * fence_virtd reads it (or the last block of that kind, labelled or not).
 */
function blockFor(parent: ConfigSection | undefined, where: string, ref: PluginRef, main: ConfigSection, file: string): ConfigSection | undefined {
  if (!parent) {
    if (ref.label !== undefined) throw missingLabelled(where, ref, main, file);
    return undefined;
  }
  const all = sections(parent, ref.kind);
  if (ref.label === undefined) return all.filter((s) => s.label === undefined).at(-1) ?? all.at(-1);
  const found = all.filter((s) => s.label === ref.label);
  if (found.length === 0) throw missingLabelled(where, ref, main, file);
  if (found.length > 1) {
    throw new ConfigError(file, found[1]!.line, `${where}/${ref.name}`, `defined twice (lines ${found.map((s) => s.line).join(', ')}); give each block its own label`);
  }
  return found[0];
}

function missingLabelled(where: string, ref: PluginRef, main: ConfigSection, file: string): ConfigError {
  return new ConfigError(file, lineOf(main, where === 'listeners' ? 'listener' : 'backend'), `${where}/${ref.name}`,
    `named in fence_virtd but not defined; add ${where} { ${ref.kind} = "${ref.label}" { … } }`);
}

function lineOf(sec: ConfigSection, key: string): number {
  return sec.values.get(key)?.at(-1)?.line ?? sec.line;
}

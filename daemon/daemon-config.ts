// From a parsed fence_virt.conf to what palisaded will run: which listener
// and backend plug-ins, with which sections. Every check happens here,
// before anything binds or spawns.
import type { ConfigSection } from './config/tree.js';
import { section as sectionOf, strOr, int } from './config/access.js';
import { ConfigError } from './errors.js';
import { findListener, listeners } from './listeners/index.js';
import type { ListenerSpec } from './listeners/types.js';
import { backends, findBackend } from './backends/index.js';
import type { BackendSpec } from './backends/types.js';

export interface PlannedPlugin<S> {
  readonly spec: S;
  readonly name: string;
  readonly section: ConfigSection;
}

export interface DaemonPlan {
  readonly file: string;
  readonly listener: PlannedPlugin<ListenerSpec>;
  readonly backend: PlannedPlugin<BackendSpec>;
  readonly root: ConfigSection;
  readonly foreground: boolean;
  readonly debug: number;
}

const EMPTY = (file: string, line: number, name: string): ConfigSection => ({
  name, label: undefined, file, line, values: new Map(), sections: [],
});

export function planDaemon(root: ConfigSection): DaemonPlan {
  const file = root.file;
  const main = sectionOf(root, 'fence_virtd');
  if (!main) throw new ConfigError(file, undefined, 'fence_virtd', 'no fence_virtd { … } section; it must name a listener and a backend, e.g. fence_virtd { listener = "tcp"; backend = "libvirt"; }');
  const listenerName = strOr(main, 'listener', '');
  const backendName = strOr(main, 'backend', '');
  if (!listenerName) throw new ConfigError(file, main.line, 'fence_virtd/@listener', `missing; one of: ${listeners.map((l) => l.name).join(', ')}`);
  if (!backendName) throw new ConfigError(file, main.line, 'fence_virtd/@backend', `missing; one of: ${backends.map((b) => b.name).join(', ')}`);
  const lspec = findListener(listenerName);
  if (!lspec) {
    throw new ConfigError(file, lineOf(main, 'listener'), 'fence_virtd/@listener',
      `'${listenerName}' is not available; this palisaded provides: ${listeners.map((l) => l.name).join(', ')}`);
  }
  const bspec = findBackend(backendName);
  if (!bspec) {
    throw new ConfigError(file, lineOf(main, 'backend'), 'fence_virtd/@backend',
      `'${backendName}' is not available; this palisaded provides: ${backends.map((b) => b.name).join(', ')}`);
  }
  const lsec = sectionOf(sectionOf(root, 'listeners') ?? EMPTY(file, main.line, 'listeners'), lspec.name) ?? EMPTY(file, main.line, lspec.name);
  const bsec = sectionOf(root, 'backends') && sectionOf(sectionOf(root, 'backends')!, bspec.name);
  if (!bsec) {
    throw new ConfigError(file, main.line, `backends/${bspec.name}`,
      `missing section; add backends { ${bspec.name} { uri = "qemu:///system"; } }`);
  }
  return {
    file, root,
    listener: { spec: lspec, name: lspec.name, section: lsec },
    backend: { spec: bspec, name: bspec.name, section: bsec },
    foreground: int(main, 'foreground', 0, { min: 0 }) !== 0,
    debug: int(main, 'debug', 0, { min: 0 }),
  };
}

function lineOf(sec: ConfigSection, key: string): number {
  return sec.values.get(key)?.at(-1)?.line ?? sec.line;
}

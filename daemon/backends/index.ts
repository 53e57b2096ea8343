// The backend registry: the config's fence_virtd/backend picks one by name.
// Adding a backend: a folder under daemon/backends/ and one line here.
import { asciiLower } from '../_text.js';
import { libvirtBackend } from './libvirt/index.js';
import type { BackendSpec } from './types.js';

export const backends: readonly BackendSpec[] = [libvirtBackend];

/** The backend named `name`, or undefined; case-insensitive like plugin_find_backend (server/plugin.c). */
export function findBackend(name: string): BackendSpec | undefined {
  const want = asciiLower(name);
  return backends.find((b) => asciiLower(b.name) === want);
}

// Listener registry: the config's `listener = "<name>"` picks one by name.
import type { ListenerSpec } from './types.js';
import { tcpListener } from './tcp/index.js';
import { multicastListener } from './multicast/index.js';
import { serialListener } from './serial/index.js';

export const listeners: readonly ListenerSpec[] = [tcpListener, multicastListener, serialListener];

export function findListener(name: string): ListenerSpec | undefined {
  return listeners.find((l) => l.name === name.toLowerCase());
}

// Every OCF agent Palisade ships, for `palisade install`: `main` is the
// compiled entry relative to dist/agents/ocf/.

export interface OcfAgentEntry {
  readonly name: string;
  readonly main: string;
}

export const ocfAgents: readonly OcfAgentEntry[] = Object.freeze([
  { name: 'IPaddr2', main: 'IPaddr2/main.js' },
  { name: 'Filesystem', main: 'Filesystem/main.js' },
  { name: 'apache', main: 'apache/main.js' },
]);

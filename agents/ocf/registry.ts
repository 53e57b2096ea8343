// Every OCF agent Palisade ships. By convention an agent named N lives in
// agents/ocf/N/ with its entry point main.ts; the build bundles it to
// dist/bin/ocf/N.cjs and `palisade install` links that file as
// OCF_ROOT/resource.d/palisade/N. Adding an agent adds one line here.

export const ocfAgents: readonly string[] = Object.freeze(['IPaddr2', 'Filesystem', 'apache', 'drbd', 'mariadb']);

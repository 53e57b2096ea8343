// fence_virtd's `path` filter (is_in_directory, server/virt-serial.c): a
// socket is accepted when its parent directory equals the configured one,
// both compared without leading slashes, the directory also without
// trailing ones, and the socket's last run of slashes not counted. So
// "/var/run/cluster/" accepts "/var/run/cluster/g1.sock" and
// "/var/run/cluster//g1.sock", but not "/var/run/cluster/sub/g1.sock", and
// no socket directly in "/" is ever accepted.

/** Whether `socketPath` lies directly in `dir`, by fence_virtd's rule. */
export function inDirectory(dir: string, socketPath: string): boolean {
  const want = dir.replace(/^\/+/, '').replace(/\/+$/, '');
  const rel = socketPath.replace(/^\/+/, '');
  const cut = rel.lastIndexOf('/');
  if (cut < 0) return false;
  const parent = rel.slice(0, cut).replace(/\/+$/, '');
  return parent !== '' && parent === want;
}

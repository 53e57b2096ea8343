// What the agent needs to know about a filesystem type. The lists follow
// heartbeat Filesystem (HEAD) so the same fstype gets the same treatment.

/** Types whose `device` is not a local block device (network, pseudo, bind). */
const NOT_BLOCK = new Set([
  'nfs', 'nfs4', 'aznfs', 'efs', 'smbfs', 'cifs', 'none', 'glusterfs', 'ceph', 'tmpfs',
  'overlay', 'overlayfs', 'rozofs', 'zfs', 'cvfs', 'lustre',
]);

/** Network filesystems: a busy unmount is retried with `umount -f` in the kill phase. */
const NETWORK = new Set(['nfs', 'nfs4', 'aznfs', 'efs', 'cifs', 'smbfs']);

/** Types that recover by themselves (journal, or nothing to check): run_fsck=auto skips them. */
const NO_FSCK = new Set([
  'ext4', 'ext4dev', 'ext3', 'reiserfs', 'reiser4', 'nss', 'xfs', 'jfs', 'vfat', 'fat',
  'nfs4', 'nfs', 'aznfs', 'efs', 'cifs', 'smbfs', 'ocfs2', 'gfs2', 'none', 'lustre',
  'glusterfs', 'ceph', 'tmpfs', 'overlay', 'overlayfs', 'rozofs', 'zfs', 'cvfs',
]);

/** Types that several nodes may mount at once. */
const CLUSTER_AWARE = new Set([
  'nfs4', 'nfs', 'aznfs', 'efs', 'smbfs', 'cifs', 'none', 'gfs2', 'glusterfs', 'ceph',
  'ocfs2', 'overlay', 'overlayfs', 'tmpfs', 'cvfs', 'lustre',
]);

export function isBlockType(fstype: string): boolean {
  return !NOT_BLOCK.has(fstype);
}

export function isNetworkType(fstype: string): boolean {
  return NETWORK.has(fstype);
}

export function fsckWanted(mode: 'auto' | 'force' | 'no', fstype: string): boolean {
  if (mode === 'force') return true;
  if (mode === 'no') return false;
  return !NO_FSCK.has(fstype);
}

export type CloneSafety = 'cluster-aware' | 'forced' | 'read-only' | 'unsafe';

/**
 * May this fstype run as a clone? Upstream lets force_clones override only
 * ext*, xfs, jfs and reiser; we let it override any local type, as its
 * description promises ("regardless of filesystem type").
 */
export function cloneSafety(fstype: string, readOnly: boolean, forceClones: boolean): CloneSafety {
  if (CLUSTER_AWARE.has(fstype)) return 'cluster-aware';
  if (forceClones) return 'forced';
  // A read-only journaling fs still replays its journal on mount: never safe.
  const journals = ['ext4', 'ext4dev', 'ext3', 'reiserfs', 'reiser4', 'xfs', 'jfs'].includes(fstype);
  if (readOnly && !journals) return 'read-only';
  return 'unsafe';
}

/** The name /proc/filesystems uses for an fstype (fuse-based and EFS types map to their carrier). */
export function kernelFsName(fstype: string): string {
  if (fstype.startsWith('fuse.') || fstype === 'glusterfs' || fstype === 'rozofs') return 'fuse';
  if (fstype === 'efs' || fstype === 'aznfs') return 'nfs4';
  return fstype;
}

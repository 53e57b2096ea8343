// The parameter table: names, defaults and meanings of heartbeat Filesystem
// (resource-agents HEAD), so existing resource definitions work unchanged.
import { parseBoolean } from '../../../core/booleans.js';
import { param, type ParamValues } from '../framework/params.js';
import { parseSignals } from './signals.js';
import type { ForceUnmount } from './unmount.js';

/** force_unmount values: "safe" or a boolean word (4.12 took any ocf_is_true word for "true"). */
export function parseForceUnmount(raw: string): ForceUnmount | undefined {
  if (raw.trim().toLowerCase() === 'safe') return 'safe';
  const b = parseBoolean(raw);
  return b === undefined ? undefined : b ? 'true' : 'false';
}

/** signal_delay in milliseconds (the parameter is seconds, fractions allowed like sleep(1)). */
export function parseDelayMs(raw: string): number | undefined {
  const v = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(v)) return undefined;
  const ms = Math.round(Number(v) * 1000);
  return ms <= 3_600_000 ? ms : undefined;
}

const signalCheck = (v: string) => {
  const r = parseSignals(v);
  return typeof r === 'string' ? r : undefined;
};

export const filesystemParams = {
  device: param.string({
    required: true,
    shortdesc: 'block device',
    longdesc:
      'The block device of the filesystem (/dev/sdb1, /dev/disk/by-id/...), a -U/-L/--uuid=/--label= option ' +
      'or UUID=/LABEL=/PARTUUID=/PARTLABEL= tag as mount(8) takes them, the NFS/CIFS source (host:/export, ' +
      '//host/share), the source directory of a bind mount (with fstype=none and options=bind), or an image ' +
      'file with options=loop. A mount of another device on the directory is never taken for this one.',
  }),
  directory: param.string({
    required: true,
    shortdesc: 'mount point',
    longdesc:
      'The mount point (absolute; trailing slashes and symlinks are resolved). It is created if missing. ' +
      '"/" and mounts of the root filesystem are refused.',
  }),
  fstype: param.string({
    required: true,
    shortdesc: 'filesystem type',
    longdesc: 'The filesystem type passed to mount -t (ext4, xfs, nfs4, cifs, ...); "none" for bind mounts.',
  }),
  options: param.string({
    default: '',
    shortdesc: 'options',
    longdesc:
      'Options passed to mount -o. For bind mounts use "bind" here and fstype=none; "bind,ro" gives a ' +
      'read-only bind mount.',
  }),
  statusfile_prefix: param.string({
    default: '.Filesystem_status/',
    shortdesc: 'status file prefix',
    longdesc:
      'Prefix, relative to the mount point, of the status file written and read back by the depth-20 monitor: ' +
      '<directory>/<prefix><resource>[_<clone>]_<node>. It must stay inside the mount point.',
  }),
  run_fsck: param.select({
    choices: ['auto', 'force', 'no'] as const,
    default: 'auto',
    shortdesc: 'run_fsck',
    longdesc:
      'Whether start runs "fsck -p" on a block device first: "auto" skips it for journaling, network and ' +
      'pseudo filesystems (ext3/ext4, xfs, vfat, nfs, ...) and runs it for the rest (ext2, ...); "force" ' +
      'always runs it, "no" never.',
  }),
  fast_stop: param.boolean({
    default: false,
    shortdesc: 'fast stop',
    longdesc:
      'Give a busy stop 6 seconds instead of the operation timeout. Leave it off if users of the filesystem ' +
      'cannot be controlled and set a long enough stop timeout instead.',
  }),
  force_clones: param.boolean({
    default: false,
    shortdesc: 'allow running as a clone, regardless of filesystem type',
    longdesc:
      'A clone of a filesystem that is not cluster-aware (ext4, xfs, ...) is refused, as several nodes ' +
      'mounting it corrupt it. Set this to true only for setups such as one local brick per node.',
  }),
  force_unmount: param.string({
    default: 'true',
    shortdesc: 'Kill processes before unmount',
    longdesc:
      'What stop does with processes that keep the mount busy. "true" and "safe": signal them ' +
      '(term_signals, then kill_signals). Both find them by walking /proc with readlink and maps only, ' +
      'which never blocks on an unresponsive NFS server and only selects processes with a directory, open ' +
      'file or mapping below the mount point. "false": signal nothing and fail when the mount stays busy.',
    check: (v) => (parseForceUnmount(v) ? undefined : 'must be true, safe or false'),
  }),
  term_signals: param.string({
    default: 'TERM',
    shortdesc: 'Signals sent in the graceful phase of a busy stop',
    longdesc: 'Signals (names or numbers, separated by blanks) sent to users of the mount during the first half of a busy stop.',
    check: signalCheck,
  }),
  kill_signals: param.string({
    default: 'KILL',
    shortdesc: 'Signals sent in the forceful phase of a busy stop',
    longdesc: 'Signals (names or numbers, separated by blanks) sent to users of the mount during the second half of a busy stop.',
    check: signalCheck,
  }),
  signal_delay: param.string({
    default: '1',
    shortdesc: 'Seconds to wait after signalling',
    longdesc:
      'How long (seconds, fractions allowed) to wait after signalling before unmounting again; the wait ends ' +
      'early when every signalled process has exited.',
    check: (v) => (parseDelayMs(v) === undefined ? 'must be a number of seconds between 0 and 3600' : undefined),
  }),
} as const;

export type FilesystemParams = ParamValues<typeof filesystemParams>;

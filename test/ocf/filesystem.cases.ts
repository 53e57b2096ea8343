// ocft-style cases for the Filesystem agent that need no mount: the agent
// is refused or answers before anything is mounted, so they run directly.
// Placeholders: $DEV (an attached, unmounted loop device), $DIR (a fresh
// mount point below the temp dir), $FILE (a regular file), $ROOTDEV (the
// device of "/").

import { OCF } from '../../agents/ocf/framework/exit.js';

export interface EnvCase {
  readonly name: string;
  readonly action: string;
  /** Instance parameters; undefined removes one of the defaults. */
  readonly params?: Readonly<Record<string, string | undefined>>;
  /** Extra environment (interval, check level, clone meta ...). */
  readonly extra?: Readonly<Record<string, string>>;
  readonly code: number;
  /** Required exit reason; omitted = none expected is not checked. */
  readonly reason?: RegExp;
  /** The case must print no exit reason (successes, probes). */
  readonly noReason?: boolean;
}

const probe = { OCF_RESKEY_CRM_meta_interval: '0' };
const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };

export const defaults = { device: '$DEV', directory: '$DIR', fstype: 'ext4' } as const;

export const envCases: readonly EnvCase[] = [
  { name: 'unknown action', action: 'frobnicate', code: OCF.ERR_UNIMPLEMENTED },
  { name: 'no action', action: '', code: OCF.ERR_ARGS },
  { name: 'validate-all with good parameters', action: 'validate-all', code: OCF.SUCCESS, noReason: true },
  { name: 'probe of an unmounted resource', action: 'monitor', extra: probe, code: OCF.NOT_RUNNING, noReason: true },
  { name: 'recurring monitor of an unmounted resource', action: 'monitor', extra: recurring, code: OCF.NOT_RUNNING },
  { name: 'stop of an unmounted resource', action: 'stop', code: OCF.SUCCESS, noReason: true },

  // missing parameters
  { name: 'start without device', action: 'start', params: { device: undefined }, code: OCF.ERR_CONFIGURED, reason: /Missing required parameter: device/ },
  { name: 'start without directory', action: 'start', params: { directory: undefined }, code: OCF.ERR_CONFIGURED, reason: /Missing required parameter: directory/ },
  { name: 'start without fstype', action: 'start', params: { fstype: undefined }, code: OCF.ERR_CONFIGURED, reason: /Missing required parameter: fstype/ },
  { name: 'start without any parameter', action: 'start', params: { device: undefined, directory: undefined, fstype: undefined }, code: OCF.ERR_CONFIGURED, reason: /device, directory, fstype/ },
  { name: 'probe without device', action: 'monitor', params: { device: undefined }, extra: probe, code: OCF.NOT_RUNNING },
  { name: 'recurring monitor without device', action: 'monitor', params: { device: undefined }, extra: recurring, code: OCF.ERR_GENERIC, reason: /device/ },
  { name: 'stop without device', action: 'stop', params: { device: undefined }, code: OCF.SUCCESS },

  // malformed parameters
  { name: 'device with a trailing blank', action: 'start', params: { device: '$DEV ' }, code: OCF.ERR_CONFIGURED, reason: /leading or trailing blanks/ },
  { name: 'relative directory', action: 'start', params: { directory: 'mnt/fs1' }, code: OCF.ERR_CONFIGURED, reason: /not an absolute path/ },
  { name: 'force_unmount=maybe', action: 'start', params: { force_unmount: 'maybe' }, code: OCF.ERR_CONFIGURED, reason: /force_unmount.*true, safe or false/ },
  { name: 'unknown term signal', action: 'start', params: { term_signals: 'TERM FOO' }, code: OCF.ERR_CONFIGURED, reason: /term_signals.*unknown signal 'FOO'/ },
  { name: 'signal number out of range', action: 'validate-all', params: { kill_signals: '99' }, code: OCF.ERR_CONFIGURED, reason: /kill_signals.*outside 1-64/ },
  { name: 'negative signal_delay', action: 'start', params: { signal_delay: '-1' }, code: OCF.ERR_CONFIGURED, reason: /signal_delay/ },
  { name: 'run_fsck=sometimes', action: 'start', params: { run_fsck: 'sometimes' }, code: OCF.ERR_CONFIGURED, reason: /run_fsck.*auto, force, no/ },
  { name: 'fast_stop=perhaps', action: 'start', params: { fast_stop: 'perhaps' }, code: OCF.ERR_CONFIGURED, reason: /fast_stop/ },
  { name: 'empty UUID=', action: 'start', params: { device: 'UUID=' }, code: OCF.ERR_CONFIGURED, reason: /names no UUID value/ },
  { name: 'OCF_CHECK_LEVEL not a number', action: 'monitor', extra: { ...recurring, OCF_CHECK_LEVEL: 'deep' }, code: OCF.ERR_GENERIC, reason: /OCF_CHECK_LEVEL/ },

  // the environment is missing something
  { name: 'start with a missing device', action: 'start', params: { device: '/dev/palisade-nonexistent' }, code: OCF.ERR_INSTALLED, reason: /Couldn't find device \[\/dev\/palisade-nonexistent\]/ },
  { name: 'probe with a missing device', action: 'monitor', params: { device: '/dev/palisade-nonexistent' }, extra: probe, code: OCF.NOT_RUNNING, noReason: true },
  { name: 'stop with a missing device', action: 'stop', params: { device: '/dev/palisade-nonexistent' }, code: OCF.SUCCESS },
  { name: 'validate-all (depth 0) with a missing device', action: 'validate-all', params: { device: '/dev/palisade-nonexistent' }, code: OCF.SUCCESS },
  { name: 'validate-all depth 10 with a missing device', action: 'validate-all', params: { device: '/dev/palisade-nonexistent' }, extra: { OCF_CHECK_LEVEL: '10' }, code: OCF.ERR_INSTALLED, reason: /Couldn't find device/ },
  { name: 'start with an unknown UUID', action: 'start', params: { device: 'UUID=0badc0de-0000-4000-8000-000000000000' }, code: OCF.ERR_INSTALLED, reason: /UUID=0badc0de-0000-4000-8000-000000000000/ },
  { name: 'start with an unknown -L label', action: 'start', params: { device: '-L palisade-no-such-label' }, code: OCF.ERR_INSTALLED, reason: /LABEL=palisade-no-such-label/ },
  { name: 'probe with an unknown --uuid', action: 'monitor', params: { device: '--uuid=0badc0de-0000-4000-8000-000000000000' }, extra: probe, code: OCF.NOT_RUNNING },
  { name: 'start with an image file but no loop option', action: 'start', params: { device: '$FILE' }, code: OCF.ERR_INSTALLED, reason: /not a block device \(add options=loop/ },
  { name: 'start with an unsupported fstype', action: 'start', params: { fstype: 'palisadefs' }, code: OCF.ERR_INSTALLED, reason: /palisadefs/ },
  { name: 'start with a file as mount point', action: 'start', params: { directory: '$FILE' }, code: OCF.ERR_INSTALLED, reason: /is not a directory/ },
  { name: 'start with a missing bind source', action: 'start', params: { device: '$DIR-nosuch', fstype: 'none', options: 'bind' }, code: OCF.ERR_INSTALLED, reason: /bind mount source .* does not exist/ },

  // refused: the root filesystem
  { name: 'start on the root device', action: 'start', params: { device: '$ROOTDEV' }, code: OCF.ERR_CONFIGURED, reason: /holds the root filesystem/ },
  { name: 'start of a bind mount of /', action: 'start', params: { device: '/', fstype: 'none', options: 'bind' }, code: OCF.ERR_CONFIGURED, reason: /bind mount of the root filesystem/ },

  // clones of a local filesystem
  { name: 'start as a clone of ext4', action: 'start', extra: { OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_clone: '0' }, code: OCF.ERR_CONFIGURED, reason: /DANGER! ext4 on .* is NOT cluster-aware/ },
  { name: 'validate-all as a clone of ext4', action: 'validate-all', extra: { OCF_RESKEY_CRM_meta_clone_max: '2' }, code: OCF.ERR_CONFIGURED, reason: /NOT cluster-aware/ },
];

/** directory=/ in every spelling: refused, and a stop succeeds without doing anything. */
export const rootSpellings: readonly string[] = ['/', '//', '/tmp/..', '/./', '/usr/../'];

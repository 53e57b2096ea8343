// ocf:linbit:drbd's parameters (drbd-utils 9.22), same names, meanings and
// defaults. Values LINBIT reads with ocf_is_true are booleans here, so a typo
// is an error (6) instead of a silent "false".

import { param } from '../framework/params.js';

/** drbd.ocf's charset for resource names and the config path. */
export const SAFE_CHARS = /^[-%+./0-9:=@A-Z_a-z]+$/;
const safe = (what: string) => (v: string) =>
  SAFE_CHARS.test(v) ? undefined : `${what} must only contain the characters [-%+./0-9:=@A-Z_a-z]`;

export const DEFAULT_SCORES = '0 10 1000 10000';
export const DEFAULT_UNFENCE_ARGS = '--quiet --flock-required --flock-timeout 0 --unfence-only-if-owner-match';
const VERSION = /^\d+\.\d+\.\d+$/;
const version = (v: string) => (VERSION.test(v) ? undefined : `invalid version format '${v}', expected X.Y.Z`);

export const params = {
  drbd_resource: param.string({
    shortdesc: 'drbd resource name',
    longdesc: 'The name of the DRBD resource from the drbd.conf file.',
    required: true,
    unique: true,
    check: safe('drbd_resource'),
  }),
  drbdconf: param.string({
    shortdesc: 'Path to drbd.conf',
    longdesc: 'Full path to the drbd.conf file.',
    default: '/etc/drbd.conf',
    check: safe('drbdconf'),
  }),
  stop_outdates_secondary: param.boolean({
    shortdesc: 'outdate a secondary on stop',
    longdesc:
      'On stop, mark the local data Outdated (drbdadm outdate) when the notification variables name another ' +
      'node as the promoted one, so that this node cannot be promoted with stale data later. Relies on the ' +
      'notify_master_uname/notify_stop_uname variables Pacemaker passes with notify=true.',
    default: false,
  }),
  adjust_master_score: param.string({
    shortdesc: 'master score adjustments',
    longdesc:
      'Four non-decreasing numbers: the promotion score when the local disk is only Consistent (0 = none), ' +
      'when only a peer has UpToDate data, when the local disk is UpToDate but a peer disk state is unknown, and ' +
      'when the local data is as good as it gets. An invalid list falls back to the default.',
    default: DEFAULT_SCORES,
  }),
  ignore_missing_notifications: param.boolean({
    shortdesc: 'ignore missing notifications',
    longdesc:
      'The agent needs the clone meta attribute notify=true and refuses to start (6) without it. Set this to ' +
      'true to run without notifications anyway (not recommended).',
    default: false,
  }),
  remove_master_score_if_peer_primary: param.string({
    shortdesc: 'remove master score if peer is primary',
    longdesc:
      'false: no special treatment. true: while connected to a Primary peer with good data, remove the local ' +
      'promotion score. unexpected: do so only while Pacemaker knows of no promoted instance ' +
      '(crm_resource --locate) and promoted-max is 1.',
    default: 'false',
    check: (v) => (/^(yes|true|1|on|ja|y|no|false|0|off|nein|n|unexpected)$/i.test(v) ? undefined : 'expected true, false or unexpected'),
  }),
  fail_promote_early_if_peer_primary: param.boolean({
    shortdesc: 'fail promote if peer is primary',
    longdesc:
      'Give up a promote after the first refusal while a Primary peer exists that Pacemaker does not know ' +
      'about, instead of retrying until the promote timeout.',
    default: false,
  }),
  unfence_if_all_uptodate: param.boolean({
    shortdesc: 'unfence if all UpToDate',
    longdesc:
      'When this node is Primary and every disk, local and peer, is UpToDate, call "drbdadm unfence-peer" ' +
      '(the unfence-peer handler) to remove a fencing constraint left behind.',
    default: false,
  }),
  unfence_extra_args: param.string({
    shortdesc: 'extra arguments for the unfence handler',
    longdesc: 'Passed to the unfence-peer handler in the environment variable OCF_RESKEY_unfence_extra_args.',
    default: DEFAULT_UNFENCE_ARGS,
  }),
  wfc_timeout: param.string({
    shortdesc: 'wait for connection timeout',
    longdesc:
      'Seconds start waits for the connection after bringing the resource up (--wfc-timeout, ' +
      '--degr-wfc-timeout and --outdated-wfc-timeout). Empty or non-digits: do not wait. The wait never ' +
      'exceeds the start timeout.',
    default: '5',
  }),
  require_drbd_module_version_ge: param.string({
    shortdesc: 'minimum DRBD kernel module version',
    longdesc: 'Fail (5) unless the DRBD kernel module version is at least this (X.Y.Z).',
    default: '8.0.0',
    check: version,
  }),
  require_drbd_module_version_lt: param.string({
    shortdesc: 'DRBD kernel module version bound',
    longdesc: 'Fail (5) unless the DRBD kernel module version is lower than this (X.Y.Z).',
    default: '10.0.0',
    check: version,
  }),
  connect_only_after_promote: param.boolean({
    shortdesc: 'connect only after promote',
    longdesc:
      'Do not connect on start; connect only when this node has been promoted. For setups where the ' +
      'Secondary must not resync before a decision.',
    default: false,
  }),
} as const;

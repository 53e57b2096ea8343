// Types for init.mjs (the stand-in's set-up, shared by tests and bench).
export function confText(dir: string, allowTwoPrimaries: boolean, names?: readonly [string, string]): string;
/** The e2e lab's machine model (lab-node.sh): one shared block device, nodes that can lose power. */
export interface LabModel {
  /** Block device behind every node's /dev/drbdN while that node is Primary (a Secondary's node refuses opens). */
  device: string;
}
export function initStandIn(dir: string, o?: {
  kernel?: string;
  module?: 'loaded' | 'available' | 'missing';
  allowTwoPrimaries?: boolean;
  names?: readonly [string, string];
  lab?: LabModel;
}): { conf: string };

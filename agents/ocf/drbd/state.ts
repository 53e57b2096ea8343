// The state of one DRBD resource as drbdsetup reports it: what the events2
// and sh-status parsers produce, and what scoring reads.

export interface DrbdDevice {
  volume: number;
  minor: number;
  disk: string;
  /** intentionally diskless (client:yes) */
  client: boolean;
  quorum: boolean;
}

export interface DrbdConnection {
  peerNodeId: number;
  name: string;
  /** StandAlone, Connecting, Connected ... */
  state: string;
  /** the peer's role; Unknown unless Connected */
  peerRole: string;
}

export interface DrbdPeerDevice {
  peerNodeId: number;
  volume: number;
  replication: string;
  peerDisk: string;
  peerClient: boolean;
  /** resync progress in percent, while resyncing */
  done: number | undefined;
}

export interface DrbdResourceState {
  /** false: the kernel knows no such resource (`exists -` only) */
  configured: boolean;
  role: string;
  /** `no`, or suspension reasons (user, no-data, fencing, quorum) */
  suspended: string;
  devices: DrbdDevice[];
  connections: DrbdConnection[];
  peerDevices: DrbdPeerDevice[];
}

export function unconfigured(): DrbdResourceState {
  return { configured: false, role: 'Unconfigured', suspended: 'no', devices: [], connections: [], peerDevices: [] };
}

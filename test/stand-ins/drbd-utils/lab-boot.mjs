// STAND-IN (test use only): a lab node's boot (lab-node.sh) starts with a
// kernel that knows no DRBD resource; the meta-data keeps what it had.
import * as m from './model.mjs';
import { loseKernelState } from './lab-machine.mjs';
m.update((st) => loseKernelState(st.nodes[m.nodeName()]));

// STAND-IN set-up (test and bench use only): writes the two-node state and
// the matching drbd.conf into a folder. Nodes "alpha" and "beta", resource
// r0 on /dev/drbd0; no node-id in the config (DRBD 8.4's drbdadm rejects
// it), so drbdadm derives the ids from the addresses: beta 0, alpha 1.
//   node init.mjs DIR [KERNEL]     (CLI: prints nothing, exit 0)
import fs from 'node:fs';
import path from 'node:path';

export function confText(dir, allowTwoPrimaries) {
  const net = allowTwoPrimaries ? '    net { allow-two-primaries yes; }\n' : '';
  return `resource r0 {
    protocol C;
${net}    on alpha { device /dev/drbd0; disk ${dir}/alpha-disk; address 127.0.0.1:7788; meta-disk internal; }
    on beta { device /dev/drbd0; disk ${dir}/beta-disk; address 127.0.0.2:7788; meta-disk internal; }
}
`;
}

export function initStandIn(dir, o = {}) {
  const node = (id, name, addr) => ({ id, addr, backing: path.join(dir, `${name}-disk`), md: 'UpToDate', gen: 1, rt: null });
  const state = {
    res: 'r0', minor: 0, kernel: o.kernel ?? '9.2.12', module: o.module ?? 'loaded',
    allowTwoPrimaries: o.allowTwoPrimaries ?? false, fencing: 'dont-care', link: true, syncGen: 1,
    nodes: { alpha: node(1, 'alpha', '127.0.0.1:7788'), beta: node(0, 'beta', '127.0.0.2:7788') }, faults: {},
  };
  fs.writeFileSync(path.join(dir, 'drbd.conf'), confText(dir, state.allowTwoPrimaries));
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 1));
  return { conf: path.join(dir, 'drbd.conf') };
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  initStandIn(process.argv[2], { kernel: process.argv[3] });
}

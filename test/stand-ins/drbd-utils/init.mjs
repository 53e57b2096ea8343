// STAND-IN set-up (test and bench use only): writes the two-node state and
// the matching drbd.conf into a folder. Nodes "alpha" and "beta", resource
// r0 on /dev/drbd0; no node-id in the config (DRBD 8.4's drbdadm rejects
// it), so drbdadm derives the ids from the addresses: beta 0, alpha 1.
// `names` renames the pair (the e2e lab uses its hostnames node1/node2);
// `lab` is the e2e lab's machine model, see lab-node.sh.
//   node init.mjs DIR [KERNEL]     (CLI: prints nothing, exit 0)
import fs from 'node:fs';
import path from 'node:path';

export function confText(dir, allowTwoPrimaries, names = ['alpha', 'beta']) {
  const net = allowTwoPrimaries ? '    net { allow-two-primaries yes; }\n' : '';
  const [a, b] = names;
  return `resource r0 {
    protocol C;
${net}    on ${a} { device /dev/drbd0; disk ${dir}/${a}-disk; address 127.0.0.1:7788; meta-disk internal; }
    on ${b} { device /dev/drbd0; disk ${dir}/${b}-disk; address 127.0.0.2:7788; meta-disk internal; }
}
`;
}

export function initStandIn(dir, o = {}) {
  const [a, b] = o.names ?? ['alpha', 'beta'];
  const node = (id, name, addr) => ({ id, addr, backing: path.join(dir, `${name}-disk`), md: 'UpToDate', gen: 1, rt: null });
  const state = {
    res: 'r0', minor: 0, kernel: o.kernel ?? '9.2.12', module: o.module ?? 'loaded',
    allowTwoPrimaries: o.allowTwoPrimaries ?? false, fencing: 'dont-care', link: true, syncGen: 1,
    nodes: { [a]: node(1, a, '127.0.0.1:7788'), [b]: node(0, b, '127.0.0.2:7788') }, faults: {},
    ...(o.lab ? { lab: o.lab } : {}),
  };
  fs.writeFileSync(path.join(dir, 'drbd.conf'), confText(dir, state.allowTwoPrimaries, [a, b]));
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 1));
  return { conf: path.join(dir, 'drbd.conf') };
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  initStandIn(process.argv[2], { kernel: process.argv[3] });
}

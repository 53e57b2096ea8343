// STAND-IN store for Pacemaker node attributes (test use only): one JSON file
// per node in $PCMK_STANDIN_DIR, every call appended to calls.log.
import fs from 'node:fs';
import path from 'node:path';

export const dir = () => {
  const d = process.env.PCMK_STANDIN_DIR;
  if (!d) {
    process.stderr.write('pacemaker stand-in: PCMK_STANDIN_DIR is not set\n');
    process.exit(1);
  }
  return d;
};
export const node = () => process.env.PCMK_STANDIN_NODE || process.env.DRBD_STANDIN_NODE || 'node1';

export function record(tool, argv) {
  fs.appendFileSync(path.join(dir(), 'calls.log'), `${JSON.stringify({ node: node(), tool, argv })}\n`);
}

const file = (n) => path.join(dir(), `attrs-${n}.json`);
export function read(n) {
  try {
    return JSON.parse(fs.readFileSync(file(n), 'utf8'));
  } catch {
    return {};
  }
}
export function write(n, attrs) {
  fs.writeFileSync(file(n), JSON.stringify(attrs));
}

// STAND-IN helper for linbit-ns.sh (test use only): prints shell assignments
// describing this node's module and minors.
import * as m from './model.mjs';
const st = m.load();
const rt = st.nodes[m.nodeName()].rt;
process.stdout.write(`loaded=${m.moduleLoaded(st) ? 'yes' : 'no'}\nkernel=${st.kernel}\nminors='${rt && rt.minor ? st.minor : ''}'\n`);

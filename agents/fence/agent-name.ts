// Which agent this run plays, from the name it was started under: a
// symlink called fence_xvm or fence_virt makes it that C client (its flags,
// stdin names, meta-data and transport rules); any other name is
// fence_palisade. The C client decides the same way (client/main.c,
// basename of argv[0]).
import { AGENT_NAME, type AgentName } from './options.js';

export function agentNameOf(scriptPath: string | undefined): AgentName {
  const base = (scriptPath ?? '').split('/').pop() ?? '';
  return base === 'fence_xvm' || base === 'fence_virt' ? base : AGENT_NAME;
}

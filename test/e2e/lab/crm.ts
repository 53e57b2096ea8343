// The cluster's own view, read from `crm_mon --output-as=xml` and
// `stonith_admin --history`, as small typed records.

export interface NodeState {
  readonly name: string;
  readonly online: boolean;
  readonly standby: boolean;
  readonly unclean: boolean;
  readonly pending: boolean;
}

export interface ResourceState {
  readonly id: string;
  readonly agent: string;
  readonly role: string;
  readonly active: boolean;
  readonly failed: boolean;
  /** Nodes it is active on. */
  readonly nodes: readonly string[];
}

export interface ClusterState {
  readonly dc: string | undefined;
  readonly quorum: boolean;
  readonly nodes: ReadonlyMap<string, NodeState>;
  /** Primitive instances, clone members included (same id, one entry per instance). */
  readonly resources: readonly ResourceState[];
}

function attrs(tag: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of tag.matchAll(/([\w-]+)="([^"]*)"/g)) m.set(a[1]!, a[2]!);
  return m;
}

export function parseCrmMon(xml: string): ClusterState {
  const dcTag = /<current_dc\b[^>]*>/.exec(xml)?.[0];
  const dc = dcTag ? attrs(dcTag) : undefined;
  const nodes = new Map<string, NodeState>();
  const nodesBlock = /<nodes>([\s\S]*?)<\/nodes>/.exec(xml)?.[1] ?? '';
  for (const t of nodesBlock.matchAll(/<node\b[^>]*>/g)) {
    const a = attrs(t[0]);
    const name = a.get('name')!;
    nodes.set(name, {
      name,
      online: a.get('online') === 'true',
      standby: a.get('standby') === 'true',
      unclean: a.get('unclean') === 'true',
      pending: a.get('pending') === 'true',
    });
  }
  const resources: ResourceState[] = [];
  const resBlock = /<resources>([\s\S]*?)<\/resources>/.exec(xml)?.[1] ?? '';
  for (const r of resBlock.matchAll(/<resource\b([^>]*?)(\/>|>([\s\S]*?)<\/resource>)/g)) {
    const a = attrs(r[1]!);
    const on = [...(r[3] ?? '').matchAll(/<node\b[^>]*name="([^"]+)"/g)].map((n) => n[1]!);
    resources.push({
      id: a.get('id')!,
      agent: a.get('resource_agent') ?? '',
      role: a.get('role') ?? '',
      active: a.get('active') === 'true',
      failed: a.get('failed') === 'true',
      nodes: on,
    });
  }
  return { dc: dc?.get('present') === 'true' ? dc.get('name') : undefined, quorum: dc?.get('with_quorum') === 'true', nodes, resources };
}

/** The one node a primitive runs on, or undefined when it is stopped (or runs on several). */
export function runningOn(s: ClusterState, id: string): string | undefined {
  const on = s.resources.filter((r) => r.id === id && r.active && !r.failed).flatMap((r) => r.nodes);
  return on.length === 1 ? on[0] : undefined;
}

/** Nodes where a clone's instance has `role` (e.g. Promoted). */
export function withRole(s: ClusterState, id: string, role: string): string[] {
  return s.resources.filter((r) => r.id === id && r.active && r.role === role).flatMap((r) => r.nodes);
}

export interface FenceRecord {
  readonly action: string;
  readonly target: string;
  readonly state: string;
  readonly delegate: string | undefined;
  readonly origin: string | undefined;
  readonly completed: string | undefined;
  /** `completed` as ms since the epoch (the fencer keeps whole seconds). */
  readonly completedAt: number | undefined;
}

/** `stonith_admin --history '*' --verbose --output-as=xml`. */
export function parseFenceHistory(xml: string): FenceRecord[] {
  return [...xml.matchAll(/<fence_event\b[^>]*>/g)].map((t) => {
    const a = attrs(t[0]);
    return {
      action: a.get('action') ?? '',
      target: a.get('target') ?? '',
      state: a.get('status') ?? '',
      delegate: a.get('delegate'),
      origin: a.get('origin'),
      completed: a.get('completed'),
      completedAt: completedAt(a.get('completed')),
    };
  });
}

function completedAt(s: string | undefined): number | undefined {
  const m = s === undefined ? null : /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})Z$/.exec(s);
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : undefined;
}

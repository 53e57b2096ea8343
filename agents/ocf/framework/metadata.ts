// Meta-data XML, derived from the agent declaration. The output must pass
// both `xmllint --valid` against ra-api-1.dtd (what ocf-tester runs) and the
// OCF RelaxNG schema, so it keeps to their intersection: no `select` content
// type, `reloadable` or `<deprecated>` (the DTD has none of them); those
// facts go into the descriptions instead.

import type { AnyParamSpec, ParamTable } from './params.js';

export const OCF_VERSION = '1.1';

export interface ActionSpec {
  name: string;
  /** seconds */
  timeout: number;
  /** seconds */
  interval?: number;
  depth?: number;
  role?: 'Promoted' | 'Unpromoted';
  'start-delay'?: number;
}

export interface MetadataSource {
  name: string;
  version: string;
  shortdesc: string;
  longdesc: string;
  params: ParamTable;
  actions: readonly ActionSpec[];
}

type Attrs = Readonly<Record<string, string | number | undefined>>;
interface Node {
  name: string;
  attrs: Attrs;
  children: readonly (Node | string)[];
}

// XML 1.0 forbids most C0 controls even when escaped.
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function escapeText(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function el(name: string, attrs: Attrs, ...children: (Node | string)[]): Node {
  return { name, attrs, children };
}

function render(n: Node, indent: string): string {
  const attrs = Object.entries(n.attrs)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
  if (n.children.length === 0) return `${indent}<${n.name}${attrs}/>`;
  if (n.children.every((c) => typeof c === 'string')) {
    return `${indent}<${n.name}${attrs}>${n.children.map((c) => escapeText(c as string)).join('')}</${n.name}>`;
  }
  const inner = n.children
    .map((c) => (typeof c === 'string' ? `${indent}  ${escapeText(c)}` : render(c, `${indent}  `)))
    .join('\n');
  return `${indent}<${n.name}${attrs}>\n${inner}\n${indent}</${n.name}>`;
}

function paramLongdesc(p: AnyParamSpec): string {
  const notes: string[] = [p.longdesc.trim()];
  if (p.choices) notes.push(`Allowed values: ${p.choices.join(', ')}.`);
  if (p.reloadable) notes.push('Can be changed without a restart (reload).');
  if (p.deprecated) notes.push('Deprecated: this parameter will be removed in a future version.');
  return notes.join(' ');
}

function paramNode(name: string, p: AnyParamSpec): Node {
  return el(
    'parameter',
    { name, unique: p.unique ? 1 : 0, required: p.required ? 1 : 0 },
    el('longdesc', { lang: 'en' }, paramLongdesc(p)),
    el('shortdesc', { lang: 'en' }, p.deprecated ? `(deprecated) ${p.shortdesc}` : p.shortdesc),
    el('content', {
      type: p.kind === 'select' ? 'string' : p.kind,
      default: p.default === undefined ? undefined : p.format(p.default),
    }),
  );
}

const secs = (s: number | undefined) => (s === undefined ? undefined : `${s}s`);

function actionNode(a: ActionSpec): Node {
  return el('action', {
    name: a.name,
    timeout: secs(a.timeout),
    interval: secs(a.interval),
    depth: a.depth,
    role: a.role,
    'start-delay': secs(a['start-delay']),
  });
}

export function renderMetadata(src: MetadataSource): string {
  const root = el(
    'resource-agent',
    { name: src.name, version: src.version },
    el('version', {}, OCF_VERSION),
    el('longdesc', { lang: 'en' }, src.longdesc.trim()),
    el('shortdesc', { lang: 'en' }, src.shortdesc.trim()),
    el('parameters', {}, ...Object.entries(src.params).map(([n, p]) => paramNode(n, p))),
    el('actions', {}, ...src.actions.map(actionNode)),
  );
  return `<?xml version="1.0"?>\n<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">\n${render(root, '')}\n`;
}

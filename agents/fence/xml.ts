// A tiny XML builder: elements are values, text and attributes are escaped
// on output, and layout follows the fence-agents meta-data (root children
// flush left, deeper levels tab-indented).

export interface XmlElement {
  readonly name: string;
  readonly attrs: readonly (readonly [string, string])[];
  readonly children: readonly (XmlElement | string)[];
}

export function el(
  name: string, attrs: Readonly<Record<string, string | number | undefined>> = {}, ...children: (XmlElement | string)[]
): XmlElement {
  const list = Object.entries(attrs).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)] as const]));
  return { name, attrs: list, children };
}

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => escapeText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

function render(node: XmlElement, depth: number, out: string[]): void {
  const pad = '\t'.repeat(Math.max(0, depth - 1));
  const open = `${pad}<${node.name}${node.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('')}`;
  if (node.children.length === 0) {
    out.push(`${open} />`);
  } else if (node.children.every((c) => typeof c === 'string')) {
    out.push(`${open}>${node.children.map((c) => escapeText(c as string)).join('')}</${node.name}>`);
  } else {
    out.push(`${open}>`);
    for (const c of node.children) {
      if (typeof c === 'string') out.push(escapeText(c));
      else render(c, depth + 1, out);
    }
    out.push(`${pad}</${node.name}>`);
  }
}

export function renderDocument(root: XmlElement): string {
  const out = ['<?xml version="1.0" ?>'];
  render(root, 0, out);
  return `${out.join('\n')}\n`;
}

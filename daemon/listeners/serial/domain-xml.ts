// Finds the guest sockets in a libvirt domain definition (virsh dumpxml):
//   <domain><devices>
//     <serial type='unix'><source mode='bind' path='/run/g1.sock'/>…</serial>
//     <channel type='unix'><source mode='bind' path='/run/g1.chan'/>…</channel>
// fence_virtd asks libxml2; we scan tags ourselves rather than add a
// dependency. libvirt writes this XML canonically, but the scanner still
// honours both quote styles, entities, comments, CDATA and processing
// instructions, and fails on anything it cannot account for: a socket
// missed silently would leave a guest unable to fence.

import { PalisadeError } from '../../errors.js';

export type DeviceKind = 'serial' | 'channel';

export interface SocketDevice {
  readonly kind: DeviceKind;
  /** The socket path, entities decoded. */
  readonly path: string;
}

export class DomainXmlError extends PalisadeError {
  declare readonly code: 'PAL_ERR_DOMAIN_XML';
  readonly offset: number;
  constructor(offset: number, problem: string) {
    super('PAL_ERR_DOMAIN_XML', `domain XML (offset ${offset}): ${problem}`);
    this.offset = offset;
  }
}

interface Tag {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly closing: boolean;
  readonly selfClosing: boolean;
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTR = /\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;

/** Every `<kind type='unix'>` device of /domain/devices with a bind-mode source, in document order. */
export function findSocketDevices(xml: string, kind: DeviceKind): SocketDevice[] {
  const found: SocketDevice[] = [];
  const stack: string[] = [];
  let sawRoot = false;
  /** Inside a matching device element: whether it is type='unix'. */
  let deviceIsUnix: boolean | undefined;
  let pos = 0;
  for (;;) {
    const lt = xml.indexOf('<', pos);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) { pos = skipPast(xml, lt, '-->', 'comment'); continue; }
    if (xml.startsWith('<![CDATA[', lt)) { pos = skipPast(xml, lt, ']]>', 'CDATA section'); continue; }
    if (xml.startsWith('<?', lt)) { pos = skipPast(xml, lt, '?>', 'processing instruction'); continue; }
    if (xml.startsWith('<!', lt)) { pos = skipPast(xml, lt, '>', 'declaration'); continue; }
    const [tag, next] = readTag(xml, lt);
    pos = next;
    if (tag.closing) {
      const open = stack.pop();
      if (open !== tag.name) throw new DomainXmlError(lt, `</${tag.name}> closes ${open === undefined ? 'nothing' : `<${open}>`}`);
      if (stack.length === 2) deviceIsUnix = undefined;
      continue;
    }
    if (stack.length === 0) {
      if (sawRoot) throw new DomainXmlError(lt, `second root element <${tag.name}>`);
      if (tag.name !== 'domain') throw new DomainXmlError(lt, `root element is <${tag.name}>, not <domain>`);
      sawRoot = true;
    }
    const parent = stack.join('/');
    if (parent === 'domain/devices' && tag.name === kind && !tag.selfClosing) {
      deviceIsUnix = tag.attrs.get('type') === 'unix';
    } else if (deviceIsUnix && parent === `domain/devices/${kind}` && tag.name === 'source' && tag.attrs.get('mode') === 'bind') {
      const path = tag.attrs.get('path');
      if (path !== undefined && path !== '') found.push({ kind, path });
    }
    if (!tag.selfClosing) stack.push(tag.name);
  }
  if (stack.length > 0) throw new DomainXmlError(xml.length, `<${stack.at(-1)}> is never closed`);
  if (!sawRoot) throw new DomainXmlError(0, 'no <domain> element');
  return found;
}

function skipPast(xml: string, from: number, end: string, what: string): number {
  const at = xml.indexOf(end, from);
  if (at < 0) throw new DomainXmlError(from, `unterminated ${what}`);
  return at + end.length;
}

function readTag(xml: string, lt: number): [Tag, number] {
  let pos = lt + 1;
  const closing = xml[pos] === '/';
  if (closing) pos++;
  NAME.lastIndex = pos;
  const name = NAME.exec(xml)?.[0];
  if (name === undefined) throw new DomainXmlError(lt, `'<' not followed by an element name`);
  pos += name.length;
  const attrs = new Map<string, string>();
  if (!closing) {
    for (;;) {
      ATTR.lastIndex = pos;
      const m = ATTR.exec(xml);
      if (!m) break;
      const key = m[1]!;
      if (attrs.has(key)) throw new DomainXmlError(pos, `attribute ${key} repeated in <${name}>`);
      attrs.set(key, decodeEntities(m[2] ?? m[3]!, pos));
      pos = ATTR.lastIndex;
    }
  }
  TAG_END.lastIndex = pos;
  const end = TAG_END.exec(xml);
  if (!end) throw new DomainXmlError(pos, `malformed tag <${closing ? '/' : ''}${name}>`);
  const selfClosing = end[1] === '/';
  if (closing && selfClosing) throw new DomainXmlError(lt, `malformed closing tag </${name}/>`);
  return [{ name, attrs, closing, selfClosing }, TAG_END.lastIndex];
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, at: number): string {
  return s.replace(/&([^;&\s]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new DomainXmlError(at, `bare '&' in attribute value`);
    const named = NAMED[body];
    if (named !== undefined) return named;
    const num = /^#x([0-9a-fA-F]{1,6})$/.exec(body) ?? /^#([0-9]{1,7})$/.exec(body);
    const cp = num ? parseInt(num[1]!, body.startsWith('#x') ? 16 : 10) : NaN;
    if (!(cp > 0 && cp <= 0x10ffff)) throw new DomainXmlError(at, `unknown entity ${whole}`);
    return String.fromCodePoint(cp);
  });
}

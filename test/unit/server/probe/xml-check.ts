// A small strict XML reader for the report tests: well-formedness (one root, matched tags, quoted attributes,
// only the five predefined entities or character references, no raw `<` or `&`, only XML 1.0 characters) and a
// tree to query. It throws with the offset on the first violation.
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const entities: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const invalidChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(text: string, offset: number): string {
  if (invalidChar.test(text)) throw new Error(`character not allowed in XML 1.0 near offset ${offset}`);
  return text.replace(/&([^;]*);?/g, (match, name: string) => {
    if (!match.endsWith(';')) throw new Error(`unterminated entity near offset ${offset}`);
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    const value = entities[name];
    if (value === undefined) throw new Error(`unknown entity &${name}; near offset ${offset}`);
    return value;
  });
}

export function parseXml(xml: string): XmlElement {
  let index = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    index = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (index < xml.length) {
    const open = xml.indexOf('<', index);
    const text = xml.slice(index, open < 0 ? xml.length : open);
    if (text.includes('>')) throw new Error(`raw '>' in text (the reports escape it) near offset ${index}`);
    const current = stack[stack.length - 1];
    if (current === undefined) {
      if (text.trim() !== '') throw new Error(`text outside the root element near offset ${index}`);
    } else {
      current.text += decode(text, index);
    }
    if (open < 0) break;
    const close = xml.indexOf('>', open);
    if (close < 0) throw new Error(`unterminated tag at offset ${open}`);
    const tag = xml.slice(open + 1, close);
    if (tag.includes('<')) throw new Error(`'<' inside a tag at offset ${open}`);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const top = stack.pop();
      if (top?.name !== name) throw new Error(`</${name}> closes <${top?.name ?? 'nothing'}> at offset ${open}`);
    } else {
      const isSelfClosing = tag.endsWith('/');
      const body = isSelfClosing ? tag.slice(0, -1) : tag;
      const nameMatch = /^([A-Za-z_][-A-Za-z0-9_.]*)/.exec(body);
      if (nameMatch?.[1] === undefined) throw new Error(`bad tag name at offset ${open}`);
      const attributes: Record<string, string> = {};
      let rest = body.slice(nameMatch[1].length);
      const attributePattern = /^\s+([A-Za-z_][-A-Za-z0-9_.]*)="([^"<]*)"/;
      for (;;) {
        const match = attributePattern.exec(rest);
        if (match === null) break;
        const [whole, key, value] = match;
        if (key === undefined || value === undefined) break;
        if (Object.hasOwn(attributes, key)) throw new Error(`duplicate attribute ${key} at offset ${open}`);
        attributes[key] = decode(value, open);
        rest = rest.slice(whole.length);
      }
      if (rest.trim() !== '') throw new Error(`malformed attributes "${rest.trim().slice(0, 40)}" at offset ${open}`);
      const element: XmlElement = { name: nameMatch[1], attributes, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        if (root !== undefined) throw new Error(`second root element at offset ${open}`);
        root = element;
      } else {
        parent.children.push(element);
      }
      if (!isSelfClosing) stack.push(element);
    }
    index = close + 1;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name ?? ''}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

export function findAll(element: XmlElement, name: string): XmlElement[] {
  return [...(element.name === name ? [element] : []), ...element.children.flatMap((child) => findAll(child, name))];
}
